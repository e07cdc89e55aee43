//! The `AT+QFUPL` data phase as a sans-IO state machine: after `CONNECT` the host sends raw
//! bytes until the declared size is reached, it escapes with `+++`, or it stays silent for the
//! timeout.
//!
//! The caller owns the clock and the port. It hands received bytes to [`Upload::feed`] together
//! with the current instant, writes whatever `feed` put in `out` (the ACK-mode `A`s) to the
//! host, and calls [`Upload::on_time`] when [`Upload::next_deadline`] passes. When either
//! reports an [`UploadEnd`], it calls [`Upload::finish`] for the name, the data and the checksum
//! to store and print (`+QFUPL: <len>,<checksum:x>`).
//!
//! # The `+++` escape
//!
//! Like a modem's escape from data mode, `+++` ends the upload only when framed by silence:
//!
//! 1. the first `+` comes at least `guard` after the previous byte (or after the upload began),
//! 2. all three `+` arrive less than `guard` after the first one, and
//! 3. nothing follows for `guard` after the third.
//!
//! While that is still possible the `+` bytes are held back, not counted as data. If the pattern
//! breaks (another byte arrives, or the window of rule 2 closes) they are released as data, in
//! order, before whatever broke it. A zero `guard` disables the escape: every byte is data.
//!
//! Reaching the declared size always wins: if held `+` bytes would complete the size, they are
//! data and the upload is [`UploadEnd::Complete`].
//!
//! # Other rules
//!
//! - Bytes beyond the declared size are not consumed; `feed` returns how many it took, and the
//!   rest belongs to command mode.
//! - The inactivity timeout counts from the last byte received (any byte, `+` included), or
//!   from the start if none came.
//! - In ACK mode an `A` is written after every [`ACK_EVERY`] bytes received from the host. The
//!   count is of bytes taken off the wire, so a held `+` counts when it arrives.
//! - Expired deadlines are settled before new bytes are looked at: bytes fed at or after a
//!   deadline that the caller did not report through `on_time` find the upload already ended.
//! - Memory is bounded by the declared size: the buffer never grows beyond it.

use std::time::{Duration, Instant};

use super::checksum::XorChecksum;
use crate::escape::{EscapeDetector, EscapeTick};

/// Upload size when `AT+QFUPL` gives none.
pub const DEFAULT_SIZE: usize = 10240;
/// Inactivity timeout when `AT+QFUPL` gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// In ACK mode, an [`ACK_BYTE`] follows every this many bytes received.
pub const ACK_EVERY: usize = 1024;
/// What the module writes in ACK mode.
pub const ACK_BYTE: u8 = b'A';

/// First allocation for the data buffer (capped at the declared size).
const INITIAL_CAPACITY: usize = 1024;

/// Why an upload ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UploadEnd {
    /// The declared number of bytes arrived.
    Complete,
    /// The host sent a guarded `+++`; the data before it is kept.
    Escaped,
    /// The host was silent for the timeout; the data so far is kept.
    TimedOut,
}

/// Whose data a data phase collects: a file (`AT+QFUPL`), or an HTTP URL or POST body
/// (`AT+QHTTPURL`, `AT+QHTTPPOST`), which use the same byte rules with the escape and ACKs
/// off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFor {
    File,
    HttpUrl,
    HttpPost { response_timeout: Duration },
}

/// One `AT+QFUPL` data phase.
#[derive(Debug, Clone)]
pub struct Upload {
    name: String,
    target: DataFor,
    size: usize,
    timeout: Duration,
    ack: bool,

    /// Bytes accepted as file data (never more than `size`).
    data: Vec<u8>,
    checksum: XorChecksum,
    /// Bytes still to receive (held `+` included) before the next ACK is due.
    until_ack: usize,
    /// When the last byte arrived, or when the upload began.
    last_rx: Instant,
    escape: EscapeDetector,
    /// Reused buffer for what the escape detector lets through.
    passed: Vec<u8>,
    end: Option<UploadEnd>,
}

