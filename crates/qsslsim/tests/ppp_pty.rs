//! A PPP data call end to end over the daemon's pty: the host dials with Zephyr's script,
//! negotiates LCP, CHAP and IPCP with hand-built frames checked byte for byte, then runs
//! smoltcp as its IP stack over the link: a DNS lookup of a `--resolve` name, a TCP echo of
//! 100 KiB and a UDP echo through `--route` to the built-in plain peers, a ping; then it
//! terminates LCP and sees `NO CARRIER` and the context down.

#[path = "support/cmux_host.rs"]
mod cmux_host;
#[path = "support/ppp_host.rs"]
mod ppp_host;
mod support;

use std::net::Ipv4Addr;
use std::time::Instant;

use ppp_host::{negotiate, plain_peer, IpHost, Link, HOST_IP, WAIT};
use qsslsim_ppp::hdlc::{self, Decoder, TxOptions};
use qsslsim_ppp::packet::proto;
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::socket::{tcp, udp};
use smoltcp::wire::{Icmpv4Packet, Icmpv4Repr, IpAddress, IpEndpoint, Ipv4Packet};
use support::{show, Daemon, Port};

/// Where the host thinks the peers are; `--route` maps them to the loopback peers.
const TCP_PEER_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const UDP_PEER_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);

/// Dial with Zephyr's script on the plain port, then negotiate.
fn dial_and_negotiate(mut port: Port) -> Link<Port> {
    port.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    port.transact("AT+CGACT=0,1\r", "\r\nOK\r\n");
    port.transact("AT+CGDCONT=1,\"IP\",\"internet\"\r", "\r\nOK\r\n");
    port.transact("AT+CFUN=1\r", "\r\nOK\r\n");
    port.transact("ATD*99***1#\r", "\r\nCONNECT\r\n");
    negotiate(port)
}

#[test]
fn ppp_dial_dns_tcp_udp_ping_then_terminate() {
    let tcp_peer = plain_peer("tcp");
    let udp_peer = plain_peer("udp");
    let (tport, uport) = (tcp_peer.1.port(), udp_peer.1.port());
    let trace = std::env::temp_dir().join(format!("qsslsim-{}-ppp-trace.jsonl", std::process::id()));
    let d = Daemon::start(&[
        "--trace",
        trace.to_str().unwrap(),
        "--resolve",
        &format!("echo.ppp.test={TCP_PEER_IP}"),
        "--route",
        &format!("{TCP_PEER_IP}:{tport}={}", tcp_peer.1),
        "--route",
        &format!("{UDP_PEER_IP}:{uport}={}", udp_peer.1),
    ]);
    let mut link = dial_and_negotiate(d.port());
    let mut ip = IpHost::new(&mut link, 7);

    // DNS: the name mapped with --resolve, from the server IPCP gave.
    let uh = ip.udp(40000);
    let answer = ip.dns(&mut link, uh, "echo.ppp.test");
    assert_eq!(&answer[2..8], [0x81, 0x80, 0, 1, 0, 1], "one answer");
    let resolved = IpHost::answer_address(&answer);
    assert_eq!(resolved, TCP_PEER_IP);
    // A name nobody mapped: NXDOMAIN.
    let answer = ip.dns(&mut link, uh, "nobody.ppp.test");
    assert_eq!(&answer[2..4], [0x81, 0x83]);

    // TCP: 100 KiB to the echo peer and back, byte for byte, then FIN both ways.
    let th = ip.tcp_echo(&mut link, (resolved, tport), 49152, 100 * 1024, 0, |_| {});
    let deadline = Instant::now() + WAIT;
    while ip.sockets.get::<tcp::Socket>(th).may_recv() {
        ip.step(&mut link);
        assert!(
            Instant::now() < deadline,
            "no FIN from the peer: {}",
            ip.sockets.get::<tcp::Socket>(th).state()
        );
    }

    // smoltcp sends the ACK of the peer's FIN on a later poll: let it go out, so the module's
    // side of the connection ends too (traced below).
    for _ in 0..10 {
        ip.step(&mut link);
    }
    assert_eq!(ip.sockets.get::<tcp::Socket>(th).state(), tcp::State::TimeWait);
    // UDP: a datagram to the echo peer through --route comes back from the address used.
    ip.sockets
        .get_mut::<udp::Socket>(uh)
        .send_slice(b"ppp datagram", IpEndpoint::new(UDP_PEER_IP.into(), uport))
        .unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        ip.step(&mut link);
        if let Ok((data, meta)) = ip.sockets.get_mut::<udp::Socket>(uh).recv() {
            assert_eq!(data, b"ppp datagram");
            assert_eq!(meta.endpoint, IpEndpoint::new(UDP_PEER_IP.into(), uport));
            break;
        }
        assert!(Instant::now() < deadline, "no UDP echo");
    }

    // Ping any address: the echo reply comes from it.
    let req = Icmpv4Repr::EchoRequest { ident: 9, seq_no: 1, data: b"hello" };
    let mut icmp = vec![0u8; req.buffer_len()];
    req.emit(&mut Icmpv4Packet::new_unchecked(&mut icmp[..]), &ChecksumCapabilities::default());
    let far = Ipv4Addr::new(198, 51, 100, 1);
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 1, 0, 0];
    ip.extend_from_slice(&HOST_IP.octets());
    ip.extend_from_slice(&far.octets());
    ip.extend_from_slice(&icmp);
    let len = ip.len() as u16;
    ip[2..4].copy_from_slice(&len.to_be_bytes());
    Ipv4Packet::new_unchecked(&mut ip[..]).fill_checksum();
    link.send(proto::IPV4, &ip);
    let reply = link.next();
    let p = Ipv4Packet::new_checked(&reply.payload[..]).unwrap();
    assert_eq!((p.src_addr(), p.dst_addr()), (far, HOST_IP));
    let r =
        Icmpv4Repr::parse(&Icmpv4Packet::new_checked(p.payload()).unwrap(), &ChecksumCapabilities::default())
            .unwrap();
    assert_eq!(r, Icmpv4Repr::EchoReply { ident: 9, seq_no: 1, data: b"hello" });

    // LCP Terminate-Request: Terminate-Ack, then NO CARRIER and the context is down.
    link.frames.clear();
    link.send_packet(proto::LCP, 5, 0x77, &[]);
    let tail = link.port.read_until(b"\r\nNO CARRIER\r\n", WAIT);
    let mut frames = Vec::new();
    Decoder::default().push(&tail, |f| frames.push(f));
    let term_ack = hdlc::encode(proto::LCP, &[6, 0x77, 0, 4], TxOptions::DEFAULT);
    assert!(support::find(&tail, &term_ack).is_some(), "Terminate-Ack before NO CARRIER: {}", show(&tail));
    assert!(tail.ends_with(&[&term_ack[..], b"\r\nNO CARRIER\r\n"].concat()), "{}", show(&tail));
    link.port.transact("AT+CGACT?\r", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
    link.port.transact("AT\r", "\r\nOK\r\n");

    // The trace has the call and each flow.
    assert_eq!(d.stop(), Some(0));
    let text = std::fs::read_to_string(&trace).unwrap();
    let _ = std::fs::remove_file(&trace);
    let ppp: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["event"] == "ppp")
        .map(|r| format!("{} {}", r["what"].as_str().unwrap(), r["detail"].as_str().unwrap()))
        .collect();
    let tcp = format!("{HOST_IP}:49152 -> {TCP_PEER_IP}:{tport}");
    let want = [
        "up dialled on context 1, host address 10.7.157.1".to_string(),
        "flow DNS echo.ppp.test (type 1): [192.0.2.10]".to_string(),
        "flow DNS nobody.ppp.test (type 1): NXDOMAIN".to_string(),
        format!("flow TCP {tcp}: dialling"),
        format!("flow TCP {tcp}: connected"),
        format!("flow TCP {tcp}: ended"),
        format!("flow UDP {HOST_IP}:40000 -> {UDP_PEER_IP}:{uport}: new flow"),
        "down the host terminated LCP".to_string(),
    ];
    assert_eq!(ppp, want);
}

