//! The tests' own side of 27.010 for the module-level CMUX tests (cmd_cmux.rs,
//! cmd_cmux_review.rs): a little encoder and decoder with a bitwise CRC, not the crate's codec,
//! so the crate's frames are checked against the standard rather than against themselves; and a
//! bench in mux mode. The host is the initiator: its commands carry C/R 1; the module's
//! responses (UA, DM) carry C/R 1 and its UIH frames C/R 0.
#![allow(dead_code)]

use crate::bench::{Bench, CONNECT, OK};
use qsslsim_modem::NetAction;

// ---- frames, the test's own ------------------------------------------------------------------

/// The 27.010 FCS over `header`: CRC-8, polynomial x^8+x^2+x+1 bit-reversed, preset 0xFF,
/// sent as its ones' complement.
pub fn fcs(header: &[u8]) -> u8 {
    let mut crc = 0xFFu8;
    for &b in header {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xE0 } else { crc >> 1 };
        }
    }
    0xFF - crc
}

pub fn frame(addr: u8, ctrl: u8, info: &[u8]) -> Vec<u8> {
    let mut header = vec![addr, ctrl];
    if info.len() < 128 {
        header.push((info.len() as u8) << 1 | 1);
    } else {
        header.push(((info.len() & 0x7F) as u8) << 1);
        header.push((info.len() >> 7) as u8);
    }
    let mut out = vec![0xF9];
    out.extend_from_slice(&header);
    out.extend_from_slice(info);
    // UIH: the header only; UI (and the frames without information): all of it.
    let covered = if ctrl & !0x10 == UIH { header } else { out[1..].to_vec() };
    out.push(fcs(&covered));
    out.push(0xF9);
    out
}

pub const SABM: u8 = 0x3F;
pub const DISC: u8 = 0x53;
pub const UIH: u8 = 0xEF;
pub const UA: u8 = 0x73;
pub const DM: u8 = 0x1F;

/// A command frame from the host (C/R 1).
pub fn host(dlci: u8, ctrl: u8, info: &[u8]) -> Vec<u8> {
    frame(0x03 | dlci << 2, ctrl, info)
}

pub fn uih(dlci: u8, data: &[u8]) -> Vec<u8> {
    host(dlci, UIH, data)
}

/// A command line on `dlci`.
pub fn line(dlci: u8, text: &str) -> Vec<u8> {
    uih(dlci, format!("{text}\r").as_bytes())
}

/// The module's response frame (C/R 1): UA or DM.
pub fn response(dlci: u8, ctrl: u8) -> Vec<u8> {
    frame(0x03 | dlci << 2, ctrl, &[])
}

/// The module's UIH frame on `dlci` (C/R 0).
pub fn from_module(dlci: u8, data: &[u8]) -> Vec<u8> {
    frame(0x01 | dlci << 2, UIH, data)
}

/// One frame the module wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fr {
    pub addr: u8,
    pub ctrl: u8,
    pub info: Vec<u8>,
}

/// Cut the module's bytes into frames; every byte must belong to a well-formed frame.
#[track_caller]
pub fn cut(mut bytes: &[u8]) -> Vec<Fr> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        assert_eq!(bytes[0], 0xF9, "a frame starts with a flag: {bytes:02X?}");
        let (len, hlen) = if bytes[3] & 1 == 1 {
            (usize::from(bytes[3] >> 1), 3)
        } else {
            (usize::from(bytes[3] >> 1) | usize::from(bytes[4]) << 7, 4)
        };
        let end = 1 + hlen + len + 2;
        assert_eq!(bytes[end - 1], 0xF9, "closing flag");
        assert_eq!(bytes[end - 2], fcs(&bytes[1..1 + hlen]), "FCS");
        out.push(Fr { addr: bytes[1], ctrl: bytes[2], info: bytes[1 + hlen..1 + hlen + len].to_vec() });
        bytes = &bytes[end..];
    }
    out
}

/// What the module wrote on `dlci`'s UIH frames, joined.
pub fn text_on(frames: &[Fr], dlci: u8) -> String {
    let data: Vec<u8> = frames
        .iter()
        .filter(|f| f.addr == 0x01 | dlci << 2 && f.ctrl == UIH)
        .flat_map(|f| f.info.clone())
        .collect();
    String::from_utf8_lossy(&data).into_owned()
}

