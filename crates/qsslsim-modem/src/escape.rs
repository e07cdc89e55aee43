//! The `+++` escape detector for data modes (transparent mode, file upload): three `+` with
//! at least one guard time of silence before, all within one guard time, and one guard time of
//! silence after. While the pattern is still possible the `+` bytes are held back; when it
//! breaks they are released as data, in order.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct EscapeDetector {
    guard: Duration,
    /// When the last host byte arrived (start of data mode counts as a byte).
    last_byte: Instant,
    /// `+` bytes held back (0–3).
    held: u8,
    /// When the first held `+` arrived.
    first_plus: Instant,
}

/// What a deadline produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscapeTick {
    /// Nothing happened.
    Idle,
    /// The held `+` bytes turned out to be data.
    Released(Vec<u8>),
    /// A valid escape: leave data mode.
    Escaped,
}

impl EscapeDetector {
    pub fn new(guard: Duration, now: Instant) -> Self {
        EscapeDetector { guard, last_byte: now, held: 0, first_plus: now }
    }

    /// Feed bytes that arrived together at `now`; data bytes (including released `+`) are
    /// appended to `data`.
    pub fn feed(&mut self, bytes: &[u8], now: Instant, data: &mut Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        // Fast path: nothing held and no '+' at all; a zero guard time disables the escape.
        if self.held == 0 && (self.guard.is_zero() || !bytes.contains(&b'+')) {
            data.extend_from_slice(bytes);
            self.last_byte = now;
            return;
        }
        for (i, &b) in bytes.iter().enumerate() {
            if self.held > 0 {
                let in_window = now.saturating_duration_since(self.first_plus) <= self.guard;
                if b == b'+' && self.held < 3 && in_window {
                    self.held += 1;
                    self.last_byte = now;
                    continue;
                }
                self.release(data);
            }
            let silent_before = now.saturating_duration_since(self.last_byte) >= self.guard;
            if b == b'+' && silent_before {
                self.held = 1;
                self.first_plus = now;
            } else {
                data.push(b);
            }
            self.last_byte = now;
            if self.held == 0 {
                // Every later byte of this chunk arrived at `now`, right after this one: none
                // has guard silence before it, so none can start an escape. Copy them as is.
                data.extend_from_slice(&bytes[i + 1..]);
                return;
            }
        }
    }

    /// Bytes may have waited unread (the daemon was not reading the port): the time since the
    /// last byte is unknown, so it does not count as guard silence.
    pub fn forget_silence(&mut self, now: Instant) {
        self.last_byte = self.last_byte.max(now);
    }

    /// How many `+` bytes are held back right now.
    pub fn held(&self) -> usize {
        usize::from(self.held)
    }

    /// Give up on a possible escape: the held `+` bytes become data.
    pub fn release(&mut self, data: &mut Vec<u8>) {
        data.extend(std::iter::repeat_n(b'+', self.held as usize));
        self.held = 0;
    }

    /// When [`Self::on_time`] must next be called, if anything is pending.
    pub fn deadline(&self) -> Option<Instant> {
        match self.held {
            0 => None,
            3 => Some(self.last_byte + self.guard),
            _ => Some(self.first_plus + self.guard),
        }
    }

    pub fn on_time(&mut self, now: Instant) -> EscapeTick {
        match self.deadline() {
            Some(d) if now >= d => {
                if self.held == 3 {
                    self.held = 0;
                    EscapeTick::Escaped
                } else {
                    let mut out = Vec::new();
                    self.release(&mut out);
                    EscapeTick::Released(out)
                }
            }
            _ => EscapeTick::Idle,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: Duration = Duration::from_millis(1000);

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    #[test]
    fn pluses_later_in_a_chunk_are_data_without_a_second_look() {
        let t0 = Instant::now();
        let mut d = EscapeDetector::new(G, t0);
        let mut data = Vec::new();
        d.feed(b"+a+++b", at(t0, 1500), &mut data);
        assert_eq!(data, b"+a+++b");
        assert_eq!(d.held(), 0);
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn guarded_escape_in_one_chunk() {
        let t0 = Instant::now();
        let mut d = EscapeDetector::new(G, t0);
        let mut data = Vec::new();
        d.feed(b"+++", at(t0, 1500), &mut data);
        assert!(data.is_empty());
        assert_eq!(d.deadline(), Some(at(t0, 2500)));
        assert_eq!(d.on_time(at(t0, 2499)), EscapeTick::Idle);
        assert_eq!(d.on_time(at(t0, 2500)), EscapeTick::Escaped);
    }

    #[test]
    fn escape_typed_slowly_within_the_window() {
        let t0 = Instant::now();
        let mut d = EscapeDetector::new(G, t0);
        let mut data = Vec::new();
        d.feed(b"+", at(t0, 2000), &mut data);
        d.feed(b"+", at(t0, 2400), &mut data);
        d.feed(b"+", at(t0, 2900), &mut data);
        assert!(data.is_empty());
        assert_eq!(d.on_time(at(t0, 3900)), EscapeTick::Escaped);
    }

    #[test]
    fn no_silence_before_means_data() {
        let t0 = Instant::now();
        let mut d = EscapeDetector::new(G, t0);
        let mut data = Vec::new();
        d.feed(b"x+++", at(t0, 5000), &mut data);
        assert_eq!(data, b"x+++");
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn byte_after_plusses_releases_them() {
        let t0 = Instant::now();
        let mut d = EscapeDetector::new(G, t0);
        let mut data = Vec::new();
        d.feed(b"+++", at(t0, 5000), &mut data);
        d.feed(b"y", at(t0, 5500), &mut data);
        assert_eq!(data, b"+++y");
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn unknown_gaps_are_not_silence() {
        let t0 = Instant::now();
        let mut d = EscapeDetector::new(G, t0);
        let mut data = Vec::new();
        d.feed(b"x", at(t0, 100), &mut data);
        d.forget_silence(at(t0, 3000));
        d.feed(b"+++", at(t0, 3000), &mut data);
        assert_eq!(data, b"x+++");
    }

    #[test]
    fn zero_guard_time_disables_the_escape() {
        let t0 = Instant::now();
        let mut d = EscapeDetector::new(Duration::ZERO, t0);
        let mut data = Vec::new();
        d.feed(b"+++", at(t0, 5000), &mut data);
        assert_eq!(data, b"+++");
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn fourth_plus_breaks_the_escape() {
        let t0 = Instant::now();
        let mut d = EscapeDetector::new(G, t0);
        let mut data = Vec::new();
        d.feed(b"++++", at(t0, 5000), &mut data);
        assert_eq!(data, b"++++");
    }

    #[test]
    fn two_plusses_then_window_expires() {
        let t0 = Instant::now();
        let mut d = EscapeDetector::new(G, t0);
        let mut data = Vec::new();
        d.feed(b"++", at(t0, 5000), &mut data);
        assert_eq!(d.on_time(at(t0, 6000)), EscapeTick::Released(b"++".to_vec()));
        // a '+' after a further guard of silence may begin a new escape
        d.feed(b"+", at(t0, 6001), &mut data);
        assert!(data.is_empty());
        assert_eq!(d.deadline(), Some(at(t0, 7001)));
    }

    #[test]
    fn plusses_spread_over_more_than_guard_are_data() {
        let t0 = Instant::now();
        let mut d = EscapeDetector::new(G, t0);
        let mut data = Vec::new();
        d.feed(b"+", at(t0, 5000), &mut data);
        d.feed(b"+", at(t0, 5600), &mut data);
        let tick = d.on_time(at(t0, 6000));
        assert_eq!(tick, EscapeTick::Released(b"++".to_vec()));
    }
}
