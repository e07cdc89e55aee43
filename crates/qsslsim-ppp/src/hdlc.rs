//! RFC 1662 asynchronous HDLC-like framing: the flag (0x7E), the control escape (0x7D), the
//! async control character map (ACCM), the 16-bit FCS, and address/control and protocol field
//! compression on the way in. [`encode`] builds one frame; [`Decoder`] splits a byte stream
//! into checked frames, removing unescaped control characters its receive ACCM flags.

/// The frame delimiter.
pub const FLAG: u8 = 0x7E;
/// The control escape: the next byte is XORed with 0x20.
pub const ESCAPE: u8 = 0x7D;
/// The ACCM every link starts with (and LCP always uses): escape all of 0x00–0x1F.
pub const DEFAULT_ACCM: u32 = 0xFFFF_FFFF;
/// The longest frame body the decoder keeps before it gives up on a frame (MRU 1500 with
/// headroom for headers and a peer that ignores the MRU).
pub const MAX_FRAME: usize = 4096;

const FCS16: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_IBM_SDLC);

/// The 16-bit frame check sequence of RFC 1662 over `data` (sent low byte first).
pub fn fcs16(data: &[u8]) -> u16 {
    FCS16.checksum(data)
}

/// How frames to the peer are written: what the peer asked for in its LCP Configure-Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxOptions {
    pub accm: u32,
    /// Address-and-control-field compression: leave out `FF 03`.
    pub acfc: bool,
    /// Protocol-field compression: one byte for protocols below 0x100.
    pub pfc: bool,
}

impl TxOptions {
    /// What every frame uses before LCP is open, and LCP frames always.
    pub const DEFAULT: TxOptions = TxOptions { accm: DEFAULT_ACCM, acfc: false, pfc: false };
}

/// One frame: flag, escaped body and FCS, flag.
pub fn encode(protocol: u16, payload: &[u8], opts: TxOptions) -> Vec<u8> {
    let mut body = Vec::with_capacity(payload.len() + 6);
    if !opts.acfc {
        body.extend_from_slice(&[0xFF, 0x03]);
    }
    if opts.pfc && protocol < 0x100 {
        body.push(protocol as u8);
    } else {
        body.extend_from_slice(&protocol.to_be_bytes());
    }
    body.extend_from_slice(payload);
    let fcs = fcs16(&body);
    body.extend_from_slice(&fcs.to_le_bytes());
    let mut out = Vec::with_capacity(body.len() + body.len() / 8 + 2);
    out.push(FLAG);
    for b in body {
        let control = b < 0x20 && opts.accm & (1 << b) != 0;
        if b == FLAG || b == ESCAPE || control {
            out.extend_from_slice(&[ESCAPE, b ^ 0x20]);
        } else {
            out.push(b);
        }
    }
    out.push(FLAG);
    out
}

/// A frame that arrived intact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub protocol: u16,
    pub payload: Vec<u8>,
}

/// Why a frame was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    BadFcs,
    TooLong,
    /// Too short to hold a protocol and an FCS, a malformed address, control or protocol
    /// field, or aborted by the sender.
    Malformed,
}

/// Splits host bytes into frames; bytes between frames and frames that fail are dropped
/// (counted by the caller from [`Decoder::push`]'s answers).
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    escaped: bool,
    overflow: bool,
    /// Control characters that this side asked to get escaped: unescaped, they were
    /// inserted by the line and are removed (RFC 1662 section 7.1). None by default.
    rx_accm: u32,
}

impl Decoder {
    /// The receive ACCM: this side's ACCM as the peer acked it (all ones before LCP opens).
    pub fn set_rx_accm(&mut self, accm: u32) {
        self.rx_accm = accm;
    }

    /// Take bytes; each finished frame (or dropped one) is handed to `out`.
    pub fn push(&mut self, bytes: &[u8], mut out: impl FnMut(Result<Frame, Dropped>)) {
        for &b in bytes {
            match b {
                FLAG => {
                    let body = std::mem::take(&mut self.buf);
                    let overflow = std::mem::take(&mut self.overflow);
                    // Control Escape then Flag: the sender aborted the frame (RFC 1662 4.2).
                    let aborted = std::mem::take(&mut self.escaped);
                    if overflow {
                        out(Err(Dropped::TooLong));
                    } else if aborted {
                        out(Err(Dropped::Malformed));
                    } else if !body.is_empty() {
                        out(parse(&body));
                    }
                }
                ESCAPE => self.escaped = true,
                _ if self.overflow => {}
                _ if b < 0x20 && self.rx_accm & (1 << b) != 0 => {}
                _ => {
                    let b = if std::mem::take(&mut self.escaped) { b ^ 0x20 } else { b };
                    if self.buf.len() == MAX_FRAME {
                        self.overflow = true;
                        self.buf.clear();
                    } else {
                        self.buf.push(b);
                    }
                }
            }
        }
    }
}

