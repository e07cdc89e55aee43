//! The GNSS commands driven straight into the module on the paused clock: `AT+QGPS=1` turns the
//! engine on, `AT+QGPSLOC` answers `+CME ERROR: 516` until the time to first fix has passed and
//! then the simulated fix in the three formats (time and date from the module clock),
//! `AT+QGPSEND` turns it off (505 after that, 504 for a second start). Every line TinyGSM and
//! the Sixfab library send is sent verbatim.

mod bench;

use std::time::Duration;

use bench::{Bench, ERROR, OK};
use qsslsim_modem::gnss::GnssPosition;
use qsslsim_modem::{Event, ModemConfig, Timing};

/// The `fast` profile's time to first fix.
const TTFF: Duration = Duration::from_secs(2);

/// The default fix at 2026-08-07 13:54:02 UTC (set with `AT+CCLK`), in each mode.
const LOC0: &str =
    "\r\n+QGPSLOC: 135402.000,5128.6728N,00000.0882W,1.0,46.0,3,000.00,0.0,0.0,070826,08\r\n\r\nOK\r\n";
const LOC1: &str =
    "\r\n+QGPSLOC: 135402.000,5128.672800N,00000.088200W,1.0,46.0,3,000.00,0.0,0.0,070826,08\r\n\r\nOK\r\n";
const LOC2: &str =
    "\r\n+QGPSLOC: 135402.000,51.47788,-0.00147,1.0,46.0,3,000.00,0.0,0.0,070826,08\r\n\r\nOK\r\n";

/// A module whose clock reads 2026-08-07 13:54:02 UTC.
fn bench(cfg: ModemConfig) -> Bench {
    let mut b = Bench::with(cfg);
    b.check("AT+CCLK=\"26/08/07,13:54:02+00\"", OK);
    b
}

#[test]
fn host_stack_gnss_lines_verbatim() {
    let mut b = bench(ModemConfig::default());
    // TinyGSM enableGPS / Sixfab turnOnGNSS.
    b.check("AT+QGPS=1", OK);
    b.check("AT+QGPS?", "\r\n+QGPS: 1\r\n\r\nOK\r\n");
    // Before the first fix: Not fixed now.
    b.check_cme("AT+QGPSLOC=2", 516);
    b.advance(TTFF);
    // The clock moved on by the time to first fix.
    b.check("AT+CCLK=\"26/08/07,13:54:02+00\"", OK);
    // TinyGSM getGPS / Sixfab getLatitude...: mode 2; Sixfab getFixedLocation: the read form.
    b.check("AT+QGPSLOC=2", LOC2);
    b.check("AT+QGPSLOC?", LOC0);
    // TinyGSM disableGPS / Sixfab turnOffGNSS.
    b.check("AT+QGPSEND", OK);
    b.check("AT+QGPS?", "\r\n+QGPS: 0\r\n\r\nOK\r\n");
}

#[test]
fn first_fix_comes_after_the_profiles_time_on_the_module_clock() {
    let mut b = bench(ModemConfig::default());
    b.check("AT+QGPS=1", OK);
    b.advance(TTFF - Duration::from_millis(1));
    b.check_cme("AT+QGPSLOC=0", 516);
    b.advance(Duration::from_millis(1));
    let got = b.at("AT+QGPSLOC=0");
    // 13:54:02 plus two seconds: the fix carries the module's UTC time and date.
    assert_eq!(
        got,
        "\r\n+QGPSLOC: 135404.000,5128.6728N,00000.0882W,1.0,46.0,3,000.00,0.0,0.0,070826,08\r\n\r\nOK\r\n"
    );
}

#[test]
fn instant_profile_fixes_at_once_in_all_three_formats() {
    let cfg = ModemConfig { timing: Timing::instant(), ..ModemConfig::default() };
    let mut b = bench(cfg);
    b.check("AT+QGPS=1", OK);
    b.check("AT+QGPSLOC=0", LOC0);
    b.check("AT+QGPSLOC=1", LOC1);
    b.check("AT+QGPSLOC=2", LOC2);
}

#[test]
fn realistic_profile_takes_half_a_minute() {
    let cfg = ModemConfig { timing: Timing::realistic(), ..ModemConfig::default() };
    let mut b = bench(cfg);
    b.check("AT+QGPS=1", OK);
    b.advance(Duration::from_secs(29));
    b.check_cme("AT+QGPSLOC=2", 516);
    b.advance(Duration::from_secs(1));
    assert!(b.at("AT+QGPSLOC=2").starts_with("\r\n+QGPSLOC: 135432.000,51.47788,-0.00147,"));
}