/// `start + span`, or `None` if that is past what `Instant` can hold (i.e. never).
fn after(start: Instant, span: Duration) -> Option<Instant> {
    start.checked_add(span)
}

impl Upload {
    /// Starts an upload of `size` bytes to file `name`, at `now` (when `CONNECT` went out).
    ///
    /// The caller has already checked `name` and `size` against the store
    /// ([`super::FileStore::check_upload`]); the buffer is bounded by `size`. A `size` of zero
    /// is complete at once.
    pub fn new(
        name: String,
        size: usize,
        timeout: Duration,
        ack: bool,
        guard: Duration,
        now: Instant,
    ) -> Self {
        Upload {
            name,
            target: DataFor::File,
            size,
            timeout,
            ack,
            data: Vec::new(),
            checksum: XorChecksum::new(),
            until_ack: ACK_EVERY,
            last_rx: now,
            escape: EscapeDetector::new(guard, now),
            passed: Vec::new(),
            end: (size == 0).then_some(UploadEnd::Complete),
        }
    }

    /// The same data phase collecting for `target` instead of a file.
    pub fn for_target(mut self, target: DataFor) -> Self {
        self.target = target;
        self
    }

    /// Whose data this is.
    pub fn target(&self) -> DataFor {
        self.target
    }

    /// The file name given at the start.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The declared size.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Bytes accepted as data so far (held `+` bytes not included).
    pub fn data_len(&self) -> usize {
        self.data.len()
    }

    /// How the upload ended, if it has.
    pub fn end(&self) -> Option<UploadEnd> {
        self.end
    }

    /// Takes bytes from the host that arrived at `now`, writing any ACK bytes to `out`.
    ///
    /// Returns how many bytes were consumed, and the end if the upload is over. Bytes past the
    /// declared size are left unconsumed. Once ended, every call consumes nothing and reports
    /// the same end.
    pub fn feed(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<u8>) -> (usize, Option<UploadEnd>) {
        if let Some(end) = self.settle(now) {
            return (0, Some(end));
        }
        for (i, &byte) in bytes.iter().enumerate() {
            self.until_ack -= 1;
            if self.until_ack == 0 {
                self.until_ack = ACK_EVERY;
                if self.ack {
                    out.push(ACK_BYTE);
                }
            }
            self.accept(byte, now);
            self.last_rx = now;
            if self.data.len() + self.held() == self.size {
                self.release_held();
                self.end = Some(UploadEnd::Complete);
                return (i + 1, self.end);
            }
        }
        (bytes.len(), None)
    }

