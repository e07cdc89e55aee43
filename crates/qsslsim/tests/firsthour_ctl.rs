//! The first hour with qsslsim (issue 13): the `--demo` banner as `make run` prints it, with a
//! `qsslsim ctl` example that works; `qsslsim ctl` as a hand types it (`--control` before or
//! after the verb, `QSSLSIM_CONTROL`, `fault KIND field=value`, refusals on stderr with a
//! non-zero exit, `dtr on/off` as pyserial means them); `qsslsim peer` kept on loopback and
//! quiet about a closed stdout.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Daemon, Peer, Port};

/// A child process that is killed if the test panics.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("qsslsim-fh-{}-{name}", std::process::id()))
}

/// Run `qsslsim ARGS` with `env` set; (exit code, stdout, stderr).
fn qsslsim(args: &[&str], env: &[(&str, &Path)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qsslsim"));
    cmd.args(args).env_remove("QSSLSIM_CONTROL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Open socket 4 to the peer in buffer mode.
fn open_socket_4(p: &mut Port, peer: std::net::SocketAddr, mode: u8) {
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    let open = format!("AT+QSSLOPEN=1,1,4,\"{}\",{},{mode}\r", peer.ip(), peer.port());
    if mode == 2 {
        p.transact(&open, "\r\nCONNECT\r\n");
    } else {
        p.transact(&open, "\r\nOK\r\n");
        p.expect(b"\r\n+QSSLOPEN: 4,0\r\n");
    }
}

#[test]
fn demo_banner_lines_and_its_ctl_example_works() {
    let link = tmp("banner.pty");
    let control = tmp("banner.ctl");
    let (link_s, control_s) = (link.to_str().unwrap(), control.to_str().unwrap());
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(["--demo", "--link", link_s, "--control", control_s])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "stdout ended: {lines:?}");
        let done = line.starts_with("Then type");
        lines.push(line.trim_end().to_string());
        if done {
            break;
        }
    }
    assert!(lines[0].starts_with("READY /dev/pts/"), "{lines:?}");
    let peer = lines[1]
        .strip_prefix("qsslsim demo: TLS echo peer on ")
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("{lines:?}"))
        .to_string();
    let plain = lines[2]
        .strip_prefix("Plain TCP and UDP echo peers on ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("{lines:?}"))
        .to_string();
    let example = format!("qsslsim ctl --control {control_s} fault server_close socket=4");
    assert_eq!(
        lines[1..],
        [
            format!(
                "qsslsim demo: TLS echo peer on {peer}, reachable as 192.0.2.2:8010 and 192.0.2.2:8011 (also by \
                 the name peer.qsslsim.test); test CA preloaded as UFS:cacert.pem and RAM:cacert.pem."
            ),
            format!(
                "Plain TCP and UDP echo peers on {plain} (one port for both), reachable as \
                 220.180.239.212:8009 and 10.7.89.10:6969 (the maker's TCP/IP note examples)."
            ),
            format!("Open the port:   picocom --omap delbs {link_s}    (or: minicom -o -D {link_s})"),
            format!("Control socket:  {control_s}    (while socket 4 is open: {example})"),
            "Then type (the maker's flow):".to_string(),
        ]
    );
    // The example, as printed, against the running daemon while socket 4 is open.
    let mut p = Port::open(&link);
    open_socket_4(&mut p, "192.0.2.2:8010".parse().unwrap(), 0);
    let words: Vec<&str> = example.split(' ').collect();
    assert_eq!(words[0], "qsslsim");
    let (code, stdout, stderr) = qsslsim(&words[1..], &[]);
    assert_eq!((code, stdout.trim(), stderr.as_str()), (0, r#"{"ok":true}"#, ""));
    p.expect(b"\r\n+QSSLURC: \"closed\",4\r\n");
    // The rest of the banner ends with how to stop.
    let mut rest = Vec::new();
    for line in out.lines().map_while(Result::ok) {
        let done = line.starts_with("Stop with Ctrl+C");
        rest.push(line);
        if done || rest.len() > 40 {
            break;
        }
    }
    assert!(rest.iter().any(|l| l.starts_with("  ATO ")), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains(",8010,1") && l.contains("push mode")), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("+++") && l.contains("OK")), "{rest:?}");
}

#[test]
fn ctl_control_before_or_after_the_verb_or_from_the_environment() {
    let control = tmp("where.ctl");
    let d = Daemon::start(&["--control", control.to_str().unwrap()]);
    let c = control.to_str().unwrap();
    for args in [vec!["ctl", "--control", c, "state"], vec!["ctl", "state", "--control", c]] {
        let (code, out, err) = qsslsim(&args, &[]);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains("\"sockets\""), "{out}");
    }
    let (code, out, err) = qsslsim(&["ctl", "state"], &[("QSSLSIM_CONTROL", &control)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"sockets\""), "{out}");
    // --control wins over the environment.
    let (code, _, err) =
        qsslsim(&["ctl", "state", "--control", c], &[("QSSLSIM_CONTROL", Path::new("/nonexistent/x"))]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = qsslsim(&["ctl", "state"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("QSSLSIM_CONTROL"), "{err}");
    assert_eq!(d.stop(), Some(0));
}

#[test]
fn ctl_fault_words_act_and_refusals_exit_non_zero_with_the_reason() {
    let control = tmp("words.ctl");
    let peer = Peer::start("echo");
    let d = Daemon::start(&["--control", control.to_str().unwrap()]);
    let c = control.to_str().unwrap();
    let mut p = d.port();
    // Refused: socket 4 does not exist yet; out of bounds; not a field of the kind.
    let (code, out, err) = qsslsim(&["ctl", "--control", c, "fault", "server_close", "socket=4"], &[]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(err.trim(), "qsslsim ctl: server_close socket 4 has no connection (state 0)");
    let (code, _, err) = qsslsim(&["ctl", "--control", c, "fault", "latency", "ms=60001"], &[]);
    assert_eq!(code, 1);
    assert_eq!(err.trim(), "qsslsim ctl: latency ms 60001 is above the largest accepted, 60000");
    let (code, _, err) = qsslsim(&["ctl", "--control", c, "fault", "pdp_lost", "ctx=1", "colour=red"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown field `colour`"), "{err}");
    let (code, _, err) = qsslsim(&["ctl", "--control", c, "fault", "latency", "ms"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("expected field=value"), "{err}");

    open_socket_4(&mut p, peer.addr, 0);
    p.transact("AT+QSSLSEND=4,5\r", "\r\n> ");
    p.transact("hello", "\r\nSEND OK\r\n");
    p.expect(b"\r\n+QSSLURC: \"recv\",4\r\n");
    // The server sends 3 more bytes, then closes: words with numbers as JSON numbers.
    let (code, out, err) =
        qsslsim(&["ctl", "fault", "server_close", "socket=4", "after_bytes=3", "--control", c], &[]);
    assert_eq!((code, out.trim(), err.as_str()), (0, r#"{"ok":true}"#, ""));
    p.transact("AT+QSSLSEND=4,4\r", "\r\n> ");
    p.transact("abcd", "\r\nSEND OK\r\n");
    p.expect(b"\r\n+QSSLURC: \"closed\",4\r\n");
    p.transact("AT+QSSLRECV=4,100\r", "\r\n+QSSLRECV: 8\r\nhelloabc\r\n\r\nOK\r\n");
    // The JSON form still works.
    let (code, _, err) = qsslsim(&["ctl", "--control", c, "fault", r#"{"kind":"pdp_lost","ctx":1}"#], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(d.stop(), Some(0));
}

#[test]
fn ctl_dtr_off_leaves_transparent_mode_under_and_d1() {
    let control = tmp("dtr.ctl");
    let peer = Peer::start("echo");
    let d = Daemon::start(&["--control", control.to_str().unwrap()]);
    let c = control.to_str().unwrap();
    let mut p = d.port();
    // pyserial opens with DTR asserted.
    let (code, _, err) = qsslsim(&["ctl", "--control", c, "dtr", "on"], &[]);
    assert_eq!(code, 0, "{err}");
    p.transact("AT&D1\r", "AT&D1\r\r\nOK\r\n");
    open_socket_4(&mut p, peer.addr, 2);
    p.send(b"ping");
    p.expect(b"ping");
    let (code, _, err) = qsslsim(&["ctl", "--control", c, "dtr", "off"], &[]);
    assert_eq!(code, 0, "{err}");
    p.expect(b"\r\nOK\r\n");
    // Command mode, the connection kept.
    p.transact("AT+QSSLSTATE=4\r", "");
    let got = String::from_utf8(p.read_until(b"OK\r\n", Duration::from_secs(5))).unwrap();
    assert!(got.contains("+QSSLSTATE: 4,\"SSLClient\""), "{got}");
    let (code, _, _) = qsslsim(&["ctl", "--control", c, "dtr", "maybe"], &[]);
    assert_eq!(code, 2);
    assert_eq!(d.stop(), Some(0));
}

#[test]
fn ctl_help_lists_every_fault_kind_and_the_dtr_words() {
    let (code, out, _) = qsslsim(&["ctl", "--help"], &[]);
    assert_eq!(code, 0);
    for kind in ["server_close [socket=N] [after_bytes=N] [after_ms=N]", "pdp_lost ctx=N", "command_error"] {
        assert!(out.contains(kind), "{kind}: {out}");
    }
    assert!(out.contains("`ctl dtr on` asserts DTR"), "{out}");
    assert!(out.contains("QSSLSIM_CONTROL"), "{out}");
}

#[test]
fn peer_refuses_non_loopback_without_the_flag() {
    let (code, out, err) = qsslsim(&["peer", "--listen", "0.0.0.0:0"], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("--allow-non-loopback"), "{err}");
    let (code, _, err) = qsslsim(&["peer", "--listen", "[::]:0"], &[]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn peer_survives_a_closed_stdout() {
    let (read, write) = std::io::pipe().unwrap();
    drop(read);
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(["peer", "--listen", "127.0.0.1:0"])
            .stdout(write)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_millis(800);
    while Instant::now() < deadline {
        assert!(child.0.try_wait().unwrap().is_none(), "the peer died writing to a closed stdout");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every refusal docs/faults.md quotes is the daemon's text, word for word.
#[test]
fn faults_md_quotes_the_refusals_as_the_daemon_says_them() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/faults.md")).unwrap();
    let control = tmp("doc.ctl");
    let d = Daemon::start(&["--control", control.to_str().unwrap()]);
    let c = control.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &["latency", "ms=60001"],
        &["pdp_lost", "ctx=16"],
        &["command_error", "command=AT+QSSLSEND", "code=549"],
        &["command_error", "command=AT+CSQ", "code=552"],
        &["server_close", "socket=12"],
        &["server_close", "socket=4"],
    ];
    for words in cases {
        let args: Vec<&str> = ["ctl", "--control", c, "fault"].iter().chain(words.iter()).copied().collect();
        let (code, _, err) = qsslsim(&args, &[]);
        assert_eq!(code, 1, "{words:?}");
        let reason = err.trim().strip_prefix("qsslsim ctl: ").unwrap_or_else(|| panic!("{err}"));
        assert!(doc.contains(&format!("`{reason}`")), "docs/faults.md does not quote {reason:?}");
    }
    let (_, _, err) = qsslsim(&["ctl", "--control", c, "fault", "meteor"], &[]);
    assert!(err.starts_with("qsslsim ctl: bad request: unknown variant `meteor`, expected one of"), "{err}");
    assert_eq!(d.stop(), Some(0));
}
