//! Reading the IPv4 packets a PPP host sends (what kind, which endpoints) and building the
//! ones the daemon answers with outside the TCP stack: UDP datagrams and ICMP echo replies.
//! Built with smoltcp's wire types.

use std::net::{Ipv4Addr, SocketAddrV4};

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    Icmpv4Packet, Icmpv4Repr, IpAddress, IpProtocol, Ipv4Packet, Ipv4Repr, TcpPacket, UdpPacket, UdpRepr,
};

/// What an uplink packet is.
#[derive(Debug, PartialEq, Eq)]
pub enum Uplink<'a> {
    /// A TCP segment; `syn` for a connection request (SYN without ACK).
    Tcp {
        src: SocketAddrV4,
        dst: SocketAddrV4,
        syn: bool,
    },
    Udp {
        src: SocketAddrV4,
        dst: SocketAddrV4,
        payload: &'a [u8],
    },
    /// An ICMP echo request, with the reply to send back.
    Echo {
        dst: Ipv4Addr,
        reply: Vec<u8>,
    },
    /// Anything else (IP options, fragments, other protocols, broken packets): dropped.
    Other(&'static str),
}

const HOP_LIMIT: u8 = 64;

pub fn classify(packet: &[u8]) -> Uplink<'_> {
    let caps = ChecksumCapabilities::default();
    let Ok(ip) = Ipv4Packet::new_checked(packet) else { return Uplink::Other("not an IPv4 packet") };
    let Ok(repr) = Ipv4Repr::parse(&ip, &caps) else { return Uplink::Other("bad IPv4 header") };
    let payload = &packet[usize::from(ip.header_len())..usize::from(ip.total_len())];
    let (src, dst) = (repr.src_addr, repr.dst_addr);
    match repr.next_header {
        IpProtocol::Tcp => match TcpPacket::new_checked(payload) {
            Ok(tcp) => Uplink::Tcp {
                src: SocketAddrV4::new(src, tcp.src_port()),
                dst: SocketAddrV4::new(dst, tcp.dst_port()),
                syn: tcp.syn() && !tcp.ack(),
            },
            Err(_) => Uplink::Other("short TCP segment"),
        },
        IpProtocol::Udp => {
            let Ok(udp) = UdpPacket::new_checked(payload) else { return Uplink::Other("short UDP datagram") };
            if UdpRepr::parse(&udp, &IpAddress::Ipv4(src), &IpAddress::Ipv4(dst), &caps).is_err() {
                return Uplink::Other("bad UDP checksum");
            }
            Uplink::Udp {
                src: SocketAddrV4::new(src, udp.src_port()),
                dst: SocketAddrV4::new(dst, udp.dst_port()),
                payload: &payload[8..usize::from(udp.len())],
            }
        }
        IpProtocol::Icmp => {
            let Ok(icmp) = Icmpv4Packet::new_checked(payload) else { return Uplink::Other("short ICMP") };
            match Icmpv4Repr::parse(&icmp, &caps) {
                Ok(Icmpv4Repr::EchoRequest { ident, seq_no, data }) => {
                    let reply = Icmpv4Repr::EchoReply { ident, seq_no, data };
                    let mut body = vec![0u8; reply.buffer_len()];
                    reply.emit(&mut Icmpv4Packet::new_unchecked(&mut body[..]), &caps);
                    Uplink::Echo { dst, reply: ipv4(dst, src, IpProtocol::Icmp, &body) }
                }
                _ => Uplink::Other("ICMP other than an echo request"),
            }
        }
        _ => Uplink::Other("a protocol other than TCP, UDP and ICMP"),
    }
}

/// An IPv4 packet around `payload`.
fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol, payload: &[u8]) -> Vec<u8> {
    let repr = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: protocol,
        payload_len: payload.len(),
        hop_limit: HOP_LIMIT,
    };
    let mut out = vec![0u8; repr.buffer_len() + payload.len()];
    let mut p = Ipv4Packet::new_unchecked(&mut out[..]);
    repr.emit(&mut p, &ChecksumCapabilities::default());
    p.payload_mut().copy_from_slice(payload);
    out
}

/// A UDP datagram from `src` to `dst` in an IPv4 packet.
pub fn udp(src: SocketAddrV4, dst: SocketAddrV4, payload: &[u8]) -> Vec<u8> {
    let repr = UdpRepr { src_port: src.port(), dst_port: dst.port() };
    let mut body = vec![0u8; 8 + payload.len()];
    repr.emit(
        &mut UdpPacket::new_unchecked(&mut body[..]),
        &IpAddress::Ipv4(*src.ip()),
        &IpAddress::Ipv4(*dst.ip()),
        payload.len(),
        |buf| buf.copy_from_slice(payload),
        &ChecksumCapabilities::default(),
    );
    ipv4(*src.ip(), *dst.ip(), IpProtocol::Udp, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_round_trip() {
        let a: SocketAddrV4 = "10.7.157.1:5000".parse().unwrap();
        let b: SocketAddrV4 = "192.0.2.9:53".parse().unwrap();
        let pkt = udp(a, b, b"hello");
        assert_eq!(pkt.len(), 20 + 8 + 5);
        assert_eq!(&pkt[..2], [0x45, 0x00]);
        assert_eq!(classify(&pkt), Uplink::Udp { src: a, dst: b, payload: b"hello" });
        let mut broken = pkt.clone();
        broken[30] ^= 1;
        assert_eq!(classify(&broken), Uplink::Other("bad UDP checksum"));
    }

    #[test]
    fn echo_request_gets_a_reply_from_its_destination() {
        let caps = ChecksumCapabilities::default();
        let req = Icmpv4Repr::EchoRequest { ident: 7, seq_no: 1, data: b"ping" };
        let mut body = vec![0u8; req.buffer_len()];
        req.emit(&mut Icmpv4Packet::new_unchecked(&mut body[..]), &caps);
        let (host, far) = (Ipv4Addr::new(10, 7, 157, 1), Ipv4Addr::new(198, 51, 100, 7));
        let pkt = ipv4(host, far, IpProtocol::Icmp, &body);
        let Uplink::Echo { dst, reply } = classify(&pkt) else { panic!("not an echo") };
        assert_eq!(dst, far);
        let ip = Ipv4Packet::new_checked(&reply[..]).unwrap();
        assert_eq!((ip.src_addr(), ip.dst_addr()), (far, host));
        let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap();
        assert_eq!(
            Icmpv4Repr::parse(&icmp, &caps).unwrap(),
            Icmpv4Repr::EchoReply { ident: 7, seq_no: 1, data: b"ping" }
        );
    }
}
