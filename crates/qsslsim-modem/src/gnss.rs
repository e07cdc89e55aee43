//! The GNSS engine: off or in a session, when the session's first fix comes (the timing
//! profile's time to first fix), when a session with a fix count turns itself off, and the one
//! simulated position it reports (`--gnss-fix`), written in the three `AT+QGPSLOC` formats.
//! The commands (`AT+QGPS`, `AT+QGPSEND`, `AT+QGPSLOC`) are in [`crate::cmd::gnss`].

use std::time::{Duration, Instant};

use time::macros::format_description;
use time::OffsetDateTime;

/// Where the simulated receiver is: degrees (north and east positive) and metres above sea
/// level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GnssPosition {
    pub lat: f64,
    pub lon: f64,
    pub alt: f64,
}

impl GnssPosition {
    /// The default fix: the Royal Observatory, Greenwich (a fixed test location; west of the
    /// meridian, so the sign and the `W` are exercised).
    pub const DEFAULT: GnssPosition = GnssPosition { lat: 51.47788, lon: -0.00147, alt: 46.0 };

    /// `LAT,LON[,ALT]` in decimal degrees and metres (altitude 0 when left out). Latitude
    /// within ±89.99999 and longitude within ±179.99999, the ranges `AT+QGPSLOC` prints.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(format!("{text:?} is not LAT,LON[,ALT]"));
        }
        let num = |s: &str, what: &str| -> Result<f64, String> {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{what} {s:?} is not a number"))
        };
        let lat = num(parts[0], "latitude")?;
        let lon = num(parts[1], "longitude")?;
        let alt = parts.get(2).map_or(Ok(0.0), |a| num(a, "altitude"))?;
        if lat.abs() >= 90.0 || lon.abs() >= 180.0 {
            return Err(format!("{lat},{lon} is outside latitude ±89.99999, longitude ±179.99999"));
        }
        if !(-1000.0..=20000.0).contains(&alt) {
            return Err(format!("altitude {alt} m is outside -1000 to 20000"));
        }
        Ok(GnssPosition { lat, lon, alt })
    }
}

impl Default for GnssPosition {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The fields of every fix beside the position and time (policy `gnss-fix`): one table.
pub struct FixReport {
    pub hdop: &'static str,
    /// 3: a 3D fix.
    pub fix: u8,
    /// Course over ground, `ddd.mm`: standing still.
    pub cog: &'static str,
    pub spkm: &'static str,
    pub spkn: &'static str,
    pub nsat: u8,
}

pub const FIX_REPORT: FixReport =
    FixReport { hdop: "1.0", fix: 3, cog: "000.00", spkm: "0.0", spkn: "0.0", nsat: 8 };

/// `AT+QGPS=<gnssmode>[,<fixmaxtime>[,<fixmaxdist>[,<fixcount>[,<fixrate>]]]]`, defaults
/// filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    pub fixmaxtime: u16,
    pub fixmaxdist: u16,
    /// 0: fix until `AT+QGPSEND`; n: turn off after the n-th fix.
    pub fixcount: u16,
    /// Seconds between fixes.
    pub fixrate: u32,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings { fixmaxtime: 30, fixmaxdist: 50, fixcount: 0, fixrate: 1 }
    }
}

#[derive(Debug, Clone, Copy)]
struct Session {
    first_fix: Instant,
    /// When a session with a fix count has taken its last fix and turns itself off.
    ends: Option<Instant>,
}

/// What the engine is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GnssState {
    Off,
    /// On, no fix yet.
    Searching,
    Fixed,
}

/// The engine (forgotten on restart, like the session on hardware).
#[derive(Debug, Clone, Default)]
pub struct Gnss {
    session: Option<Session>,
}

impl Gnss {
    pub fn state(&self, now: Instant) -> GnssState {
        match self.session {
            None => GnssState::Off,
            Some(s) if s.ends.is_some_and(|end| now >= end) => GnssState::Off,
            Some(s) if now < s.first_fix => GnssState::Searching,
            Some(_) => GnssState::Fixed,
        }
    }

    /// Start a session: the first fix comes `ttff` from now; with a fix count the engine
    /// turns off after its last fix (`fixrate` seconds apart).
    pub fn start(&mut self, now: Instant, ttff: Duration, settings: SessionSettings) {
        let first_fix = now + ttff;
        let ends = (settings.fixcount > 0).then(|| {
            let later = u64::from(settings.fixcount - 1) * u64::from(settings.fixrate);
            // Just after the last fix, so the host can read it at that instant.
            first_fix + Duration::from_secs(later) + Duration::from_millis(1)
        });
        self.session = Some(Session { first_fix, ends });
    }

    pub fn stop(&mut self) {
        self.session = None;
    }

    /// Seconds from now to the first fix, for the log (0 once fixed).
    pub fn until_fix(&self, now: Instant) -> Duration {
        self.session.map_or(Duration::ZERO, |s| s.first_fix.saturating_duration_since(now))
    }
}

