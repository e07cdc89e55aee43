//! The faults a live connection can suffer, as state shared by its reader and writer: a
//! server close (now, after N more bytes, after a delay), a reset, added latency, a bandwidth
//! cap, a receive stall, and for UDP lost, duplicated and swapped datagrams. Changes wake both
//! halves.

use std::sync::Mutex;
use std::time::Duration;

use qsslsim_modem::LinkFault;
use tokio::sync::Notify;
use tokio::time::Instant;

#[derive(Default)]
pub struct Link {
    state: Mutex<LinkState>,
    pub changed: Notify,
}

#[derive(Default)]
struct LinkState {
    /// Bytes the server still sends before it closes (fault `server_close`).
    close_after: Option<u64>,
    reset: bool,
    latency: Duration,
    /// Bytes per second; 0 = unlimited.
    bandwidth: u64,
    /// Deliver nothing until then (`Some(None)`: until cleared).
    stall: Option<Option<Instant>>,
    /// Incoming datagrams still to lose / to duplicate; whether to swap the next two.
    lose: u32,
    duplicate: u32,
    reorder: bool,
}

/// What happens to one incoming datagram (faults `datagram_*`).
#[derive(Debug, PartialEq, Eq)]
pub enum DatagramFate {
    Deliver,
    Lose,
    Duplicate,
    /// Hold it and deliver it after the next one.
    HoldForSwap,
}

/// Why the reader must stop.
pub enum End {
    Closed,
    Reset,
}

impl Link {
    pub fn apply(&self, fault: LinkFault) {
        let mut s = self.state.lock().unwrap();
        match fault {
            LinkFault::ServerClose { after_bytes, after: None } => {
                s.close_after = Some(after_bytes.unwrap_or(0))
            }
            // A delayed close is scheduled by the connection (see `schedule_close`).
            LinkFault::ServerClose { after: Some(_), .. } => {}
            LinkFault::Reset => s.reset = true,
            LinkFault::Latency(d) => s.latency = d,
            LinkFault::Bandwidth(bps) => s.bandwidth = bps,
            LinkFault::ReceiveStall(None) => s.stall = Some(None),
            LinkFault::ReceiveStall(Some(d)) if d.is_zero() => s.stall = None,
            LinkFault::ReceiveStall(Some(d)) => s.stall = Some(Some(Instant::now() + d)),
            LinkFault::DatagramLoss(n) => s.lose = s.lose.saturating_add(n),
            LinkFault::DatagramDuplicate(n) => s.duplicate = s.duplicate.saturating_add(n),
            LinkFault::DatagramReorder => s.reorder = true,
        }
        drop(s);
        self.changed.notify_waiters();
    }

    /// The fate of the next incoming datagram; consumes one armed datagram fault.
    pub fn datagram_fate(&self) -> DatagramFate {
        let mut s = self.state.lock().unwrap();
        if s.lose > 0 {
            s.lose -= 1;
            DatagramFate::Lose
        } else if s.reorder {
            s.reorder = false;
            DatagramFate::HoldForSwap
        } else if s.duplicate > 0 {
            s.duplicate -= 1;
            DatagramFate::Duplicate
        } else {
            DatagramFate::Deliver
        }
    }

    /// Whether the connection must end now.
    pub fn ending(&self) -> Option<End> {
        let s = self.state.lock().unwrap();
        if s.reset {
            Some(End::Reset)
        } else if s.close_after == Some(0) {
            Some(End::Closed)
        } else {
            None
        }
    }

    pub fn is_reset(&self) -> bool {
        self.state.lock().unwrap().reset
    }

    /// `Some(deadline)` while receiving is stalled (`None` inside: until cleared).
    pub fn stalled(&self) -> Option<Option<Instant>> {
        let mut s = self.state.lock().unwrap();
        match s.stall {
            Some(Some(until)) if Instant::now() >= until => {
                s.stall = None;
                None
            }
            other => other,
        }
    }

    /// Wait out a receive stall: until its deadline, or until the fault changes. False at
    /// once if there is none (the reader may read).
    pub async fn wait_if_stalled(&self) -> bool {
        // Taken before the stall is looked at, so a change in between is not missed.
        let changed = self.changed.notified();
        match self.stalled() {
            Some(Some(until)) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => {}
                    _ = changed => {}
                }
                true
            }
            Some(None) => {
                changed.await;
                true
            }
            None => false,
        }
    }

    /// How many of `n` received bytes may still be delivered before a scheduled close.
    pub fn take_allowance(&self, n: usize) -> usize {
        let mut s = self.state.lock().unwrap();
        match s.close_after.as_mut() {
            Some(left) => {
                let k = (*left).min(n as u64);
                *left -= k;
                k as usize
            }
            None => n,
        }
    }

    /// The delay to impose on a chunk of `n` bytes (latency plus serialisation at the cap).
    pub fn delay_for(&self, n: usize) -> Duration {
        let s = self.state.lock().unwrap();
        let serialise = if s.bandwidth > 0 {
            Duration::from_secs_f64(n as f64 / s.bandwidth as f64)
        } else {
            Duration::ZERO
        };
        s.latency + serialise
    }

    /// Wait out the delay for a chunk of `n` bytes, as the link's faults say while it waits: a
    /// cap lifted or changed meanwhile counts from the start of the wait, so a large write
    /// queued under a tight cap does not keep its old delay.
    pub async fn delay(&self, n: usize) {
        let start = Instant::now();
        loop {
            let changed = self.changed.notified();
            let until = start + self.delay_for(n);
            if Instant::now() >= until {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return,
                _ = changed => {}
            }
        }
    }

    /// The largest chunk worth handling at once under the bandwidth cap (about 50 ms worth).
    pub fn chunk_limit(&self, max: usize) -> usize {
        let bps = self.state.lock().unwrap().bandwidth;
        if bps == 0 {
            max
        } else {
            ((bps / 20) as usize).clamp(1, max)
        }
    }
}
