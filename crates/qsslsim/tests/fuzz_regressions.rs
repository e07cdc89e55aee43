//! Inputs the `control_request` fuzzer target (fuzz/, `make fuzz`) and its harness found,
//! replayed on stable through the very harness code the target runs
//! (fuzz/harness/control.rs, included below), plus the seed corpus.

#[path = "../../../fuzz/harness/control.rs"]
mod control_harness;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use qsslsim::control::parse_time;
use qsslsim_modem::{Modem, ModemConfig, Output};

#[test]
fn control_seed_corpus_replays_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/control_request");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        control_harness::run(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 10, "{n} seeds in {}", dir.display());
}

/// Panic in `ModuleClock::utc` (`OffsetDateTime + Duration` out of range): found while
/// writing the control harness (by reading what a request can reach) and confirmed with it;
/// libFuzzer had not produced a year-9999 time in 8 minutes, so the input is now a seed, and
/// the modem target's CLOCK op sets times near both ends of the range.
/// `{"verb":"clock","time":"9999-12-31T23:59:59Z"}` is a valid request
/// (RFC 3339 allows year 9999), and once the module clock sat at the end of what `time` can
/// hold, the next `AT+CCLK?`, `AT+QSSLOPEN` (certificate time) or `ctl state` a second later
/// panicked and took the daemon's event loop down. The clock now stops at its last instant.
#[test]
fn crash_clock_set_to_the_end_of_year_9999() {
    control_harness::run(br#"{"verb":"clock","time":"9999-12-31T23:59:59Z"}"#);
    control_harness::run(br#"{"verb":"clock","time":"9999-12-31T23:59:59.999999999-14:00"}"#);
    control_harness::run(br#"{"verb":"clock","time":"9999-12-31T00:00:00Z"}"#);

    let t0 = Instant::now();
    let mut m = Modem::new(ModemConfig::default(), t0, SystemTime::now());
    let (utc, zone) = parse_time("9999-12-31T23:59:59Z").unwrap();
    m.set_clock(utc, zone, t0);
    m.host_input(b"ATE0\rAT+CCLK?\r", t0 + Duration::from_secs(3600));
    let mut host = Vec::new();
    while let Some(out) = m.poll_output() {
        if let Output::Host(w) = out {
            host.extend(w);
        }
    }
    let host = String::from_utf8(host).unwrap();
    assert!(host.ends_with("\r\n+CCLK: \"99/12/31,23:59:59+00\"\r\n\r\nOK\r\n"), "{host:?}");
    assert_eq!(m.snapshot()["clock"], "99/12/31,23:59:59+00");
}
