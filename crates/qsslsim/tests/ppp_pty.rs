//! A PPP data call end to end over the daemon's pty: the host dials with Zephyr's script,
//! negotiates LCP, CHAP and IPCP with hand-built frames checked byte for byte, then runs
//! smoltcp as its IP stack over the link: a DNS lookup of a `--resolve` name, a TCP echo of
//! 100 KiB and a UDP echo through `--route` to the built-in plain peers, a ping; then it
//! terminates LCP and sees `NO CARRIER` and the context down.

mod support;

use std::collections::VecDeque;
use std::io::BufRead;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use qsslsim_ppp::hdlc::{self, Decoder, Frame, TxOptions};
use qsslsim_ppp::packet::{proto, Packet};
use smoltcp::iface::{Config, Interface, SocketSet};
use smoltcp::phy::{ChecksumCapabilities, Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::{tcp, udp};
use smoltcp::wire::{HardwareAddress, Icmpv4Packet, Icmpv4Repr, IpAddress, IpCidr, IpEndpoint, Ipv4Packet};
use support::{show, Daemon, Port};

const HOST_IP: Ipv4Addr = Ipv4Addr::new(10, 7, 157, 1);
const GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 7, 157, 100);
const DNS1: Ipv4Addr = Ipv4Addr::new(10, 7, 157, 254);
/// Where the host thinks the peers are; `--route` maps them to the loopback peers.
const TCP_PEER_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const UDP_PEER_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
const WAIT: Duration = Duration::from_secs(20);

/// A built-in plain peer (`qsslsim peer --proto ...`), killed when dropped.
struct PlainPeer(Child, SocketAddr);

impl Drop for PlainPeer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn plain_peer(proto: &str) -> PlainPeer {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
        .args(["peer", "--listen", "127.0.0.1:0", "--proto", proto, "--mode", "echo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn peer");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.strip_prefix("LISTENING ").unwrap_or_else(|| panic!("peer said {line:?}")).trim();
    let addr = addr.parse().unwrap();
    PlainPeer(child, addr)
}

/// The host's side of the link: frames to and from the pty.
struct Link {
    port: Port,
    decoder: Decoder,
    frames: VecDeque<Frame>,
    /// How the host frames (after LCP: ACCM 0, the module asked for PFC and ACFC).
    tx: TxOptions,
}

impl Link {
    fn send(&mut self, protocol: u16, payload: &[u8]) {
        let opts = if protocol == proto::LCP { TxOptions::DEFAULT } else { self.tx };
        self.port.send(&hdlc::encode(protocol, payload, opts));
    }

    fn send_packet(&mut self, protocol: u16, code: u8, id: u8, data: &[u8]) {
        self.send(protocol, &Packet { code, id, data: data.to_vec() }.to_bytes());
    }

    /// Read what arrived within `wait` into frames.
    fn poll(&mut self, wait: Duration) {
        let bytes = self.port.read_for(wait);
        let frames = &mut self.frames;
        self.decoder.push(&bytes, |f| frames.push_back(f.expect("the module's frames are intact")));
    }

    /// The next frame (within WAIT).
    #[track_caller]
    fn next(&mut self) -> Frame {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(f) = self.frames.pop_front() {
                return f;
            }
            assert!(Instant::now() < deadline, "no frame from the module");
            self.poll(Duration::from_millis(20));
        }
    }

    /// The next control packet, which must be of `protocol`.
    #[track_caller]
    fn next_packet(&mut self, protocol: u16) -> Packet {
        let f = self.next();
        assert_eq!(f.protocol, protocol, "frame {:?}", f);
        Packet::parse(&f.payload).expect("a control packet")
    }
}

/// smoltcp's device on the host side: packets out become frames, IPv4 frames in are packets.
struct HostDevice<'a> {
    link: &'a mut Link,
    rx: VecDeque<Vec<u8>>,
}

struct Rx(Vec<u8>);
struct Tx<'a, 'b>(&'a mut Link, std::marker::PhantomData<&'b ()>);

impl RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for Tx<'_, '_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        self.0.send(proto::IPV4, &buf);
        r
    }
}

impl<'b> Device for HostDevice<'b> {
    type RxToken<'a>
        = Rx
    where
        Self: 'a;
    type TxToken<'a>
        = Tx<'a, 'b>
    where
        Self: 'a;
    fn receive(&mut self, _: smoltcp::time::Instant) -> Option<(Rx, Tx<'_, 'b>)> {
        let p = self.rx.pop_front()?;
        Some((Rx(p), Tx(self.link, std::marker::PhantomData)))
    }
    fn transmit(&mut self, _: smoltcp::time::Instant) -> Option<Tx<'_, 'b>> {
        Some(Tx(self.link, std::marker::PhantomData))
    }
    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ip;
        c.max_transmission_unit = 1500;
        c
    }
}

fn now(start: Instant) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(start.elapsed().as_micros() as i64)
}

