//! `AT+CMUX` and 27.010 multiplexing, driven straight into the module with exact bytes. The
//! frames are built and cut here with a little encoder and decoder of the test's own (a
//! bitwise CRC, not the crate's codec), so the crate's frames are checked against the
//! standard, not against themselves. The host is the initiator: its commands carry C/R 1;
//! the module's responses (UA, DM) carry C/R 1 and its UIH frames C/R 0.

mod bench;
mod mux_bench;

use std::time::Duration;

use bench::{Bench, CONNECT, ERROR, OK};
use mux_bench::*;
use qsslsim_modem::{Event, Fault, NetAction};

// ---- the command ------------------------------------------------------------------------------

#[test]
fn test_and_read_forms_and_bad_values() {
    let mut b = Bench::new();
    b.check(
        "AT+CMUX=?",
        "\r\n+CMUX: (0),(0),(1-7),(1-32768),(1-255),(0-100),(2-255),(1-255),(1-7)\r\n\r\nOK\r\n",
    );
    b.check("AT+CMUX?", "\r\n+CMUX: 0,0,5,127,10,3,30,10,2\r\n\r\nOK\r\n");
    for bad in [
        "AT+CMUX",
        "AT+CMUX=",
        "AT+CMUX=1",
        "AT+CMUX=0,1",
        "AT+CMUX=0,0,8",
        "AT+CMUX=0,0,5,0",
        "AT+CMUX=0,0,5,32769",
        "AT+CMUX=0,0,5,127,0",
        "AT+CMUX=0,0,5,127,10,101",
        "AT+CMUX=0,0,5,127,10,3,1",
        "AT+CMUX=0,0,5,127,10,3,30,0",
        "AT+CMUX=0,0,5,127,10,3,30,10,8",
        "AT+CMUX=0,0,5,127,10,3,30,10,2,1",
        "AT+CMUX=\"0\"",
    ] {
        b.check(bad, ERROR);
        assert!(b.events.iter().any(|e| matches!(e, Event::Refused { command, .. } if command == "AT+CMUX")));
        b.events.clear();
    }
    // Still the plain port.
    b.check("AT", OK);
}

