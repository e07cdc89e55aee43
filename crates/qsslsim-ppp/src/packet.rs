//! The packets of the PPP control protocols (RFC 1661 section 5): code, identifier, length
//! and data, and the type-length-value configuration options that Configure-Request, -Ack,
//! -Nak and -Reject carry.

/// PPP protocol numbers this server knows.
pub mod proto {
    pub const IPV4: u16 = 0x0021;
    pub const IPCP: u16 = 0x8021;
    pub const LCP: u16 = 0xC021;
    pub const PAP: u16 = 0xC023;
    pub const CHAP: u16 = 0xC223;
}

/// Control packet codes (LCP uses all; IPCP 1–7).
pub mod code {
    pub const CONF_REQ: u8 = 1;
    pub const CONF_ACK: u8 = 2;
    pub const CONF_NAK: u8 = 3;
    pub const CONF_REJ: u8 = 4;
    pub const TERM_REQ: u8 = 5;
    pub const TERM_ACK: u8 = 6;
    pub const CODE_REJ: u8 = 7;
    pub const PROT_REJ: u8 = 8;
    pub const ECHO_REQ: u8 = 9;
    pub const ECHO_REP: u8 = 10;
    pub const DISCARD_REQ: u8 = 11;
}

/// One control packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub code: u8,
    pub id: u8,
    pub data: Vec<u8>,
}

impl Packet {
    /// Read a packet; bytes past its length field are padding and ignored.
    pub fn parse(bytes: &[u8]) -> Option<Packet> {
        let [code, id, hi, lo, ..] = *bytes else { return None };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < 4 || len > bytes.len() {
            return None;
        }
        Some(Packet { code, id, data: bytes[4..len].to_vec() })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let len = (self.data.len() + 4) as u16;
        let mut out = vec![self.code, self.id];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.data);
        out
    }
}

/// One configuration option: type and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    pub kind: u8,
    pub value: Vec<u8>,
}

impl Opt {
    pub fn new(kind: u8, value: &[u8]) -> Opt {
        Opt { kind, value: value.to_vec() }
    }

    /// The value as a big-endian number of 2 or 4 bytes.
    pub fn u16(&self) -> Option<u16> {
        Some(u16::from_be_bytes(self.value.get(..2)?.try_into().ok()?))
    }
    pub fn u32(&self) -> Option<u32> {
        (self.value.len() == 4).then(|| u32::from_be_bytes(self.value[..4].try_into().expect("4 bytes")))
    }
}

/// The options of a Configure packet; `None` if a length field is broken.
pub fn parse_options(mut data: &[u8]) -> Option<Vec<Opt>> {
    let mut opts = Vec::new();
    while !data.is_empty() {
        let [kind, len, ..] = *data else { return None };
        let len = usize::from(len);
        if len < 2 || len > data.len() {
            return None;
        }
        opts.push(Opt { kind, value: data[2..len].to_vec() });
        data = &data[len..];
    }
    Some(opts)
}

pub fn emit_options(opts: &[Opt]) -> Vec<u8> {
    let mut out = Vec::new();
    for o in opts {
        out.push(o.kind);
        out.push((o.value.len() + 2) as u8);
        out.extend_from_slice(&o.value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_round_trip_ignores_padding() {
        let p = Packet::parse(&[9, 7, 0, 8, 1, 2, 3, 4, 0xEE, 0xEE]).unwrap();
        assert_eq!(p, Packet { code: 9, id: 7, data: vec![1, 2, 3, 4] });
        assert_eq!(p.to_bytes(), [9, 7, 0, 8, 1, 2, 3, 4]);
        assert_eq!(Packet::parse(&[1, 1, 0, 9, 0]), None);
    }

    #[test]
    fn options_parse_and_emit() {
        let raw = [1, 4, 0x05, 0xDC, 7, 2, 5, 6, 0xDE, 0xAD, 0xBE, 0xEF];
        let opts = parse_options(&raw).unwrap();
        assert_eq!(opts.len(), 3);
        assert_eq!(opts[0].u16(), Some(1500));
        assert_eq!(opts[2].u32(), Some(0xDEAD_BEEF));
        assert_eq!(emit_options(&opts), raw);
        assert_eq!(parse_options(&[1, 1]), None);
        assert_eq!(parse_options(&[1, 9, 0]), None);
    }
}
