//! The module's real-time clock (`AT+CCLK`): starts at host time and runs on the daemon's
//! (possibly paused) monotonic clock; setting it shifts an offset. Its time zone is kept in
//! quarter hours. Certificate validity is checked against it.

use std::time::{Instant, SystemTime};

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `yy/MM/dd,hh:mm:ss` as `AT+CCLK` prints it (the zone follows in quarter hours, which
/// `time` has no component for).
const CCLK_DATE_TIME: &[FormatItem<'static>] =
    format_description!("[year repr:last_two]/[month]/[day],[hour]:[minute]:[second]");
/// The same with the century written out, for parsing (the module's years are 20yy).
const CCLK_DATE_TIME_FULL_YEAR: &[FormatItem<'static>] =
    format_description!("[year]/[month]/[day],[hour]:[minute]:[second]");

#[derive(Debug, Clone)]
pub struct ModuleClock {
    /// Wall time (UTC) at `start`, plus the offset the host set.
    base: OffsetDateTime,
    start: Instant,
    /// Zone in quarter hours, as `AT+CCLK` writes it.
    zone_quarters: i8,
}

impl ModuleClock {
    pub fn new(wall: SystemTime, now: Instant) -> Self {
        ModuleClock { base: OffsetDateTime::from(wall), start: now, zone_quarters: 0 }
    }

    /// The module's current time in UTC. It stops at the last instant `time` can hold (the
    /// end of year 9999) instead of panicking: the control socket can set the clock there.
    pub fn utc(&self, now: Instant) -> OffsetDateTime {
        let elapsed = time::Duration::try_from(now.saturating_duration_since(self.start));
        self.base.saturating_add(elapsed.unwrap_or(time::Duration::MAX))
    }

    /// Unix seconds, for the certificate verifier.
    pub fn unix_seconds(&self, now: Instant) -> u64 {
        self.utc(now).unix_timestamp().max(0) as u64
    }

    /// `yy/MM/dd,hh:mm:ss±zz` in the module's zone.
    pub fn format(&self, now: Instant) -> String {
        let offset = UtcOffset::from_whole_seconds(self.zone_quarters as i32 * 900).unwrap_or(UtcOffset::UTC);
        // Near the end of year 9999 the local time may not be representable: show UTC then.
        let utc = self.utc(now);
        let t = utc.checked_to_offset(offset).unwrap_or(utc);
        let sign = if self.zone_quarters < 0 { '-' } else { '+' };
        let date_time = t.format(CCLK_DATE_TIME).unwrap_or_default();
        format!("{date_time}{sign}{:02}", self.zone_quarters.unsigned_abs())
    }

    /// `yyyy/MM/dd,hh:mm:ss±zz` as `AT+QLTS` prints it: local time in the module's zone, or
    /// UTC with the zone still named when `utc` is set (`AT+QLTS=1`).
    pub fn format_full(&self, now: Instant, utc_time: bool) -> String {
        let offset = UtcOffset::from_whole_seconds(self.zone_quarters as i32 * 900).unwrap_or(UtcOffset::UTC);
        let utc = self.utc(now);
        let t = if utc_time { utc } else { utc.checked_to_offset(offset).unwrap_or(utc) };
        let sign = if self.zone_quarters < 0 { '-' } else { '+' };
        let date_time = t.format(CCLK_DATE_TIME_FULL_YEAR).unwrap_or_default();
        format!("{date_time}{sign}{:02}", self.zone_quarters.unsigned_abs())
    }

    /// The zone in quarter hours.
    pub fn zone_quarters(&self) -> i8 {
        self.zone_quarters
    }

    /// Set from `yy/MM/dd,hh:mm:ss±zz`; `None` if the text is not a valid time.
    pub fn set(&mut self, text: &str, now: Instant) -> Option<()> {
        let (utc, zone) = parse_cclk(text)?;
        self.base = utc - now.saturating_duration_since(self.start);
        self.zone_quarters = zone;
        Some(())
    }

    /// Set the module clock to a UTC instant (control socket, scenarios), and its zone in
    /// quarter hours when given.
    pub fn set_utc(&mut self, utc: OffsetDateTime, zone_quarters: Option<i8>, now: Instant) {
        self.base = utc - now.saturating_duration_since(self.start);
        if let Some(zone) = zone_quarters {
            self.zone_quarters = zone;
        }
    }
}

/// Parse `yy/MM/dd,hh:mm:ss±zz` into UTC and the zone in quarter hours (−48..=+56).
pub fn parse_cclk(text: &str) -> Option<(OffsetDateTime, i8)> {
    let b = text.as_bytes();
    if b.len() != 20 || !b[18..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let date_time =
        PrimitiveDateTime::parse(&format!("20{}", text.get(..17)?), CCLK_DATE_TIME_FULL_YEAR).ok()?;
    let sign = match b[17] {
        b'+' => 1i32,
        b'-' => -1,
        _ => return None,
    };
    let quarters = sign * text.get(18..)?.parse::<i32>().ok()?;
    if !(-48..=56).contains(&quarters) {
        return None;
    }
    let offset = UtcOffset::from_whole_seconds(quarters * 900).ok()?;
    let local = date_time.assume_offset(offset);
    Some((local.to_offset(UtcOffset::UTC), quarters as i8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn set_then_read_back_in_the_same_zone() {
        let now = Instant::now();
        let mut c = ModuleClock::new(SystemTime::UNIX_EPOCH, now);
        c.set("26/08/07,13:54:02+32", now).unwrap();
        assert_eq!(c.format(now), "26/08/07,13:54:02+32");
        assert_eq!(c.format(now + Duration::from_secs(61)), "26/08/07,13:55:03+32");
        // +32 quarters = +8 h, so UTC is 05:54:02.
        assert_eq!(c.utc(now).hour(), 5);
    }

    #[test]
    fn negative_zone_and_bad_input() {
        let now = Instant::now();
        let mut c = ModuleClock::new(SystemTime::UNIX_EPOCH, now);
        c.set("30/01/31,23:00:00-20", now).unwrap();
        assert_eq!(c.format(now), "30/01/31,23:00:00-20");
        for bad in [
            "26/13/01,00:00:00+00",
            "26/02/30,00:00:00+00",
            "26/01/01,24:00:00+00",
            "26/01/01,00:00:00+99",
            "26/01/01 00:00:00+00",
            "",
        ] {
            assert!(c.set(bad, now).is_none(), "{bad}");
        }
    }

    #[test]
    fn starts_at_host_time() {
        let now = Instant::now();
        let c = ModuleClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(86400), now);
        assert_eq!(c.format(now), "70/01/02,00:00:00+00");
        assert_eq!(c.unix_seconds(now + Duration::from_secs(5)), 86405);
    }
}