#[test]
fn a_line_that_fails_after_cmux_leaves_the_port_plain() {
    let mut b = Bench::new();
    b.check("AT+CMUX=0;+CMUX=1", ERROR);
    b.check("AT", OK);
    b.check("AT+CMUX=0;+CSQ", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    b.input(&host(0, SABM, &[]));
    assert_eq!(b.take_bytes(), response(0, UA));
}

#[test]
fn ok_goes_out_plain_then_frames_follow_in_the_same_read() {
    let mut b = Bench::new();
    let mut bytes = b"AT+CMUX=0,0,5,127\r".to_vec();
    bytes.extend(host(0, SABM, &[]));
    b.input(&bytes);
    let mut want = OK.as_bytes().to_vec();
    want.extend([0xF9, 0x03, 0x73, 0x01, 0xD7, 0xF9]);
    assert_eq!(b.take_bytes(), want);
    assert!(b.events.iter().any(|e| matches!(e, Event::Mux { on: true, .. })));
}

// ---- Zephyr modem_cellular (BG9x) ---------------------------------------------------------------

/// Zephyr's BG9x script from power-on: boot output, the init lines, `AT+CMUX=0,0,5,127`, SABM
/// for DLCI 0, 1 and 2, then the periodic script on DLCI 2 answered on DLCI 2, as a plain
/// port would answer it.
#[test]
fn zephyr_bg9x_from_power_on() {
    let mut b = Bench::with_echo();
    b.m.boot_output(b.now);
    b.settle();
    assert_eq!(b.take_text(), "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\nAPP RDY\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n");
    assert_eq!(b.at("ATE0"), "ATE0\r\r\nOK\r\n");
    for l in ["AT+CFUN=4", "AT+CMEE=1", "AT+CREG=1", "AT+CGREG=1", "AT+CEREG=1", "AT+CFUN=1"] {
        b.check(l, OK);
    }
    b.settle();
    b.writes.clear();
    let mut answers = Vec::new();
    let periodic = ["AT+CREG?", "AT+CEREG?", "AT+CGREG?", "AT+CSQ"];
    for l in ["AT+CGSN", "AT+CGMM", "AT+CGMI", "AT+QGMR", "AT+CIMI", "AT+QCCID"].iter().chain(&periodic) {
        let got = b.at(l);
        assert!(got.ends_with(OK), "{l}: {got:?}");
        answers.push(got);
    }
    assert_eq!(answers[6], "\r\n+CREG: 1,1\r\n\r\nOK\r\n");
    assert_eq!(answers[7], "\r\n+CEREG: 1,1\r\n\r\nOK\r\n");
    // Zephyr does not wait for this OK; it comes anyway, on the plain port.
    b.check("AT+CMUX=0,0,5,127", OK);
    let mut m = Mux { b };
    m.send(&[0xF9, 0x03, 0x3F, 0x01, 0x1C, 0xF9]);
    assert_eq!(m.bytes(), [0xF9, 0x03, 0x73, 0x01, 0xD7, 0xF9]);
    m.send(&host(1, SABM, &[]));
    assert_eq!(m.bytes(), [0xF9, 0x07, 0x73, 0x01, 0x15, 0xF9]);
    m.send(&host(2, SABM, &[]));
    assert_eq!(m.bytes(), response(2, UA));
    // The channels start as the plain port was: echo off.
    for (l, want) in periodic.iter().zip(&answers[6..]) {
        m.check(2, l, want);
    }
    assert_eq!(m.b.take_bytes(), b"");
    // The answer's frame, whole: UIH on DLCI 2 with C/R 0.
    m.b.writes.clear();
    m.send(&line(2, "AT+CREG?"));
    assert_eq!(m.bytes(), from_module(2, b"\r\n+CREG: 1,1\r\n\r\nOK\r\n"));
    // And the same on DLCI 1.
    m.check(1, "AT+CSQ", &answers[9]);
    let dlc: Vec<(u8, bool)> =
        m.b.events
            .iter()
            .filter_map(|e| match e {
                Event::Dlc { dlci, open, .. } => Some((*dlci, *open)),
                _ => None,
            })
            .collect();
    assert_eq!(dlc, [(0, true), (1, true), (2, true)]);
}

#[test]
fn msc_test_and_pn_on_the_control_channel() {
    let mut m = Mux::start("0,0,5,127", &[1]);
    // MSC for DLCI 1 (Zephyr sends one after the SABM): answered with the same values.
    m.send(&uih(0, &[0xE3, 0x05, 0x07, 0x0D]));
    assert_eq!(m.bytes(), from_module(0, &[0xE1, 0x05, 0x07, 0x0D]));
    m.send(&uih(0, &[0x23, 0x07, b'p', b'i', b'n']));
    assert_eq!(m.bytes(), from_module(0, &[0x21, 0x07, b'p', b'i', b'n']));
    // PN for DLCI 2: N1 = 127; the module agrees (UIH frames, convergence layer 1).
    let pn = [0x02, 0x00, 0x00, 0x0A, 0x7F, 0x00, 0x03, 0x02];
    m.send(&uih(0, &[&[0x83, 0x11][..], &pn].concat()));
    assert_eq!(m.bytes(), from_module(0, &[&[0x81, 0x11][..], &pn].concat()));
    // An unsupported message (RPN): NSC naming its type.
    m.send(&uih(0, &[0x93, 0x01]));
    assert_eq!(m.bytes(), from_module(0, &[0x11, 0x03, 0x93]));
    m.check(1, "AT", OK);
}

// ---- channels side by side -------------------------------------------------------------------

#[test]
fn ssl_open_on_one_channel_while_the_other_polls() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check(2, "AT+QIACT=1", OK);
    m.check(2, "AT+QSSLOPEN=1,0,3,\"192.0.2.2\",443,0", OK);
    let conn = m.b.open_request(3).conn;
    m.check(1, "AT+CSQ", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    m.b.opened(3, conn);
    m.b.settle();
    // The open's report is a URC: on the URC channel (DLCI 1 by default).
    let frames = m.frames();
    assert_eq!(dlcis(&frames), [1]);
    assert_eq!(text_on(&frames, 1), "\r\n+QSSLOPEN: 3,0\r\n");
    m.b.data(3, conn, b"hello");
    m.b.settle();
    assert_eq!(text_on(&m.frames(), 1), "\r\n+QSSLURC: \"recv\",3\r\n");
    m.check(2, "AT+QSSLRECV=3,100", "\r\n+QSSLRECV: 5\r\nhello\r\n\r\nOK\r\n");
    m.check(1, "AT+CEREG?", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
}

#[test]
fn a_urc_goes_to_the_urc_channel_only() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check(2, "AT+CEREG=1", OK);
    m.b.inject(Fault::Deregister { stat: None });
    m.b.settle();
    let frames = m.frames();
    assert_eq!(dlcis(&frames), [1]);
    assert_eq!(text_on(&frames, 1), "\r\n+CEREG: 0\r\n");
}

#[test]
fn urcs_wait_until_the_urc_channel_is_open() {
    let mut m = Mux::start("0,0,5,127", &[2]);
    m.check(2, "AT+CEREG=1", OK);
    m.b.inject(Fault::Deregister { stat: None });
    m.b.settle();
    assert_eq!(m.bytes(), b"");
    m.send(&host(1, SABM, &[]));
    m.b.settle();
    let mut want = response(1, UA);
    want.extend(from_module(1, b"\r\n+CEREG: 0\r\n"));
    assert_eq!(m.bytes(), want);
}

#[test]
fn transparent_on_dlci_1_while_dlci_2_runs_commands() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check(1, "AT+QIACT=1", OK);
    // DLCI 1 waits for CONNECT; DLCI 2 is not held up by it.
    m.check(1, "AT+QSSLOPEN=1,0,4,\"192.0.2.2\",443,2", "");
    let conn = m.b.open_request(4).conn;
    m.check(2, "AT", OK);
    m.b.opened(4, conn);
    let frames = m.frames();
    assert_eq!(dlcis(&frames), [1]);
    assert_eq!(text_on(&frames, 1), CONNECT);
    // Downlink comes raw on DLCI 1; uplink typed on DLCI 1 goes to the socket.
    m.b.data(4, conn, b"from server");
    assert_eq!(m.bytes(), from_module(1, b"from server"));
    m.b.actions.clear();
    m.send(&uih(1, b"to server"));
    assert_eq!(bench::sends(&m.b.take_actions(), 4), [b"to server".to_vec()]);
    assert_eq!(m.bytes(), b"");
    // Commands on DLCI 2 meanwhile, and `+++` there is a command line's text, not an escape.
    m.check(
        2,
        "AT+QSSLSTATE=4",
        "\r\n+QSSLSTATE: 4,\"SSLClient\",\"192.0.2.2\",443,50004,2,1,4,2,\"uart1\",0\r\n\r\nOK\r\n",
    );
    m.b.advance(Duration::from_secs(2));
    m.send(&uih(2, b"+++"));
    m.b.advance(Duration::from_secs(2));
    assert_eq!(m.bytes(), b"");
    m.send(&uih(2, b"\r"));
    assert_eq!(text_on(&m.frames(), 2), ERROR);
    // `+++` with guard time on DLCI 1 only: OK there, the connection kept.
    m.b.advance(Duration::from_secs(2));
    m.send(&uih(1, b"+++"));
    m.b.advance(Duration::from_secs(2));
    let frames = m.frames();
    assert_eq!(dlcis(&frames), [1]);
    assert_eq!(text_on(&frames, 1), OK);
    assert!(!m
        .b
        .take_actions()
        .iter()
        .any(|a| matches!(a, NetAction::Abort { .. } | NetAction::Close { .. })));
    m.check(
        1,
        "AT+QSSLSTATE=4",
        "\r\n+QSSLSTATE: 4,\"SSLClient\",\"192.0.2.2\",443,50004,2,1,4,0,\"uart1\",0\r\n\r\nOK\r\n",
    );
    m.check(1, "ATO", CONNECT);
    // The server closes: NO CARRIER on DLCI 1.
    m.b.remote_closed(4, conn);
    let frames = m.frames();
    assert_eq!(dlcis(&frames), [1]);
    assert_eq!(text_on(&frames, 1), "\r\nNO CARRIER\r\n");
}

