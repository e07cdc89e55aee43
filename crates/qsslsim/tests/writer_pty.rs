//! What waits between the module and a slow host on a real pty: the host reads 1 KiB every
//! 10 ms (about a 921 600-baud UART) while a `source` peer streams faster. A control answer
//! must reach it within a few KB of its reading, as through a real module's UART, so the
//! daemon must keep the pty's own buffer small too, not only its queue. Defect 3 of issue 9:
//! the host read about 100 KB between `+++` and `OK`, and 70–80 KB between `AT+QSSLCLOSE`
//! and `OK` in push mode.
//!
//! Measured in bytes the host read, not in time, so a busy machine that delays the host's
//! reads cannot fail it: at 1 KiB per 10 ms, 30 KiB is 300 ms of the host's pace.

mod support;

use std::time::Duration;

use support::{Daemon, Peer, Port};

const CHUNK: usize = 1024;
const EVERY: Duration = Duration::from_millis(10);
/// `--guard-time` in ms.
const GUARD_MS: usize = 200;

fn open(mode: u8) -> (Peer, Daemon, Port) {
    let peer = Peer::start("source");
    let d = Daemon::start(&["--guard-time", &GUARD_MS.to_string()]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.send(format!("AT+QSSLOPEN=1,0,0,\"127.0.0.1\",{},{mode}\r", peer.addr.port()).as_bytes());
    let want: &[u8] = if mode == 2 { b"\r\nCONNECT\r\n" } else { b"\r\n+QSSLOPEN: 0,0\r\n" };
    p.read_until(want, Duration::from_secs(10));
    // Steady state, and (transparent) well over the guard time of silence from the host.
    let (_, read) = p.read_paced_until(CHUNK, EVERY, None, Duration::from_secs(1));
    assert!(read > 40 * CHUNK, "the slow host read only {read} bytes in 1 s");
    (peer, d, p)
}

#[test]
fn escape_reaches_a_slow_host_within_guard_plus_100_ms_of_its_reading() {
    let (_peer, _d, mut p) = open(2);
    p.send(b"+++");
    let (took, read) = p.read_paced_until(CHUNK, EVERY, Some(b"\r\nOK\r\n"), Duration::from_secs(10));
    assert!(took.is_some(), "no OK within 10 s; the host read {read} bytes");
    eprintln!("+++ -> OK: {took:?}, {read} bytes read in between");
    // During the guard time the data goes on; after it, OK may wait behind 100 ms worth.
    let bound = (GUARD_MS / 10 + 10) * CHUNK;
    assert!(read <= bound, "the host read {read} bytes between +++ and OK (bound {bound}), in {took:?}");
}

#[test]
fn push_mode_close_reaches_a_slow_host_within_300_ms_of_its_reading() {
    let (_peer, _d, mut p) = open(1);
    p.send(b"AT+QSSLCLOSE=0,0\r");
    let (took, read) = p.read_paced_until(CHUNK, EVERY, Some(b"\r\nOK\r\n"), Duration::from_secs(10));
    assert!(took.is_some(), "no OK within 10 s; the host read {read} bytes");
    eprintln!("AT+QSSLCLOSE -> OK: {took:?}, {read} bytes read in between");
    let bound = 30 * CHUNK;
    assert!(
        read <= bound,
        "the host read {read} bytes between AT+QSSLCLOSE and OK (bound {bound}), in {took:?}"
    );
}