/// Check the FCS and take the address, control and protocol fields off.
fn parse(body: &[u8]) -> Result<Frame, Dropped> {
    if body.len() < 4 {
        return Err(Dropped::Malformed);
    }
    let (data, fcs) = body.split_at(body.len() - 2);
    if fcs16(data).to_le_bytes() != fcs {
        return Err(Dropped::BadFcs);
    }
    // Address and control are FF 03 or left out (ACFC); FF and anything else is a frame for
    // another station or of another kind, discarded (RFC 1662 3.1-3.2, as Linux does).
    let data = match data {
        [0xFF, 0x03, rest @ ..] => rest,
        [0xFF, ..] => return Err(Dropped::Malformed),
        _ => data,
    };
    let (protocol, payload) = match data {
        // An odd first byte is a compressed (one-byte) protocol field.
        [p, rest @ ..] if p & 1 == 1 => (u16::from(*p), rest),
        [hi, lo, rest @ ..] if lo & 1 == 1 => (u16::from_be_bytes([*hi, *lo]), rest),
        _ => return Err(Dropped::Malformed),
    };
    Ok(Frame { protocol, payload: payload.to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8]) -> Vec<Result<Frame, Dropped>> {
        let mut d = Decoder::default();
        let mut got = Vec::new();
        d.push(bytes, |f| got.push(f));
        got
    }

    #[test]
    fn fcs_check_value_of_the_crc_catalogue() {
        // The X.25 / RFC 1662 FCS-16 check value.
        assert_eq!(fcs16(b"123456789"), 0x906E);
    }

    /// An LCP Configure-Request as a SIM800-class module sends it (ACCM 0x000A0000, PAP, PFC,
    /// ACFC), byte for byte as a public capture shows it; the capture's FCS starts with 0x55.
    #[test]
    fn lcp_configure_request_frame_bytes() {
        let lcp = [
            0x01, 0x01, 0x00, 0x12, 0x02, 0x06, 0x00, 0x0A, 0x00, 0x00, 0x03, 0x04, 0xC0, 0x23, 0x07, 0x02,
            0x08, 0x02,
        ];
        let frame = encode(0xC021, &lcp, TxOptions::DEFAULT);
        let head = b"\x7e\xff\x7d\x23\xc0\x21\x7d\x21\x7d\x21\x7d\x20\x7d\x32\x7d\x22\x7d\x26\x7d\x20\x7d\x2a\x7d\x20\x7d\x20\x7d\x23\x7d\x24\xc0\x23\x7d\x27\x7d\x22\x7d\x28\x7d\x22";
        assert_eq!(&frame[..head.len()], head);
        assert_eq!(frame[head.len()], 0x55);
        assert_eq!(frame.len(), head.len() + 3);
        assert_eq!(*frame.last().unwrap(), FLAG);
        assert_eq!(decode_all(&frame), vec![Ok(Frame { protocol: 0xC021, payload: lcp.to_vec() })]);
    }

    #[test]
    fn compressed_fields_and_zero_accm() {
        let opts = TxOptions { accm: 0, acfc: true, pfc: true };
        let frame = encode(0x0021, &[0x45, 0x7E, 0x01], opts);
        let fcs = fcs16(&[0x21, 0x45, 0x7E, 0x01]).to_le_bytes();
        let mut want = vec![0x7E, 0x21, 0x45, 0x7D, 0x5E, 0x01];
        for b in fcs {
            if b == 0x7E || b == 0x7D {
                want.extend_from_slice(&[0x7D, b ^ 0x20]);
            } else {
                want.push(b);
            }
        }
        want.push(0x7E);
        assert_eq!(frame, want);
        assert_eq!(decode_all(&frame), vec![Ok(Frame { protocol: 0x0021, payload: vec![0x45, 0x7E, 0x01] })]);
    }

    #[test]
    fn bad_fcs_and_noise_are_dropped_then_the_next_frame_is_read() {
        let mut bad = encode(0xC021, &[9, 1, 0, 4], TxOptions::DEFAULT);
        let n = bad.len();
        bad[n - 2] ^= 0x01;
        let good = encode(0xC021, &[9, 2, 0, 4], TxOptions::DEFAULT);
        let mut stream = b"AT\r".to_vec();
        stream.extend_from_slice(&bad);
        stream.extend_from_slice(&good);
        let got = decode_all(&stream);
        assert_eq!(got[0], Err(Dropped::Malformed)); // "AT\r" between flags is too short
        assert_eq!(got[1], Err(Dropped::BadFcs));
        assert_eq!(got[2], Ok(Frame { protocol: 0xC021, payload: vec![9, 2, 0, 4] }));
    }

    #[test]
    fn frames_split_across_reads() {
        let frame = encode(0x8021, &[1, 1, 0, 10, 3, 6, 0, 0, 0, 0], TxOptions::DEFAULT);
        let mut d = Decoder::default();
        let mut got = Vec::new();
        for chunk in frame.chunks(3) {
            d.push(chunk, |f| got.push(f));
        }
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].as_ref().unwrap().protocol, 0x8021);
    }

    #[test]
    fn an_endless_frame_is_dropped_as_too_long() {
        let mut stream = vec![FLAG];
        stream.extend(std::iter::repeat(0x41).take(MAX_FRAME + 10));
        stream.push(FLAG);
        assert_eq!(decode_all(&stream), vec![Err(Dropped::TooLong)]);
    }
}