/// A refused destination: the host's SYN is answered RST, and the link stays up.
#[test]
fn ppp_tcp_to_a_closed_port_is_reset() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let d = Daemon::start(&["--route", &format!("{TCP_PEER_IP}:{closed}=127.0.0.1:{closed}")]);
    let mut link = dial_and_negotiate(d.port());
    let mut ip = IpHost::new(&mut link, 0);
    let t = tcp::Socket::new(tcp::SocketBuffer::new(vec![0; 4096]), tcp::SocketBuffer::new(vec![0; 4096]));
    let th = ip.sockets.add(t);
    let remote = (IpAddress::from(TCP_PEER_IP), closed);
    ip.sockets.get_mut::<tcp::Socket>(th).connect(ip.iface.context(), remote, 49153).unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        ip.step(&mut link);
        let state = ip.sockets.get::<tcp::Socket>(th).state();
        if state == tcp::State::Closed {
            break;
        }
        assert!(Instant::now() < deadline, "no RST: {state}");
    }
}

/// A frame the link refuses (bad FCS) is not dropped silently: the call's end names it in
/// the trace (`ppp` record `down`) and the log.
#[test]
fn dropped_frames_are_named_when_the_call_ends() {
    let trace = std::env::temp_dir().join(format!("qsslsim-{}-ppp-drops.jsonl", std::process::id()));
    let d = Daemon::start(&["--trace", trace.to_str().unwrap()]);
    let mut link = dial_and_negotiate(d.port());
    // An LCP Echo-Request whose last FCS octet is wrong.
    let mut bad = hdlc::encode(proto::LCP, &[9, 1, 0, 8, 0, 0, 0, 0], TxOptions::DEFAULT);
    let n = bad.len();
    bad[n - 2] ^= 0x55;
    link.port.send(&bad);
    link.send_packet(proto::LCP, 5, 0x78, &[]);
    link.port.read_until(b"\r\nNO CARRIER\r\n", WAIT);
    assert_eq!(d.stop(), Some(0));
    let text = std::fs::read_to_string(&trace).unwrap();
    let _ = std::fs::remove_file(&trace);
    let down: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["event"] == "ppp" && r["what"] == "down")
        .map(|r| r["detail"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        down,
        ["the host terminated LCP; 1 frames dropped (bad FCS, too long or malformed), 0 IPv4 packets dropped"]
    );
}
