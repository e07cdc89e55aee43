//! One PPP session's loop: host bytes into the PPP server; its IPv4 packets sorted into TCP
//! (smoltcp, see [`super::tcp`]), UDP (DNS answered here, the rest relayed, see
//! [`super::udp`]) and ICMP echo (answered); what comes back framed for the host, no faster
//! than the module grants.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use qsslsim_modem::NetEvent;
use qsslsim_ppp::{Auth, Config, End, Event, Server};
use smoltcp::iface::{Interface, SocketSet};
use smoltcp::wire::{HardwareAddress, IpCidr};
use tokio::sync::{mpsc, Notify};
use tracing::{debug, info, warn};

use super::device::Queues;
use super::packets::{self, Uplink};
use super::{dns, tcp, udp, Cmd};
use crate::network::connector::Connector;

/// TCP connections (dialling or up) and UDP flows one session keeps at most; a SYN beyond
/// that is answered RST, a datagram dropped.
const MAX_FLOWS: usize = 64;
/// The name in the module's CHAP Challenge (what Qualcomm-based modules send).
const CHAP_NAME: &str = "UMTS_CHAP_SRVR";

pub struct Setup {
    pub session: u64,
    pub peer: Ipv4Addr,
    pub dns: [Ipv4Addr; 2],
    pub connector: Arc<dyn Connector>,
    pub events: mpsc::Sender<NetEvent>,
}

struct Session {
    setup: Setup,
    ppp: Server,
    dev: Queues,
    iface: Interface,
    sockets: SocketSet<'static>,
    start: tokio::time::Instant,
    wake: Arc<Notify>,
    dial_tx: mpsc::UnboundedSender<tcp::Dialled>,
    udp_tx: mpsc::Sender<udp::Reply>,
    /// What happened to flows, for the trace (see [`NetEvent::PppFlow`]).
    notes: mpsc::UnboundedSender<String>,
    /// SYNs waiting for their dial.
    held: HashMap<tcp::Key, Vec<u8>>,
    flows: HashMap<tcp::Key, tcp::Flow>,
    udp_flows: HashMap<(SocketAddrV4, SocketAddrV4), udp::Flow>,
    /// Downlink bytes the module can still take.
    credit: isize,
}

