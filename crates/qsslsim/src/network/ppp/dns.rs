//! The DNS server a PPP host gets from IPCP: it answers A queries from the daemon's resolver
//! (`--resolve`, `localhost`, the system resolver in `--net host`), NXDOMAIN when the name
//! does not resolve, an empty answer for other record types of a name that exists, FORMERR
//! for what is not a single standard query.

use std::net::Ipv4Addr;

/// One question of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: u16,
    pub name: String,
    pub qtype: u16,
    /// The question section as it came (copied into the answer).
    raw: Vec<u8>,
    recursion: bool,
}

pub const TYPE_A: u16 = 1;
const CLASS_IN: u16 = 1;
const TTL: u32 = 60;
const RCODE_FORMERR: u16 = 1;
const RCODE_NXDOMAIN: u16 = 3;

/// Read a query with exactly one question; `Err(id)` for a message to answer FORMERR.
pub fn parse_query(msg: &[u8]) -> Result<Question, Option<u16>> {
    let id = (msg.len() >= 2).then(|| u16::from_be_bytes([msg[0], msg[1]]));
    if msg.len() < 12 {
        return Err(id);
    }
    let id = u16::from_be_bytes([msg[0], msg[1]]);
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    let qdcount = u16::from_be_bytes([msg[4], msg[5]]);
    // QR must be 0 (a query) and OPCODE 0 (standard).
    if flags & 0xF800 != 0 || qdcount != 1 {
        return Err(Some(id));
    }
    let mut pos = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*msg.get(pos).ok_or(Some(id))?);
        pos += 1;
        if len == 0 {
            break;
        }
        // No compression pointers in a question of its own.
        if len > 63 {
            return Err(Some(id));
        }
        let label = msg.get(pos..pos + len).ok_or(Some(id))?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        pos += len;
    }
    let tail = msg.get(pos..pos + 4).ok_or(Some(id))?;
    let qtype = u16::from_be_bytes([tail[0], tail[1]]);
    let qclass = u16::from_be_bytes([tail[2], tail[3]]);
    if qclass != CLASS_IN {
        return Err(Some(id));
    }
    Ok(Question {
        id,
        name: labels.join("."),
        qtype,
        raw: msg[12..pos + 4].to_vec(),
        recursion: flags & 0x0100 != 0,
    })
}

/// The answer: `Some(addresses)` if the name resolved (only A records are listed, and only
/// for an A query), `None` for NXDOMAIN.
pub fn answer(q: &Question, resolved: Option<&[Ipv4Addr]>) -> Vec<u8> {
    let addrs: &[Ipv4Addr] = match resolved {
        Some(a) if q.qtype == TYPE_A => a,
        _ => &[],
    };
    let rcode = if resolved.is_none() { RCODE_NXDOMAIN } else { 0 };
    let mut out = header(q.id, 0x8080 | (u16::from(q.recursion) << 8) | rcode, 1, addrs.len() as u16);
    out.extend_from_slice(&q.raw);
    for a in addrs {
        out.extend_from_slice(&[0xC0, 0x0C]); // the name at offset 12
        out.extend_from_slice(&TYPE_A.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&TTL.to_be_bytes());
        out.extend_from_slice(&4u16.to_be_bytes());
        out.extend_from_slice(&a.octets());
    }
    out
}

/// FORMERR for a message that is not a query this server reads.
pub fn format_error(id: u16) -> Vec<u8> {
    header(id, 0x8080 | RCODE_FORMERR, 0, 0)
}

fn header(id: u16, flags: u16, qd: u16, an: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    for v in [id, flags, qd, an, 0, 0] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query for `peer.example` type A, id 0x1234, recursion desired.
    fn query(qtype: u16) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x04peer\x07example\x00");
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&[0, 1]);
        q
    }

    #[test]
    fn a_query_is_answered_with_every_address() {
        let q = parse_query(&query(TYPE_A)).unwrap();
        assert_eq!((q.id, q.name.as_str(), q.qtype), (0x1234, "peer.example", 1));
        let a = answer(&q, Some(&[Ipv4Addr::new(127, 0, 0, 1)]));
        let mut want = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        want.extend_from_slice(b"\x04peer\x07example\x00\x00\x01\x00\x01");
        want.extend_from_slice(&[0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
        assert_eq!(a, want);
    }

    #[test]
    fn unknown_names_are_nxdomain_and_aaaa_is_empty() {
        let q = parse_query(&query(TYPE_A)).unwrap();
        assert_eq!(&answer(&q, None)[2..8], [0x81, 0x83, 0, 1, 0, 0]);
        let q = parse_query(&query(28)).unwrap();
        assert_eq!(&answer(&q, Some(&[Ipv4Addr::LOCALHOST]))[2..8], [0x81, 0x80, 0, 1, 0, 0]);
    }

    #[test]
    fn malformed_queries_are_format_errors() {
        assert_eq!(parse_query(&[1]), Err(None));
        let mut q = query(TYPE_A);
        q[2] = 0x81; // a response, not a query
        assert_eq!(parse_query(&q), Err(Some(0x1234)));
        let q = query(TYPE_A);
        assert_eq!(parse_query(&q[..q.len() - 2]), Err(Some(0x1234)));
        assert_eq!(format_error(9), [0, 9, 0x80, 0x81, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
}
