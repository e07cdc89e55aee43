//! The twelve sockets: each one's state machine, addressing, access mode and the receive/send
//! accounting that implements backpressure. Every state change goes through
//! [`Sockets::set_state`], the one transition point, which records the trace event; the named
//! transitions (`begin_open`, `opened`, `remote_closed`, `host_close`, `release`) are the only
//! callers.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use crate::event::Event;
use crate::ids::{PdpCtxId, SocketId, SslCtxId};
use crate::policy::RX_BUFFER_BYTES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SocketState {
    Initial,
    Opening,
    Connected,
    /// The peer closed or the PDP context went; waits for `AT+QSSLCLOSE`.
    Closing,
    /// `AT+QSSLCLOSE` / `AT+QICLOSE` is lingering.
    HostClosing,
    /// A `"TCP LISTENER"` accepting connections.
    Listening,
}

impl SocketState {
    /// The number `AT+QSSLSTATE` prints.
    pub fn code(self) -> u8 {
        match self {
            SocketState::Initial => 0,
            SocketState::Opening => 1,
            SocketState::Connected => 2,
            SocketState::Listening => 3,
            SocketState::Closing | SocketState::HostClosing => 4,
        }
    }

    /// Whether a connection exists that the network may still deliver data on.
    pub fn is_live(self) -> bool {
        matches!(self, SocketState::Connected | SocketState::HostClosing)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessMode {
    Buffer,
    Push,
    Transparent,
}

impl AccessMode {
    /// The maker's `<access_mode>` numbers 0, 1, 2.
    pub const RANGE: (i64, i64) = (0, 2);

    pub fn from_code(n: i64) -> Option<Self> {
        match n {
            0 => Some(AccessMode::Buffer),
            1 => Some(AccessMode::Push),
            2 => Some(AccessMode::Transparent),
            _ => None,
        }
    }
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// What kind of socket a connect id holds. SSL clients and the TCP/IP family share the one
/// pool of twelve ids (policy `socket-pool`); the kind decides which family's URCs and
/// commands apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// `AT+QSSLOPEN`: TLS over TCP.
    Ssl,
    /// `AT+QIOPEN` `"TCP"`.
    Tcp,
    /// `AT+QIOPEN` `"UDP"`: datagrams to and from one remote.
    Udp,
    /// `AT+QIOPEN` `"TCP LISTENER"`.
    TcpListener,
    /// `AT+QIOPEN` `"UDP SERVICE"`: datagrams to and from anyone, on a local port.
    UdpService,
    /// A connection a listener accepted; `server` is the listener's id.
    TcpIncoming { server: SocketId },
}

impl Service {
    /// The `<service_type>` text `AT+QIOPEN` takes and `AT+QISTATE` prints.
    pub fn name(self) -> &'static str {
        match self {
            Service::Ssl => "SSLClient",
            Service::Tcp => "TCP",
            Service::Udp => "UDP",
            Service::TcpListener => "TCP LISTENER",
            Service::UdpService => "UDP SERVICE",
            Service::TcpIncoming { .. } => "TCP INCOMING",
        }
    }

    /// The `<service_type>` a host may open with `AT+QIOPEN` (case as the manual writes it).
    pub fn from_open_name(text: &str) -> Option<Self> {
        [Service::Tcp, Service::Udp, Service::TcpListener, Service::UdpService]
            .into_iter()
            .find(|s| s.name() == text)
    }

    /// Whether this socket belongs to the SSL command family.
    pub fn is_ssl(self) -> bool {
        self == Service::Ssl
    }

    /// Whether data comes as datagrams (read one at a time, framed one per push report).
    pub fn is_datagram(self) -> bool {
        matches!(self, Service::Udp | Service::UdpService)
    }

    /// Whether the socket carries data at all (a listener only accepts).
    pub fn carries_data(self) -> bool {
        self != Service::TcpListener
    }
}

/// Where an open goes, as `AT+QSSLOPEN` or `AT+QIOPEN` gave it.
#[derive(Debug, Clone)]
pub struct OpenSpec {
    pub service: Service,
    pub pdp: PdpCtxId,
    pub ssl_ctx: SslCtxId,
    pub host: String,
    pub port: u16,
    /// The local port asked for (0: any).
    pub local_port: u16,
    pub mode: AccessMode,
}

/// One received datagram's place in the receive buffer: who sent it and how many of its
/// bytes are still unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram {
    pub from: Option<SocketAddr>,
    pub len: usize,
}