    /// The next instant at which [`Upload::on_time`] has something to do: the inactivity
    /// timeout, or a step of a pending `+++`. `None` once ended.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.end.is_some() {
            return None;
        }
        match (self.escape_deadline(), self.idle_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Lets time pass up to `now`: completes a pending escape ([`UploadEnd::Escaped`]), ends
    /// the upload on inactivity ([`UploadEnd::TimedOut`]), or releases held `+` bytes whose
    /// escape can no longer happen. Calling it early or repeatedly is harmless.
    pub fn on_time(&mut self, now: Instant) -> Option<UploadEnd> {
        self.settle(now)
    }

    /// The file name, the data, and its checksum. Held `+` bytes of an unfinished escape count
    /// as data; those of a completed escape do not.
    pub fn finish(mut self) -> (String, Vec<u8>, u16) {
        self.release_held();
        let sum = self.checksum.value();
        (self.name, self.data, sum)
    }

    /// Number of `+` bytes held back.
    fn held(&self) -> usize {
        self.escape.held()
    }

    fn escape_deadline(&self) -> Option<Instant> {
        self.escape.deadline()
    }

    fn idle_deadline(&self) -> Option<Instant> {
        after(self.last_rx, self.timeout)
    }

    /// Applies every deadline that has passed by `now`, earliest first.
    fn settle(&mut self, now: Instant) -> Option<UploadEnd> {
        while self.end.is_none() {
            let escape = self.escape_deadline().filter(|&d| d <= now);
            let idle = self.idle_deadline().filter(|&d| d <= now);
            let escape_first = match (escape, idle) {
                (Some(e), Some(i)) => e <= i,
                (Some(_), None) => true,
                (None, _) => false,
            };
            if escape_first {
                match self.escape.on_time(now) {
                    // A completed escape: the `+++` is not data.
                    EscapeTick::Escaped => self.end = Some(UploadEnd::Escaped),
                    EscapeTick::Released(plusses) => plusses.into_iter().for_each(|b| self.commit(b)),
                    EscapeTick::Idle => {}
                }
            } else if idle.is_some() {
                self.release_held();
                self.end = Some(UploadEnd::TimedOut);
            } else {
                break;
            }
        }
        self.end
    }

    /// Handles one byte arriving at `now` (deadlines already settled).
    fn accept(&mut self, byte: u8, now: Instant) {
        let mut passed = std::mem::take(&mut self.passed);
        self.escape.feed(&[byte], now, &mut passed);
        passed.drain(..).for_each(|b| self.commit(b));
        self.passed = passed;
    }

    fn release_held(&mut self) {
        let mut plusses = Vec::new();
        self.escape.release(&mut plusses);
        plusses.into_iter().for_each(|b| self.commit(b));
    }

    fn commit(&mut self, byte: u8) {
        debug_assert!(self.data.len() < self.size);
        if self.data.len() == self.data.capacity() {
            let target = (self.data.capacity() * 2).max(INITIAL_CAPACITY).min(self.size);
            self.data.reserve_exact(target - self.data.len());
        }
        self.data.push(byte);
        self.checksum.update(&[byte]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::checksum::xor_checksum;
    use super::*;

    const GUARD: Duration = Duration::from_secs(1);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn start(size: usize, ack: bool) -> (Upload, Instant) {
        let t0 = Instant::now();
        let up = Upload::new("f.pem".into(), size, DEFAULT_TIMEOUT, ack, GUARD, t0);
        (up, t0)
    }

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 + 7) as u8).collect()
    }

    /// Small deterministic PRNG (xorshift64), so the tests need no dependency.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    #[test]
    fn exact_size_completes_and_leaves_the_rest() {
        let (mut up, t0) = start(5, false);
        let mut out = Vec::new();
        assert_eq!(up.feed(b"hel", t0, &mut out), (3, None));
        assert_eq!(up.feed(b"loAT\r", t0 + ms(10), &mut out), (2, Some(UploadEnd::Complete)));
        assert!(out.is_empty());
        assert_eq!(up.next_deadline(), None);
        // Further input is not taken.
        assert_eq!(up.feed(b"AT\r", t0 + ms(20), &mut out), (0, Some(UploadEnd::Complete)));
        let (name, data, sum) = up.finish();
        assert_eq!(name, "f.pem");
        assert_eq!(data, b"hello");
        assert_eq!(sum, xor_checksum(b"hello"));
    }

    #[test]
    fn one_byte_at_a_time_1939_bytes() {
        let body = pattern(1939);
        let (mut up, t0) = start(body.len(), false);
        let mut out = Vec::new();
        for (i, b) in body.iter().enumerate() {
            let end = if i + 1 == body.len() { Some(UploadEnd::Complete) } else { None };
            assert_eq!(up.feed(&[*b], t0 + ms(i as u64), &mut out), (1, end));
        }
        let (_, data, sum) = up.finish();
        assert_eq!(data, body);
        assert_eq!(sum, xor_checksum(&body));
    }

    #[test]
    fn known_checksum_through_an_upload() {
        let (mut up, t0) = start(3, false);
        let mut out = Vec::new();
        up.feed(&[0x12, 0x34, 0x56], t0, &mut out);
        assert_eq!(up.finish().2, 0x4434);
    }

    fn acks_for(total: usize, chunk: usize) -> usize {
        let (mut up, t0) = start(total, true);
        let body = pattern(total);
        let mut out = Vec::new();
        for piece in body.chunks(chunk) {
            up.feed(piece, t0, &mut out);
        }
        assert_eq!(up.end(), Some(UploadEnd::Complete));
        assert!(out.iter().all(|&b| b == ACK_BYTE));
        out.len()
    }

    #[test]
    fn ack_mode_writes_a_per_1024_bytes() {
        assert_eq!(acks_for(3000, 1), 2);
        assert_eq!(acks_for(3000, 700), 2);
        assert_eq!(acks_for(2048, 2048), 2);
        assert_eq!(acks_for(2048, 100), 2);
        assert_eq!(acks_for(1023, 1023), 0);
        assert_eq!(acks_for(1024, 1024), 1);
    }

    #[test]
    fn ack_comes_with_the_1024th_byte() {
        let (mut up, t0) = start(4096, true);
        let mut out = Vec::new();
        up.feed(&pattern(1023), t0, &mut out);
        assert!(out.is_empty());
        up.feed(b"x", t0, &mut out);
        assert_eq!(out, b"A");
        up.feed(&pattern(1024), t0, &mut out);
        assert_eq!(out, b"AA");
    }

    #[test]
    fn no_acks_without_ack_mode() {
        let (mut up, t0) = start(3000, false);
        let mut out = Vec::new();
        up.feed(&pattern(3000), t0, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn guarded_escape_keeps_earlier_data() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        assert_eq!(up.feed(b"abc", t0 + ms(100), &mut out), (3, None));
        let t1 = t0 + ms(1200);
        assert_eq!(up.feed(b"+++", t1, &mut out), (3, None));
        // The pluses are held, not data.
        assert_eq!(up.data_len(), 3);
        assert_eq!(up.next_deadline(), Some(t1 + GUARD));
        assert_eq!(up.on_time(t1 + ms(999)), None);
        assert_eq!(up.on_time(t1 + GUARD), Some(UploadEnd::Escaped));
        assert_eq!(up.next_deadline(), None);
        let (_, data, sum) = up.finish();
        assert_eq!(data, b"abc");
        assert_eq!(sum, xor_checksum(b"abc"));
    }

    #[test]
    fn escape_pluses_may_come_separately_within_the_guard() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        up.feed(b"ab", t0, &mut out);
        let t1 = t0 + ms(1500);
        up.feed(b"+", t1, &mut out);
        assert_eq!(up.next_deadline(), Some(t1 + GUARD));
        up.feed(b"+", t1 + ms(300), &mut out);
        up.feed(b"+", t1 + ms(900), &mut out);
        assert_eq!(up.next_deadline(), Some(t1 + ms(1900)));
        assert_eq!(up.on_time(t1 + ms(1899)), None);
        assert_eq!(up.on_time(t1 + ms(1900)), Some(UploadEnd::Escaped));
        assert_eq!(up.finish().1, b"ab");
    }

    #[test]
    fn escape_right_after_connect_needs_the_guard_too() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        up.feed(b"+++", t0 + GUARD, &mut out);
        assert_eq!(up.on_time(t0 + GUARD * 2), Some(UploadEnd::Escaped));
        assert!(up.finish().1.is_empty());

        let (mut up, t0) = start(100, false);
        up.feed(b"+++", t0 + ms(10), &mut out);
        assert_eq!(up.data_len(), 3);
    }

    #[test]
    fn pluses_without_leading_silence_are_data() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        up.feed(b"abc+++", t0 + ms(2000), &mut out);
        assert_eq!(up.data_len(), 6);
        // Too soon after the last byte as well.
        up.feed(b"+++", t0 + ms(2500), &mut out);
        assert_eq!(up.data_len(), 9);
        assert_eq!(up.next_deadline(), Some(t0 + ms(2500) + DEFAULT_TIMEOUT));
        assert_eq!(up.on_time(t0 + ms(2500) + DEFAULT_TIMEOUT), Some(UploadEnd::TimedOut));
        assert_eq!(up.finish().1, b"abc++++++");
    }

    #[test]
    fn two_pluses_then_another_byte_are_data() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        up.feed(b"ab", t0, &mut out);
        up.feed(b"++", t0 + ms(1500), &mut out);
        assert_eq!(up.data_len(), 2);
        up.feed(b"x", t0 + ms(1600), &mut out);
        assert_eq!(up.data_len(), 5);
        assert_eq!(up.finish().1, b"ab++x");
    }

    #[test]
    fn pluses_then_another_byte_in_one_chunk_are_data() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        up.feed(b"+++y", t0 + ms(1500), &mut out);
        assert_eq!(up.finish().1, b"+++y");
    }

    #[test]
    fn byte_inside_trailing_guard_cancels_escape() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        let t1 = t0 + ms(1500);
        up.feed(b"+++", t1, &mut out);
        up.feed(b"z", t1 + ms(999), &mut out);
        assert_eq!(up.data_len(), 4);
        assert_eq!(up.next_deadline(), Some(t1 + ms(999) + DEFAULT_TIMEOUT));
        assert_eq!(up.finish().1, b"+++z");
    }

    #[test]
    fn four_pluses_are_data() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        up.feed(b"++++", t0 + ms(1500), &mut out);
        assert_eq!(up.on_time(t0 + ms(3000)), None);
        assert_eq!(up.finish().1, b"++++");
    }

    #[test]
    fn slow_pluses_are_released_when_their_window_closes() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        let t1 = t0 + ms(1500);
        up.feed(b"++", t1, &mut out);
        assert_eq!(up.next_deadline(), Some(t1 + GUARD));
        assert_eq!(up.on_time(t1 + GUARD), None);
        assert_eq!(up.data_len(), 2);
        assert_eq!(up.next_deadline(), Some(t1 + DEFAULT_TIMEOUT));
        // A third plus after the window cannot finish that escape; since it follows a
        // guard's worth of silence it may begin a new one, and a byte right after ends that.
        up.feed(b"+", t1 + ms(1100), &mut out);
        assert_eq!(up.data_len(), 2);
        up.feed(b"x", t1 + ms(1200), &mut out);
        assert_eq!(up.finish().1, b"+++x");
    }

    #[test]
    fn late_plus_is_released_by_feed_without_on_time() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        let t1 = t0 + ms(1500);
        up.feed(b"+", t1, &mut out);
        // The caller never called on_time; the next plus is outside the window.
        up.feed(b"+", t1 + ms(1200), &mut out);
        assert_eq!(up.data_len(), 1);
        // ... but it is itself preceded by enough silence to start a new escape.
        up.feed(b"++", t1 + ms(1300), &mut out);
        assert_eq!(up.on_time(t1 + ms(2300)), Some(UploadEnd::Escaped));
        assert_eq!(up.finish().1, b"+");
    }

    #[test]
    fn feed_after_an_unreported_escape_consumes_nothing() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        let t1 = t0 + ms(1500);
        up.feed(b"+++", t1, &mut out);
        assert_eq!(up.feed(b"AT\r", t1 + GUARD, &mut out), (0, Some(UploadEnd::Escaped)));
        assert!(up.finish().1.is_empty());
    }

    #[test]
    fn pluses_that_complete_the_size_are_data() {
        let (mut up, t0) = start(5, false);
        let mut out = Vec::new();
        up.feed(b"ab", t0, &mut out);
        assert_eq!(up.feed(b"+++", t0 + ms(1500), &mut out), (3, Some(UploadEnd::Complete)));
        assert_eq!(up.finish().1, b"ab+++");
    }

    #[test]
    fn inactivity_timeout_from_last_byte() {
        let (mut up, t0) = start(100, false);
        let mut out = Vec::new();
        assert_eq!(up.next_deadline(), Some(t0 + DEFAULT_TIMEOUT));
        let t1 = t0 + ms(3000);
        up.feed(b"ab", t1, &mut out);
        assert_eq!(up.next_deadline(), Some(t1 + DEFAULT_TIMEOUT));
        assert_eq!(up.on_time(t0 + DEFAULT_TIMEOUT), None);
        assert_eq!(up.on_time(t1 + DEFAULT_TIMEOUT - ms(1)), None);
        assert_eq!(up.on_time(t1 + DEFAULT_TIMEOUT), Some(UploadEnd::TimedOut));
        assert_eq!(up.on_time(t1 + DEFAULT_TIMEOUT), Some(UploadEnd::TimedOut));
        assert_eq!(up.next_deadline(), None);
        let (_, data, sum) = up.finish();
        assert_eq!(data, b"ab");
        assert_eq!(sum, 0x6162);
    }

    #[test]
    fn timeout_with_no_input_at_all() {
        let (mut up, t0) = start(10240, false);
        assert_eq!(up.on_time(t0 + DEFAULT_TIMEOUT), Some(UploadEnd::TimedOut));
        let (_, data, sum) = up.finish();
        assert!(data.is_empty());
        assert_eq!(sum, 0);
    }

    #[test]
    fn zero_size_is_complete_at_once() {
        let (mut up, t0) = start(0, false);
        assert_eq!(up.end(), Some(UploadEnd::Complete));
        assert_eq!(up.next_deadline(), None);
        assert_eq!(up.feed(b"x", t0, &mut Vec::new()), (0, Some(UploadEnd::Complete)));
    }

    #[test]
    fn zero_guard_disables_the_escape() {
        let t0 = Instant::now();
        let mut up = Upload::new("a".into(), 10, DEFAULT_TIMEOUT, false, Duration::ZERO, t0);
        up.feed(b"+++", t0 + ms(100), &mut Vec::new());
        assert_eq!(up.data_len(), 3);
        assert_eq!(up.next_deadline(), Some(t0 + ms(100) + DEFAULT_TIMEOUT));
    }

    #[test]
    fn buffer_never_exceeds_the_declared_size() {
        for size in [1usize, 5, 1023, 1025, 3000] {
            let (mut up, t0) = start(size, false);
            for b in pattern(size) {
                up.feed(&[b], t0, &mut Vec::new());
            }
            assert_eq!(up.end(), Some(UploadEnd::Complete));
            assert!(up.data.capacity() <= size, "size {size}");
        }
    }

    #[test]
    fn any_chunking_at_one_instant_gives_the_input() {
        // With no silence anywhere, no `+` can start an escape, whatever the chunking.
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..200 {
            let len = 1 + rng.below(3000);
            let body: Vec<u8> =
                (0..len).map(|_| if rng.below(3) == 0 { b'+' } else { rng.below(256) as u8 }).collect();
            let (mut up, t0) = start(len, true);
            let mut out = Vec::new();
            let mut rest = &body[..];
            let mut fed = 0;
            while !rest.is_empty() {
                let n = (1 + rng.below(40)).min(rest.len());
                let (used, end) = up.feed(&rest[..n], t0, &mut out);
                assert_eq!(used, n);
                fed += used;
                assert_eq!(end.is_some(), fed == len);
                rest = &rest[n..];
            }
            assert_eq!(out.len(), len / ACK_EVERY);
            let (_, data, sum) = up.finish();
            assert_eq!(data, body);
            assert_eq!(sum, xor_checksum(&body));
        }
    }

    #[test]
    fn finish_mid_escape_counts_held_pluses_as_data() {
        let (mut up, t0) = start(100, false);
        up.feed(b"ab", t0, &mut Vec::new());
        up.feed(b"++", t0 + ms(1500), &mut Vec::new());
        assert_eq!(up.finish().1, b"ab++");
    }
}
