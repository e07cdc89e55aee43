//! The `scenario` fuzz harness, shared with crates/qsslsim-modem/tests/fuzz_regressions.rs.
//!
//! Arbitrary text into `Scenario::parse`: it must return `Ok` or `Err`, never panic. An error
//! must name a line (`line N: ...`) within the text. A scenario that loads is then driven
//! through every trigger (commands, opens, byte counts, events, time) and `glob` is run on
//! pieces of the input, all without panicking.

use std::time::{Duration, Instant};

use qsslsim_modem::scenario::{glob, EventKind, Scenario};

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        // The daemon reads scenario files as UTF-8 text; still, the lossy text must not panic.
        let _ = Scenario::parse(&String::from_utf8_lossy(data));
        return;
    };
    // glob on the two halves of the input (patterns are user text too).
    let mid = (0..=text.len() / 2).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    let (p, t) = text.split_at(mid);
    let _ = glob(p, t);
    let _ = glob(t, p);
    match Scenario::parse(text) {
        Err(e) => {
            let line: usize = e
                .strip_prefix("line ")
                .and_then(|r| r.split(':').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("error without a line: {e:?}"));
            let lines = text.split('\n').count();
            assert!(line <= lines.max(1), "error names line {line} of {lines}: {e:?}");
        }
        Ok(mut s) => {
            let t0 = Instant::now();
            s.start(t0);
            let mut now = t0;
            for step in 0..4u64 {
                now += Duration::from_millis(10u64.pow(step as u32));
                let _ = s.on_command("AT+QSSLSEND=4,18", now);
                let _ = s.on_command(t, now);
                let _ = s.on_open("192.0.2.2", 8010, now);
                let _ = s.on_open(p, 443, now);
                let _ = s.on_bytes((step % 12) as u8, step, step * 1000, step * 1000, now);
                for kind in [
                    EventKind::Open,
                    EventKind::Connected,
                    EventKind::OpenFailed,
                    EventKind::Closed,
                    EventKind::SendOk,
                    EventKind::Recv,
                ] {
                    let _ = s.on_event(kind, (step % 12) as u8, now);
                }
                if let Some(d) = s.next_deadline() {
                    now = now.max(d);
                }
                let _ = s.due(now);
            }
        }
    }
}
