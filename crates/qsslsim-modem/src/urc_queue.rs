//! When a URC may go out. A URC is queued with a due time fixed when it is queued (a fault's
//! extra hold, and for reports that follow the network the least gap after the last final
//! result). Once due it waits for the gap after the last final result, so that it arrives in
//! a write of its own, but never longer than one gap past the moment it was due and the port
//! was free (a command mode with no command running): later final results cannot postpone it
//! again and again, so a host that polls faster than the gap still sees every URC at the next
//! point between responses. A URC held at the prompt or during an upload still keeps the gap
//! after the result that ends the hold. The queue is only asked while the port is free.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::ids::SocketId;
use crate::urc::Urc;

/// A queued report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Report(Urc),
    /// Push-mode data waiting in a socket's buffer (one frame per release).
    PushData(SocketId),
}

#[derive(Debug)]
struct Entry {
    what: Pending,
    due: Instant,
    /// When the report, due, first found the port free (set on the first look).
    free_since: Option<Instant>,
}

#[derive(Debug)]
pub struct UrcQueue {
    entries: VecDeque<Entry>,
    /// Until then a URC is not written on its own (the gap after the last final result).
    quiet_until: Instant,
    /// Until then no URC that follows the network is due (the network gap after the last
    /// final result).
    network_until: Instant,
    /// Gap after a final result before a URC is written on its own (timing profile).
    gap: Duration,
    /// Least time between a final result and a URC that follows the network.
    network_gap: Duration,
    /// Extra hold on every URC queued from now on (fault `urc_delay`).
    extra: Duration,
}

impl UrcQueue {
    pub fn new(gap: Duration, network_gap: Duration, now: Instant) -> Self {
        UrcQueue {
            entries: VecDeque::new(),
            quiet_until: now,
            network_until: now,
            gap,
            network_gap,
            extra: Duration::ZERO,
        }
    }

