//! 3GPP TS 27.010 basic-option frames, sans IO: [`encode`] builds one frame and [`Decoder`]
//! cuts frames out of a byte stream. A frame is `F9 <address> <control> <length> <info>
//! <FCS> F9`; the length has one octet (EA set, up to 127) or two. The FCS (CRC-8/ROHC, sent
//! inverted) covers address, control and length, and for every type but UIH the information
//! field too (only UI frames have one). Garbage between frames and frames whose
//! FCS or closing flag is wrong are skipped and reported, never a panic: the decoder looks
//! for the next flag and starts again.

use crc::{Crc, CRC_8_ROHC};

/// The opening and closing flag.
pub const FLAG: u8 = 0xF9;
/// The poll/final bit of the control octet.
pub const PF: u8 = 0x10;
/// Longest information field the decoder accepts whatever N1 says (the length field's limit).
pub const MAX_INFO: usize = 0x7FFF;

const BAD_FCS: &str = "bad FCS";
const TOO_LONG: &str = "longer than N1";

const FCS: Crc<u8> = Crc::<u8>::new(&CRC_8_ROHC);

/// The frame types of the basic option (control octet without the P/F bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sabm,
    Ua,
    Dm,
    Disc,
    Uih,
    Ui,
}

impl Kind {
    pub fn control(self) -> u8 {
        match self {
            Kind::Sabm => 0x2F,
            Kind::Ua => 0x63,
            Kind::Dm => 0x0F,
            Kind::Disc => 0x43,
            Kind::Uih => 0xEF,
            Kind::Ui => 0x03,
        }
    }

    fn from_control(c: u8) -> Option<Kind> {
        [Kind::Sabm, Kind::Ua, Kind::Dm, Kind::Disc, Kind::Uih, Kind::Ui]
            .into_iter()
            .find(|k| k.control() == c & !PF)
    }
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub dlci: u8,
    /// The address octet's C/R bit.
    pub cr: bool,
    pub kind: Kind,
    /// The P/F bit.
    pub pf: bool,
    pub info: Vec<u8>,
}

/// The frame check sequence of a header (address, control, length octets).
pub fn fcs(header: &[u8]) -> u8 {
    !FCS.checksum(header)
}

/// The bytes of `frame`, flags included.
pub fn encode(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame.info.len() + 7);
    out.push(FLAG);
    out.push(0x01 | (u8::from(frame.cr) << 1) | (frame.dlci << 2));
    out.push(frame.kind.control() | if frame.pf { PF } else { 0 });
    let len = frame.info.len();
    if len <= 0x7F {
        out.push(((len as u8) << 1) | 1);
    } else {
        out.push((len as u8 & 0x7F) << 1);
        out.push((len >> 7) as u8);
    }
    let header_end = out.len();
    out.extend_from_slice(&frame.info);
    let covered = if frame.kind == Kind::Uih { &out[1..header_end] } else { &out[1..] };
    let fcs = fcs(covered);
    out.push(fcs);
    out.push(FLAG);
    out
}

/// What the decoder found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Frame(Frame),
    /// Bytes skipped, and why (garbage outside frames, bad FCS, no closing flag, unknown
    /// control octet).
    Skipped {
        bytes: usize,
        why: &'static str,
    },
}

/// A byte-stream frame cutter that keeps partial frames across reads.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// The flag at the front closed a frame (or ended a skipped one): what follows it need
    /// not be a frame, so if it is not, it is counted as bytes outside a frame.
    closing: bool,
    /// Cut and not yet handed out.
    ready: std::collections::VecDeque<Decoded>,
    /// The longest information field taken (N1); 0 for any.
    max_info: usize,
}

