//! The TCP/IP family's local ports and the sandbox through the real daemon: a listener or UDP
//! service on a port already taken fails with 574, a refused bind with 556, and plain TCP and
//! UDP opens go through `--resolve`, `--route` and the sandbox exactly as SSL opens do.

#[path = "support/hostile_util.rs"]
mod hostile_util;
mod support;

use std::time::Duration;

use hostile_util::{control_path, ctl};
use support::{Daemon, Port};

fn ready(p: &mut Port) {
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
}

#[track_caller]
fn open(p: &mut Port, line: &str, urc: &str) {
    p.transact(&format!("{line}\r"), "\r\nOK\r\n");
    let got = p.read_until(b"\r\n", Duration::from_secs(5));
    assert!(got.is_empty() || got == b"\r\n", "{got:?}");
    p.expect(format!("{urc}\r\n").as_bytes());
}

#[test]
fn local_ports_in_use_are_574_and_refused_binds_556() {
    let taken_tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let (tcp_port, udp_port) =
        (taken_tcp.local_addr().unwrap().port(), taken_udp.local_addr().unwrap().port());
    let control = control_path("tcpip-ports");
    let d = Daemon::start(&["--control", control.to_str().unwrap()]);
    let mut p = d.port();
    ready(&mut p);
    open(&mut p, &format!("AT+QIOPEN=1,0,\"TCP LISTENER\",\"127.0.0.1\",0,{tcp_port},0"), "+QIOPEN: 0,574");
    p.transact("AT+QIGETERROR\r", "\r\n+QIGETERROR: 574,port busy\r\n\r\nOK\r\n");
    open(&mut p, &format!("AT+QIOPEN=1,1,\"UDP SERVICE\",\"127.0.0.1\",0,{udp_port},0"), "+QIOPEN: 1,574");
    let v = ctl(&control, r#"{"verb":"fault","fault":{"kind":"refuse_connect"}}"#);
    assert_eq!(v["ok"], true, "{v}");
    drop(taken_tcp);
    open(&mut p, &format!("AT+QIOPEN=1,2,\"TCP LISTENER\",\"127.0.0.1\",0,{tcp_port},0"), "+QIOPEN: 2,556");
    // With the fault used up, the port that was freed is served.
    open(&mut p, &format!("AT+QIOPEN=1,2,\"TCP LISTENER\",\"127.0.0.1\",0,{tcp_port},0"), "+QIOPEN: 2,0");
    std::net::TcpStream::connect(("127.0.0.1", tcp_port)).unwrap();
    p.read_until(b"+QIURC: \"incoming\",11,2,\"127.0.0.1\",", Duration::from_secs(5));
    d.stop();
}

#[test]
fn plain_opens_obey_resolve_route_and_the_sandbox() {
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let route = format!("203.0.113.9:80=127.0.0.1:{port}");
    let d = Daemon::start(&["--resolve", "tcp.example=203.0.113.9", "--route", &route]);
    let mut p = d.port();
    ready(&mut p);
    // By name, mapped and routed: connects, and QISTATE shows the address before routing.
    open(&mut p, "AT+QIOPEN=1,0,\"TCP\",\"tcp.example\",80,0,0", "+QIOPEN: 0,0");
    let (mut conn, _) = server.accept().unwrap();
    p.transact("AT+QISTATE=1,0\r", "");
    let line = p.read_until(b"\r\n\r\nOK\r\n", Duration::from_secs(5));
    let line = String::from_utf8_lossy(&line);
    assert!(line.starts_with("\r\n+QISTATE: 0,\"TCP\",\"203.0.113.9\",80,"), "{line}");
    std::io::Write::write_all(&mut conn, b"via route").unwrap();
    p.read_until(b"\r\n+QIURC: \"recv\",0\r\n", Duration::from_secs(5));
    p.transact("AT+QIRD=0\r", "\r\n+QIRD: 9\r\nvia route\r\n\r\nOK\r\n");
    // A name with no rule fails to resolve; an address the sandbox does not reach is refused.
    open(&mut p, "AT+QIOPEN=1,1,\"TCP\",\"nowhere.example\",80,0,0", "+QIOPEN: 1,565");
    open(&mut p, "AT+QIOPEN=1,1,\"TCP\",\"198.51.100.1\",80,0,0", "+QIOPEN: 1,566");
    open(&mut p, "AT+QIOPEN=1,1,\"UDP\",\"nowhere.example\",53,0,0", "+QIOPEN: 1,565");
    open(&mut p, "AT+QIOPEN=1,1,\"UDP\",\"198.51.100.1\",53,0,0", "+QIOPEN: 1,566");
    d.stop();
}