/// An upload and a send prompt are modes of their channel: the other channel keeps running
/// commands meanwhile, and the data phase's answers come on the channel that started it, as
/// the same flow answers on a plain port.
#[test]
fn upload_and_send_prompt_on_one_channel_while_the_other_runs_commands() {
    let mut plain = Bench::new();
    plain.check("AT+QFUPL=\"UFS:a.txt\",5", CONNECT);
    plain.input(b"hello");
    let uploaded = plain.take_text();
    assert!(uploaded.starts_with("\r\n+QFUPL: 5,"), "{uploaded:?}");

    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check(2, "AT+QFUPL=\"UFS:a.txt\",5", CONNECT);
    m.check(1, "AT+CSQ", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    m.send(&uih(2, b"hel"));
    m.check(1, "AT", OK);
    m.send(&uih(2, b"lo"));
    let frames = m.frames();
    assert_eq!(text_on(&frames, 2), uploaded);
    assert!(dlcis(&frames).iter().all(|d| *d == 2));

    let conn = m.open_ssl(1, 7, 0);
    m.check(2, "AT+QSSLSEND=7", "\r\n> ");
    m.check(1, "AT", OK);
    m.b.actions.clear();
    m.send(&uih(2, b"data\x1a"));
    assert_eq!(bench::sends(&m.b.take_actions(), 7), [b"data".to_vec()]);
    m.b.sent(7, conn, 4);
    assert_eq!(text_on(&m.frames(), 2), "\r\nSEND OK\r\n");
}

#[test]
fn a_lingering_close_answers_on_the_channel_that_ran_it() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    let conn = m.open_ssl(2, 5, 1);
    m.check(2, "AT+QSSLCLOSE=5,10", "");
    m.check(1, "AT", OK);
    m.b.closed(5, conn);
    let frames = m.frames();
    assert_eq!(dlcis(&frames), [2]);
    assert_eq!(text_on(&frames, 2), OK);
}

