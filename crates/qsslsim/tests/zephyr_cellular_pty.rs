//! Zephyr's `modem_cellular` driver for the Quectel family, from power-on to power-off, over
//! the real daemon and pty: the init script on the plain port, `AT+CMUX`, DLCI 0, 1 and 2
//! opened, the dial script and a PPP call on DLCI 1 carrying DNS and a TCP echo through
//! smoltcp, the periodic registration polls on DLCI 2 while the call runs, the host ending
//! the call, and `AT+QPOWD=1`. The frames are made and checked by the test's own 27.010 code
//! (`support/cmux_host.rs`), the PPP packets by hand (`support/ppp_host.rs`). The order and
//! the awaited answers follow docs/host-stacks.md §4.

#[path = "support/cmux_host.rs"]
mod cmux_host;
#[path = "support/ppp_host.rs"]
mod ppp_host;
mod support;

use std::net::Ipv4Addr;
use std::time::Duration;

use cmux_host::MuxHost;
use ppp_host::{negotiate, plain_peer, Dlc, IpHost, Link, WAIT};
use qsslsim_ppp::packet::proto;
use support::{show, Daemon};

/// Where the host thinks the server is; `--resolve` and `--route` lead to the loopback peer.
const SERVER_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 20);
/// Zephyr's BG9x N1 (`AT+CMUX=0,0,5,127`): the host sends no longer frames.
const N1: usize = 127;

/// The periodic script on DLCI 2, each answer exact: registered, home, as `AT+C*REG=1` asks.
fn periodic(mux: &mut MuxHost) {
    mux.transact(2, "AT+CREG?\r", "\r\n+CREG: 1,1\r\n\r\nOK\r\n");
    mux.transact(2, "AT+CEREG?\r", "\r\n+CEREG: 1,1\r\n\r\nOK\r\n");
    mux.transact(2, "AT+CGREG?\r", "\r\n+CGREG: 1,1\r\n\r\nOK\r\n");
}

#[test]
fn zephyr_modem_cellular_from_power_on_to_power_off() {
    let peer = plain_peer("tcp");
    let port = peer.1.port();
    let d = Daemon::start(&[
        "--resolve",
        &format!("server.zephyr.test={SERVER_IP}"),
        "--route",
        &format!("{SERVER_IP}:{port}={}", peer.1),
    ]);
    let mut p = d.port();

    // The init script on the plain port, each line waiting for OK.
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    for line in ["AT+CFUN=4", "AT+CMEE=1", "AT+CREG=1", "AT+CGREG=1", "AT+CEREG=1"] {
        p.transact(&format!("{line}\r"), "\r\nOK\r\n");
    }
    // Radio off: not registered, not searching.
    p.transact("AT+CREG?\r", "\r\n+CREG: 1,0\r\n\r\nOK\r\n");
    p.transact("AT+CEREG?\r", "\r\n+CEREG: 1,0\r\n\r\nOK\r\n");
    p.transact("AT+CGREG?\r", "\r\n+CGREG: 1,0\r\n\r\nOK\r\n");
    // Identity: the first line before OK is what the driver keeps.
    for (line, want) in [
        ("AT+CGSN", "\r\n861536030196001\r\n\r\nOK\r\n"),
        ("AT+CGMM", "\r\nEG915Q-GL\r\n\r\nOK\r\n"),
        ("AT+CGMI", "\r\nQuectel\r\n\r\nOK\r\n"),
        ("AT+QGMR", "\r\nEG915QGLR01A01M08_01.001.01.001\r\n\r\nOK\r\n"),
        ("AT+CIMI", "\r\n460001234567890\r\n\r\nOK\r\n"),
        ("AT+QCCID", "\r\n+QCCID: 89860012345678901234\r\n\r\nOK\r\n"),
    ] {
        p.transact(&format!("{line}\r"), want);
    }
    p.transact("AT+CMUX=0,0,5,127\r", "\r\nOK\r\n");

    // Mux mode: the control channel, then DLCI 1 and 2.
    let mut mux = MuxHost::new(p);
    for dlci in [0, 1, 2] {
        mux.open(dlci);
    }
    // The dial script on DLCI 1.
    mux.transact(1, "AT+CGACT=0,1\r", "\r\nOK\r\n");
    mux.transact(1, "AT+CGDCONT=1,\"IP\",\"internet\"\r", "\r\nOK\r\n");
    mux.transact(1, "AT+CFUN=1\r", "\r\nOK\r\n");
    // The radio comes back: the registration reports on the URC channel (DLCI 1).
    let mut urcs = mux.read_until(1, b"+CGREG: 1\r\n", WAIT);
    urcs.extend(mux.drain(1, Duration::from_millis(300)));
    let urcs = String::from_utf8_lossy(&urcs).into_owned();
    assert_eq!(urcs.len(), 3 * "\r\n+CREG: 1\r\n".len() + 2, "three reports and nothing else: {urcs:?}");
    for urc in ["\r\n+CREG: 1\r\n", "\r\n+CEREG: 1\r\n", "\r\n+CGREG: 1\r\n"] {
        assert!(urcs.contains(urc), "{urc:?} in {urcs:?}");
    }
    mux.transact(1, "ATD*99***1#\r", "\r\nCONNECT\r\n");

    // PPP on DLCI 1; the driver starts polling on DLCI 2.
    periodic(&mut mux);
    let mut link: Link<Dlc> = negotiate(Dlc { mux, dlci: 1, n1: N1 });
    periodic(&mut link.port.mux);

    let mut ip = IpHost::new(&mut link, 11);

    // DNS for the server's name.
    let uh = ip.udp(40001);
    let server = IpHost::answer_address(&ip.dns(&mut link, uh, "server.zephyr.test"));
    assert_eq!(server, SERVER_IP);

    // A TCP echo of 48 KiB, the periodic script running on DLCI 2 every so often.
    let mut polls = 0;
    ip.tcp_echo(&mut link, (server, port), 49200, 48 * 1024, 20, |link| {
        periodic(&mut link.port.mux);
        polls += 1;
    });
    assert!(polls > 0, "the polls ran during the transfer");
    for _ in 0..20 {
        ip.step(&mut link);
    }

    // The host ends the call: Terminate-Request, then NO CARRIER on DLCI 1.
    link.frames.clear();
    link.send_packet(proto::LCP, 5, 0x42, &[]);
    let tail = link.port.mux.read_until(1, b"\r\nNO CARRIER\r\n", WAIT);
    assert!(tail.ends_with(b"\r\nNO CARRIER\r\n"), "{}", show(&tail));
    let mut mux = link.port.mux;
    mux.transact(2, "AT+CGACT?\r", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
    mux.transact(1, "AT\r", "\r\nOK\r\n");

    // Shutdown: AT+QPOWD=1, waiting for POWERED DOWN: the last frame, on the URC channel.
    mux.transact(2, "AT+QPOWD=1\r", "\r\nOK\r\n");
    let last = mux.read_until(1, b"\r\nPOWERED DOWN\r\n", WAIT);
    assert_eq!(show(&last), show(b"\r\nPOWERED DOWN\r\n"));
    // Then silence: the module is off.
    mux.port.send(&cmux_host::uih(2, b"AT\r"));
    assert!(mux.drain(2, Duration::from_millis(300)).is_empty());
    assert!(mux.others.is_empty(), "{:?}", mux.others);
}
