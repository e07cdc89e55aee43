//! The host's side of a PPP data call, for the tests: HDLC framing from `qsslsim-ppp`, LCP,
//! CHAP and IPCP as hand-built packets checked byte for byte, and smoltcp as the host's IP
//! stack over the link. The link runs over any [`Wire`]: the pty, or one DLC of a CMUX session.
//!
//! Include with `#[path = "support/ppp_host.rs"] mod ppp_host;` next to `mod support;` and
//! `#[path = "support/cmux_host.rs"] mod cmux_host;`.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::BufRead;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use qsslsim_ppp::hdlc::{self, Decoder, Frame, TxOptions};
use qsslsim_ppp::packet::{proto, Packet};
use smoltcp::iface::{Interface, SocketHandle, SocketSet};
use smoltcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::{tcp, udp};

use super::cmux_host::MuxHost;
use super::support::Port;

pub const HOST_IP: Ipv4Addr = Ipv4Addr::new(10, 7, 157, 1);
pub const GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 7, 157, 100);
pub const DNS1: Ipv4Addr = Ipv4Addr::new(10, 7, 157, 254);
pub const WAIT: Duration = Duration::from_secs(20);

/// Where the host's PPP bytes travel: the pty itself, or one DLC of a CMUX session.
pub trait Wire {
    fn send(&mut self, bytes: &[u8]);
    /// Whatever arrives within `wait`.
    fn read_for(&mut self, wait: Duration) -> Vec<u8>;
}

impl Wire for Port {
    fn send(&mut self, bytes: &[u8]) {
        Port::send(self, bytes)
    }
    fn read_for(&mut self, wait: Duration) -> Vec<u8> {
        Port::read_for(self, wait)
    }
}

/// One DLC of a CMUX session as the link's wire; the host's frames are at most `n1` long.
pub struct Dlc {
    pub mux: MuxHost,
    pub dlci: u8,
    pub n1: usize,
}

impl Wire for Dlc {
    fn send(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(self.n1) {
            self.mux.send(self.dlci, chunk);
        }
    }
    fn read_for(&mut self, wait: Duration) -> Vec<u8> {
        self.mux.drain(self.dlci, wait)
    }
}

/// The host's side of the link: frames to and from the wire.
pub struct Link<W: Wire> {
    pub port: W,
    pub decoder: Decoder,
    pub frames: VecDeque<Frame>,
    /// How the host frames (after LCP: ACCM 0, the module asked for PFC and ACFC).
    pub tx: TxOptions,
}

impl<W: Wire> Link<W> {
    pub fn new(port: W) -> Self {
        Link { port, decoder: Decoder::default(), frames: VecDeque::new(), tx: TxOptions::DEFAULT }
    }

    pub fn send(&mut self, protocol: u16, payload: &[u8]) {
        let opts = if protocol == proto::LCP { TxOptions::DEFAULT } else { self.tx };
        self.port.send(&hdlc::encode(protocol, payload, opts));
    }

    pub fn send_packet(&mut self, protocol: u16, code: u8, id: u8, data: &[u8]) {
        self.send(protocol, &Packet { code, id, data: data.to_vec() }.to_bytes());
    }

    /// Read what arrived within `wait` into frames.
    pub fn poll(&mut self, wait: Duration) {
        let bytes = self.port.read_for(wait);
        let frames = &mut self.frames;
        self.decoder.push(&bytes, |f| frames.push_back(f.expect("the module's frames are intact")));
    }

    /// The next frame (within WAIT).
    #[track_caller]
    pub fn next(&mut self) -> Frame {
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
    pub fn next_packet(&mut self, protocol: u16) -> Packet {
        let f = self.next();
        assert_eq!(f.protocol, protocol, "frame {:?}", f);
        Packet::parse(&f.payload).expect("a control packet")
    }
}

/// smoltcp's device on the host side: packets out become frames, IPv4 frames in are packets.
pub struct HostDevice<'a, W: Wire> {
    pub link: &'a mut Link<W>,
    pub rx: VecDeque<Vec<u8>>,
}

pub struct Rx(Vec<u8>);
pub struct Tx<'a, 'b, W: Wire>(&'a mut Link<W>, std::marker::PhantomData<&'b ()>);

impl RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl<W: Wire> TxToken for Tx<'_, '_, W> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        self.0.send(proto::IPV4, &buf);
        r
    }
}

impl<'b, W: Wire> Device for HostDevice<'b, W> {
    type RxToken<'a>
        = Rx
    where
        Self: 'a;
    type TxToken<'a>
        = Tx<'a, 'b, W>
    where
        Self: 'a;
    fn receive(&mut self, _: smoltcp::time::Instant) -> Option<(Rx, Tx<'_, 'b, W>)> {
        let p = self.rx.pop_front()?;
        Some((Rx(p), Tx(self.link, std::marker::PhantomData)))
    }
    fn transmit(&mut self, _: smoltcp::time::Instant) -> Option<Tx<'_, 'b, W>> {
        Some(Tx(self.link, std::marker::PhantomData))
    }
    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ip;
        c.max_transmission_unit = 1500;
        c
    }
}