// ---- the link ---------------------------------------------------------------------------------

#[test]
fn garbage_and_bad_fcs_between_frames_are_skipped() {
    let mut m = Mux::start("0,0,5,127", &[1]);
    m.b.events.clear();
    let mut bytes = b"AT\r\n".to_vec();
    let mut bad = line(1, "AT+CSQ");
    let n = bad.len();
    bad[n - 2] ^= 0xFF;
    bytes.extend(bad);
    bytes.extend([0x00, 0x42]);
    bytes.extend(line(1, "AT"));
    m.send(&bytes);
    assert_eq!(m.bytes(), from_module(1, OK.as_bytes()));
    let causes: Vec<String> =
        m.b.events
            .iter()
            .filter_map(|e| match e {
                Event::Failure { cause, .. } if cause.starts_with("mux:") => Some(cause.clone()),
                _ => None,
            })
            .collect();
    assert_eq!(
        causes,
        [
            "mux: 4 bytes skipped: bytes outside a frame",
            "mux: 11 bytes skipped: bad FCS",
            "mux: 2 bytes skipped: bytes outside a frame"
        ]
    );
}

#[test]
fn ui_frames_carry_data_too() {
    let mut m = Mux::start("0,0,5,127", &[1]);
    m.send(&host(1, 0x03, b"AT\r"));
    assert_eq!(m.bytes(), from_module(1, OK.as_bytes()));
    // A UI frame whose FCS covers only the header is a bad frame.
    let mut bad = host(1, UIH, b"AT\r");
    bad[2] = 0x03;
    m.send(&bad);
    assert_eq!(m.bytes(), b"");
}

