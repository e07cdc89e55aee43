//! Inputs the fuzzers (fuzz/, `make fuzz`) found, replayed on stable through the very harness
//! code the fuzz targets run (fuzz/harness/*.rs, included below), plus the seed corpora.
//!
//! To replay any crash file: `FUZZ_INPUT=fuzz/artifacts/modem/crash-... cargo test -p
//! qsslsim-modem --test fuzz_regressions replay_one -- --ignored --nocapture`
//! (`FUZZ_TARGET=scenario` for a scenario input).

#[path = "../../../fuzz/harness/modem.rs"]
#[allow(dead_code)]
mod modem_harness;
#[path = "../../../fuzz/harness/mux.rs"]
mod mux_harness;
#[path = "../../../fuzz/harness/scenario.rs"]
mod scenario_harness;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use qsslsim_modem::scenario::Scenario;
use qsslsim_modem::{Modem, ModemConfig, NetAction, NetEvent, Output};

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.into_iter().map(|p| (p.display().to_string(), std::fs::read(&p).unwrap())).collect()
}

#[test]
fn modem_seed_corpus_replays_clean() {
    let seeds = corpus("modem");
    assert!(seeds.len() >= 10);
    for (name, data) in seeds {
        let out = std::panic::catch_unwind(|| modem_harness::run(&data));
        assert!(out.is_ok(), "seed {name} fails");
    }
}

#[test]
fn mux_seed_corpus_replays_clean() {
    let seeds = corpus("mux");
    assert!(!seeds.is_empty());
    for (_, data) in seeds {
        mux_harness::run(&data);
    }
}

#[test]
fn scenario_seed_corpus_replays_clean() {
    for (_, data) in corpus("scenario") {
        scenario_harness::run(&data);
    }
}

#[test]
#[ignore = "replays the file named by FUZZ_INPUT"]
fn replay_one() {
    let path = std::env::var("FUZZ_INPUT").expect("set FUZZ_INPUT to a fuzz input file");
    // Relative paths are taken from the repository root.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match std::env::var("FUZZ_TARGET").as_deref() {
        Ok("scenario") => scenario_harness::run(&data),
        _ => {
            let transcript = modem_harness::run_transcript(&data);
            println!("{}", String::from_utf8_lossy(&transcript).escape_debug());
        }
    }
}

// ---- crashes found by the `modem` target ---------------------------------------------------

/// A module with `scenario` loaded, PDP context 1 active.
fn module(scenario: &str) -> (Modem, Instant) {
    let t0 = Instant::now();
    let mut m =
        Modem::new(ModemConfig::default(), t0, SystemTime::UNIX_EPOCH + Duration::from_secs(1_779_235_200));
    m.load_scenario(Scenario::parse(scenario).unwrap(), t0);
    m.host_input(b"ATE0\rAT+QIACT=1\r", t0);
    drain(&mut m);
    (m, t0)
}

/// Host bytes and network actions produced so far.
fn drain(m: &mut Modem) -> (String, Vec<NetAction>) {
    let (mut host, mut net) = (Vec::new(), Vec::new());
    while let Some(out) = m.poll_output() {
        match out {
            Output::Host(w) => host.extend(w),
            Output::Net(a) => net.push(a),
            Output::Event(_) => {}
        }
    }
    (String::from_utf8_lossy(&host).into_owned(), net)
}

/// Let URC gaps pass.
fn settle(m: &mut Modem, now: &mut Instant) -> String {
    let mut host = String::new();
    while let Some(d) = m.next_deadline() {
        *now = (*now).max(d);
        m.on_time(*now);
        host += &drain(m).0;
    }
    host
}

fn open_conn(net: &[NetAction]) -> (u8, u64) {
    net.iter()
        .find_map(|a| match a {
            NetAction::Open(r) => Some((r.id, r.conn)),
            _ => None,
        })
        .expect("an Open action")
}

/// Crash 1, stack overflow (found in 5 min): a scenario rule `after_event = "open_failed"` that
/// fires `pdp_lost` recursed without end. `open_failed` told the scenario before it released
/// the socket, so the PDP loss found the socket still opening, failed it again, told the
/// scenario again... Minimized input: config 0x4E (scenario 6, realistic timing, test PKI),
/// `AT+QIACT=1`, a mode-0/1 open, `AT+QIDEACT=1`.
#[test]
fn crash_open_failed_rule_firing_pdp_lost_recursed() {
    modem_harness::run(b"\x4e\x00\x0bAT+QIACT=1\rAM:C");
    modem_harness::run(include_bytes!("../../../fuzz/corpus/modem/scenario-6"));

    let rule = "[[rule]]\nwhen = { after_event = \"open_failed\" }\nfault = { kind = \"pdp_lost\", ctx = 1 }\nrepeat = true\n";
    let (mut m, mut now) = module(rule);
    m.host_input(b"AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0\r", now);
    let (host, net) = drain(&mut m);
    assert_eq!(host, "\r\nOK\r\n");
    open_conn(&net);
    m.host_input(b"AT+QIDEACT=1\r", now);
    let mut host = drain(&mut m).0;
    host += &settle(&mut m, &mut now);
    // One failure for the one open; the rule's own PDP loss finds nothing left to fail.
    assert_eq!(host, "\r\nOK\r\n\r\n+QSSLOPEN: 4,570\r\n\r\n+QIURC: \"pdpdeact\",1\r\n");
}

