//! The host's side of 3GPP TS 27.010 basic-option multiplexing, written for the tests from the
//! standard alone (not from the emulator's codec), so a test that frames its bytes with this
//! and checks the module's frames with it is a second reading of the standard. It is strict:
//! a frame with a bad FCS or an unknown shape from the module fails the test.
//!
//! Include with `#[path = "support/cmux_host.rs"] mod cmux_host;`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::support::{find, show, Port};

pub const FLAG: u8 = 0xF9;
pub const SABM: u8 = 0x2F;
pub const UA: u8 = 0x63;
pub const DM: u8 = 0x0F;
pub const DISC: u8 = 0x43;
pub const UIH: u8 = 0xEF;
/// The poll/final bit of the control field.
pub const PF: u8 = 0x10;

/// Control-channel message types (DLCI 0), without the EA and C/R bits.
pub const MSG_CLD: u8 = 0xC0;
pub const MSG_MSC: u8 = 0xE0;
pub const MSG_TEST: u8 = 0x20;
pub const MSG_PN: u8 = 0x80;
pub const MSG_NSC: u8 = 0x10;

/// The frame check sequence of 27.010 (annex B): CRC-8, polynomial x^8+x^2+x+1 taken LSB
/// first, register preset to all ones, sent as its ones' complement.
pub fn fcs(bytes: &[u8]) -> u8 {
    let mut crc: u8 = 0xFF;
    for &b in bytes {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xE0 } else { crc >> 1 };
        }
    }
    0xFF - crc
}

/// One frame as sent on the line. `cr` is the address field's C/R bit.
pub fn frame(dlci: u8, cr: bool, control: u8, info: &[u8]) -> Vec<u8> {
    let mut head = vec![(dlci << 2) | (u8::from(cr) << 1) | 1, control];
    if info.len() <= 127 {
        head.push(((info.len() as u8) << 1) | 1);
    } else {
        head.push(((info.len() & 0x7F) as u8) << 1);
        head.push((info.len() >> 7) as u8);
    }
    let mut out = vec![FLAG];
    out.extend_from_slice(&head);
    out.extend_from_slice(info);
    out.push(fcs(&head));
    out.push(FLAG);
    out
}

/// The host opened the multiplexer, so it is the initiator: its commands carry C/R = 1.
pub fn sabm(dlci: u8) -> Vec<u8> {
    frame(dlci, true, SABM | PF, &[])
}

pub fn disc(dlci: u8) -> Vec<u8> {
    frame(dlci, true, DISC | PF, &[])
}

pub fn uih(dlci: u8, data: &[u8]) -> Vec<u8> {
    frame(dlci, true, UIH, data)
}

/// A control-channel command from the host: type, length, values.
pub fn control_command(kind: u8, values: &[u8]) -> Vec<u8> {
    let mut info = vec![kind | 0x02 | 0x01, ((values.len() as u8) << 1) | 1];
    info.extend_from_slice(values);
    uih(0, &info)
}

/// MSC for `dlci` with the V.24 signals byte `signals` (EA set by the caller).
pub fn msc(dlci: u8, signals: u8) -> Vec<u8> {
    control_command(MSG_MSC, &[(dlci << 2) | 0x02 | 0x01, signals])
}

/// Close down the multiplexer.
pub fn cld() -> Vec<u8> {
    control_command(MSG_CLD, &[])
}

/// A frame the module sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub dlci: u8,
    pub cr: bool,
    /// The control field with the P/F bit.
    pub control: u8,
    pub info: Vec<u8>,
}

impl Frame {
    pub fn kind(&self) -> u8 {
        self.control & !PF
    }
}

/// Take every whole frame from the front of `buf`. Flags between frames are skipped; anything
/// else there, a bad FCS or a bad length fails the test.
#[track_caller]
pub fn decode(buf: &mut Vec<u8>) -> Vec<Frame> {
    let mut frames = Vec::new();
    loop {
        let start = buf.iter().position(|&b| b != FLAG).unwrap_or(buf.len());
        assert!(start > 0 || buf.is_empty(), "bytes outside a frame: {}", show(buf));
        // The opening flag is the last flag before `start`.
        let body = &buf[start..];
        if body.len() < 4 {
            break;
        }
        let (address, control) = (body[0], body[1]);
        assert!(address & 1 == 1, "address without EA: {}", show(buf));
        let (len, head) = if body[2] & 1 == 1 {
            ((body[2] >> 1) as usize, 3)
        } else {
            if body.len() < 5 {
                break;
            }
            (((body[2] >> 1) as usize) | ((body[3] as usize) << 7), 4)
        };
        if body.len() < head + len + 2 {
            break;
        }
        let info = body[head..head + len].to_vec();
        let got = body[head + len];
        assert_eq!(got, fcs(&body[..head]), "bad FCS in {}", show(&body[..head + len + 2]));
        assert_eq!(body[head + len + 1], FLAG, "frame not closed by a flag: {}", show(body));
        frames.push(Frame { dlci: address >> 2, cr: address & 2 != 0, control, info });
        // Keep the closing flag: it may open the next frame.
        buf.drain(..start + head + len + 1);
    }
    frames
}