/// The DLCIs of the module's UIH frames, in order.
pub fn dlcis(frames: &[Fr]) -> Vec<u8> {
    frames.iter().filter(|f| f.ctrl == UIH).map(|f| f.addr >> 2).collect()
}

// ---- a bench in mux mode ---------------------------------------------------------------------

/// Frames in, frames out.
pub struct Mux {
    pub b: Bench,
}

impl Mux {
    /// `AT+CMUX=<args>` on a module with echo off; then SABM for DLCI 0 and `channels`.
    pub fn start(args: &str, channels: &[u8]) -> Mux {
        let mut b = Bench::new();
        b.check(&format!("AT+CMUX={args}"), OK);
        let mut m = Mux { b };
        for d in std::iter::once(0).chain(channels.iter().copied()) {
            m.send(&host(d, SABM, &[]));
            assert_eq!(m.bytes(), response(d, UA), "UA for DLCI {d}");
        }
        m
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.b.input(bytes);
    }

    /// The module's bytes so far, joined; forgets them.
    pub fn bytes(&mut self) -> Vec<u8> {
        self.b.take_bytes()
    }

    pub fn frames(&mut self) -> Vec<Fr> {
        let bytes = self.bytes();
        cut(&bytes)
    }

    /// Send `text` on `dlci`; every frame the module writes must be on `dlci`; its text.
    #[track_caller]
    pub fn at(&mut self, dlci: u8, text: &str) -> String {
        self.b.writes.clear();
        self.send(&line(dlci, text));
        let frames = self.frames();
        assert!(dlcis(&frames).iter().all(|d| *d == dlci), "{text:?} on {dlci}: answers on {frames:?}");
        text_on(&frames, dlci)
    }

    #[track_caller]
    pub fn check(&mut self, dlci: u8, text: &str, want: &str) {
        assert_eq!(self.at(dlci, text), want, "reply to {text:?} on DLCI {dlci}");
    }

    /// Activate context 1 and open SSL socket `id` in access mode `mode` (0 or 1) from `dlci`;
    /// its `+QSSLOPEN` comes on the URC channel (DLCI 1). The connection's serial.
    #[track_caller]
    pub fn open_ssl(&mut self, dlci: u8, id: u8, mode: u8) -> u64 {
        self.check(dlci, "AT+QIACT=1", OK);
        self.check(dlci, &format!("AT+QSSLOPEN=1,0,{id},\"192.0.2.2\",443,{mode}"), OK);
        let conn = self.b.open_request(id).conn;
        self.b.opened(id, conn);
        self.b.settle();
        assert_eq!(text_on(&self.frames(), 1), format!("\r\n+QSSLOPEN: {id},0\r\n"));
        conn
    }

    /// Dial `line` on `dlci`: `CONNECT` there and one `PppStart`, whose session it returns.
    #[track_caller]
    pub fn dial(&mut self, dlci: u8, line: &str) -> u64 {
        self.b.take_actions();
        self.check(dlci, line, CONNECT);
        match self.b.take_actions().as_slice() {
            [NetAction::PppStart { session, .. }] => *session,
            other => panic!("expected PppStart, got {other:?}"),
        }
    }
}

/// The control channel's CLD command from the host.
pub fn cld() -> Vec<u8> {
    uih(0, &[0xC3, 0x01])
}

impl Mux {
    /// Send a command line on `dlci`; the module's bytes must be exactly one UIH frame of
    /// `want` on `dlci` (nothing when `want` is empty).
    #[track_caller]
    pub fn check_exact(&mut self, dlci: u8, text: &str, want: &str) {
        self.send(&line(dlci, text));
        let want = if want.is_empty() { vec![] } else { from_module(dlci, want.as_bytes()) };
        assert_eq!(self.bytes(), want, "reply to {text:?} on DLCI {dlci}");
    }

    /// Context 1 up and SSL socket `id` opened in transparent mode from `dlci`: `CONNECT`
    /// there. The connection's serial.
    #[track_caller]
    pub fn transparent(&mut self, dlci: u8, id: u8) -> u64 {
        self.check_exact(dlci, "AT+QIACT=1", OK);
        self.check_exact(dlci, &format!("AT+QSSLOPEN=1,0,{id},\"192.0.2.2\",443,2"), "");
        let conn = self.b.open_request(id).conn;
        self.b.opened(id, conn);
        assert_eq!(self.bytes(), from_module(dlci, CONNECT.as_bytes()));
        conn
    }
}