/// Move IPv4 frames from the link into smoltcp and poll it once.
fn step(link: &mut Link, iface: &mut Interface, sockets: &mut SocketSet<'_>, start: Instant) {
    link.poll(Duration::from_millis(2));
    let mut rx = VecDeque::new();
    while let Some(f) = link.frames.pop_front() {
        assert_eq!(f.protocol, proto::IPV4, "only IPv4 after IPCP: {f:?}");
        rx.push_back(f.payload);
    }
    let mut dev = HostDevice { link, rx };
    iface.poll(now(start), &mut dev, sockets);
    while !dev.rx.is_empty() {
        iface.poll(now(start), &mut dev, sockets);
    }
}

/// A DNS query for `name`, type A, id 0x0101.
fn dns_query(name: &str) -> Vec<u8> {
    let mut q = vec![0x01, 0x01, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// Dial with Zephyr's script, then LCP (CHAP asked, answered), IPCP with address and DNS by
/// Nak, each of the module's packets checked byte for byte.
fn dial_and_negotiate(port: Port) -> Link {
    let mut port = port;
    port.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    port.transact("AT+CGACT=0,1\r", "\r\nOK\r\n");
    port.transact("AT+CGDCONT=1,\"IP\",\"internet\"\r", "\r\nOK\r\n");
    port.transact("AT+CFUN=1\r", "\r\nOK\r\n");
    port.transact("ATD*99***1#\r", "\r\nCONNECT\r\n");
    let mut link =
        Link { port, decoder: Decoder::default(), frames: VecDeque::new(), tx: TxOptions::DEFAULT };

    // The module's LCP Configure-Request: ACCM 0, CHAP-MD5, magic (session 1), PFC, ACFC.
    let req = link.next_packet(proto::LCP);
    assert_eq!(
        req.to_bytes(),
        [1, 1, 0, 25, 2, 6, 0, 0, 0, 0, 3, 5, 0xC2, 0x23, 5, 5, 6, 0x51, 0x53, 0x00, 0x01, 7, 2, 8, 2]
    );
    // The host's: ACCM 0, magic, PFC, ACFC: acked as sent.
    let host_req = [2, 6, 0, 0, 0, 0, 5, 6, 0xCA, 0xFE, 0xBA, 0xBE, 7, 2, 8, 2];
    link.send_packet(proto::LCP, 1, 0x21, &host_req);
    let ack = link.next_packet(proto::LCP);
    assert_eq!(ack, Packet { code: 2, id: 0x21, data: host_req.to_vec() });
    link.send_packet(proto::LCP, 2, req.id, &req.data);
    link.tx = TxOptions { accm: 0, acfc: true, pfc: true };

    // CHAP: a 16-byte challenge named UMTS_CHAP_SRVR; any response succeeds.
    let challenge = link.next_packet(proto::CHAP);
    assert_eq!((challenge.code, challenge.data[0]), (1, 16));
    assert_eq!(&challenge.data[17..], b"UMTS_CHAP_SRVR");
    let mut resp = vec![16];
    resp.extend_from_slice(&[0x5A; 16]);
    resp.extend_from_slice(b"user");
    link.send_packet(proto::CHAP, 2, challenge.id, &resp);
    assert_eq!(link.next_packet(proto::CHAP), Packet { code: 3, id: challenge.id, data: vec![] });

    // IPCP: the module names its address; the host asks 0.0.0.0 and gets its own by Nak.
    let ipcp = link.next_packet(proto::IPCP);
    assert_eq!((ipcp.code, ipcp.data.as_slice()), (1, &[3, 6, 10, 7, 157, 100][..]));
    link.send_packet(proto::IPCP, 1, 1, &[3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0]);
    assert_eq!(
        link.next_packet(proto::IPCP).to_bytes(),
        [3, 1, 0, 22, 3, 6, 10, 7, 157, 1, 129, 6, 10, 7, 157, 254, 131, 6, 10, 7, 157, 253]
    );
    link.send_packet(
        proto::IPCP,
        1,
        2,
        &[3, 6, 10, 7, 157, 1, 129, 6, 10, 7, 157, 254, 131, 6, 10, 7, 157, 253],
    );
    assert_eq!(link.next_packet(proto::IPCP).code, 2);
    link.send_packet(proto::IPCP, 2, ipcp.id, &ipcp.data);
    // IPV6CP is not spoken: Protocol-Reject.
    link.send_packet(0x8057, 1, 1, &[]);
    let rej = link.next_packet(proto::LCP);
    assert_eq!((rej.code, &rej.data[..2]), (8, &[0x80, 0x57][..]));
    link
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

    let start = Instant::now();
    let mut cfg = Config::new(HardwareAddress::Ip);
    cfg.random_seed = 7;
    let mut iface = {
        let mut dev = HostDevice { link: &mut link, rx: VecDeque::new() };
        Interface::new(cfg, &mut dev, now(start))
    };
    iface.update_ip_addrs(|a| a.push(IpCidr::new(HOST_IP.into(), 24)).unwrap());
    iface.routes_mut().add_default_ipv4_route(GATEWAY).unwrap();
    let mut sockets = SocketSet::new(vec![]);

    // DNS: the name mapped with --resolve, from the server IPCP gave.
    let meta = || vec![udp::PacketMetadata::EMPTY; 8];
    let mut u = udp::Socket::new(
        udp::PacketBuffer::new(meta(), vec![0; 8192]),
        udp::PacketBuffer::new(meta(), vec![0; 8192]),
    );
    u.bind(40000).unwrap();
    let uh = sockets.add(u);
    sockets
        .get_mut::<udp::Socket>(uh)
        .send_slice(&dns_query("echo.ppp.test"), IpEndpoint::new(DNS1.into(), 53))
        .unwrap();
    let deadline = Instant::now() + WAIT;
    let resolved = loop {
        step(&mut link, &mut iface, &mut sockets, start);
        if let Ok((data, _)) = sockets.get_mut::<udp::Socket>(uh).recv() {
            assert_eq!(&data[2..8], [0x81, 0x80, 0, 1, 0, 1], "one answer");
            let a = &data[data.len() - 4..];
            break Ipv4Addr::new(a[0], a[1], a[2], a[3]);
        }
        assert!(Instant::now() < deadline, "no DNS answer");
    };
    assert_eq!(resolved, TCP_PEER_IP);
    // A name nobody mapped: NXDOMAIN.
    sockets
        .get_mut::<udp::Socket>(uh)
        .send_slice(&dns_query("nobody.ppp.test"), IpEndpoint::new(DNS1.into(), 53))
        .unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        step(&mut link, &mut iface, &mut sockets, start);
        if let Ok((data, _)) = sockets.get_mut::<udp::Socket>(uh).recv() {
            assert_eq!(&data[2..4], [0x81, 0x83]);
            break;
        }
        assert!(Instant::now() < deadline, "no NXDOMAIN");
    }

    // TCP: 100 KiB to the echo peer and back, byte for byte, then FIN both ways.
    let t = tcp::Socket::new(tcp::SocketBuffer::new(vec![0; 65536]), tcp::SocketBuffer::new(vec![0; 65536]));
    let th = sockets.add(t);
    sockets
        .get_mut::<tcp::Socket>(th)
        .connect(iface.context(), (IpAddress::from(resolved), tport), 49152)
        .unwrap();
    let sent: Vec<u8> = (0..100 * 1024u32).map(|i| (i.wrapping_mul(7) % 251) as u8).collect();
    let (mut off, mut got, mut closed) = (0, Vec::new(), false);
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.len() < sent.len() {
        step(&mut link, &mut iface, &mut sockets, start);
        let s = sockets.get_mut::<tcp::Socket>(th);
        if s.can_send() && off < sent.len() {
            off += s.send_slice(&sent[off..]).unwrap();
        }
        if off == sent.len() && !closed {
            s.close();
            closed = true;
        }
        while s.can_recv() {
            s.recv(|b| {
                got.extend_from_slice(b);
                (b.len(), ())
            })
            .unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "TCP echo stalled at {} of {} (sent {off})",
            got.len(),
            sent.len()
        );
    }
    assert!(got == sent, "every byte echoed in order");
    let deadline = Instant::now() + WAIT;
    while sockets.get::<tcp::Socket>(th).may_recv() {
        step(&mut link, &mut iface, &mut sockets, start);
        assert!(
            Instant::now() < deadline,
            "no FIN from the peer: {}",
            sockets.get::<tcp::Socket>(th).state()
        );
    }

    // smoltcp sends the ACK of the peer's FIN on a later poll: let it go out, so the module's
    // side of the connection ends too (traced below).
    for _ in 0..10 {
        step(&mut link, &mut iface, &mut sockets, start);
    }
    assert_eq!(sockets.get::<tcp::Socket>(th).state(), tcp::State::TimeWait);
    // UDP: a datagram to the echo peer through --route comes back from the address used.
    sockets
        .get_mut::<udp::Socket>(uh)
        .send_slice(b"ppp datagram", IpEndpoint::new(UDP_PEER_IP.into(), uport))
        .unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        step(&mut link, &mut iface, &mut sockets, start);
        if let Ok((data, meta)) = sockets.get_mut::<udp::Socket>(uh).recv() {
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
    let start = Instant::now();
    let mut iface = {
        let mut dev = HostDevice { link: &mut link, rx: VecDeque::new() };
        Interface::new(Config::new(HardwareAddress::Ip), &mut dev, now(start))
    };
    iface.update_ip_addrs(|a| a.push(IpCidr::new(HOST_IP.into(), 24)).unwrap());
    iface.routes_mut().add_default_ipv4_route(GATEWAY).unwrap();
    let mut sockets = SocketSet::new(vec![]);
    let t = tcp::Socket::new(tcp::SocketBuffer::new(vec![0; 4096]), tcp::SocketBuffer::new(vec![0; 4096]));
    let th = sockets.add(t);
    sockets
        .get_mut::<tcp::Socket>(th)
        .connect(iface.context(), (IpAddress::from(TCP_PEER_IP), closed), 49153)
        .unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        step(&mut link, &mut iface, &mut sockets, start);
        let state = sockets.get::<tcp::Socket>(th).state();
        if state == tcp::State::Closed {
            break;
        }
        assert!(Instant::now() < deadline, "no RST: {state}");
    }
}
