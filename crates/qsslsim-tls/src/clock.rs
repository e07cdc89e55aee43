//! The module clock as the TLS layer sees it: conversion from a wall-clock reading to the
//! `UnixTime` that certificate checks use, and a stable text form for error messages.

use std::time::{Duration, SystemTime};

use rustls_pki_types::UnixTime;

/// The module clock reading `system` as a `UnixTime`. Readings before 1970 clamp to the epoch.
pub fn module_time_from(system: SystemTime) -> UnixTime {
    let since_epoch = system.duration_since(SystemTime::UNIX_EPOCH).unwrap_or(Duration::ZERO);
    UnixTime::since_unix_epoch(since_epoch)
}

/// A `UnixTime` written as RFC 3339 in UTC with second precision, e.g. `2020-01-01T00:00:00Z`.
pub fn format_time(t: UnixTime) -> String {
    let secs = i64::try_from(t.as_secs()).unwrap_or(i64::MAX);
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(dt) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        ),
        Err(_) => format!("@{secs}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_epoch_and_a_known_date() {
        assert_eq!(format_time(UnixTime::since_unix_epoch(Duration::ZERO)), "1970-01-01T00:00:00Z");
        // 2020-01-01T00:00:00Z
        assert_eq!(
            format_time(UnixTime::since_unix_epoch(Duration::from_secs(1_577_836_800))),
            "2020-01-01T00:00:00Z"
        );
    }

    #[test]
    fn clamps_before_epoch() {
        let early = SystemTime::UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(module_time_from(early).as_secs(), 0);
        let later = SystemTime::UNIX_EPOCH + Duration::from_secs(42);
        assert_eq!(module_time_from(later).as_secs(), 42);
    }
}
