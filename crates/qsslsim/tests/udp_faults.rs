//! The UDP fault vocabulary through the real daemon: `datagram_loss`, `datagram_duplicate` and
//! `datagram_reorder` act on what a UDP socket receives from a loopback echo server, and are
//! refused, with the reason, when aimed at a socket that is not UDP.

#[path = "support/hostile_util.rs"]
mod hostile_util;
mod support;

use std::net::UdpSocket;
use std::time::Duration;

use hostile_util::{control_path, ctl};
use support::Daemon;

/// A UDP echo server on loopback; returns its port.
fn udp_echo() -> u16 {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let _ = sock.send_to(&buf[..n], from);
        }
    });
    port
}

/// Send one datagram with `AT+QISEND=0,<len>` and wait for its `SEND OK`.
fn send(p: &mut support::Port, data: &str) {
    p.transact(&format!("AT+QISEND=0,{}\r", data.len()), "\r\n> ");
    p.send(data.as_bytes());
    p.read_until(b"\r\nSEND OK\r\n", Duration::from_secs(5));
}

/// The push frames of datagrams `a`, `b`... as the host sees them.
fn frames(datagrams: &[&str]) -> String {
    datagrams.iter().map(|d| format!("\r\n+QIURC: \"recv\",0,{}\r\n{d}", d.len())).collect()
}

#[test]
fn datagram_faults_lose_duplicate_and_swap_what_a_udp_socket_receives() {
    let echo = udp_echo();
    let control = control_path("udp-faults");
    let route = format!("192.0.2.7:7=127.0.0.1:{echo}");
    let d = Daemon::start(&["--control", control.to_str().unwrap(), "--route", &route]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact("AT+QIOPEN=1,0,\"UDP\",\"192.0.2.7\",7,0,1\r", "\r\nOK\r\n");
    p.read_until(b"\r\n+QIOPEN: 0,0\r\n", Duration::from_secs(5));
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp_port = tcp.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let _held = tcp.accept();
        std::thread::sleep(Duration::from_secs(30));
    });
    p.transact(&format!("AT+QIOPEN=1,1,\"TCP\",\"127.0.0.1\",{tcp_port},0,0\r"), "\r\nOK\r\n");
    p.read_until(b"\r\n+QIOPEN: 1,0\r\n", Duration::from_secs(5));

    let fault = |json: &str| ctl(&control, &format!(r#"{{"verb":"fault","fault":{json}}}"#));
    assert_eq!(fault(r#"{"kind":"datagram_loss","socket":0}"#)["ok"], true);
    send(&mut p, "lost");
    send(&mut p, "kept");
    assert_eq!(p.read_until(b"kept", Duration::from_secs(5)), frames(&["kept"]).as_bytes());

    assert_eq!(fault(r#"{"kind":"datagram_duplicate","socket":0}"#)["ok"], true);
    send(&mut p, "twice");
    let want = frames(&["twice", "twice"]);
    assert_eq!(String::from_utf8_lossy(&p.take(want.len(), Duration::from_secs(5))), want);

    assert_eq!(fault(r#"{"kind":"datagram_reorder"}"#)["ok"], true);
    send(&mut p, "first");
    send(&mut p, "second");
    let want = frames(&["second", "first"]);
    assert_eq!(String::from_utf8_lossy(&p.take(want.len(), Duration::from_secs(5))), want);
    p.expect_quiet(Duration::from_millis(300));

    // A timed receive stall holds datagrams back, then ends by itself.
    assert_eq!(fault(r#"{"kind":"receive_stall","socket":0,"ms":600}"#)["ok"], true);
    send(&mut p, "held");
    p.expect_quiet(Duration::from_millis(300));
    let want = frames(&["held"]);
    assert_eq!(String::from_utf8_lossy(&p.take(want.len(), Duration::from_secs(5))), want);

    // Aimed at a socket that is not UDP, the fault is refused with the reason.
    let refused = fault(r#"{"kind":"datagram_loss","socket":1}"#);
    assert_eq!(refused["ok"], false, "{refused}");
    let why = refused["error"].as_str().unwrap_or_default();
    assert!(why.contains("socket 1 is a TCP socket, not UDP"), "{refused}");
    d.stop();
}
