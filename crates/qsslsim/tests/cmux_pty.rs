//! `AT+CMUX` through the real daemon and pty, the way Zephyr's `modem_cellular` drives a BG9x:
//! `AT+CMUX=0,0,5,127` on the plain port, SABM for DLCI 0, 1 and 2, registration polls on
//! DLCI 2 while DLCI 1 holds a transparent TCP connection to a real echo peer on loopback,
//! `+++` on DLCI 1 only, then CLD back to plain AT. Frames are built and checked with the
//! tests' own 27.010 code (`support/cmux_host.rs`); every assertion is on exact bytes.

#[path = "support/cmux_host.rs"]
mod cmux_host;
#[path = "support/plain_servers.rs"]
mod plain_servers;
mod support;

use std::time::Duration;

use plain_servers::tcp_echo;
use support::{show, Daemon, Port};

const WAIT: Duration = Duration::from_secs(5);

const SABM: u8 = 0x3F;
const UIH: u8 = 0xEF;
const UA: u8 = 0x73;

/// From the host (initiator, C/R 1).
fn host(dlci: u8, ctrl: u8, info: &[u8]) -> Vec<u8> {
    cmux_host::frame(dlci, true, ctrl, info)
}

/// The module's UIH on `dlci` (C/R 0).
fn module(dlci: u8, info: &[u8]) -> Vec<u8> {
    cmux_host::frame(dlci, false, UIH, info)
}

/// The next frame, which must be a well-formed UIH frame from the module on `dlci` with a
/// one-octet length; its information field.
#[track_caller]
fn next_uih(p: &mut Port, dlci: u8) -> Vec<u8> {
    let head = p.take(4, WAIT);
    assert_eq!(head[..3], [0xF9, 0x01 | dlci << 2, UIH], "{}", show(&head));
    assert_eq!(head[3] & 1, 1, "one-octet length");
    let rest = p.take(usize::from(head[3] >> 1) + 2, WAIT);
    let (info, tail) = rest.split_at(rest.len() - 2);
    assert_eq!(tail, [cmux_host::fcs(&head[1..4]), 0xF9]);
    info.to_vec()
}

/// Send `line` on `dlci` and expect `reply` as one UIH frame on the same DLCI.
#[track_caller]
fn at(p: &mut Port, dlci: u8, line: &str, reply: &str) {
    p.send(&host(dlci, UIH, format!("{line}\r").as_bytes()));
    p.expect(&module(dlci, reply.as_bytes()));
}

#[test]
fn zephyr_style_mux_with_a_transparent_socket_on_one_channel() {
    let echo = tcp_echo();
    let route = format!("192.0.2.7:7000={echo}");
    let d = Daemon::start(&["--route", &route]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+CEREG=1\r", "\r\nOK\r\n");
    p.transact("AT+CMUX=0,0,5,127\r", "\r\nOK\r\n");
    for dlci in [0, 1, 2] {
        p.send(&host(dlci, SABM, &[]));
        p.expect(&cmux_host::frame(dlci, true, UA, &[]));
    }
    // MSC for DLCI 1, answered with its values.
    p.send(&host(0, UIH, &[0xE3, 0x05, 0x07, 0x0D]));
    p.expect(&module(0, &[0xE1, 0x05, 0x07, 0x0D]));
    at(&mut p, 2, "AT+CEREG?", "\r\n+CEREG: 1,1\r\n\r\nOK\r\n");
    at(&mut p, 2, "AT+QIACT=1", "\r\nOK\r\n");
    // A transparent TCP connection on DLCI 1 to the echo peer.
    at(&mut p, 1, "AT+QIOPEN=1,0,\"TCP\",\"192.0.2.7\",7000,0,2", "\r\nCONNECT\r\n");
    p.send(&host(1, UIH, b"over the mux"));
    p.expect(&module(1, b"over the mux"));
    // DLCI 2 keeps polling meanwhile.
    at(&mut p, 2, "AT+CSQ", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    // `+++` on DLCI 1, with the guard time around it: OK on DLCI 1, the connection kept.
    std::thread::sleep(Duration::from_millis(1200));
    p.send(&host(1, UIH, b"+++"));
    p.expect(&module(1, b"\r\nOK\r\n"));
    // The state line carries the local port the system chose: read the frame, check the rest.
    p.send(&host(1, UIH, b"AT+QISTATE=1,0\r"));
    let text = String::from_utf8(next_uih(&mut p, 1)).unwrap();
    let (head, tail) = text.split_once(",7000,").expect("remote port");
    assert_eq!(head, "\r\n+QISTATE: 0,\"TCP\",\"192.0.2.7\"");
    let (_local, tail) = tail.split_once(',').expect("local port");
    assert_eq!(tail, "2,1,0,0,\"uart1\"\r\n\r\nOK\r\n");
    at(&mut p, 1, "AT+QICLOSE=0", "\r\nOK\r\n");
    // CLD: answered, then the plain port again.
    p.send(&host(0, UIH, &[0xC3, 0x01]));
    p.expect(&module(0, &[0xC1, 0x01]));
    p.transact("AT\r", "\r\nOK\r\n");
    p.expect_quiet(Duration::from_millis(200));
}