impl Decoder {
    /// Feed bytes; return every frame completed and everything skipped, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Decoded> {
        self.push(bytes);
        std::iter::from_fn(|| self.next_item()).collect()
    }

    /// A decoder that refuses frames whose length field says more than `n1` bytes at once
    /// (a corrupted length would otherwise swallow the frames after it).
    pub fn with_max_info(n1: usize) -> Self {
        Decoder { max_info: n1, ..Default::default() }
    }

    /// Take bytes in; [`Self::next_item`] cuts them.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next frame completed or run of bytes skipped, if the bytes so far hold one.
    pub fn next_item(&mut self) -> Option<Decoded> {
        loop {
            if let Some(d) = self.ready.pop_front() {
                return Some(d);
            }
            if !self.step() {
                return self.ready.pop_front();
            }
        }
    }

    /// The bytes after the last frame [`Self::next_item`] returned (its closing flag dropped), for
    /// whoever reads the port once the multiplexer has closed; the decoder is left empty.
    pub fn take_rest(&mut self) -> Vec<u8> {
        let flags = self.buf.iter().take_while(|&&b| b == FLAG).count();
        let rest = self.buf.split_off(flags);
        self.buf.clear();
        self.ready.clear();
        rest
    }

    /// Cut what the buffer holds up to the next frame or bad frame into `ready`; false when
    /// more bytes are needed.
    fn step(&mut self) -> bool {
        // Skip to the first flag; a run of flags is one (a closing flag may open the next).
        let start = self.buf.iter().position(|&b| b == FLAG).unwrap_or(self.buf.len());
        if start > 0 {
            self.ready.push_back(Decoded::Skipped { bytes: start, why: "bytes outside a frame" });
            self.buf.drain(..start);
            self.closing = false;
        }
        let flags = self.buf.iter().take_while(|&&b| b == FLAG).count();
        if flags > 1 {
            self.buf.drain(..flags - 1);
        }
        match self.cut() {
            Cut::More => false,
            Cut::Frame(used, frame) => {
                // Leave the closing flag: it may open the next frame.
                self.buf.drain(..used - 1);
                self.closing = true;
                self.ready.push_back(Decoded::Frame(frame));
                true
            }
            Cut::Bad(why) => {
                // Drop the flag and look for the next one; the flags are not counted.
                self.buf.drain(..1);
                let next = self.buf.iter().position(|&b| b == FLAG).unwrap_or(self.buf.len());
                self.buf.drain(..next);
                let why = if self.closing && why != BAD_FCS && why != TOO_LONG {
                    "bytes outside a frame"
                } else {
                    why
                };
                self.closing = true;
                self.ready.push_back(Decoded::Skipped { bytes: next, why });
                true
            }
        }
    }

    /// Whether a partial frame is held.
    pub fn is_idle(&self) -> bool {
        self.buf.len() <= 1
    }

    fn cut(&self) -> Cut {
        let b = &self.buf;
        if b.len() < 4 {
            return Cut::More;
        }
        let (addr, ctrl) = (b[1], b[2]);
        if addr & 1 == 0 {
            return Cut::Bad("address without its EA bit");
        }
        let (len, hlen) = if b[3] & 1 == 1 {
            (usize::from(b[3] >> 1), 3)
        } else {
            if b.len() < 5 {
                return Cut::More;
            }
            (usize::from(b[3] >> 1) | (usize::from(b[4]) << 7), 4)
        };
        if self.max_info > 0 && len > self.max_info {
            return Cut::Bad(TOO_LONG);
        }
        let total = 1 + hlen + len + 2;
        if b.len() < total {
            return Cut::More;
        }
        if b[total - 1] != FLAG {
            return Cut::Bad("no closing flag where the length says");
        }
        let Some(kind) = Kind::from_control(ctrl) else { return Cut::Bad("unknown control octet") };
        let covered = if kind == Kind::Uih { &b[1..1 + hlen] } else { &b[1..total - 2] };
        if b[total - 2] != fcs(covered) {
            return Cut::Bad(BAD_FCS);
        }
        let frame = Frame {
            dlci: addr >> 2,
            cr: addr & 2 != 0,
            kind,
            pf: ctrl & PF != 0,
            info: b[1 + hlen..1 + hlen + len].to_vec(),
        };
        Cut::Frame(total, frame)
    }
}

enum Cut {
    More,
    Frame(usize, Frame),
    Bad(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sabm0() -> Frame {
        Frame { dlci: 0, cr: true, kind: Kind::Sabm, pf: true, info: vec![] }
    }

    #[test]
    fn the_canonical_sabm_on_dlci0() {
        assert_eq!(encode(&sabm0()), [0xF9, 0x03, 0x3F, 0x01, 0x1C, 0xF9]);
    }

    #[test]
    fn ua_on_dlci0_as_modules_send_it() {
        let ua = Frame { dlci: 0, cr: true, kind: Kind::Ua, pf: true, info: vec![] };
        assert_eq!(encode(&ua), [0xF9, 0x03, 0x73, 0x01, 0xD7, 0xF9]);
    }

    #[test]
    fn uih_with_data_round_trips() {
        let f = Frame { dlci: 2, cr: true, kind: Kind::Uih, pf: false, info: b"AT\r".to_vec() };
        let bytes = encode(&f);
        assert_eq!(bytes[..4], [0xF9, 0x0B, 0xEF, 0x07]);
        let mut d = Decoder::default();
        assert_eq!(d.feed(&bytes), [Decoded::Frame(f)]);
    }

    #[test]
    fn ui_frames_cover_their_information_field() {
        let f = Frame { dlci: 1, cr: true, kind: Kind::Ui, pf: false, info: b"AT".to_vec() };
        let bytes = encode(&f);
        assert_eq!(bytes[6], fcs(&[0x07, 0x03, 0x05, b'A', b'T']));
        assert_ne!(bytes[6], fcs(&[0x07, 0x03, 0x05]));
        let mut d = Decoder::default();
        assert_eq!(d.feed(&bytes), [Decoded::Frame(f)]);
    }

    #[test]
    fn two_octet_length() {
        let f = Frame { dlci: 1, cr: false, kind: Kind::Uih, pf: false, info: vec![0xF9; 300] };
        let bytes = encode(&f);
        assert_eq!(bytes[3..5], [((300 & 0x7F) << 1) as u8, 2]);
        let mut d = Decoder::default();
        // Split anywhere: the frame still comes out whole.
        let mut got = d.feed(&bytes[..100]);
        assert!(got.is_empty());
        got.extend(d.feed(&bytes[100..]));
        assert_eq!(got, [Decoded::Frame(f)]);
    }

    #[test]
    fn garbage_and_bad_fcs_are_skipped_and_reported() {
        let mut d = Decoder::default();
        let mut bytes = b"AT\r".to_vec();
        bytes.extend([0xF9, 0x03, 0x3F, 0x01, 0x1D, 0xF9]);
        bytes.extend(encode(&sabm0()));
        let got = d.feed(&bytes);
        assert_eq!(
            got,
            [
                Decoded::Skipped { bytes: 3, why: "bytes outside a frame" },
                Decoded::Skipped { bytes: 4, why: "bad FCS" },
                Decoded::Frame(sabm0()),
            ]
        );
    }

    #[test]
    fn shared_flags_between_frames() {
        let mut d = Decoder::default();
        let one = encode(&sabm0());
        let mut bytes = one.clone();
        bytes.extend_from_slice(&one[1..]);
        assert_eq!(d.feed(&bytes), [Decoded::Frame(sabm0()), Decoded::Frame(sabm0())]);
    }
}