/// A multiplexed port: frames out, frames in, data sorted by DLCI.
pub struct MuxHost {
    pub port: Port,
    raw: Vec<u8>,
    /// UIH data received per DLCI, not yet matched.
    pub data: HashMap<u8, Vec<u8>>,
    /// Frames other than UIH data on DLCI 1-63, in arrival order.
    pub others: Vec<Frame>,
}

impl MuxHost {
    pub fn new(port: Port) -> Self {
        MuxHost { port, raw: Vec::new(), data: HashMap::new(), others: Vec::new() }
    }

    fn pump(&mut self, wait: Duration) {
        let got = self.port.take(1, wait);
        self.raw.extend_from_slice(&got);
        self.raw.append(&mut self.port.pending);
        for f in decode(&mut self.raw) {
            if f.kind() == UIH && f.dlci != 0 {
                self.data.entry(f.dlci).or_default().extend_from_slice(&f.info);
            } else {
                self.others.push(f);
            }
        }
    }

    /// Open DLCI `dlci` and expect its UA.
    #[track_caller]
    pub fn open(&mut self, dlci: u8) {
        self.port.send(&sabm(dlci));
        let f = self.next_other(Duration::from_secs(5));
        assert_eq!(
            (f.dlci, f.cr, f.control, f.info.len()),
            (dlci, true, UA | PF, 0),
            "UA for DLCI {dlci}: {f:?}"
        );
    }

    /// The next non-data frame.
    #[track_caller]
    pub fn next_other(&mut self, wait: Duration) -> Frame {
        let deadline = Instant::now() + wait;
        while self.others.is_empty() {
            assert!(Instant::now() < deadline, "no frame arrived; raw {}", show(&self.raw));
            self.pump(Duration::from_millis(50));
        }
        self.others.remove(0)
    }

    pub fn send(&mut self, dlci: u8, bytes: &[u8]) {
        self.port.send(&uih(dlci, bytes));
    }

    /// Read DLCI `dlci`'s data until `needle`; returns everything up to and including it.
    #[track_caller]
    pub fn read_until(&mut self, dlci: u8, needle: &[u8], wait: Duration) -> Vec<u8> {
        let deadline = Instant::now() + wait;
        loop {
            let buf = self.data.entry(dlci).or_default();
            if let Some(pos) = find(buf, needle) {
                return buf.drain(..pos + needle.len()).collect();
            }
            if Instant::now() >= deadline {
                panic!("{} never arrived on DLCI {dlci}; got {}", show(needle), show(buf));
            }
            self.pump(Duration::from_millis(50));
        }
    }

    /// Send a line on `dlci` and expect exactly `expected` back there.
    #[track_caller]
    pub fn transact(&mut self, dlci: u8, send: &str, expected: &str) {
        self.send(dlci, send.as_bytes());
        let last = expected.as_bytes().last().copied().unwrap_or(b'\n');
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while got.len() < expected.len() {
            assert!(
                Instant::now() < deadline,
                "DLCI {dlci}: wanted {}, got {}",
                show(expected.as_bytes()),
                show(&got)
            );
            self.pump(Duration::from_millis(50));
            let buf = self.data.entry(dlci).or_default();
            let n = (expected.len() - got.len()).min(buf.len());
            got.extend(buf.drain(..n));
        }
        let _ = last;
        assert_eq!(show(&got), show(expected.as_bytes()), "DLCI {dlci} answer to {send:?}");
    }

    /// Whatever DLCI `dlci` received within `wait`.
    pub fn drain(&mut self, dlci: u8, wait: Duration) -> Vec<u8> {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            self.pump(Duration::from_millis(20));
        }
        std::mem::take(self.data.entry(dlci).or_default())
    }
}

#[cfg(test)]
mod self_check {
    use super::*;

    /// Frames quoted in 27.010 discussions and captures: SABM and UA on DLCI 0.
    #[test]
    fn known_frames() {
        assert_eq!(sabm(0), [0xF9, 0x03, 0x3F, 0x01, 0x1C, 0xF9]);
        assert_eq!(frame(0, true, UA | PF, &[]), [0xF9, 0x03, 0x73, 0x01, 0xD7, 0xF9]);
        let mut buf = [uih(2, b"AT\r"), uih(1, &[0x55; 200])].concat();
        let frames = decode(&mut buf);
        assert_eq!(frames.len(), 2);
        assert_eq!((frames[0].dlci, frames[0].info.as_slice()), (2, &b"AT\r"[..]));
        assert_eq!(frames[1].info.len(), 200);
    }
}
