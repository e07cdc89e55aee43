//! The trace file off the event loop: a stalled trace file (a FIFO nobody reads) never blocks
//! the caller or the port, and what the file missed is counted in a `lagged` record, never
//! dropped silently; port bytes are escaped once (by JSON), not twice.

mod support;

use std::io::{BufRead, BufReader};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use nix::fcntl::{fcntl, open, FcntlArg, OFlag};
use nix::sys::stat::Mode;
use qsslsim::trace::Tracer;

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("qsslsim-hardening-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// A FIFO and its read end, opened (non-blocking, so it does not wait for a writer) and not
/// read: whoever writes to it stalls once the pipe buffer is full, like a stalled disk.
fn stalled_fifo(name: &str) -> (PathBuf, OwnedFd) {
    let path = tmp(name);
    nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o600)).unwrap();
    let fd = open(&path, OFlag::O_RDONLY | OFlag::O_NONBLOCK, Mode::empty()).unwrap();
    // SAFETY: `open` just returned this descriptor and nothing else owns it.
    (path, unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) })
}

/// Read the FIFO to its end (the writer closing it) as JSON lines.
fn drain(fd: OwnedFd) -> Vec<serde_json::Value> {
    fcntl(fd.as_raw_fd(), FcntlArg::F_SETFL(OFlag::empty())).unwrap();
    let reader = BufReader::new(std::fs::File::from(fd));
    reader
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap_or_else(|e| panic!("not JSON: {e}")))
        .collect()
}

/// A trace `text` back to bytes: one character per byte.
fn latin1(text: &serde_json::Value) -> Vec<u8> {
    text.as_str().unwrap().chars().map(|c| u8::try_from(u32::from(c)).expect("a byte")).collect()
}

fn read_trace(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// `escape_ascii` text was JSON-escaped again: a `"` in a command became `\\\"` in the file,
/// so `grep -F 'AT+QSSLOPEN=1,1,4,"192.0.2.2"'` found nothing and `\x1a` was ambiguous with
/// the four characters a host might send.
#[test]
fn trace_text_holds_the_bytes_escaped_once() {
    let path = tmp("once.jsonl");
    let sent: &[u8] = b"AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0\r\n\\x1a is not \x1a\xff\x00";
    let mut tracer = Tracer::new(Some(&path)).unwrap();
    tracer.host_in(sent);
    tracer.host_out(b"\r\nOK\r\n");
    drop(tracer);
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(
        raw.contains(r#""text":"AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0\r\n\\x1a is not \u001a"#),
        "{raw}"
    );
    assert!(raw.contains(r#"\u001a\u00ff\u0000""#), "bytes above 0x7f as \\u00XX: {raw}");
    assert!(raw.is_ascii(), "no raw U+0085 for a line splitter to trip on: {raw}");
    assert!(raw.contains(r#""type":"host_out","text":"\r\nOK\r\n""#), "{raw}");
    let records = read_trace(&path);
    assert_eq!(records.len(), 2);
    assert_eq!(latin1(&records[0]["text"]), sent);
    assert_eq!(latin1(&records[1]["text"]), b"\r\nOK\r\n");
    assert_eq!(qsslsim::trace::text_bytes(records[0]["text"].as_str().unwrap()).unwrap(), sent);
}

/// `Tracer` wrote and flushed the file on the caller's thread (the event loop): a disk that
/// stopped taking data stopped the caller. Now it returns at once, and the file gets every
/// record it had room for plus `lagged` records counting the rest exactly.
#[test]
fn a_stalled_trace_file_never_blocks_the_caller_and_counts_what_it_lost() {
    const RECORDS: usize = 20_000;
    let (path, reader) = stalled_fifo("stalled.jsonl");
    let (done_tx, done) = mpsc::channel();
    let (finish_tx, finish) = mpsc::channel::<()>();
    let producer = std::thread::spawn(move || {
        let mut tracer = Tracer::new(Some(&path)).unwrap();
        let line = vec![b'x'; 1000];
        for _ in 0..RECORDS {
            tracer.host_out(&line);
        }
        let lost = tracer.file_lost();
        done_tx.send(lost).unwrap();
        // Close the trace only once the test reads the FIFO again.
        finish.recv().unwrap();
        drop(tracer);
    });
    let lost = done
        .recv_timeout(Duration::from_secs(30))
        .expect("the tracer blocked on a stalled trace file (20 MB of records, nobody reading)");
    assert!(lost > 0, "20 MB of records cannot all wait in the queue");
    finish_tx.send(()).unwrap();
    let records = drain(reader);
    producer.join().unwrap();
    let written = records.iter().filter(|r| r["type"] == "host_out").count();
    let lagged: u64 =
        records.iter().filter(|r| r["type"] == "lagged").map(|r| r["lost"].as_u64().unwrap()).sum();
    assert_eq!(lagged, lost);
    assert_eq!(written as u64 + lagged, RECORDS as u64, "every record is in the file or counted");
    assert!(
        records.last().is_some_and(|r| r["type"] == "lagged"),
        "the count comes last when the tail was lost"
    );
}

/// Through the daemon: with `--trace` on a FIFO nobody reads, the port keeps answering (the
/// old daemon stopped answering once about 64 KiB of trace was waiting).
#[test]
fn the_port_answers_while_the_trace_file_is_stalled() {
    let (path, reader) = stalled_fifo("daemon.jsonl");
    let d = support::Daemon::start(&["--trace", path.to_str().unwrap()]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    // About 420 bytes of answer each: 2,000 of them are some 2 MB of trace.
    for i in 0..2_000 {
        p.send(b"AT+QSSLCFG=?\r");
        let answer = p.read_until(b"\r\nOK\r\n", Duration::from_secs(10));
        assert!(answer.starts_with(b"\r\n+QSSLCFG: "), "answer {i}: {}", support::show(&answer));
    }
    p.transact("AT\r", "\r\nOK\r\n");
    // Now read the trace: it ends with what the stalled file missed, counted.
    let stopper = std::thread::spawn(move || d.stop());
    let records = drain(reader);
    assert_eq!(stopper.join().unwrap(), Some(0));
    let outs = records.iter().filter(|r| r["type"] == "host_out").count() as u64;
    let lagged: u64 =
        records.iter().filter(|r| r["type"] == "lagged").map(|r| r["lost"].as_u64().unwrap()).sum();
    assert!(outs > 0);
    // 2,002 answers were written to the port; each is in the file or counted as lost. Records
    // of other kinds (host_in) can be lost too, so the sum is at least that.
    assert!(outs + lagged >= 2_002, "{outs} host_out records + {lagged} lost < 2002 answers");
}
