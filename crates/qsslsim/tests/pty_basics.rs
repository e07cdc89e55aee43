//! The module basics through the real pty, byte for byte: framing, echo, ATV, CMEE, chains,
//! A/, backspace, line limits, identity and network-registration commands, the clock, PDP
//! contexts, AT+QIGETERROR, and unknown commands.

mod support;

use std::time::Duration;

use support::{show, Daemon};

fn daemon() -> Daemon {
    Daemon::start(&[])
}

#[test]
fn at_ok_with_echo_and_framing() {
    let d = daemon();
    let mut p = d.port();
    p.transact("AT\r", "AT\r\r\nOK\r\n");
    p.transact("at\r", "at\r\r\nOK\r\n");
    // LF after CR is ignored, not echoed.
    p.transact("AT\r\n", "AT\r\r\nOK\r\n");
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT\r", "\r\nOK\r\n");
    p.transact("ATE1\r", "\r\nOK\r\n");
    p.transact("AT\r", "AT\r\r\nOK\r\n");
    p.expect_quiet(Duration::from_millis(100));
}

#[test]
fn one_byte_writes_and_one_big_chunk_give_the_same_bytes() {
    let d = daemon();
    let mut p = d.port();
    p.send_bytewise(b"ATI\r");
    p.expect(b"ATI\r\r\nQuectel\r\nEG915Q-GL\r\nRevision: EG915QGLR01A01M08\r\n\r\nOK\r\n");
    p.send(b"AT+CPIN?\rAT+CSQ\rAT+CGATT?\r");
    p.expect(b"AT+CPIN?\r\r\n+CPIN: READY\r\n\r\nOK\r\n");
    p.expect(b"AT+CSQ\r\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    p.expect(b"AT+CGATT?\r\r\n+CGATT: 1\r\n\r\nOK\r\n");
}

#[test]
fn numeric_result_codes_with_atv0() {
    let d = daemon();
    let mut p = d.port();
    // The line that turns echo off is still echoed.
    p.transact("ATE0V0\r", "ATE0V0\r0\r");
    p.transact("AT\r", "0\r");
    p.transact("AT+NOSUCH\r", "4\r");
    p.transact("AT+CPIN?\r", "+CPIN: READY\r\n0\r");
    p.transact("ATO\r", "3\r");
    p.transact("ATV1\r", "\r\nOK\r\n");
}

#[test]
fn cmee_levels_render_file_errors() {
    let d = daemon();
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+CMEE?\r", "\r\n+CMEE: 1\r\n\r\nOK\r\n");
    p.transact("AT+QFDEL=\"missing.pem\"\r", "\r\n+CME ERROR: 405\r\n");
    p.transact("AT+CMEE=0\r", "\r\nOK\r\n");
    p.transact("AT+QFDEL=\"missing.pem\"\r", "\r\nERROR\r\n");
    p.transact("AT+CMEE=2\r", "\r\nOK\r\n");
    p.send(b"AT+QFDEL=\"missing.pem\"\r");
    let got = p.read_until(b"\r\n", Duration::from_secs(5));
    assert_eq!(got, b"\r\n");
    let line = p.read_until(b"\r\n", Duration::from_secs(5));
    let text = String::from_utf8(line).unwrap();
    assert!(text.starts_with("+CME ERROR: ") && !text.contains("405"), "{text:?}");
    p.transact("AT+CMEE=3\r", "\r\nERROR\r\n");
    p.transact("AT+CMEE=?\r", "\r\n+CMEE: (0-2)\r\n\r\nOK\r\n");
}

#[test]
fn chains_repeat_backspace_and_bad_lines() {
    let d = daemon();
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+CMEE=2;+CMEE?\r", "\r\n+CMEE: 2\r\n\r\nOK\r\n");
    // The chain stops at the first error.
    p.transact("AT+CMEE=1;+NOSUCH;+CMEE=0\r", "\r\nERROR\r\n");
    p.transact("AT+CMEE?\r", "\r\n+CMEE: 1\r\n\r\nOK\r\n");
    p.send(b"A/");
    p.expect(b"\r\n+CMEE: 1\r\n\r\nOK\r\n");
    p.transact("ATX\x08I\r", "\r\nQuectel\r\nEG915Q-GL\r\nRevision: EG915QGLR01A01M08\r\n\r\nOK\r\n");
    p.transact("HELLO\r", "\r\nERROR\r\n");
    p.transact("\r", "");
    p.transact("AT+CMEE=\"x\r", "\r\nERROR\r\n");
    let long = format!("AT+{}\r", "X".repeat(2000));
    p.transact(&long, "\r\nERROR\r\n");
    p.transact("AT\r", "\r\nOK\r\n");
    p.expect_quiet(Duration::from_millis(100));
}

#[test]
fn identity_and_registration_commands() {
    let d = daemon();
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    for (cmd, reply) in [
        ("AT+GMR", "\r\nEG915QGLR01A01M08\r\n\r\nOK\r\n"),
        ("AT+CGMR", "\r\nEG915QGLR01A01M08\r\n\r\nOK\r\n"),
        ("AT+CEREG?", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n"),
        ("AT+CEREG=?", "\r\n+CEREG: (0-2)\r\n\r\nOK\r\n"),
        ("AT+CGATT?", "\r\n+CGATT: 1\r\n\r\nOK\r\n"),
        ("AT+CFUN?", "\r\n+CFUN: 1\r\n\r\nOK\r\n"),
        ("AT+CFUN=?", "\r\n+CFUN: (0,1,4),(0-1)\r\n\r\nOK\r\n"),
        ("AT+CSQ=?", "\r\n+CSQ: (0-31,99),(0-7,99)\r\n\r\nOK\r\n"),
        ("AT+CPIN=?", "\r\nOK\r\n"),
        ("AT&D2", "\r\nOK\r\n"),
        ("AT&D3", "\r\nERROR\r\n"),
        ("AT&D0", "\r\nOK\r\n"),
        ("AT+NOSUCH", "\r\nERROR\r\n"),
        ("AT+QIGETERROR", "\r\n+QIGETERROR: 0,operate successfully\r\n\r\nOK\r\n"),
    ] {
        p.transact(&format!("{cmd}\r"), reply);
    }
    // AT&F restored echo.
    p.transact("AT&F\r", "\r\nOK\r\n");
    p.transact("AT\r", "AT\r\r\nOK\r\n");
}

#[test]
fn clock_reads_host_time_and_can_be_set() {
    let d = daemon();
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.send(b"AT+CCLK?\r");
    let got = p.read_until(b"OK\r\n", Duration::from_secs(5));
    let text = String::from_utf8(got).unwrap();
    // `\r\n+CCLK: "yy/MM/dd,hh:mm:ss+00"\r\n\r\nOK\r\n`
    assert_eq!(text.len(), "\r\n+CCLK: \"26/08/07,13:54:02+00\"\r\n\r\nOK\r\n".len(), "{text:?}");
    let year = time::OffsetDateTime::now_utc().year() % 100;
    assert!(text.starts_with(&format!("\r\n+CCLK: \"{year:02}/")), "{text:?}");
    p.transact("AT+CCLK=\"26/08/07,13:54:02+32\"\r", "\r\nOK\r\n");
    p.send(b"AT+CCLK?\r");
    let got = String::from_utf8(p.read_until(b"OK\r\n", Duration::from_secs(5))).unwrap();
    assert!(
        got == "\r\n+CCLK: \"26/08/07,13:54:02+32\"\r\n\r\nOK\r\n"
            || got == "\r\n+CCLK: \"26/08/07,13:54:03+32\"\r\n\r\nOK\r\n",
        "{got:?}"
    );
    p.transact("AT+CCLK=\"26/13/07,13:54:02+32\"\r", "\r\nERROR\r\n");
    p.transact("AT+CCLK=26\r", "\r\nERROR\r\n");
}

#[test]
fn pdp_contexts_and_dns() {
    let d = daemon();
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT?\r", "\r\nOK\r\n");
    p.transact("AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1\r", "\r\nOK\r\n");
    p.transact("AT+QICSGP=1\r", "\r\n+QICSGP: 1,\"UNINET\",\"\",\"\",1\r\n\r\nOK\r\n");
    p.transact("AT+QICSGP=16,1,\"x\",\"\",\"\"\r", "\r\nERROR\r\n");
    p.transact("AT+QIGETERROR\r", "\r\n+QIGETERROR: 552,invalid parameters\r\n\r\nOK\r\n");
    p.transact("AT+QICSGP=?\r", "\r\n+QICSGP: (1-15),(1-3),<APN>,<username>,<password>,(0-3)\r\n\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nERROR\r\n");
    p.transact("AT+QIACT=3\r", "\r\nOK\r\n");
    p.transact(
        "AT+QIACT?\r",
        "\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n+QIACT: 3,1,1,\"10.7.157.3\"\r\n\r\nOK\r\n",
    );
    p.transact("AT+QIACT=?\r", "\r\n+QIACT: (1-15)\r\n\r\nOK\r\n");
    p.transact("AT+QIDEACT=3\r", "\r\nOK\r\n");
    p.transact("AT+QIACT?\r", "\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n\r\nOK\r\n");
    p.transact("AT+QIDEACT=?\r", "\r\n+QIDEACT: (1-15)\r\n\r\nOK\r\n");
    p.transact("AT+QIDNSCFG=1\r", "\r\n+QIDNSCFG: 1,\"10.7.157.254\",\"10.7.157.253\"\r\n\r\nOK\r\n");
    p.transact("AT+QIDNSCFG=1,\"127.0.0.53\"\r", "\r\nOK\r\n");
    p.transact("AT+QIDNSCFG=1\r", "\r\n+QIDNSCFG: 1,\"127.0.0.53\",\"10.7.157.253\"\r\n\r\nOK\r\n");
    p.transact("AT+QIDNSCFG=1,\"not-an-ip\"\r", "\r\nERROR\r\n");
    p.transact("AT+QIDNSCFG=?\r", "\r\n+QIDNSCFG: (1-15),<pridnsaddr>,<secdnsaddr>\r\n\r\nOK\r\n");
    p.transact("AT+QIGETERROR=?\r", "\r\nOK\r\n");
}

#[test]
fn shutdown_on_sigterm_removes_the_link() {
    let link = std::env::temp_dir().join(format!("qsslsim-test-{}.pty", std::process::id()));
    let d = Daemon::start(&["--link", link.to_str().unwrap()]);
    let target = std::fs::read_link(&link).unwrap();
    assert_eq!(target, d.pty);
    let mut p = support::Port::open(&link);
    p.transact("AT\r", "AT\r\r\nOK\r\n");
    drop(p);
    assert_eq!(d.stop(), Some(0));
    assert!(!link.exists(), "link {} still there", show(link.to_str().unwrap().as_bytes()));
}