    pub fn set_extra_delay(&mut self, extra: Duration) {
        self.extra = extra;
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A final result was written now.
    pub fn final_written(&mut self, now: Instant) {
        self.quiet_until = now + self.gap;
        self.network_until = now + self.network_gap;
    }

    /// Queue a report.
    pub fn push(&mut self, urc: Urc, now: Instant) {
        let mut due = now + self.extra;
        if urc.from_network() {
            due = due.max(self.network_until);
        }
        self.entries.push_back(Entry { what: Pending::Report(urc), due, free_since: None });
    }

    /// Note push-mode data for `id` (once: the entry stays until the buffer is drained).
    pub fn push_data(&mut self, id: SocketId, now: Instant) {
        if !self.entries.iter().any(|e| e.what == Pending::PushData(id)) {
            let due = (now + self.extra).max(self.network_until);
            self.entries.push_back(Entry { what: Pending::PushData(id), due, free_since: None });
        }
    }

    /// When the front report may go out: its due time, then the gap after the last final
    /// result, but at most one gap past the moment it was due with the port free.
    fn release_time(&self, e: &Entry, now: Instant) -> Instant {
        let free = e.free_since.unwrap_or_else(|| e.due.max(now));
        e.due.max(self.quiet_until.min(free + self.gap))
    }

    /// The next report, if it may go out now. Call only while the port is free.
    pub fn pop_due(&mut self, now: Instant) -> Option<Pending> {
        let front = self.entries.front_mut()?;
        if front.free_since.is_none() && now >= front.due {
            front.free_since = Some(now);
        }
        let front = self.entries.front()?;
        (now >= self.release_time(front, now)).then(|| self.entries.pop_front().map(|e| e.what)).flatten()
    }

    /// How many reports wait.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Put back a push entry that has more data, or that found the host without room: behind
    /// the other reports already due (each socket's data and every report take turns, so one
    /// busy stream cannot hold back the rest), but ahead of any report about the same socket
    /// (its "closed" still follows its data) and of reports not yet due.
    pub fn requeue_data(&mut self, id: SocketId, now: Instant) {
        let about_id = |p: &Pending| match p {
            Pending::PushData(i) => *i == id,
            Pending::Report(u) => u.socket() == Some(id),
        };
        let at =
            self.entries.iter().position(|e| e.due > now || about_id(&e.what)).unwrap_or(self.entries.len());
        self.entries.insert(at, Entry { what: Pending::PushData(id), due: now, free_since: Some(now) });
    }

    /// Drop the reports still queued about socket `id`'s connection (it was released: its
    /// "recv" and "closed" reports would describe a connection that no longer exists, and
    /// could be taken for the next one on the id). Returns what was dropped.
    pub fn forget_socket(&mut self, id: SocketId) -> Vec<Pending> {
        let about = |p: &Pending| match p {
            Pending::PushData(i) => *i == id,
            Pending::Report(
                u @ (Urc::SslRecv { .. } | Urc::SslClosed { .. } | Urc::IpRecv { .. } | Urc::IpClosed { .. }),
            ) => u.socket() == Some(id),
            Pending::Report(_) => false,
        };
        let (dropped, kept) = std::mem::take(&mut self.entries).into_iter().partition(|e| about(&e.what));
        self.entries = kept;
        dropped.into_iter().map(|e: Entry| e.what).collect()
    }

    /// When the front report may go out (if nothing else happens first). Ask only while the
    /// port is free.
    pub fn next_due(&self, now: Instant) -> Option<Instant> {
        self.entries.front().map(|e| self.release_time(e, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAP: Duration = Duration::from_millis(100);

    fn recv(n: u8) -> Urc {
        Urc::SslRecv { id: SocketId::new(n).unwrap() }
    }

    #[test]
    fn waits_for_the_gap_after_a_final_result() {
        let t0 = Instant::now();
        let mut q = UrcQueue::new(GAP, Duration::ZERO, t0);
        q.final_written(t0);
        q.push(recv(1), t0);
        assert_eq!(q.pop_due(t0 + Duration::from_millis(99)), None);
        assert_eq!(q.next_due(t0), Some(t0 + GAP));
        assert_eq!(q.pop_due(t0 + GAP), Some(Pending::Report(recv(1))));
    }

    #[test]
    fn a_host_polling_faster_than_the_gap_delays_it_by_one_gap_at_most() {
        let t0 = Instant::now();
        let mut q = UrcQueue::new(GAP, Duration::ZERO, t0);
        q.final_written(t0);
        q.push(recv(2), t0);
        // The module asks at once (the port is free), then the host polls every 30 ms.
        assert_eq!(q.pop_due(t0), None);
        let mut t = t0;
        loop {
            t += Duration::from_millis(30);
            if let Some(p) = q.pop_due(t) {
                assert_eq!(p, Pending::Report(recv(2)));
                break;
            }
            assert!(t < t0 + GAP, "the URC starved");
            q.final_written(t);
        }
        assert_eq!(t, t0 + Duration::from_millis(120), "released at the first poll past due + gap");
    }

    #[test]
    fn network_reports_keep_their_distance_from_the_final_result() {
        let t0 = Instant::now();
        let mut q = UrcQueue::new(Duration::from_millis(5), Duration::from_millis(50), t0);
        q.final_written(t0);
        let open = Urc::SslOpen { id: SocketId::new(0).unwrap(), err: crate::errors::ErrorCode::Ok };
        q.push(open.clone(), t0 + Duration::from_millis(1));
        assert_eq!(q.pop_due(t0 + Duration::from_millis(49)), None);
        // A later answer delays it by one gap at most.
        q.final_written(t0 + Duration::from_millis(49));
        assert_eq!(q.pop_due(t0 + Duration::from_millis(54)), Some(Pending::Report(open)));
        // RDY does not follow the network.
        q.push(Urc::Ready, t0 + Duration::from_millis(60));
        assert_eq!(q.pop_due(t0 + Duration::from_millis(60)), Some(Pending::Report(Urc::Ready)));
    }

    #[test]
    fn a_report_held_by_the_port_still_keeps_the_gap_after_the_result_ending_the_hold() {
        let t0 = Instant::now();
        let mut q = UrcQueue::new(GAP, Duration::ZERO, t0);
        q.push(recv(1), t0);
        // The port is busy (a prompt) for a second: the queue is not asked. Then SEND OK.
        let end = t0 + Duration::from_secs(1);
        q.final_written(end);
        assert_eq!(q.pop_due(end), None, "not in the same instant as the result");
        assert_eq!(q.next_due(end), Some(end + GAP));
        assert!(q.pop_due(end + GAP).is_some());
    }

    #[test]
    fn releasing_a_socket_drops_its_reports_only() {
        let t0 = Instant::now();
        let mut q = UrcQueue::new(Duration::ZERO, Duration::ZERO, t0);
        let id = SocketId::new(1).unwrap();
        q.push(Urc::SslClosed { id }, t0);
        q.push(recv(2), t0);
        q.push(Urc::SslOpen { id, err: crate::errors::ErrorCode::Ok }, t0);
        assert_eq!(q.forget_socket(id), vec![Pending::Report(Urc::SslClosed { id })]);
        assert_eq!(q.pop_due(t0), Some(Pending::Report(recv(2))));
        assert!(q.pop_due(t0).is_some());
        assert!(q.is_empty());
    }

    #[test]
    fn extra_delay_holds_new_reports() {
        let t0 = Instant::now();
        let mut q = UrcQueue::new(Duration::ZERO, Duration::ZERO, t0);
        q.set_extra_delay(Duration::from_secs(1));
        q.push(recv(0), t0);
        assert_eq!(q.pop_due(t0 + Duration::from_millis(999)), None);
        assert!(q.pop_due(t0 + Duration::from_secs(1)).is_some());
    }

    #[test]
    fn push_data_is_queued_once_per_socket() {
        let t0 = Instant::now();
        let mut q = UrcQueue::new(Duration::ZERO, Duration::ZERO, t0);
        let id = SocketId::new(5).unwrap();
        q.push_data(id, t0);
        q.push_data(id, t0);
        assert_eq!(q.pop_due(t0), Some(Pending::PushData(id)));
        assert!(q.is_empty());
    }
}