#[test]
fn a_frame_split_across_reads_is_put_together() {
    let mut m = Mux::start("0,0,5,127", &[1]);
    let f = line(1, "AT");
    for b in &f {
        m.send(&[*b]);
    }
    assert_eq!(m.bytes(), from_module(1, OK.as_bytes()));
}

#[test]
fn disc_of_one_dlc_leaves_the_others() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.send(&host(2, DISC, &[]));
    assert_eq!(m.bytes(), response(2, UA));
    // Data for the closed DLC: DM (F as the frame's P: clear); a DISC for a DLC never
    // opened: DM.
    m.send(&line(2, "AT"));
    assert_eq!(m.bytes(), frame(0x0B, 0x0F, &[]));
    m.send(&host(3, DISC, &[]));
    assert_eq!(m.bytes(), response(3, DM));
    // A SABM beyond DLCI 4: DM.
    m.send(&host(5, SABM, &[]));
    assert_eq!(m.bytes(), response(5, DM));
    m.check(1, "AT", OK);
    assert!(m.b.events.iter().any(|e| matches!(e, Event::Dlc { dlci: 2, open: false, .. })));
    // Opened again: a fresh channel.
    m.send(&host(2, SABM, &[]));
    assert_eq!(m.bytes(), response(2, UA));
    m.check(2, "AT", OK);
}

#[test]
fn cld_returns_to_the_plain_port() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    // Echo is the channel's own.
    m.check(1, "ATE1", OK);
    m.check(1, "AT", "AT\r\r\nOK\r\n");
    m.check(2, "AT", OK);
    m.send(&uih(0, &[0xC3, 0x01]));
    assert_eq!(m.bytes(), from_module(0, &[0xC1, 0x01]));
    assert!(m.b.events.iter().any(|e| matches!(e, Event::Mux { on: false, .. })));
    // The plain port as it was before AT+CMUX: echo off.
    m.b.check("AT+CMUX?", "\r\n+CMUX: 0,0,5,127,10,3,30,10,2\r\n\r\nOK\r\n");
    m.b.check("AT", OK);
}

#[test]
fn disc_of_the_control_channel_closes_down_too() {
    let mut m = Mux::start("0,0,5,127", &[1]);
    m.send(&host(0, DISC, &[]));
    assert_eq!(m.bytes(), response(0, UA));
    m.b.check("AT", OK);
}

#[test]
fn answers_longer_than_n1_are_split() {
    let mut m = Mux::start("0,0,5,31", &[1]);
    let want = "\r\nEG915QGLR01A01M08_01.001.01.001\r\n\r\nOK\r\n";
    m.send(&line(1, "AT+QGMR"));
    let mut bytes = from_module(1, &want.as_bytes()[..31]);
    bytes.extend(from_module(1, &want.as_bytes()[31..]));
    assert_eq!(m.bytes(), bytes);
}

#[test]
fn cmux_inside_mux_mode_is_an_error_and_the_read_form_shows_the_running_values() {
    let mut m = Mux::start("0,0,5,127,10,3,30,10,2", &[1]);
    m.check(1, "AT+CMUX=0", ERROR);
    m.check(1, "AT+CMUX?", "\r\n+CMUX: 0,0,5,127,10,3,30,10,2\r\n\r\nOK\r\n");
}

#[test]
fn a_restart_ends_mux_mode_and_boots_on_the_plain_port() {
    let mut m = Mux::start("0,0,5,127", &[1]);
    m.check(1, "AT+CFUN=1,1", OK);
    m.b.advance(Duration::from_millis(300));
    assert_eq!(
        m.b.take_text(),
        "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\nAPP RDY\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n"
    );
    assert!(m.b.events.iter().any(|e| matches!(e, Event::Mux { on: false, .. })));
    m.b.check("AT", "AT\r\r\nOK\r\n");
}