#[derive(Debug, Clone)]
pub struct Socket {
    state: SocketState,
    pub service: Service,
    /// Serial of the current connection; events for other serials are stale. 0 = none.
    pub conn: u64,
    pub pdp: PdpCtxId,
    pub ssl_ctx: SslCtxId,
    pub host: String,
    pub remote_ip: Option<IpAddr>,
    pub port: u16,
    pub local_port: u16,
    pub mode: AccessMode,
    /// Received bytes not yet given to the host.
    pub rx: VecDeque<u8>,
    /// For datagram sockets: the datagrams in `rx`, oldest first.
    pub datagrams: VecDeque<Datagram>,
    /// Bytes the host has read (`AT+QIRD=<id>,0`).
    pub rx_read: u64,
    /// Bytes the network may still deliver without overflowing `rx`.
    pub granted: usize,
    /// Report `+QSSLURC: "recv"` on the next data (buffer mode).
    pub recv_urc_armed: bool,
    /// Bytes handed to the network but not yet written.
    pub tx_in_flight: usize,
    /// Sends that must still answer `SEND FAIL` (fault `send_buffer_full`).
    pub send_fail: u32,
    /// Totals for `state` reports.
    pub rx_total: u64,
    pub tx_total: u64,
}

impl Default for Socket {
    fn default() -> Self {
        Socket {
            state: SocketState::Initial,
            service: Service::Ssl,
            conn: 0,
            pdp: PdpCtxId::new(PdpCtxId::FIRST).expect("first id is in range"),
            ssl_ctx: SslCtxId::new(SslCtxId::FIRST).expect("first id is in range"),
            host: String::new(),
            remote_ip: None,
            port: 0,
            local_port: 0,
            mode: AccessMode::Buffer,
            rx: VecDeque::new(),
            datagrams: VecDeque::new(),
            rx_read: 0,
            granted: 0,
            recv_urc_armed: true,
            tx_in_flight: 0,
            send_fail: 0,
            rx_total: 0,
            tx_total: 0,
        }
    }
}

impl Socket {
    pub fn state(&self) -> SocketState {
        self.state
    }

    /// Take up to `n` received bytes for the host. Whenever the buffer empties, the next data
    /// will report a `"recv"` URC again (policy `recv-urc`), whichever way it was drained.
    pub fn take_rx(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.rx.len());
        let mut data = Vec::with_capacity(n);
        let (front, back) = self.rx.as_slices();
        let from_front = n.min(front.len());
        data.extend_from_slice(&front[..from_front]);
        data.extend_from_slice(&back[..n - from_front]);
        self.rx.drain(..n);
        self.rx_read += n as u64;
        let mut left = n;
        while left > 0 {
            let Some(front) = self.datagrams.front_mut() else { break };
            let used = left.min(front.len);
            front.len -= used;
            left -= used;
            if front.len == 0 {
                self.datagrams.pop_front();
            }
        }
        if self.rx.is_empty() {
            self.recv_urc_armed = true;
        }
        data
    }

    /// Received bytes for the host; a datagram socket also records the datagram's boundary.
    pub fn receive(&mut self, data: Vec<u8>, from: Option<SocketAddr>) {
        if self.service.is_datagram() && !data.is_empty() {
            self.datagrams.push_back(Datagram { from, len: data.len() });
        }
        self.rx_total += data.len() as u64;
        self.rx.extend(data);
    }

    /// The unread part of the oldest datagram (datagram sockets), for reads and push frames
    /// that deliver one datagram at a time.
    pub fn front_datagram(&self) -> Option<Datagram> {
        self.datagrams.front().copied()
    }

    /// How many more bytes may be granted to the network now. Grants are batched so that a
    /// host reading in small pieces does not cause one grant per read.
    pub fn grant_due(&self) -> Option<usize> {
        if self.state != SocketState::Connected {
            return None;
        }
        let free = RX_BUFFER_BYTES.saturating_sub(self.rx.len() + self.granted);
        (free >= RX_BUFFER_BYTES / 4 || (free > 0 && self.rx.is_empty() && self.granted == 0)).then_some(free)
    }
}

/// The socket table and its transitions.
pub struct Sockets {
    slots: Vec<Socket>,
    /// Transition records for the trace, drained by the module.
    events: Vec<Event>,
}

impl Default for Sockets {
    fn default() -> Self {
        Sockets { slots: SocketId::all().map(|_| Socket::default()).collect(), events: Vec::new() }
    }
}

impl Sockets {
    pub fn get(&self, id: SocketId) -> &Socket {
        &self.slots[id.index()]
    }

    /// Buffers, accounting and mode; the state changes only through the transitions below.
    pub fn get_mut(&mut self, id: SocketId) -> &mut Socket {
        &mut self.slots[id.index()]
    }

    pub fn state(&self, id: SocketId) -> SocketState {
        self.get(id).state
    }

    pub fn iter(&self) -> impl Iterator<Item = (SocketId, &Socket)> {
        SocketId::all().zip(self.slots.iter())
    }

    /// Ids of the sockets that are not Initial.
    pub fn in_use(&self) -> Vec<SocketId> {
        self.iter().filter(|(_, s)| s.state != SocketState::Initial).map(|(id, _)| id).collect()
    }

    /// Trace records of the transitions since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The one place a socket's state changes.
    fn set_state(&mut self, id: SocketId, to: SocketState, detail: String) {
        let sock = &mut self.slots[id.index()];
        let from = sock.state;
        sock.state = to;
        self.events.push(Event::Socket { id: id.get(), from, to, detail });
    }