/// The same recursion through `after_event = "closed"`: `connection_lost` told the scenario
/// before marking the socket Closing, so `pdp_lost` found it connected and lost it again.
#[test]
fn crash_closed_rule_firing_pdp_lost_recursed() {
    let rule = "[[rule]]\nwhen = { after_event = \"closed\" }\nfault = { kind = \"pdp_lost\", ctx = 1 }\nrepeat = true\n";
    let (mut m, mut now) = module(rule);
    m.host_input(b"AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0\r", now);
    let (id, conn) = open_conn(&drain(&mut m).1);
    m.net_event(
        NetEvent::Opened { id, conn, remote: "192.0.2.2:8010".parse().unwrap(), local_port: 50000 },
        now,
    );
    settle(&mut m, &mut now);
    m.net_event(NetEvent::RemoteClosed { id, conn, cause: "peer closed".into() }, now);
    let host = drain(&mut m).0 + &settle(&mut m, &mut now);
    assert_eq!(host, "\r\n+QSSLURC: \"closed\",4\r\n\r\n+QIURC: \"pdpdeact\",1\r\n");
}

/// Found with the two above: a rule on `after_event = "open"` ran before a transparent open
/// marked the port busy, so a `pdp_lost` it fired failed the open first and the port then
/// waited forever for a `CONNECT` that could not come.
#[test]
fn open_rule_failing_a_transparent_open_leaves_the_port_usable() {
    let rule = "[[rule]]\nwhen = { after_event = \"open\" }\nfault = { kind = \"pdp_lost\", ctx = 1 }\n";
    let (mut m, mut now) = module(rule);
    m.host_input(b"AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,2\r", now);
    let host = drain(&mut m).0;
    assert_eq!(host, "\r\nERROR\r\n");
    m.host_input(b"AT\r", now);
    let host = drain(&mut m).0 + &settle(&mut m, &mut now);
    assert_eq!(host, "\r\nOK\r\n\r\n+QIURC: \"pdpdeact\",1\r\n");
}

/// Crash 2, `attempt to add with overflow` (found in 9 min): two `send_buffer_full` faults
/// with `count` 4294967295 on one socket (`{"kind":"send_buffer_full","socket":8,
/// "count":4294967295}` twice on the control socket) overflowed the socket's pending
/// SEND FAIL count: a panic in debug builds, a wrap to a few in release. Counts saturate now.
/// Minimized input: config 0xF8, then FAULT send_buffer_full(socket 8, count u32::MAX) twice.
#[test]
fn crash_send_buffer_full_counts_overflowed() {
    modem_harness::run(b"\xf8\xc5\xf8\xf8\xc5\xf8\xf8");

    let (mut m, now) = module("");
    for socket in [Some(8), None] {
        for _ in 0..2 {
            m.inject(qsslsim_modem::Fault::SendBufferFull { socket, count: Some(u32::MAX) }, now);
        }
    }
    assert_eq!(drain(&mut m).0, "");
}

/// The year-9999 clock panic (see crates/qsslsim/tests/fuzz_regressions.rs) through the
/// modem harness: CLOCK near the end of year 9999, a second passes, `AT+CCLK?`.
#[test]
fn crash_clock_at_the_end_of_year_9999_through_the_modem_harness() {
    let cclk = modem_harness::LINES.iter().position(|l| *l == "AT+CCLK?\r").unwrap() as u8;
    let mut input = vec![0x00];
    input.extend([0x18, 0x00, 0x00]); // CLOCK hi=1: 9999-12-31T23:59:59Z
    input.extend([0x02, 0xe8, 0x03]); // TIME 1000 ms
    input.extend([0x01, cclk]); // LINE AT+CCLK?
    let transcript = modem_harness::run_transcript(&input);
    assert!(
        transcript.ends_with(b"\r\n+CCLK: \"99/12/31,23:59:59+00\"\r\n\r\nOK\r\n"),
        "{:?}",
        String::from_utf8_lossy(&transcript)
    );
}