#[test]
fn dtr_drop_leaves_each_channels_data_mode() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check(2, "AT+QIACT=1", OK);
    m.check(2, "AT+QSSLOPEN=1,0,6,\"192.0.2.2\",443,2", "");
    let conn = m.b.open_request(6).conn;
    m.b.opened(6, conn);
    assert_eq!(text_on(&m.frames(), 2), CONNECT);
    m.b.set_dtr(true);
    let frames = m.frames();
    assert_eq!(dlcis(&frames), [2]);
    assert_eq!(text_on(&frames, 2), OK);
}

// ---- Particle -----------------------------------------------------------------------------------

/// Particle's `AT+CMUX=0,0,7,1509,,,,,` (empty fields take the defaults), then on the muxed
/// channel `AT`, `AT+QCFG="cmux/urcport",1`, `AT+CGEREP=1,0`; URCs on DLCI 1, and on DLCI 2
/// once the setting says 2.
#[test]
fn particle_cmux_line_and_urcport() {
    let mut m = Mux::start("0,0,7,1509,,,,,", &[1, 2]);
    m.check(1, "AT", OK);
    m.check(1, "AT+QCFG=\"cmux/urcport\",1", OK);
    m.check(1, "AT+CGEREP=1,0", OK);
    m.check(1, "AT+CMUX?", "\r\n+CMUX: 0,0,7,1509,10,3,30,10,2\r\n\r\nOK\r\n");
    m.check(2, "AT+CEREG=1", OK);
    m.b.inject(Fault::Deregister { stat: None });
    m.b.settle();
    let frames = m.frames();
    assert!(dlcis(&frames).iter().all(|d| *d == 1), "{frames:?}");
    assert!(text_on(&frames, 1).starts_with("\r\n+CEREG: 0\r\n"), "{frames:?}");
    m.check(2, "AT+QCFG=\"cmux/urcport\",2", OK);
    m.b.inject(Fault::Register);
    m.b.settle();
    let frames = m.frames();
    assert!(dlcis(&frames).iter().all(|d| *d == 2), "{frames:?}");
    assert!(text_on(&frames, 2).starts_with("\r\n+CEREG: 1\r\n"), "{frames:?}");
}

// ---- PPP on a channel ---------------------------------------------------------------------

/// Zephyr `modem_cellular`: the dial script and PPP on DLCI 1, the periodic registration
/// polls on DLCI 2 while the call runs; the call's bytes stay on DLCI 1 both ways.
#[test]
fn ppp_on_dlci_1_while_dlci_2_polls() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check(1, "AT+CGACT=0,1", OK);
    m.check(1, "AT+CGDCONT=1,\"IP\",\"internet\"", OK);
    m.check(1, "AT+CFUN=1", OK);
    let session = m.dial(1, "ATD*99***1#");
    // Uplink: a PPP frame inside a UIH frame of DLCI 1 reaches the session untouched.
    m.send(&uih(1, b"\x7e\xff\x7d\x23\xc0\x21+\r\x7e"));
    let up: Vec<u8> =
        m.b.take_actions()
            .into_iter()
            .filter_map(|a| match a {
                NetAction::PppData { session: s, data } if s == session => Some(data),
                _ => None,
            })
            .flatten()
            .collect();
    assert_eq!(up, b"\x7e\xff\x7d\x23\xc0\x21+\r\x7e");
    // Downlink: on DLCI 1 only.
    m.b.net(qsslsim_modem::NetEvent::PppData { session, data: b"\x7e\x21\x45\x7e".to_vec() });
    assert_eq!(m.bytes(), from_module(1, b"\x7e\x21\x45\x7e"));
    // The other channel answers its polls meanwhile.
    m.check(2, "AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n");
    m.check(2, "AT+CGACT?", "\r\n+CGACT: 1,1\r\n\r\nOK\r\n");
    // The host terminates LCP: NO CARRIER on DLCI 1, the context down.
    m.b.net(qsslsim_modem::NetEvent::PppEnded { session, why: "the host terminated LCP".into() });
    assert_eq!(m.bytes(), from_module(1, b"\r\nNO CARRIER\r\n"));
    m.check(2, "AT+CGACT?", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
    m.check(1, "AT", OK);
}

