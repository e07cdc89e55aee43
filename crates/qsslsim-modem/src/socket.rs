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
    /// `AT+QSSLCLOSE` is lingering.
    HostClosing,
}

impl SocketState {
    /// The number `AT+QSSLSTATE` prints.
    pub fn code(self) -> u8 {
        match self {
            SocketState::Initial => 0,
            SocketState::Opening => 1,
            SocketState::Connected => 2,
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

/// Where an open goes, as `AT+QSSLOPEN` gave it.
#[derive(Debug, Clone)]
pub struct OpenSpec {
    pub pdp: PdpCtxId,
    pub ssl_ctx: SslCtxId,
    pub host: String,
    pub port: u16,
    pub mode: AccessMode,
}

#[derive(Debug, Clone)]
pub struct Socket {
    state: SocketState,
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
            conn: 0,
            pdp: PdpCtxId::new(PdpCtxId::FIRST).expect("first id is in range"),
            ssl_ctx: SslCtxId::new(SslCtxId::FIRST).expect("first id is in range"),
            host: String::new(),
            remote_ip: None,
            port: 0,
            local_port: 0,
            mode: AccessMode::Buffer,
            rx: VecDeque::new(),
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
        if self.rx.is_empty() {
            self.recv_urc_armed = true;
        }
        data
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
        self.slots[id.index()] = Socket {
            conn,
            pdp: spec.pdp,
            ssl_ctx: spec.ssl_ctx,
            host: spec.host,
            port: spec.port,
            mode: spec.mode,
            ..Socket::default()
        };
        self.set_state(id, SocketState::Opening, detail);
    }

    /// Opening → Connected.
    pub fn opened(&mut self, id: SocketId, remote: SocketAddr, local_port: u16) {
        let sock = &mut self.slots[id.index()];
        sock.remote_ip = Some(remote.ip());
        sock.local_port = local_port;
        self.set_state(id, SocketState::Connected, format!("{remote} from local port {local_port}"));
    }

    /// Connected / HostClosing → Closing: the connection ended without the host asking.
    pub fn remote_closed(&mut self, id: SocketId, cause: &str) {
        self.set_state(id, SocketState::Closing, cause.to_string());
    }

    /// Connected → HostClosing: `AT+QSSLCLOSE` lingers.
    pub fn host_close(&mut self, id: SocketId) {
        self.set_state(id, SocketState::HostClosing, "AT+QSSLCLOSE lingering".into());
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
