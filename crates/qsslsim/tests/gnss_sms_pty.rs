//! GNSS and SMS through the real daemon and pty: `--gnss-fix` reaches `AT+QGPSLOC`, a bad
//! value is refused at start, and a message sent with `AT+CMGS` is listed by `qsslsim ctl
//! state` under `sms_sent`.

mod support;

use std::process::Command;

use support::Daemon;

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("qsslsim-{}-{name}", std::process::id()))
}

#[test]
fn gnss_fix_flag_is_the_position_reported() {
    let d = Daemon::start(&["--timing", "instant", "--gnss-fix", "-33.85678,151.21514,58"]);
    let mut p = d.port();
    p.transact("ATE0\r\n", "ATE0\r\r\nOK\r\n");
    p.transact("AT+CCLK=\"26/08/07,13:54:02+00\"\r", "\r\nOK\r\n");
    p.transact("AT+QGPS=1\r\n", "\r\nOK\r\n");
    p.send(b"AT+QGPSLOC=2\r\n");
    let got = String::from_utf8(p.read_until(b"OK\r\n", std::time::Duration::from_secs(2))).unwrap();
    // The time is the module clock's (it ran on since AT+CCLK); the rest is fixed.
    let (head, tail) = got.split_at("\r\n+QGPSLOC: 1354".len());
    assert_eq!(head, "\r\n+QGPSLOC: 1354");
    assert!(
        tail.ends_with(".000,-33.85678,151.21514,1.0,58.0,3,000.00,0.0,0.0,070826,08\r\n\r\nOK\r\n"),
        "{got:?}"
    );
    p.transact("AT+QGPSEND\r\n", "\r\nOK\r\n");
}

#[test]
fn bad_gnss_fix_is_refused_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_qsslsim")).args(["--gnss-fix", "91,0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--gnss-fix") && err.contains("latitude"), "{err}");
}

#[test]
fn sent_message_is_in_ctl_state() {
    let control = tmp("sms.sock");
    let d = Daemon::start(&["--control", control.to_str().unwrap()]);
    let mut p = d.port();
    p.transact("ATE0\r\n", "ATE0\r\r\nOK\r\n");
    p.transact("AT+CMGF=1\r\n", "\r\nOK\r\n");
    p.transact("AT+CMGS=\"+15551234567\"\r\n", "\r\n> ");
    p.transact("over the pty\x1a", "\r\n+CMGS: 0\r\n\r\nOK\r\n");
    let out = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
        .args(["ctl", "--control", control.to_str().unwrap(), "state"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let state: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sms = &state["sms_sent"][0];
    assert_eq!((&sms["mr"], &sms["to"], &sms["format"]), (&0.into(), &"+15551234567".into(), &"text".into()));
    assert_eq!(sms["body"], "over the pty");
}