/// A call dialled on DLCI 2 (not the URC channel) keeps its bytes there; releasing its DLC
/// ends the call: nothing can reach it any more.
#[test]
fn a_call_on_dlci_2_stays_there_and_ends_with_its_dlc() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    let session = m.dial(2, "ATD*99#");
    m.b.net(qsslsim_modem::NetEvent::PppData { session, data: b"\x7e\x21\x45\x7e".to_vec() });
    assert_eq!(m.bytes(), from_module(2, b"\x7e\x21\x45\x7e"));
    m.send(&host(2, DISC, &[]));
    assert_eq!(m.bytes(), response(2, UA));
    assert!(m
        .b
        .take_actions()
        .iter()
        .any(|a| matches!(a, NetAction::PppStop { session: s } if *s == session)));
    m.check(1, "AT+CGACT?", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
    // Late bytes of the ended session go nowhere.
    m.b.net(qsslsim_modem::NetEvent::PppData { session, data: b"late".to_vec() });
    assert!(m.bytes().is_empty());
}

/// Zephyr's shutdown on DLCI 2: `OK` there, then `POWERED DOWN` as the last frame, on the URC
/// channel; afterwards the module is off and mux mode is over.
#[test]
fn qpowd_in_mux_mode_ends_with_powered_down_on_the_urc_channel() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check(2, "AT+QPOWD=1", OK);
    m.b.advance(Duration::from_secs(2));
    assert_eq!(m.bytes(), from_module(1, b"\r\nPOWERED DOWN\r\n"));
    m.send(&line(2, "AT"));
    m.b.advance(Duration::from_millis(100));
    assert!(m.bytes().is_empty(), "silent while off");
}

