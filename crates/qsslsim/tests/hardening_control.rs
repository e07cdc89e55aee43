//! The control socket under pressure: a lagging `ctl events` subscriber is told how many
//! records it lost and the stream goes on (`qsslsim ctl events` exits non-zero on it); clients
//! beyond the cap get an error line and are closed; the socket is never reachable at its
//! path before it is private.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{Daemon, Port};

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("qsslsim-hardening-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// `n` back-to-back `AT` commands (echo off), reading the answers as they come.
fn flood(p: &mut Port, n: usize) {
    const BATCH: usize = 500;
    let mut left = n;
    while left > 0 {
        let k = left.min(BATCH);
        p.send("AT\r".repeat(k).as_bytes());
        let want = "\r\nOK\r\n".repeat(k);
        p.expect(want.as_bytes());
        left -= k;
    }
}

fn subscribe(control: &std::path::Path) -> (UnixStream, BufReader<UnixStream>) {
    let mut s = UnixStream::connect(control).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"{\"verb\":\"events\"}\n").unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), r#"{"ok":true}"#);
    (s, r)
}

/// The old daemon dropped a subscriber that fell more than 1024 records behind without a word:
/// its stream just ended. Now it gets `{"type":"lagged","lost":N}` and the records after.
#[test]
fn a_lagging_subscriber_is_told_what_it_lost_and_keeps_streaming() {
    let control = tmp("lag.sock");
    let d = Daemon::start(&["--control", control.to_str().unwrap()]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    let (_s, mut records) = subscribe(&control);
    // The subscriber reads nothing while 20,000 answers (20,000+ records) go by.
    flood(&mut p, 20_000);
    p.transact("AT+QIGETERROR\r", "\r\n+QIGETERROR: 0,operate successfully\r\n\r\nOK\r\n");
    let (mut lost, mut outs, mut after_lag) = (0u64, 0u64, false);
    let mut line = String::new();
    loop {
        line.clear();
        assert!(records.read_line(&mut line).unwrap() > 0, "the stream ended (lost {lost}, got {outs})");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        match v["type"].as_str().unwrap() {
            "lagged" => {
                assert!(v["t_ms"].is_u64() && v["ts"].is_string(), "{line}");
                lost += v["lost"].as_u64().unwrap();
            }
            "host_out" => {
                outs += 1;
                after_lag |= lost > 0;
            }
            "host_in" if v["text"] == "AT+QIGETERROR\r" => break,
            _ => {}
        }
    }
    assert!(lost > 0, "20,000 records cannot all wait for a subscriber that reads nothing");
    assert!(after_lag, "records keep coming after the lagged record");
    // Every answer reached the subscriber or was counted (other records count too).
    assert!(outs + lost >= 20_000, "{outs} answers seen + {lost} lost < 20,000");
    assert_eq!(d.stop(), Some(0));
}

/// `qsslsim ctl events` exited 0 after a silently truncated stream; now it prints the lagged
/// record and exits 3.
#[test]
fn ctl_events_prints_the_lag_and_exits_non_zero() {
    let control = tmp("ctl-lag.sock");
    let d = Daemon::start(&["--control", control.to_str().unwrap()]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    let mut ctl = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
        .args(["ctl", "--control", control.to_str().unwrap(), "events"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it is subscribed: `AT` until its first record arrives.
    let (first_tx, first_rx) = std::sync::mpsc::channel();
    let stdout = ctl.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = BufReader::new(stdout);
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        first_tx.send(first).unwrap();
        out
    });
    let first = loop {
        p.transact("AT\r", "\r\nOK\r\n");
        if let Ok(first) = first_rx.recv_timeout(Duration::from_millis(100)) {
            break first;
        }
    };
    assert!(first.starts_with('{'), "{first}");
    let mut out = reader.join().unwrap();
    // Then read nothing from it while 20,000 answers go by.
    flood(&mut p, 20_000);
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = ctl.wait().unwrap();
    let mut err = String::new();
    ctl.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let last = rest.lines().last().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(last).unwrap_or_default();
    assert_eq!(v["type"], "lagged", "the last line printed: {last:?}");
    assert!(v["lost"].as_u64().unwrap() > 0);
    assert_eq!(status.code(), Some(3), "stderr: {err}");
    assert!(err.contains("records were lost"), "{err}");
    assert_eq!(d.stop(), Some(0));
}

/// The old daemon served any number of clients (each a task and a descriptor). Now the 17th
/// at once gets one error line and is closed; once a slot frees, clients are served again.
#[test]
fn control_clients_beyond_the_cap_get_an_error_and_are_closed() {
    let control = tmp("cap.sock");
    let d = Daemon::start(&["--control", control.to_str().unwrap()]);
    let connect = || {
        let s = UnixStream::connect(&control).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    };
    let ask_state = |s: &mut UnixStream| {
        s.write_all(b"{\"verb\":\"state\"}\n").unwrap();
        let mut line = String::new();
        BufReader::new(s.try_clone().unwrap()).read_line(&mut line).unwrap();
        line
    };
    // 16 clients, each served (so each holds its slot).
    let mut held: Vec<UnixStream> = (0..16).map(|_| connect()).collect();
    for s in &mut held {
        assert!(ask_state(s).starts_with(r#"{"ok":true"#));
    }
    let mut extra = connect();
    let mut line = String::new();
    let mut reader = BufReader::new(extra.try_clone().unwrap());
    reader.read_line(&mut line).expect("the 17th client gets an answer without asking");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["error"].as_str().unwrap().contains("too many control clients"), "{line}");
    line.clear();
    assert_eq!(reader.read_line(&mut line).unwrap(), 0, "then it is closed");
    let _ = extra.write_all(b"{\"verb\":\"state\"}\n");
    // One leaves: the next one is served.
    drop(held.pop());
    let mut next = None;
    for _ in 0..100 {
        let mut s = connect();
        let answer = ask_state(&mut s);
        if answer.starts_with(r#"{"ok":true"#) {
            next = Some(s);
            break;
        }
        // The daemon may not have seen the departure yet.
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(next.is_some(), "a freed slot serves the next client");
    drop(held);
    let mut p = d.port();
    p.transact("AT\r", "AT\r\r\nOK\r\n");
    assert_eq!(d.stop(), Some(0));
}

/// The old daemon bound the socket at its path (mode 0777 & ~umask: world-connectable) and
/// chmod-ed it afterwards. Now it never appears at its path by creation: it is bound in a
/// private directory and arrives by rename, already 0600.
#[tokio::test]
async fn the_control_socket_arrives_at_its_path_already_private() {
    let dir = tmp("ctl-dir");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("control.sock");
    // SAFETY: plain libc calls on descriptors this test owns.
    let fd = unsafe { nix::libc::inotify_init1(nix::libc::IN_NONBLOCK | nix::libc::IN_CLOEXEC) };
    assert!(fd >= 0);
    let cdir = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
    let wd = unsafe {
        nix::libc::inotify_add_watch(fd, cdir.as_ptr(), nix::libc::IN_CREATE | nix::libc::IN_MOVED_TO)
    };
    assert!(wd >= 0);
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    let task = qsslsim::control::listen(&path, qsslsim::runtime::ControlHandle { tx }).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let mut buf = vec![0u8; 64 * 1024];
    let n = unsafe { nix::libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    assert!(n > 0, "inotify saw nothing");
    let mut events = Vec::new();
    let mut at = 0usize;
    while at < n as usize {
        let head = at + std::mem::size_of::<nix::libc::inotify_event>();
        let mask = u32::from_ne_bytes(buf[at + 4..at + 8].try_into().unwrap());
        let len = u32::from_ne_bytes(buf[at + 12..at + 16].try_into().unwrap()) as usize;
        let name: Vec<u8> = buf[head..head + len].iter().copied().take_while(|&b| b != 0).collect();
        events.push((mask, String::from_utf8_lossy(&name).into_owned()));
        at = head + len;
    }
    unsafe { nix::libc::close(fd) };
    let created: Vec<_> =
        events.iter().filter(|(m, n)| m & nix::libc::IN_CREATE != 0 && n == "control.sock").collect();
    assert!(created.is_empty(), "the socket was created at its public path: {events:?}");
    assert!(
        events.iter().any(|(m, n)| m & nix::libc::IN_MOVED_TO != 0 && n == "control.sock"),
        "it arrives by rename: {events:?}"
    );
    // Only the socket is left: the private directory it was bound in is gone.
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("control.sock")]);
    task.abort();
    let _ = std::fs::remove_dir_all(&dir);
}
