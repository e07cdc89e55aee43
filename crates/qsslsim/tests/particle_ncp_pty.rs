//! Particle Device OS's Quectel NCP client (EG91 class), from power-on to power-off, over the
//! real daemon and pty: the init lines on the plain port with echo on (it never sends ATE0),
//! `AT+CMUX=0,0,7,1509,,,,,`, the AT channel on DLCI 1 (URCs there with
//! `AT+QCFG="cmux/urcport",1`) and PPP on DLCI 2 with frames longer than 127 bytes, `+++`
//! and `ATO` on the PPP channel, `AT+CFUN=0,0` ending the call, `AT+QPOWD`. Frames are made
//! and checked by the test's own 27.010 code, PPP by `support/ppp_host.rs`. The order and the
//! answers awaited follow docs/host-stacks.md §8.

#[path = "support/cmux_host.rs"]
mod cmux_host;
#[path = "support/ppp_host.rs"]
mod ppp_host;
mod support;

use std::net::Ipv4Addr;
use std::time::Duration;

use cmux_host::MuxHost;
use ppp_host::{negotiate, plain_peer, Dlc, IpHost, Link, WAIT};
use support::{show, Daemon};

const SERVER_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 30);
/// Particle's N1.
const N1: usize = 1509;
const AT: u8 = 1;
const PPP: u8 = 2;
/// The guard time the daemon runs with here (`--guard-time`), so `+++` takes milliseconds.
const GUARD: Duration = Duration::from_millis(100);

/// A line on channel `dlci` with echo on: the echo, then `answer`.
#[track_caller]
fn at(mux: &mut MuxHost, dlci: u8, line: &str, answer: &str) {
    mux.transact(dlci, &format!("{line}\r"), &format!("{line}\r{answer}"));
}

/// Run the TCP echo for `n` bytes over the link, polling registration on the AT channel now
/// and then, as the client does every 15 s.
fn echo(link: &mut Link<Dlc>, port: u16, local: u16, n: usize) {
    let mut ip = IpHost::new(link, u64::from(local));
    ip.tcp_echo(link, (SERVER_IP, port), local, n, 25, |link| {
        at(&mut link.port.mux, AT, "AT+CEREG?", "\r\n+CEREG: 2,1,\"1A2B\",\"B3C4D11\",7\r\n\r\nOK\r\n");
    });
    for _ in 0..20 {
        ip.step(link);
    }
}

#[test]
fn particle_quectel_ncp_from_power_on_to_power_off() {
    let peer = plain_peer("tcp");
    let port = peer.1.port();
    let d = Daemon::start(&[
        "--guard-time",
        &GUARD.as_millis().to_string(),
        "--route",
        &format!("{SERVER_IP}:{port}={}", peer.1),
    ]);
    let mut p = d.port();

    // Plain port, echo on.
    for (line, answer) in [
        ("AT", "\r\nOK\r\n"),
        ("AT+CFUN=1,0", "\r\nOK\r\n"),
        ("AT+IFC=2,2", "\r\nOK\r\n"),
        ("AT", "\r\nOK\r\n"),
        ("AT+IPR=460800", "\r\nOK\r\n"),
        ("AT", "\r\nOK\r\n"),
        ("AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n"),
        ("AT+CCID", "\r\n+CCID: 89860012345678901234\r\n\r\nOK\r\n"),
        ("AT+QDSIM=0", "\r\nOK\r\n"),
        ("AT+CMUX=0,0,7,1509,,,,,", "\r\nOK\r\n"),
    ] {
        p.transact(&format!("{line}\r"), &format!("{line}\r{answer}"));
    }

    let mut mux = MuxHost::new(p);
    for dlci in [0, AT, PPP] {
        mux.open(dlci);
    }
    // The AT channel.
    for (line, answer) in [
        ("AT", "\r\nOK\r\n"),
        ("AT+QCFG=\"cmux/urcport\",1", "\r\nOK\r\n"),
        ("AT+CGEREP=1,0", "\r\nOK\r\n"),
        ("AT+CFUN=1,0", "\r\nOK\r\n"),
        ("AT+CREG=2", "\r\nOK\r\n"),
        ("AT+CGREG=2", "\r\nOK\r\n"),
        ("AT+CEREG=2", "\r\nOK\r\n"),
        ("AT+COPS?", "\r\n+COPS: 0,0,\"CHINA MOBILE\",7\r\n\r\nOK\r\n"),
        ("AT+CGDCONT=1,\"IP\",\"particle.io\"", "\r\nOK\r\n"),
        ("AT+CEREG?", "\r\n+CEREG: 2,1,\"1A2B\",\"B3C4D11\",7\r\n\r\nOK\r\n"),
        ("AT+CREG?", "\r\n+CREG: 2,1,\"1A2B\",\"B3C4D11\",7\r\n\r\nOK\r\n"),
        ("AT+CGREG?", "\r\n+CGREG: 2,1,\"1A2B\",\"B3C4D11\",7\r\n\r\nOK\r\n"),
        ("AT+CIMI", "\r\n460001234567890\r\n\r\nOK\r\n"),
    ] {
        at(&mut mux, AT, line, answer);
    }

    // The PPP channel: dial, negotiate, a TCP echo with frames up to N1 each way.
    at(&mut mux, PPP, "ATD*99***1#", "\r\nCONNECT\r\n");
    let mut link = negotiate(Dlc { mux, dlci: PPP, n1: N1 });
    echo(&mut link, port, 49300, 32 * 1024);

    // +++ with its guard times: OK on the PPP channel, the call kept; ATO resumes it.
    std::thread::sleep(GUARD * 2);
    link.port.mux.send(PPP, b"+++");
    let ok = link.port.mux.read_until(PPP, b"\r\nOK\r\n", WAIT);
    assert_eq!(show(&ok), show(b"\r\nOK\r\n"));
    at(&mut link.port.mux, AT, "AT+CGACT?", "\r\n+CGACT: 1,1\r\n\r\nOK\r\n");
    at(&mut link.port.mux, PPP, "ATO", "\r\nCONNECT\r\n");
    echo(&mut link, port, 49301, 8 * 1024);

    // Disconnect: AT+CFUN=0,0 takes the radio and the context; NO CARRIER on the PPP channel.
    let mut mux = link.port.mux;
    at(&mut mux, AT, "AT+CFUN=0,0", "\r\nOK\r\n");
    let tail = mux.read_until(PPP, b"\r\nNO CARRIER\r\n", WAIT);
    assert!(tail.ends_with(b"\r\nNO CARRIER\r\n"), "{}", show(&tail));
    // The radio's and the context's reports on the URC channel (the AT channel here).
    let urcs = mux.read_until(AT, b"\r\n+CGEV: NW DETACH\r\n", WAIT);
    assert_eq!(
        show(&urcs),
        show(b"\r\n+CREG: 0\r\n\r\n+CGREG: 0\r\n\r\n+CEREG: 0\r\n\r\n+CGEV: NW DETACH\r\n")
    );
    at(&mut mux, AT, "AT+CGACT?", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");

    // Power off: the bare AT+QPOWD; OK, then POWERED DOWN on the URC channel.
    at(&mut mux, AT, "AT+QPOWD", "\r\nOK\r\n");
    let last = mux.read_until(AT, b"\r\nPOWERED DOWN\r\n", WAIT);
    assert_eq!(show(&last), show(b"\r\nPOWERED DOWN\r\n"));
}