/// Particle ends its call with `AT+CFUN=0,0` on the AT channel: `OK` there, then the call's
/// own channel leaves PPP mode with `NO CARRIER`, and takes commands again.
#[test]
fn radio_off_on_one_channel_ends_the_call_on_the_other_with_no_carrier() {
    let mut m = Mux::start("0,0,7,1509,,,,,", &[1, 2]);
    let session = m.dial(2, "ATD*99***1#");
    m.b.writes.clear();
    m.send(&line(1, "AT+CFUN=0,0"));
    let frames = m.frames();
    assert_eq!(dlcis(&frames)[..2], [1, 2], "OK first, then NO CARRIER: {frames:?}");
    assert_eq!(text_on(&frames[..1], 1), OK);
    assert_eq!(text_on(&frames, 2), "\r\nNO CARRIER\r\n");
    assert!(m
        .b
        .take_actions()
        .iter()
        .any(|a| matches!(a, NetAction::PppStop { session: s } if *s == session)));
    m.check(2, "AT", OK);
    m.check(2, "AT+CGACT?", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
}

/// `ctl state` in mux mode: every channel's mode, the URC channel, and the call's channel.
#[test]
fn state_shows_each_channel_and_the_call() {
    let mut m = Mux::start("0,0,7,1509,,,,,", &[1, 2]);
    assert!(Bench::new().snapshot()["mux"].is_null(), "no mux section on the plain port");
    m.check(2, "ATD*99***1#", CONNECT);
    m.check(1, "AT+QCFG=\"cmux/urcport\",1", OK);
    let s = m.b.snapshot();
    assert_eq!(s["mux"]["urc_channel"], 1);
    let channels = s["mux"]["channels"].as_array().unwrap();
    let modes: Vec<(u64, &str)> =
        channels.iter().map(|c| (c["dlci"].as_u64().unwrap(), c["port"]["mode"].as_str().unwrap())).collect();
    assert_eq!(modes, [(1, "command"), (2, "ppp")]);
    assert_eq!((s["ppp"]["channel"].as_u64(), s["ppp"]["online"].as_bool()), (Some(2), Some(true)));
}

/// The module's MSC command on DLCI 0 for `dlci` (C/R 0 in the address: the module is the
/// responder; C/R 1 in the type octet: a command): RTC, RTR, DV, and FC when `stop`.
fn module_msc(dlci: u8, stop: bool) -> Vec<u8> {
    let signals = 0x8D | if stop { 0x02 } else { 0 };
    frame(0x01, UIH, &[0xE3, 0x05, dlci << 2 | 0x03, signals])
}

/// Mux mode with N1 1509, RTS/CTS, and TCP socket 3 transparent on DLCI 1 (its CONNECT
/// taken); the connection's serial.
fn transparent_tcp_on_dlci_1() -> (Mux, u64) {
    let mut m = Mux::start("0,0,7,1509,,,,,", &[1, 2]);
    m.check(1, "AT+IFC=2,2", OK);
    m.check(1, "AT+QIACT=1", OK);
    m.check(1, "AT+QIOPEN=1,3,\"TCP\",\"192.0.2.3\",80,0,2", "");
    let conn = m.b.open_request(3).conn;
    m.b.opened(3, conn);
    assert_eq!(text_on(&m.frames(), 1), CONNECT);
    (m, conn)
}

/// A transparent socket on DLCI 1 whose send buffer fills: MSC asks the host to stop on that
/// DLC only, and to go on once the network has taken the bytes; DLCI 2 keeps answering, and
/// every byte reaches the socket.
#[test]
fn a_full_send_buffer_stops_its_dlc_with_msc() {
    let (mut m, conn) = transparent_tcp_on_dlci_1();
    m.b.actions.clear();
    // 64 KiB and a bit in frames of N1: the last one fills the buffer.
    let data: Vec<u8> = (0..65 * 1024u32).map(|i| (i % 251) as u8).collect();
    let mut sent = 0;
    let mut stop_seen_after = None;
    for chunk in data.chunks(1509) {
        m.send(&uih(1, chunk));
        sent += chunk.len();
        let out = m.bytes();
        if !out.is_empty() {
            assert_eq!(out, module_msc(1, true), "the only frame: MSC stop for DLCI 1");
            stop_seen_after.get_or_insert(sent);
        }
    }
    // Right after the frame that took the buffer to 64 KiB.
    let filling_frame_end = (64 * 1024usize).div_ceil(1509) * 1509;
    assert_eq!(stop_seen_after, Some(filling_frame_end));
    let got: Vec<u8> = bench::sends(&m.b.take_actions(), 3).concat();
    assert_eq!(got, data, "every byte went to the socket");
    // The other channel is not held up.
    m.check(2, "AT+CSQ", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    // The network takes it all: go on.
    m.b.sent(3, conn, data.len());
    assert_eq!(m.bytes(), module_msc(1, false));
    assert!(m.b.snapshot()["mux"]["channels"][0]["port"]["mode"] == "transparent");
}

/// A host that ignores the MSC under RTS/CTS: past twice the buffer the whole port waits
/// (the daemon stops reading it) until the network takes the bytes.
#[test]
fn a_host_ignoring_msc_stops_the_port_past_twice_the_buffer() {
    let (mut m, conn) = transparent_tcp_on_dlci_1();
    let chunk = [0x55u8; 1500];
    let mut sent = 0;
    while m.b.m.wants_input() {
        m.send(&uih(1, &chunk));
        sent += chunk.len();
        assert!(sent <= 2 * 64 * 1024 + 1500, "the port never stopped");
    }
    assert!(sent >= 2 * 64 * 1024);
    m.b.sent(3, conn, sent);
    assert!(m.b.m.wants_input(), "reading again once the network took the bytes");
    assert_eq!(m.bytes(), [module_msc(1, true), module_msc(1, false)].concat());
}