pub async fn run(setup: Setup, mut cmds: mpsc::UnboundedReceiver<Cmd>) {
    let local: Ipv4Addr = qsslsim_modem::pdp::GATEWAY.parse().expect("the gateway is an address");
    let ppp = Server::new(Config {
        local,
        peer: setup.peer,
        dns: setup.dns,
        magic: 0x5153_0000 ^ (setup.session as u32),
        auth: Auth::ChapMd5,
        chap_name: CHAP_NAME.into(),
    });
    let mut dev = Queues::default();
    let start = tokio::time::Instant::now();
    let mut iface = Interface::new(smoltcp::iface::Config::new(HardwareAddress::Ip), &mut dev, stamp(start));
    iface.update_ip_addrs(|a| {
        let _ = a.push(IpCidr::new(local.into(), 24));
    });
    let _ = iface.routes_mut().add_default_ipv4_route(local);
    // Any destination is "local": every connection the host makes ends here.
    iface.set_any_ip(true);
    let (dial_tx, mut dial_rx) = mpsc::unbounded_channel();
    let (udp_tx, mut udp_rx) = mpsc::channel(256);
    let (notes, mut notes_rx) = mpsc::unbounded_channel::<String>();
    info!(session = setup.session, peer = %setup.peer, "PPP session started");
    let mut s = Session {
        setup,
        ppp,
        dev,
        iface,
        sockets: SocketSet::new(vec![]),
        start,
        wake: Arc::new(Notify::new()),
        dial_tx,
        udp_tx,
        notes,
        held: HashMap::new(),
        flows: HashMap::new(),
        udp_flows: HashMap::new(),
        credit: qsslsim_modem::ppp::DOWNLINK_WINDOW as isize,
    };
    // PPP's timers count whole seconds from the session's start.
    let mut tick = tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        while let Some(packet) = s.ppp.poll_ip() {
            s.uplink(packet);
        }
        while let Ok(d) = dial_rx.try_recv() {
            s.dialled(d);
        }
        while let Ok(r) = udp_rx.try_recv() {
            s.ppp.send_ip(&packets::udp(r.from, r.to, &r.data));
        }
        s.pump_ip();
        while let Ok(detail) = notes_rx.try_recv() {
            if s.setup.events.send(NetEvent::PppFlow { session: s.setup.session, detail }).await.is_err() {
                return;
            }
        }
        while let Some(ev) = s.ppp.poll_event() {
            match ev {
                Event::Up { peer } => info!(session = s.setup.session, %peer, "PPP link up: IPCP opened"),
                Event::Ended(end) => return s.ended(end).await,
            }
        }
        while s.credit > 0 {
            let Some(bytes) = s.ppp.poll_transmit() else { break };
            s.credit -= bytes.len() as isize;
            if s.setup.events.send(NetEvent::PppData { session: s.setup.session, data: bytes }).await.is_err()
            {
                return;
            }
        }
        let delay = s
            .iface
            .poll_delay(stamp(s.start), &s.sockets)
            .map(|d| Duration::from_micros(d.total_micros()))
            .unwrap_or(Duration::from_secs(1));
        tokio::select! {
            cmd = cmds.recv() => match cmd {
                Some(Cmd::Data(d)) => s.ppp.input(&d),
                Some(Cmd::Grant(n)) => s.credit += n as isize,
                None => return,
            },
            () = s.wake.notified() => {}
            _ = tick.tick() => s.ppp.tick(),
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// What a session lost says so when it goes, however it goes (the host ended it, the module
/// hung up, the daemon stopped): a PPP link may drop frames and packets, but never silently.
impl Drop for Session {
    fn drop(&mut self) {
        match self.losses() {
            Some(losses) => warn!(session = self.setup.session, "PPP session closed: {losses}"),
            None => debug!(session = self.setup.session, "PPP session closed, nothing dropped"),
        }
    }
}

fn stamp(start: tokio::time::Instant) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(start.elapsed().as_micros() as i64)
}

impl Session {
    /// What the link dropped, if anything: frames the decoder refused and IPv4 packets that
    /// could not go (before IPCP opened, or longer than the host's MRU).
    fn losses(&self) -> Option<String> {
        let (frames, packets) = (self.ppp.dropped, self.ppp.ip_dropped);
        (frames > 0 || packets > 0).then(|| {
            format!(
                "{frames} frames dropped (bad FCS, too long or malformed), {packets} IPv4 packets dropped"
            )
        })
    }

    fn uplink(&mut self, packet: Vec<u8>) {
        match packets::classify(&packet) {
            Uplink::Tcp { src, dst, syn } => {
                let key = (src, dst);
                if self.flows.contains_key(&key) || !syn {
                    // An established flow's segment, or one smoltcp answers RST for.
                    self.dev.rx.push_back(packet);
                } else if self.held.contains_key(&key) {
                    debug!(%src, %dst, "SYN again while dialling: dropped");
                } else if self.flows.len() + self.held.len() >= MAX_FLOWS {
                    self.note(format!("TCP {src} -> {dst}: refused, too many connections (RST)"));
                    self.dev.rx.push_back(packet);
                } else {
                    self.note(format!("TCP {src} -> {dst}: dialling"));
                    self.held.insert(key, packet);
                    tcp::dial(key, self.setup.connector.clone(), self.wake.clone(), self.dial_tx.clone());
                }
            }
            Uplink::Udp { src, dst, payload } if dst.port() == 53 && self.setup.dns.contains(dst.ip()) => {
                self.dns(src, dst, payload.to_vec());
            }
            Uplink::Udp { src, dst, payload } => {
                if !self.udp_flows.contains_key(&(src, dst)) {
                    if self.udp_flows.len() >= MAX_FLOWS {
                        self.note(format!("UDP {src} -> {dst}: datagram dropped, too many flows"));
                        return;
                    }
                    self.note(format!("UDP {src} -> {dst}: new flow"));
                }
                let (connector, back, wake, notes) = (
                    self.setup.connector.clone(),
                    self.udp_tx.clone(),
                    self.wake.clone(),
                    self.notes.clone(),
                );
                self.udp_flows
                    .entry((src, dst))
                    .or_insert_with(|| udp::Flow::start(src, dst, connector, back, wake, notes))
                    .send(payload.to_vec());
            }
            Uplink::Echo { dst, reply } => {
                debug!(%dst, "PPP ping answered (policy ppp-ip)");
                self.ppp.send_ip(&reply);
            }
            Uplink::Other(why) => debug!(why, "PPP uplink packet dropped"),
        }
    }

    /// Log a flow's event and trace it.
    fn note(&self, detail: String) {
        info!(session = self.setup.session, "PPP {detail}");
        let _ = self.notes.send(detail);
    }

    /// A DNS query to the session's DNS server: answered from the daemon's resolver.
    fn dns(&self, src: SocketAddrV4, dst: SocketAddrV4, query: Vec<u8>) {
        let policy = self.setup.connector.net_policy();
        let (back, wake, notes) = (self.udp_tx.clone(), self.wake.clone(), self.notes.clone());
        tokio::spawn(async move {
            let reply = match dns::parse_query(&query) {
                Ok(q) => {
                    let found = policy.resolve_all(&q.name, true).await.ok().map(|all| {
                        all.into_iter()
                            .filter_map(|ip| match ip {
                                IpAddr::V4(a) => Some(a),
                                IpAddr::V6(_) => None,
                            })
                            .collect::<Vec<_>>()
                    });
                    let shown = match &found {
                        Some(a) => format!("{a:?}"),
                        None => "NXDOMAIN".to_string(),
                    };
                    info!(name = %q.name, answer = %shown, "PPP DNS query answered");
                    let _ = notes.send(format!("DNS {} (type {}): {shown}", q.name, q.qtype));
                    dns::answer(&q, found.as_deref())
                }
                Err(Some(id)) => dns::format_error(id),
                Err(None) => return,
            };
            if back.send(udp::Reply { from: dst, to: src, data: reply }).await.is_ok() {
                wake.notify_one();
            }
        });
    }

    fn dialled(&mut self, d: tcp::Dialled) {
        let Some(syn) = self.held.remove(&d.key) else { return };
        match d.result {
            Ok(relay) => {
                self.note(format!("TCP {} -> {}: connected", d.key.0, d.key.1));
                let handle = tcp::listen(&mut self.sockets, d.key);
                self.flows.insert(d.key, tcp::Flow::new(d.key, handle, relay));
            }
            Err(why) => self.note(format!("TCP {} -> {}: refused (RST): {why}", d.key.0, d.key.1)),
        }
        // With a socket listening, smoltcp accepts the SYN; without, it answers RST. One at a
        // time, so that each SYN meets its own socket.
        self.dev.rx.push_back(syn);
        self.iface.poll(stamp(self.start), &mut self.dev, &mut self.sockets);
    }

    /// Run smoltcp and the flows until nothing moves; what smoltcp sends goes to the host.
    fn pump_ip(&mut self) {
        loop {
            self.iface.poll(stamp(self.start), &mut self.dev, &mut self.sockets);
            let mut moved = false;
            let mut over = Vec::new();
            for (key, flow) in self.flows.iter_mut() {
                let (m, done) = flow.pump(&mut self.sockets, self.credit > 0);
                moved |= m;
                if done {
                    over.push(*key);
                }
            }
            for key in over {
                if let Some(flow) = self.flows.remove(&key) {
                    self.sockets.remove(flow.handle);
                    self.note(format!("TCP {} -> {}: ended", key.0, key.1));
                }
            }
            while let Some(p) = self.dev.tx.pop_front() {
                self.ppp.send_ip(&p);
            }
            if !moved {
                break;
            }
        }
    }

    /// The PPP link ended by itself: what is queued for the host (a Terminate-Ack) goes out,
    /// then the module hears why.
    async fn ended(mut self, end: End) {
        let why = match end {
            End::HostTerminated => "the host terminated LCP".to_string(),
            End::Closed => "LCP closed".to_string(),
            End::NoResponse(what) => format!("the host did not finish {what} negotiation"),
        };
        let why = match self.losses() {
            Some(losses) => format!("{why}; {losses}"),
            None => why,
        };
        info!(session = self.setup.session, %why, "PPP session ended");
        let session = self.setup.session;
        while let Some(bytes) = self.ppp.poll_transmit() {
            if self.setup.events.send(NetEvent::PppData { session, data: bytes }).await.is_err() {
                return;
            }
        }
        let _ = self.setup.events.send(NetEvent::PppEnded { session, why }).await;
    }
}
