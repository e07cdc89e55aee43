//! The module's side of a 27.010 session (basic option, UIH only), sans IO: which DLCs are
//! open, the answers to SABM and DISC, and the control channel's messages on DLCI 0 (CLD,
//! Test, MSC, PN, the rest answered NSC). It hands user data of open AT channels upwards and
//! never touches the module's state itself.
//!
//! The module is the responder: its commands carry C/R 0 in the address octet and its
//! responses C/R 1; in control messages the C/R bit of the type octet is 1 for a command and
//! 0 for a response.

use super::frame::{encode, Frame, Kind};

/// The highest DLCI that is an AT channel (the module offers DLCI 1-4; policy `cmux-frames`).
pub const MAX_DLCI: u8 = 4;

/// Control channel message types (type octet with EA and C/R cleared).
const PN: u8 = 0x80;
const PSC: u8 = 0x40;
const CLD: u8 = 0xC0;
const TEST: u8 = 0x20;
const FCON: u8 = 0xA0;
const FCOFF: u8 = 0x60;
const MSC: u8 = 0xE0;
const NSC: u8 = 0x10;

/// What a received frame asks of the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MuxEvent {
    /// Write these frame bytes to the host as they are.
    Reply(Vec<u8>),
    /// User data for AT channel `dlci`.
    Data { dlci: u8, data: Vec<u8> },
    /// DLC `dlci` was established (SABM answered UA).
    Opened(u8),
    /// DLC `dlci` was released (DISC answered UA).
    Closed(u8),
    /// The host closed the multiplexer (CLD, or DISC on DLCI 0): back to the plain port once
    /// the answer is out.
    CloseDown,
    /// A frame was refused; the reason, for the log and the trace.
    Refused(String),
}

/// The DLC states of one session.
#[derive(Debug, Default)]
pub struct Session {
    /// Open DLCs, DLCI 0 (the control channel) included.
    open: [bool; MAX_DLCI as usize + 1],
}

impl Session {
    pub fn is_open(&self, dlci: u8) -> bool {
        self.open.get(usize::from(dlci)).copied().unwrap_or(false)
    }