    /// Initial → Opening for connection `conn`.
    pub fn begin_open(&mut self, id: SocketId, conn: u64, spec: OpenSpec) {
        let detail = format!("to {}:{}", spec.host, spec.port);
        self.begin_open_quiet(id, conn, spec);
        self.set_state(id, SocketState::Opening, detail);
    }

    /// Opening → Connected.
    pub fn opened(&mut self, id: SocketId, remote: SocketAddr, local_port: u16) {
        let sock = &mut self.slots[id.index()];
        sock.remote_ip = Some(remote.ip());
        sock.local_port = local_port;
        self.set_state(id, SocketState::Connected, format!("{remote} from local port {local_port}"));
    }

    /// Opening → Listening: a `"TCP LISTENER"` is bound.
    pub fn listening(&mut self, id: SocketId, local_port: u16) {
        self.slots[id.index()].local_port = local_port;
        self.set_state(id, SocketState::Listening, format!("listening on local port {local_port}"));
    }

    /// Initial → Connected: a listener accepted a connection into this id.
    pub fn accepted(&mut self, id: SocketId, conn: u64, spec: OpenSpec, remote: SocketAddr) {
        let local_port = spec.local_port;
        self.begin_open_quiet(id, conn, spec);
        let sock = &mut self.slots[id.index()];
        sock.remote_ip = Some(remote.ip());
        sock.port = remote.port();
        self.set_state(id, SocketState::Connected, format!("accepted {remote} on local port {local_port}"));
    }

    fn begin_open_quiet(&mut self, id: SocketId, conn: u64, spec: OpenSpec) {
        self.slots[id.index()] = Socket {
            service: spec.service,
            local_port: spec.local_port,
            conn,
            pdp: spec.pdp,
            ssl_ctx: spec.ssl_ctx,
            host: spec.host,
            port: spec.port,
            mode: spec.mode,
            ..Socket::default()
        };
    }

    /// The highest free id: a listener gives an accepted connection this one (as observed on
    /// hardware, policy `incoming-id`).
    pub fn highest_free(&self) -> Option<SocketId> {
        self.iter().filter(|(_, s)| s.state == SocketState::Initial).map(|(id, _)| id).last()
    }

    /// Connected / HostClosing → Closing: the connection ended without the host asking.
    pub fn remote_closed(&mut self, id: SocketId, cause: &str) {
        self.set_state(id, SocketState::Closing, cause.to_string());
    }

    /// Connected → HostClosing: `AT+QSSLCLOSE` / `AT+QICLOSE` lingers.
    pub fn host_close(&mut self, id: SocketId) {
        self.set_state(id, SocketState::HostClosing, "close lingering".into());
    }

    /// Any state → Initial; buffers and counters are discarded. Returns the unread byte count.
    pub fn release(&mut self, id: SocketId, why: &str) -> usize {
        let unread = self.slots[id.index()].rx.len();
        if self.slots[id.index()].state != SocketState::Initial {
            self.set_state(id, SocketState::Initial, why.to_string());
        }
        // Serial 0 belongs to no connection: late events for the old one are ignored.
        self.slots[id.index()] = Socket::default();
        unread
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> OpenSpec {
        OpenSpec {
            service: Service::Ssl,
            local_port: 0,
            pdp: PdpCtxId::new(1).unwrap(),
            ssl_ctx: SslCtxId::new(2).unwrap(),
            host: "h".into(),
            port: 443,
            mode: AccessMode::Push,
        }
    }

    #[test]
    fn transitions_record_one_event_each() {
        let mut t = Sockets::default();
        let id = SocketId::new(3).unwrap();
        t.begin_open(id, 7, spec());
        t.opened(id, "127.0.0.1:443".parse().unwrap(), 50000);
        t.remote_closed(id, "peer closed");
        assert_eq!(t.release(id, "AT+QSSLCLOSE"), 0);
        let seen: Vec<(SocketState, SocketState)> = t
            .take_events()
            .into_iter()
            .map(|e| match e {
                Event::Socket { from, to, .. } => (from, to),
                other => panic!("{other:?}"),
            })
            .collect();
        use SocketState::*;
        assert_eq!(
            seen,
            vec![(Initial, Opening), (Opening, Connected), (Connected, Closing), (Closing, Initial)]
        );
        assert_eq!(t.get(id).conn, 0);
        assert_eq!(t.get(id).ssl_ctx.get(), 0);
    }

    #[test]
    fn releasing_an_idle_socket_records_nothing() {
        let mut t = Sockets::default();
        t.release(SocketId::new(0).unwrap(), "idle");
        assert!(t.take_events().is_empty());
    }

    #[test]
    fn grants_wait_for_a_quarter_of_the_buffer() {
        let mut t = Sockets::default();
        let id = SocketId::new(0).unwrap();
        t.begin_open(id, 1, spec());
        assert_eq!(t.get(id).grant_due(), None, "not while opening");
        t.opened(id, "127.0.0.1:1".parse().unwrap(), 1);
        assert_eq!(t.get(id).grant_due(), Some(RX_BUFFER_BYTES));
        let s = t.get_mut(id);
        s.granted = RX_BUFFER_BYTES - 100;
        assert_eq!(s.grant_due(), None);
    }
}