/// `<latitude>,<longitude>` display format of `AT+QGPSLOC=<mode>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocMode {
    /// `ddmm.mmmmN,dddmm.mmmmE`
    Minutes4 = 0,
    /// `ddmm.mmmmmmN,dddmm.mmmmmmE`
    Minutes6 = 1,
    /// `(-)dd.ddddd,(-)ddd.ddddd`
    Degrees = 2,
}

/// Degrees as `[d]ddmm.mmmm[mm]` and a hemisphere letter, rounded in minutes so that 59.99999
/// minutes carry into the degrees.
fn degrees_minutes(value: f64, deg_digits: usize, decimals: u32, pos: char, neg: char) -> String {
    let scale = 10u64.pow(decimals);
    let total = (value.abs() * 60.0 * scale as f64).round() as u64;
    let (deg, min) = (total / (60 * scale), total % (60 * scale));
    let hemisphere = if value < 0.0 { neg } else { pos };
    let dec = decimals as usize;
    format!("{deg:0deg_digits$}{:02}.{:0dec$}{hemisphere}", min / scale, min % scale)
}

/// The information line of `AT+QGPSLOC` for a fix of `pos` at `utc` (the module clock):
/// `+QGPSLOC: <UTC>,<lat>,<lon>,<hdop>,<alt>,<fix>,<cog>,<spkm>,<spkn>,<date>,<nsat>`.
pub fn location_line(pos: GnssPosition, mode: LocMode, utc: OffsetDateTime) -> String {
    let (lat, lon) = match mode {
        LocMode::Minutes4 => {
            (degrees_minutes(pos.lat, 2, 4, 'N', 'S'), degrees_minutes(pos.lon, 3, 4, 'E', 'W'))
        }
        LocMode::Minutes6 => {
            (degrees_minutes(pos.lat, 2, 6, 'N', 'S'), degrees_minutes(pos.lon, 3, 6, 'E', 'W'))
        }
        LocMode::Degrees => (format!("{:.5}", pos.lat), format!("{:.5}", pos.lon)),
    };
    // The fix of the current second: the receiver fixes once a second, on the second.
    let time = utc.format(format_description!("[hour][minute][second].000")).unwrap_or_default();
    let date = utc.format(format_description!("[day][month][year repr:last_two]")).unwrap_or_default();
    let r = FIX_REPORT;
    format!(
        "+QGPSLOC: {time},{lat},{lon},{},{:.1},{},{},{},{},{date},{:02}",
        r.hdop, pos.alt, r.fix, r.cog, r.spkm, r.spkn, r.nsat
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn three_formats_of_the_default_fix() {
        let utc = datetime!(2026-08-07 13:54:02.75 UTC);
        let p = GnssPosition::DEFAULT;
        assert_eq!(
            location_line(p, LocMode::Minutes4, utc),
            "+QGPSLOC: 135402.000,5128.6728N,00000.0882W,1.0,46.0,3,000.00,0.0,0.0,070826,08"
        );
        assert_eq!(
            location_line(p, LocMode::Minutes6, utc),
            "+QGPSLOC: 135402.000,5128.672800N,00000.088200W,1.0,46.0,3,000.00,0.0,0.0,070826,08"
        );
        assert_eq!(
            location_line(p, LocMode::Degrees, utc),
            "+QGPSLOC: 135402.000,51.47788,-0.00147,1.0,46.0,3,000.00,0.0,0.0,070826,08"
        );
    }

    #[test]
    fn south_east_and_minute_carry() {
        assert_eq!(degrees_minutes(-33.85678, 2, 4, 'N', 'S'), "3351.4068S");
        assert_eq!(degrees_minutes(151.21514, 3, 4, 'E', 'W'), "15112.9084E");
        // 59.999999 minutes round to the next degree.
        assert_eq!(degrees_minutes(10.9999999, 2, 4, 'N', 'S'), "1100.0000N");
    }

    #[test]
    fn parse_checks_ranges() {
        assert_eq!(
            GnssPosition::parse("1.5,-2.25").unwrap(),
            GnssPosition { lat: 1.5, lon: -2.25, alt: 0.0 }
        );
        assert_eq!(GnssPosition::parse("1,2,3.5").unwrap().alt, 3.5);
        for bad in ["1", "1,2,3,4", "90,0", "0,180", "x,1", "1,2,99999", "nan,1"] {
            assert!(GnssPosition::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fix_count_turns_the_engine_off_after_the_last_fix() {
        let t0 = Instant::now();
        let mut g = Gnss::default();
        assert_eq!(g.state(t0), GnssState::Off);
        let s = SessionSettings { fixcount: 3, fixrate: 2, ..Default::default() };
        g.start(t0, Duration::from_secs(5), s);
        assert_eq!(g.state(t0 + Duration::from_millis(4999)), GnssState::Searching);
        assert_eq!(g.state(t0 + Duration::from_secs(5)), GnssState::Fixed);
        assert_eq!(g.state(t0 + Duration::from_secs(9)), GnssState::Fixed);
        assert_eq!(g.state(t0 + Duration::from_millis(9001)), GnssState::Off);
    }
}