    /// The open AT channels, lowest first.
    pub fn open_channels(&self) -> impl Iterator<Item = u8> + '_ {
        (1..=MAX_DLCI).filter(|&d| self.is_open(d))
    }

    /// Act on one frame from the host.
    pub fn on_frame(&mut self, f: Frame) -> Vec<MuxEvent> {
        let d = usize::from(f.dlci);
        let known = f.dlci <= MAX_DLCI;
        match f.kind {
            Kind::Sabm if known => {
                let mut out = vec![MuxEvent::Reply(response(f.dlci, Kind::Ua, f.pf))];
                if !self.open[d] {
                    self.open[d] = true;
                    out.push(MuxEvent::Opened(f.dlci));
                }
                out
            }
            Kind::Sabm => vec![
                MuxEvent::Reply(response(f.dlci, Kind::Dm, f.pf)),
                MuxEvent::Refused(format!("SABM for DLCI {}: the module has DLCI 1-{MAX_DLCI}", f.dlci)),
            ],
            Kind::Disc if known && self.open[d] => {
                self.open[d] = false;
                let reply = MuxEvent::Reply(response(f.dlci, Kind::Ua, f.pf));
                if f.dlci == 0 {
                    self.open = Default::default();
                    vec![reply, MuxEvent::CloseDown]
                } else {
                    vec![reply, MuxEvent::Closed(f.dlci)]
                }
            }
            Kind::Disc => vec![MuxEvent::Reply(response(f.dlci, Kind::Dm, f.pf))],
            Kind::Uih | Kind::Ui if f.dlci == 0 && self.open[0] => self.control(&f.info),
            Kind::Uih | Kind::Ui if known && self.open[d] => {
                vec![MuxEvent::Data { dlci: f.dlci, data: f.info }]
            }
            Kind::Uih | Kind::Ui => vec![
                MuxEvent::Reply(response(f.dlci, Kind::Dm, f.pf)),
                MuxEvent::Refused(format!("data for DLCI {}, which is not open", f.dlci)),
            ],
            Kind::Ua | Kind::Dm => {
                vec![MuxEvent::Refused(format!(
                    "{:?} on DLCI {} answers nothing the module sent",
                    f.kind, f.dlci
                ))]
            }
        }
    }

    /// Control channel messages; several may share one frame.
    fn control(&mut self, mut info: &[u8]) -> Vec<MuxEvent> {
        let mut out = Vec::new();
        while !info.is_empty() {
            let Some((ty, value, used)) = message(info) else {
                out.push(MuxEvent::Refused("a control message cut short".into()));
                break;
            };
            info = &info[used..];
            let command = ty & 0x02 != 0;
            let kind = ty & 0xFC;
            if !command {
                // A response to nothing the module asked.
                continue;
            }
            match kind {
                CLD => {
                    out.push(MuxEvent::Reply(control_frame(CLD, &[])));
                    self.open = Default::default();
                    out.push(MuxEvent::CloseDown);
                    return out;
                }
                // Echo what came; MSC, FCon/FCoff and PSC are taken as they are.
                TEST | MSC => out.push(MuxEvent::Reply(control_frame(kind, value))),
                FCON | FCOFF | PSC => out.push(MuxEvent::Reply(control_frame(kind, value))),
                // Parameter negotiation: the module accepts the host's values and answers with
                // them, but with UIH frames and convergence layer 1 (policy `cmux-control`).
                PN if value.len() == 8 => {
                    let mut v = value.to_vec();
                    v[1] = 0;
                    out.push(MuxEvent::Reply(control_frame(PN, &v)));
                }
                _ => {
                    out.push(MuxEvent::Reply(control_frame(NSC, &[ty])));
                    out.push(MuxEvent::Refused(format!("control message type {ty:#04x} not supported: NSC")));
                }
            }
        }
        out
    }
}

/// One control message: its type octet, its value and the bytes it took.
fn message(info: &[u8]) -> Option<(u8, &[u8], usize)> {
    let ty = *info.first()?;
    let mut len = 0usize;
    let mut at = 1;
    loop {
        let b = *info.get(at)?;
        len |= usize::from(b >> 1) << (7 * (at - 1));
        at += 1;
        if b & 1 == 1 {
            break;
        }
        if at > 3 {
            return None;
        }
    }
    let value = info.get(at..at + len)?;
    Some((ty, value, at + len))
}

/// A response frame (UA or DM) from the module: C/R 1.
pub fn response(dlci: u8, kind: Kind, pf: bool) -> Vec<u8> {
    encode(&Frame { dlci, cr: true, kind, pf, info: vec![] })
}

/// A UIH frame of user data from the module on `dlci` (a command frame: C/R 0).
pub fn data_frame(dlci: u8, data: &[u8]) -> Vec<u8> {
    encode(&Frame { dlci, cr: false, kind: Kind::Uih, pf: false, info: data.to_vec() })
}

/// The UIH frames that carry `data` on `dlci`, each with at most `n1` bytes.
pub fn data_frames(dlci: u8, n1: u16, data: &[u8]) -> Vec<u8> {
    data.chunks(usize::from(n1.max(1))).flat_map(|c| data_frame(dlci, c)).collect()
}

/// The module's own MSC command for `dlci` (C/R 1 in the type octet): the V.24 signals
/// RTC, RTR and DV, with FC set while the host must stop sending on that DLC.
pub fn msc_command(dlci: u8, stop: bool) -> Vec<u8> {
    const EA: u8 = 0x01;
    const FC: u8 = 0x02;
    const RTC_RTR_DV: u8 = 0x04 | 0x08 | 0x80;
    let signals = EA | RTC_RTR_DV | if stop { FC } else { 0 };
    let info = [MSC | 0x03, (2 << 1) | 1, (dlci << 2) | 0x02 | EA, signals];
    data_frame(0, &info)
}

