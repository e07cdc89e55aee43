//! One of the twelve SSL client sockets: its state machine, addressing, access mode and the
//! receive/send accounting that implements backpressure.

use std::collections::VecDeque;
use std::net::IpAddr;

use crate::policy::RX_BUFFER_BYTES;

pub const SOCKET_COUNT: usize = 12;

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessMode {
    Buffer,
    Push,
    Transparent,
}

impl AccessMode {
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

#[derive(Debug, Clone)]
pub struct Socket {
    pub state: SocketState,
    /// Serial of the current connection; events for other serials are stale.
    pub conn: u64,
    pub pdp: u8,
    pub ssl_ctx: u8,
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
            pdp: 1,
            ssl_ctx: 0,
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
    /// Take up to `n` received bytes for the host. Whenever the buffer empties, the next data
    /// will report a `"recv"` URC again (policy `recv-urc`), whichever way it was drained.
    pub fn take_rx(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.rx.len());
        let data: Vec<u8> = self.rx.drain(..n).collect();
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