pub fn now(start: Instant) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(start.elapsed().as_micros() as i64)
}

/// Move IPv4 frames from the link into smoltcp and poll it once.
pub fn step<W: Wire>(link: &mut Link<W>, iface: &mut Interface, sockets: &mut SocketSet<'_>, start: Instant) {
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
pub fn dns_query(name: &str) -> Vec<u8> {
    let mut q = vec![0x01, 0x01, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// After `CONNECT`: LCP (CHAP asked, answered), IPCP with address and DNS by Nak, each of the
/// module's packets checked byte for byte.
pub fn negotiate<W: Wire>(port: W) -> Link<W> {
    let mut link = Link::new(port);

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

/// A built-in plain peer (`qsslsim peer --proto ...`), killed when dropped.
pub struct PlainPeer(Child, pub SocketAddr);

impl Drop for PlainPeer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn plain_peer(proto: &str) -> PlainPeer {
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

/// smoltcp as the host's IP stack on a negotiated link: the address IPCP gave, the default
/// route through the module, and the sockets.
pub struct IpHost {
    pub iface: Interface,
    pub sockets: SocketSet<'static>,
    pub start: Instant,
}

impl IpHost {
    pub fn new<W: Wire>(link: &mut Link<W>, seed: u64) -> Self {
        let start = Instant::now();
        let mut cfg = smoltcp::iface::Config::new(smoltcp::wire::HardwareAddress::Ip);
        cfg.random_seed = seed;
        let mut iface = {
            let mut dev = HostDevice { link, rx: VecDeque::new() };
            Interface::new(cfg, &mut dev, now(start))
        };
        iface.update_ip_addrs(|a| a.push(smoltcp::wire::IpCidr::new(HOST_IP.into(), 24)).unwrap());
        iface.routes_mut().add_default_ipv4_route(GATEWAY).unwrap();
        IpHost { iface, sockets: SocketSet::new(vec![]), start }
    }

    pub fn step<W: Wire>(&mut self, link: &mut Link<W>) {
        step(link, &mut self.iface, &mut self.sockets, self.start);
    }

    /// A UDP socket bound to `port`.
    pub fn udp(&mut self, port: u16) -> SocketHandle {
        let meta = || vec![udp::PacketMetadata::EMPTY; 8];
        let mut u = udp::Socket::new(
            udp::PacketBuffer::new(meta(), vec![0; 8192]),
            udp::PacketBuffer::new(meta(), vec![0; 8192]),
        );
        u.bind(port).unwrap();
        self.sockets.add(u)
    }

    /// Ask the DNS server IPCP gave for `name` (type A) from socket `uh`; the whole answer.
    #[track_caller]
    pub fn dns<W: Wire>(&mut self, link: &mut Link<W>, uh: SocketHandle, name: &str) -> Vec<u8> {
        let to = smoltcp::wire::IpEndpoint::new(DNS1.into(), 53);
        self.sockets.get_mut::<udp::Socket>(uh).send_slice(&dns_query(name), to).unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            self.step(link);
            if let Ok((data, _)) = self.sockets.get_mut::<udp::Socket>(uh).recv() {
                return data.to_vec();
            }
            assert!(Instant::now() < deadline, "no DNS answer for {name}");
        }
    }

    /// The address in a one-answer A response.
    pub fn answer_address(response: &[u8]) -> Ipv4Addr {
        let a = &response[response.len() - 4..];
        Ipv4Addr::new(a[0], a[1], a[2], a[3])
    }

    /// Send `n` patterned bytes over TCP from `local` to `to` and read them back, byte for
    /// byte; the socket is closed once everything is sent. `between` runs every `every`
    /// steps (the polls a host stack makes on its AT channel meanwhile). The socket's handle.
    #[track_caller]
    pub fn tcp_echo<W: Wire>(
        &mut self,
        link: &mut Link<W>,
        to: (Ipv4Addr, u16),
        local: u16,
        n: usize,
        every: u32,
        mut between: impl FnMut(&mut Link<W>),
    ) -> SocketHandle {
        let t =
            tcp::Socket::new(tcp::SocketBuffer::new(vec![0; 65536]), tcp::SocketBuffer::new(vec![0; 65536]));
        let th = self.sockets.add(t);
        let remote = (smoltcp::wire::IpAddress::from(to.0), to.1);
        self.sockets.get_mut::<tcp::Socket>(th).connect(self.iface.context(), remote, local).unwrap();
        let sent: Vec<u8> = (0..n as u32).map(|i| (i.wrapping_mul(7) % 251) as u8).collect();
        let (mut off, mut got, mut closed, mut steps) = (0, Vec::new(), false, 0u32);
        let deadline = Instant::now() + Duration::from_secs(60);
        while got.len() < sent.len() {
            self.step(link);
            steps += 1;
            if every > 0 && steps % every == 0 {
                between(link);
            }
            let s = self.sockets.get_mut::<tcp::Socket>(th);
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
            assert!(Instant::now() < deadline, "TCP echo stalled at {} of {} (sent {off})", got.len(), n);
        }
        assert!(got == sent, "every byte echoed in order");
        th
    }
}