/// A control message response (C/R 0 in the type octet) on DLCI 0.
fn control_frame(kind: u8, value: &[u8]) -> Vec<u8> {
    let mut info = vec![kind | 0x01];
    if value.len() <= 0x7F {
        info.push(((value.len() as u8) << 1) | 1);
    } else {
        info.push((value.len() as u8 & 0x7F) << 1);
        info.push((((value.len() >> 7) as u8) << 1) | 1);
    }
    info.extend_from_slice(value);
    data_frame(0, &info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(dlci: u8, kind: Kind, info: &[u8]) -> Frame {
        Frame { dlci, cr: true, kind, pf: true, info: info.to_vec() }
    }

    fn open(s: &mut Session, dlci: u8) {
        s.on_frame(frame(dlci, Kind::Sabm, &[]));
    }

    #[test]
    fn sabm_opens_and_answers_ua() {
        let mut s = Session::default();
        let got = s.on_frame(frame(1, Kind::Sabm, &[]));
        assert_eq!(got, [MuxEvent::Reply(vec![0xF9, 0x07, 0x73, 0x01, 0x15, 0xF9]), MuxEvent::Opened(1)]);
        assert!(s.is_open(1));
    }

    #[test]
    fn sabm_beyond_the_channels_answers_dm() {
        let mut s = Session::default();
        let got = s.on_frame(frame(5, Kind::Sabm, &[]));
        assert_eq!(got[0], MuxEvent::Reply(response(5, Kind::Dm, true)));
        assert!(!s.is_open(5));
    }

    #[test]
    fn disc_of_a_closed_dlc_answers_dm_and_of_an_open_one_ua() {
        let mut s = Session::default();
        assert_eq!(s.on_frame(frame(2, Kind::Disc, &[])), [MuxEvent::Reply(response(2, Kind::Dm, true))]);
        open(&mut s, 2);
        assert_eq!(
            s.on_frame(frame(2, Kind::Disc, &[])),
            [MuxEvent::Reply(response(2, Kind::Ua, true)), MuxEvent::Closed(2)]
        );
    }

    #[test]
    fn data_on_an_open_channel_goes_up() {
        let mut s = Session::default();
        open(&mut s, 1);
        let got = s.on_frame(frame(1, Kind::Uih, b"AT\r"));
        assert_eq!(got, [MuxEvent::Data { dlci: 1, data: b"AT\r".to_vec() }]);
    }

    #[test]
    fn msc_and_test_are_answered_with_their_values() {
        let mut s = Session::default();
        open(&mut s, 0);
        // MSC command for DLCI 1: address 0x07, signals 0x0D.
        let got = s.on_frame(frame(0, Kind::Uih, &[0xE3, 0x05, 0x07, 0x0D]));
        assert_eq!(got, [MuxEvent::Reply(data_frame(0, &[0xE1, 0x05, 0x07, 0x0D]))]);
        let got = s.on_frame(frame(0, Kind::Uih, &[0x23, 0x07, 1, 2, 3]));
        assert_eq!(got, [MuxEvent::Reply(data_frame(0, &[0x21, 0x07, 1, 2, 3]))]);
    }

    #[test]
    fn unknown_control_message_answers_nsc() {
        let mut s = Session::default();
        open(&mut s, 0);
        let got = s.on_frame(frame(0, Kind::Uih, &[0x93, 0x01]));
        assert_eq!(got[0], MuxEvent::Reply(data_frame(0, &[0x11, 0x03, 0x93])));
    }

    #[test]
    fn cld_closes_everything() {
        let mut s = Session::default();
        open(&mut s, 0);
        open(&mut s, 1);
        let got = s.on_frame(frame(0, Kind::Uih, &[0xC3, 0x01]));
        assert_eq!(got, [MuxEvent::Reply(data_frame(0, &[0xC1, 0x01])), MuxEvent::CloseDown]);
        assert!(!s.is_open(1));
    }
}