#[test]
fn configured_fix_south_east_and_without_altitude() {
    let cfg = ModemConfig {
        timing: Timing::instant(),
        gnss_position: GnssPosition::parse("-33.85678,151.21514").unwrap(),
        ..ModemConfig::default()
    };
    let mut b = bench(cfg);
    b.check("AT+QGPS=1", OK);
    b.check(
        "AT+QGPSLOC=0",
        "\r\n+QGPSLOC: 135402.000,3351.4068S,15112.9084E,1.0,0.0,3,000.00,0.0,0.0,070826,08\r\n\r\nOK\r\n",
    );
    b.check(
        "AT+QGPSLOC=2",
        "\r\n+QGPSLOC: 135402.000,-33.85678,151.21514,1.0,0.0,3,000.00,0.0,0.0,070826,08\r\n\r\nOK\r\n",
    );
}

#[test]
fn session_errors_off_ongoing_and_not_fixed() {
    let mut b = bench(ModemConfig::default());
    // Off: session not active.
    b.check_cme("AT+QGPSLOC=2", 505);
    b.check_cme("AT+QGPSLOC?", 505);
    b.check_cme("AT+QGPSEND", 505);
    b.check("AT+QGPS=1", OK);
    // A second start: session is ongoing.
    b.check_cme("AT+QGPS=1", 504);
    // Verbose texts from the GNSS table, and plain ERROR under AT+CMEE=0 (TinyGSM's setting).
    b.check("AT+CMEE=2", OK);
    b.check("AT+QGPSLOC=2", "\r\n+CME ERROR: Not fixed now\r\n");
    b.check("AT+QGPS=1", "\r\n+CME ERROR: Session is ongoing\r\n");
    b.check("AT+QGPSEND", OK);
    b.check("AT+QGPSEND", "\r\n+CME ERROR: Session not active\r\n");
    b.check("AT+QGPS=1,30,50,0,1,9", "\r\n+CME ERROR: Invalid parameter\r\n");
    b.check("AT+CMEE=0", OK);
    b.check("AT+QGPSLOC=2", ERROR);
    // Every refusal is logged in the trace with its reason.
    let refused: Vec<_> = b
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Refused { command, result, .. } if command.starts_with("AT+QGPS") => {
                Some(format!("{command} {result}"))
            }
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 9, "{refused:?}");
    assert_eq!(refused.last().unwrap(), "AT+QGPSLOC +CME ERROR: 505");
}

#[test]
fn bad_parameters_and_forms_answer_501_and_other_modes_502() {
    let mut b = bench(ModemConfig::default());
    for bad in [
        "AT+QGPS=0",
        "AT+QGPS=5",
        "AT+QGPS=1,0",
        "AT+QGPS=1,256",
        "AT+QGPS=1,30,0",
        "AT+QGPS=1,30,1001",
        "AT+QGPS=1,30,50,1001",
        "AT+QGPS=1,30,50,0,0",
        "AT+QGPS=1,30,50,0,65536",
        "AT+QGPS=\"1\"",
        "AT+QGPS",
        "AT+QGPSLOC=3",
        "AT+QGPSLOC=-1",
        "AT+QGPSLOC=2,1",
        "AT+QGPSLOC",
        "AT+QGPSEND=1",
        "AT+QGPSEND?",
    ] {
        b.check_cme(bad, 501);
    }
    b.check_cme("AT+QGPS=2", 502);
    b.check_cme("AT+QGPS=4", 502);
    b.check("AT+QGPS?", "\r\n+QGPS: 0\r\n\r\nOK\r\n");
}

#[test]
fn test_forms() {
    let mut b = bench(ModemConfig::default());
    b.check("AT+QGPS=?", "\r\n+QGPS: (1-4),(1-255),(1-1000),(0-1000),(1-65535)\r\n\r\nOK\r\n");
    b.check("AT+QGPSEND=?", OK);
    b.check(
        "AT+QGPSLOC=?",
        "\r\n+QGPSLOC: <UTC>,<latitude>,<longitude>,<hdop>,<altitude>,<fix>,<cog>,<spkm>,<spkn>,<date>,<nsat>\r\n\r\nOK\r\n",
    );
}

#[test]
fn fix_count_ends_the_session_by_itself() {
    let mut b = bench(ModemConfig::default());
    // Three fixes five seconds apart: the first after the time to first fix, the last ten
    // seconds later; then the engine is off.
    b.check("AT+QGPS=1,30,50,3,5", OK);
    b.advance(TTFF + Duration::from_secs(10));
    assert!(b.at("AT+QGPSLOC=2").starts_with("\r\n+QGPSLOC: 135414.000,"));
    b.advance(Duration::from_millis(1));
    b.check("AT+QGPS?", "\r\n+QGPS: 0\r\n\r\nOK\r\n");
    b.check_cme("AT+QGPSLOC=2", 505);
    // And can be started again.
    b.check("AT+QGPS=1", OK);
}

#[test]
fn a_restart_turns_gnss_off() {
    let mut b = bench(ModemConfig::default());
    b.check("AT+QGPS=1", OK);
    b.check("AT+CFUN=1,1", OK);
    b.advance(Duration::from_secs(1));
    b.writes.clear();
    b.check("ATE0", "ATE0\r\r\nOK\r\n");
    b.check("AT+QGPS?", "\r\n+QGPS: 0\r\n\r\nOK\r\n");
}
