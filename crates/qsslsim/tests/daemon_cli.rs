//! The daemon as users start it: the control socket (mode 0600) and `qsslsim ctl`, malformed
//! requests answered while the daemon lives on, `--scenario` files (a bad one rejected at
//! start naming the line), `--trace` JSON lines, and the `--demo` setup behind `make run` with
//! its printed flow typed by script.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{Daemon, Port};

/// A child process that is killed if the test panics.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("qsslsim-{}-{name}", std::process::id()))
}

fn ctl(control: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
        .arg("ctl")
        .arg("--control")
        .arg(control)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn control_socket_and_ctl_client() {
    let control = tmp("ctl.sock");
    let peer = support::Peer::start("echo");
    let d = Daemon::start(&["--control", control.to_str().unwrap()]);
    let mode = std::fs::metadata(&control).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact(&format!("AT+QSSLOPEN=1,0,4,\"127.0.0.1\",{},0\r", peer.addr.port()), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 4,0\r\n");

    let (code, out, _) = ctl(&control, &["state"]);
    assert_eq!(code, 0);
    let state: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(state["sockets"][0]["id"], 4);
    assert_eq!(state["sockets"][0]["state"], "connected");

    let (code, _, _) = ctl(&control, &["fault", r#"{"kind":"server_close","socket":4}"#]);
    assert_eq!(code, 0);
    p.expect(b"\r\n+QSSLURC: \"closed\",4\r\n");

    let (code, _, err) = ctl(&control, &["fault", r#"{"kind":"meteor"}"#]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown variant"), "{err}");
    let (code, _, _) = ctl(&control, &["clock", "2031-05-06T07:08:09Z"]);
    assert_eq!(code, 0);
    p.transact("AT+CCLK?\r", "\r\n+CCLK: \"31/05/06,07:08:09+00\"\r\n\r\nOK\r\n");

    // Raw malformed lines on one connection: each gets an error, the connection and daemon live on.
    let mut raw = UnixStream::connect(&control).unwrap();
    let mut reader = BufReader::new(raw.try_clone().unwrap());
    for bad in ["garbage", "{\"verb\":1}", "[]"] {
        raw.write_all(format!("{bad}\n").as_bytes()).unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["ok"], false, "{bad}: {line}");
    }
    raw.write_all(b"{\"verb\":\"dtr\",\"level\":\"high\"}\n").unwrap();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), r#"{"ok":true}"#);
    p.transact("AT\r", "\r\nOK\r\n");
    assert_eq!(d.stop(), Some(0));
    assert!(!control.exists());
}

#[test]
fn ctl_events_streams_records() {
    let control = tmp("ev.sock");
    let d = Daemon::start(&["--control", control.to_str().unwrap()]);
    let mut events = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(["ctl", "--control", control.to_str().unwrap(), "events"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(events.0.stdout.take().unwrap()).lines();
    std::thread::sleep(Duration::from_millis(300));
    let mut p = d.port();
    p.transact("AT+QIGETERROR\r", "AT+QIGETERROR\r\r\n+QIGETERROR: 0,operate successfully\r\n\r\nOK\r\n");
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["type"], "host_in");
    assert_eq!(first["text"], "AT+QIGETERROR\r");
    drop(events);
}

#[test]
fn scenario_file_fires_and_bad_files_are_rejected_by_line() {
    let good = tmp("good.toml");
    std::fs::write(
        &good,
        "[[rule]]\nwhen = { command = \"AT+QIACT=1\" }\nfault = { kind = \"refuse_connect\" }\n",
    )
    .unwrap();
    let d = Daemon::start(&["--scenario", good.to_str().unwrap()]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact("AT+QSSLOPEN=1,0,0,\"127.0.0.1\",9,0\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 0,566\r\n");

    let bad = tmp("bad.toml");
    std::fs::write(&bad, "# comment\n\n[[rule]]\nwhen = { socket = 3 }\nfault = { kind = \"dns_busy\" }\n")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qsslsim")).arg("--scenario").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3: rule has no trigger"), "{err}");
    assert!(out.stdout.is_empty(), "no READY for a bad scenario");
}

#[test]
fn trace_file_has_bytes_each_way_and_failure_causes() {
    let trace = tmp("trace.jsonl");
    let d = Daemon::start(&["--trace", trace.to_str().unwrap()]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact("AT+QSSLOPEN=1,0,2,\"nosuch.invalid\",443,0\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 2,565\r\n");
    assert_eq!(d.stop(), Some(0));
    let text = std::fs::read_to_string(&trace).unwrap();
    let records: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(text.contains("AT+QSSLOPEN=1,0,2"), "grep-able command text");
    assert!(records.iter().all(|r| r["t_ms"].is_u64() && r["ts"].is_string()));
    assert!(records.iter().any(|r| r["type"] == "host_out" && r["text"] == "\r\n+QSSLOPEN: 2,565\r\n"));
    assert!(records.iter().any(|r| r["event"] == "failure"
        && r["code"] == 565
        && r["cause"].as_str().unwrap().contains("not mapped with --resolve")));
}

/// `make run` is `qsslsim --demo --link PATH -v`: start it, read the printed flow, type it.
#[test]
fn demo_prints_the_flow_and_the_flow_works() {
    let link = tmp("demo.pty");
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(["--demo", "--link", link.to_str().unwrap(), "--guard-time", "200"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.starts_with("READY /dev/pts/"), "{first}");
    let mut flow = Vec::new();
    loop {
        let mut line = String::new();
        // The plain TCP flow after the SSL one is typed by tests/demo_tcp.rs.
        if out.read_line(&mut line).unwrap() == 0
            || line.starts_with("Stop with")
            || line.starts_with("Then plain TCP")
        {
            break;
        }
        if let Some(cmd) = line.trim_start().strip_prefix("AT") {
            let cmd = format!("AT{}", cmd.split("  ").next().unwrap().trim());
            flow.push(cmd);
        }
    }
    assert!(flow.iter().any(|c| c.starts_with("AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0")), "{flow:?}");
    assert!(flow.iter().any(|c| c == "ATO") && flow.iter().any(|c| c.ends_with(",8010,1")), "{flow:?}");
    let mut p = Port::open(&link);
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    let mut push = false;
    for cmd in &flow {
        p.send(format!("{cmd}\r").as_bytes());
        if cmd.starts_with("AT+QSSLSEND=4") && push {
            p.expect(b"\r\n> ");
            p.send(b"hello\x1a");
            p.expect(b"\r\nSEND OK\r\n");
            p.expect(b"\r\n+QSSLURC: \"recv\",4,5\r\nhello");
        } else if cmd == "ATO" {
            p.expect(b"\r\nCONNECT\r\n");
            p.send(b"back again");
            p.expect(b"back again");
            std::thread::sleep(Duration::from_millis(300));
            p.send(b"+++");
            p.expect(b"\r\nOK\r\n");
        } else if cmd.ends_with(",8010,1") {
            push = true;
            p.expect(b"\r\nOK\r\n");
            p.expect(b"\r\n+QSSLOPEN: 4,0\r\n");
        } else if cmd.starts_with("AT+QSSLSEND=4") {
            p.expect(b"\r\n> ");
            p.send(b"Test data from SSL\x1a");
            p.expect(b"\r\nSEND OK\r\n");
            p.expect(b"\r\n+QSSLURC: \"recv\",4\r\n");
        } else if cmd.ends_with(",8010,0") {
            p.expect(b"\r\nOK\r\n");
            p.expect(b"\r\n+QSSLOPEN: 4,0\r\n");
        } else if cmd.ends_with(",8011,2") {
            p.expect(b"\r\nCONNECT\r\n");
            p.send(b"hello peer");
            p.expect(b"hello peer");
            std::thread::sleep(Duration::from_millis(300));
            p.send(b"+++");
            p.expect(b"\r\nOK\r\n");
        } else if cmd.starts_with("AT+QSSLRECV") {
            p.expect(b"\r\n+QSSLRECV: 18\r\nTest data from SSL\r\n\r\nOK\r\n");
        } else if cmd.starts_with("AT+QSSLSTATE") {
            let got = String::from_utf8(p.read_until(b"OK\r\n", Duration::from_secs(5))).unwrap();
            assert!(got.starts_with("\r\n+QSSLSTATE: 4,\"SSLClient\",\"192.0.2.2\",8010,"), "{got}");
        } else if cmd.starts_with("AT+QIACT?") {
            p.expect(b"\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n\r\nOK\r\n");
        } else {
            p.expect(b"\r\nOK\r\n");
        }
    }
    p.expect_quiet(Duration::from_millis(200));
    // The banner's name reaches the same peer, verified against the preloaded CA.
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact("AT+QSSLCFG=\"sni\",1,1\r", "\r\nOK\r\n");
    p.transact("AT+QSSLOPEN=1,1,5,\"peer.qsslsim.test\",8010,0\r", "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 5,0\r\n");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.0.id() as i32), nix::sys::signal::Signal::SIGINT)
        .unwrap();
    assert_eq!(child.0.wait().unwrap().code(), Some(0));
    assert!(!link.exists());
}
