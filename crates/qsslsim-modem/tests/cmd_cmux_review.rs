//! A second reading of `AT+CMUX`: the corners of mux mode (a channel released while it is in
//! a data mode or busy, mux mode ending under it, frames cut at every byte boundary, a chain
//! after `AT+CMUX`, the URC channel moved while URCs wait), each pinned with exact bytes. The
//! frames are the tests' own (mux_bench/mod.rs, shared with cmd_cmux.rs), not the crate's codec.

mod bench;
mod mux_bench;

use std::time::Duration;

use bench::{Bench, CONNECT, OK};
use mux_bench::*;
use qsslsim_modem::NetAction;

fn state_line(id: u8, mode: u8) -> String {
    format!("\r\n+QSSLSTATE: {id},\"SSLClient\",\"192.0.2.2\",443,5000{id},2,1,{id},{mode},\"uart1\",0\r\n\r\nOK\r\n")
}

// ---- a channel released under a data mode or a busy command ------------------------------------

/// DISC of a DLC whose channel is in transparent mode: nobody could type `+++` on it any more,
/// so its socket goes to buffer mode (policy `cmux-release`); server data that arrives after
/// is announced on the URC channel and readable there, none lost.
#[test]
fn disc_of_a_transparent_channel_leaves_its_socket_in_buffer_mode() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    let conn = m.transparent(2, 4);
    m.b.data(4, conn, b"abc");
    assert_eq!(m.bytes(), from_module(2, b"abc"));
    m.send(&host(2, DISC, &[]));
    assert_eq!(m.bytes(), response(2, UA));
    m.b.data(4, conn, b"xyz");
    m.b.settle();
    assert_eq!(m.bytes(), from_module(1, b"\r\n+QSSLURC: \"recv\",4\r\n"));
    m.check_exact(1, "AT+QSSLSTATE=4", &state_line(4, 0));
    m.check_exact(1, "AT+QSSLRECV=4,10", "\r\n+QSSLRECV: 3\r\nxyz\r\n\r\nOK\r\n");
}

/// The same when mux mode ends (CLD): the plain port has no way back to the socket's data
/// mode either.
#[test]
fn cld_under_a_transparent_channel_leaves_its_socket_in_buffer_mode() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    let conn = m.transparent(2, 4);
    m.send(&cld());
    assert_eq!(m.bytes(), from_module(0, &[0xC1, 0x01]));
    m.b.data(4, conn, b"xyz");
    m.b.settle();
    assert_eq!(m.b.take_text(), "\r\n+QSSLURC: \"recv\",4\r\n");
    m.b.check("AT+QSSLRECV=4,10", "\r\n+QSSLRECV: 3\r\nxyz\r\n\r\nOK\r\n");
}

/// A `+` typed after guard silence is held back as a possible escape; the DLC released before
/// the guard time ends: the `+` was data and reaches the socket.
#[test]
fn a_held_plus_reaches_the_socket_when_its_dlc_is_released() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.transparent(2, 4);
    m.b.advance(Duration::from_secs(2));
    m.b.actions.clear();
    m.send(&uih(2, b"+"));
    assert!(bench::sends(&m.b.actions, 4).is_empty(), "held as a possible escape");
    m.send(&host(2, DISC, &[]));
    assert_eq!(m.bytes(), response(2, UA));
    assert_eq!(bench::sends(&m.b.take_actions(), 4), [b"+".to_vec()]);
    m.b.advance(Duration::from_secs(2));
    assert_eq!(m.bytes(), b"");
}

/// An open in transparent mode still running when its DLC is released: nobody waits for its
/// `CONNECT`, so it ends as a buffer-mode open does, with `+QSSLOPEN` on the URC channel.
#[test]
fn a_transparent_open_whose_dlc_is_released_reports_on_the_urc_channel() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check_exact(2, "AT+QIACT=1", OK);
    m.check_exact(2, "AT+QSSLOPEN=1,0,4,\"192.0.2.2\",443,2", "");
    let conn = m.b.open_request(4).conn;
    m.send(&host(2, DISC, &[]));
    assert_eq!(m.bytes(), response(2, UA));
    m.b.opened(4, conn);
    m.b.settle();
    assert_eq!(m.bytes(), from_module(1, b"\r\n+QSSLOPEN: 4,0\r\n"));
    m.check_exact(1, "AT+QSSLSTATE=4", &state_line(4, 0));
}

/// `AT+QSSLCLOSE` lingering when its DLC is released: nobody waits for its `OK`, so the close
/// ends at once as at the end of the linger (the connection aborted, the socket released),
/// rather than leaving the socket closing for ever.
#[test]
fn a_lingering_close_whose_dlc_is_released_ends_at_once() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check_exact(2, "AT+QIACT=1", OK);
    m.check_exact(2, "AT+QSSLOPEN=1,0,5,\"192.0.2.2\",443,0", OK);
    let conn = m.b.open_request(5).conn;
    m.b.opened(5, conn);
    m.b.settle();
    assert_eq!(m.bytes(), from_module(1, b"\r\n+QSSLOPEN: 5,0\r\n"));
    m.check_exact(2, "AT+QSSLCLOSE=5,10", "");
    m.b.actions.clear();
    m.send(&host(2, DISC, &[]));
    assert_eq!(m.bytes(), response(2, UA));
    assert!(
        m.b.take_actions().iter().any(|a| matches!(a, NetAction::Abort { id: 5, conn: c } if *c == conn)),
        "the connection is aborted"
    );
    m.check_exact(1, "AT+QSSLSTATE=5", OK);
    m.b.advance(Duration::from_secs(20));
    assert_eq!(m.bytes(), b"");
}

// ---- the URC gap is the URC channel's ----------------------------------------------------------

/// The gap after a final result keeps a URC apart from an answer on the same port. An answer
/// on another DLC shares no byte stream with the URC channel, so it does not hold URCs back
/// (policy `urc-gap`); one on the URC channel still does.
#[test]
fn an_answer_on_another_dlc_does_not_hold_urcs_back() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check_exact(1, "AT+QIACT=1", OK);
    m.check_exact(1, "AT+QSSLOPEN=1,0,5,\"192.0.2.2\",443,0", OK);
    let conn = m.b.open_request(5).conn;
    m.b.opened(5, conn);
    m.b.settle();
    assert_eq!(m.bytes(), from_module(1, b"\r\n+QSSLOPEN: 5,0\r\n"));
    m.check_exact(2, "AT", OK);
    m.b.data(5, conn, b"x");
    assert_eq!(m.bytes(), from_module(1, b"\r\n+QSSLURC: \"recv\",5\r\n"), "at once, no gap");
    m.check_exact(1, "AT+QSSLRECV=5,10", "\r\n+QSSLRECV: 1\r\nx\r\n\r\nOK\r\n");
    m.b.data(5, conn, b"y");
    assert_eq!(m.bytes(), b"", "after an answer on the URC channel: the gap");
    m.b.settle();
    assert_eq!(m.bytes(), from_module(1, b"\r\n+QSSLURC: \"recv\",5\r\n"));
}

// ---- flow control of a released DLC ------------------------------------------------------------

/// The module's MSC command on DLCI 0 for `dlci`: RTC, RTR, DV, and FC when `stop`.
fn module_msc(dlci: u8, stop: bool) -> Vec<u8> {
    let signals = 0x8D | if stop { 0x02 } else { 0 };
    frame(0x01, UIH, &[0xE3, 0x05, dlci << 2 | 0x03, signals])
}

/// A DLC stopped with MSC (its transparent send buffer full) and then released: opened again
/// it is a fresh channel, answered with UA alone and no stale MSC; its socket kept every byte.
#[test]
fn a_dlc_stopped_with_msc_opens_again_fresh() {
    let mut m = Mux::start("0,0,7,1509,,,,,", &[1, 2]);
    let conn = m.transparent(2, 4);
    m.b.actions.clear();
    let data = vec![0x42u8; 64 * 1024];
    for chunk in data.chunks(1509) {
        m.send(&uih(2, chunk));
    }
    assert_eq!(m.bytes(), module_msc(2, true));
    m.send(&host(2, DISC, &[]));
    assert_eq!(m.bytes(), response(2, UA));
    m.send(&host(2, SABM, &[]));
    assert_eq!(m.bytes(), response(2, UA), "no MSC for the fresh DLC");
    assert_eq!(bench::sends(&m.b.take_actions(), 4).concat(), data);
    m.b.sent(4, conn, data.len());
    assert_eq!(m.bytes(), b"");
    m.check_exact(2, "AT+QSSLSTATE=4", &state_line(4, 0));
}

// ---- AT+CMUX in a chain --------------------------------------------------------------------------

/// `AT+CMUX` followed on its line by a command that enters a data mode (`AT+QFUPL` here): the
/// upload runs on the plain port and mux mode does not start, as when a later command fails
/// (policy `cmux-params`); otherwise the upload would be parked where no frame reaches it.
#[test]
fn cmux_then_a_data_mode_on_the_same_line_stays_plain() {
    let mut plain = Bench::new();
    plain.check("AT+QFUPL=\"UFS:a.txt\",5", CONNECT);
    plain.input(b"hello");
    let uploaded = plain.take_text();

    let mut b = Bench::new();
    b.check("AT+CMUX=0;+QFUPL=\"UFS:a.txt\",5", CONNECT);
    b.input(b"hello");
    assert_eq!(b.take_text(), uploaded);
    b.check("AT", OK);
    b.advance(Duration::from_secs(200));
    assert_eq!(b.take_bytes(), b"");
}

/// `AT+CMUX=0;+CSQ`: both answer on the plain port, then frames.
#[test]
fn cmux_then_a_query_on_the_same_line_answers_plain_then_frames() {
    let mut b = Bench::new();
    let mut bytes = b"AT+CMUX=0;+CSQ\r".to_vec();
    bytes.extend(host(0, SABM, &[]));
    bytes.extend(host(1, SABM, &[]));
    bytes.extend(line(1, "AT"));
    b.input(&bytes);
    let mut want = b"\r\n+CSQ: 24,99\r\n\r\nOK\r\n".to_vec();
    want.extend(response(0, UA));
    want.extend(response(1, UA));
    want.extend(from_module(1, OK.as_bytes()));
    assert_eq!(b.take_bytes(), want);
}

// ---- ATO's socket is per channel, and no channel keeps another's --------------------------------

/// Escape DLCI 1's transparent socket with `+++` (guard times on the paused clock).
fn escape(m: &mut Mux, dlci: u8) {
    m.b.advance(Duration::from_secs(2));
    m.send(&uih(dlci, b"+++"));
    m.b.advance(Duration::from_secs(2));
    assert_eq!(m.bytes(), from_module(dlci, OK.as_bytes()));
}

/// The socket DLCI 1 escaped from is closed and opened again in buffer mode from DLCI 2: `ATO`
/// on DLCI 1 finds no connection to return to (`NO CARRIER`, as on the plain port) instead of
/// taking the new buffer-mode connection into transparent mode.
#[test]
fn ato_does_not_return_to_a_socket_closed_and_reopened_on_another_dlc() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    let conn = m.transparent(1, 4);
    escape(&mut m, 1);
    m.check_exact(2, "AT+QSSLCLOSE=4", "");
    m.b.closed(4, conn);
    assert_eq!(m.bytes(), from_module(2, OK.as_bytes()));
    m.check_exact(2, "AT+QSSLOPEN=1,0,4,\"192.0.2.2\",443,0", OK);
    let conn = m.b.open_request(4).conn;
    m.b.opened(4, conn);
    m.b.settle();
    assert_eq!(m.bytes(), from_module(1, b"\r\n+QSSLOPEN: 4,0\r\n"));
    m.check_exact(1, "ATO", "\r\nNO CARRIER\r\n");
    m.check_exact(2, "AT+QSSLSTATE=4", &state_line(4, 0));
}

/// DLCI 2 takes the socket DLCI 1 escaped from into transparent mode (`AT+QISWTMD`): `ATO` on
/// DLCI 1 must not put a second channel in transparent mode on the same socket.
#[test]
fn ato_does_not_share_a_socket_another_dlc_took_into_transparent_mode() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    let conn = m.transparent(1, 4);
    escape(&mut m, 1);
    m.check_exact(2, "AT+QISWTMD=4,2", CONNECT);
    m.check_exact(1, "ATO", "\r\nNO CARRIER\r\n");
    m.b.data(4, conn, b"down");
    assert_eq!(m.bytes(), from_module(2, b"down"));
}

// ---- checked and found right: pinned -------------------------------------------------------------

/// URCs queued while the URC channel is in transparent mode go to the new URC channel once
/// `AT+QCFG="cmux/urcport"` names another, after the gap of that command's `OK`.
#[test]
fn queued_urcs_follow_the_urc_channel_when_it_changes() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.transparent(1, 4);
    m.check_exact(2, "AT+QSSLOPEN=1,0,5,\"192.0.2.2\",443,0", OK);
    let conn = m.b.open_request(5).conn;
    m.b.opened(5, conn);
    m.b.settle();
    assert_eq!(m.bytes(), b"", "DLCI 1 is in transparent mode: the URC waits");
    m.check_exact(2, "AT+QCFG=\"cmux/urcport\",2", OK);
    m.b.settle();
    assert_eq!(m.bytes(), from_module(2, b"\r\n+QSSLOPEN: 5,0\r\n"));
}

/// Frames of every kind in one stream, cut in two at every byte boundary: the module answers
/// exactly as to the whole stream.
#[test]
fn a_stream_cut_at_every_byte_boundary_answers_the_same() {
    let mut stream = host(2, SABM, &[]);
    stream.extend(line(1, "AT"));
    stream.extend(uih(0, &[0x23, 0x05, 0xAA, 0x55]));
    stream.extend(line(2, "AT+CSQ"));
    let mut want = response(2, UA);
    want.extend(from_module(1, OK.as_bytes()));
    want.extend(from_module(0, &[0x21, 0x05, 0xAA, 0x55]));
    want.extend(from_module(2, b"\r\n+CSQ: 24,99\r\n\r\nOK\r\n"));
    for cut in 0..=stream.len() {
        let mut m = Mux::start("0,0,5,127", &[1]);
        m.send(&stream[..cut]);
        m.send(&stream[cut..]);
        assert_eq!(m.bytes(), want, "cut at {cut}");
    }
}

/// An upload's timeout runs out while another channel is the active one: the upload ends on
/// its own channel with what a plain port writes.
#[test]
fn an_upload_times_out_on_a_parked_channel() {
    let mut plain = Bench::new();
    plain.check("AT+QFUPL=\"UFS:a.txt\",10,1", CONNECT);
    plain.input(b"abc");
    plain.advance(Duration::from_secs(2));
    let ended = plain.take_bytes();
    assert!(!ended.is_empty());

    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check_exact(2, "AT+QFUPL=\"UFS:a.txt\",10,1", CONNECT);
    m.send(&uih(2, b"abc"));
    m.check_exact(1, "AT", OK);
    m.b.advance(Duration::from_secs(2));
    assert_eq!(m.bytes(), from_module(2, &ended));
}

/// `+++` typed on DLCI 1, then DLCI 2 runs a command during the guard time after: the escape
/// still completes on DLCI 1 at the end of its guard time.
#[test]
fn a_plus_guard_completes_on_a_parked_channel() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.transparent(1, 4);
    m.b.advance(Duration::from_secs(2));
    m.send(&uih(1, b"+++"));
    m.check_exact(2, "AT", OK);
    m.b.advance(Duration::from_millis(500));
    assert_eq!(m.bytes(), b"");
    m.b.advance(Duration::from_secs(1));
    assert_eq!(m.bytes(), from_module(1, OK.as_bytes()));
}

// ---- a PPP call resumed on another channel --------------------------------------------------------

/// `ATD*99#` on `dlci`: `CONNECT` there; the session.
fn dial(m: &mut Mux, dlci: u8) -> u64 {
    m.b.take_actions();
    m.check_exact(dlci, "ATD*99#", CONNECT);
    match m.b.take_actions().as_slice() {
        [NetAction::PppStart { session, .. }] => *session,
        other => panic!("expected PppStart, got {other:?}"),
    }
}

/// A call dialled on DLCI 1, escaped with `+++`, resumed with `ATO` on DLCI 2: the call is
/// DLCI 2's now (policy `cmux-channels`), its downlink comes there and not into DLCI 1's
/// command mode.
#[test]
fn ato_on_another_dlc_takes_the_call_there() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    let session = dial(&mut m, 1);
    escape(&mut m, 1);
    m.check_exact(2, "ATO", CONNECT);
    m.b.net(qsslsim_modem::NetEvent::PppData { session, data: b"\x7e\x21\x45\x7e".to_vec() });
    assert_eq!(m.bytes(), from_module(2, b"\x7e\x21\x45\x7e"));
    m.check_exact(1, "AT", OK);
    m.b.net(qsslsim_modem::NetEvent::PppEnded { session, why: "the host terminated LCP".into() });
    assert_eq!(m.bytes(), from_module(2, b"\r\nNO CARRIER\r\n"));
}

/// A call dialled on the plain port and escaped before `AT+CMUX`, resumed with `ATO` on
/// DLCI 1: its downlink comes on DLCI 1 (it was dropped as a write for DLCI 0).
#[test]
fn a_call_escaped_before_cmux_resumes_on_a_dlc() {
    let mut b = Bench::new();
    b.take_actions();
    b.check("ATD*99#", CONNECT);
    let session = match b.take_actions().as_slice() {
        [NetAction::PppStart { session, .. }] => *session,
        other => panic!("expected PppStart, got {other:?}"),
    };
    b.advance(Duration::from_secs(2));
    b.input(b"+++");
    b.advance(Duration::from_secs(2));
    assert_eq!(b.take_text(), OK);
    b.check("AT+CMUX=0", OK);
    let mut m = Mux { b };
    for d in [0, 1] {
        m.send(&host(d, SABM, &[]));
        assert_eq!(m.bytes(), response(d, UA));
    }
    m.check_exact(1, "ATO", CONNECT);
    m.b.net(qsslsim_modem::NetEvent::PppData { session, data: b"\x7e\x21\x45\x7e".to_vec() });
    assert_eq!(m.bytes(), from_module(1, b"\x7e\x21\x45\x7e"));
}

// ---- bytes after the multiplexer closed -------------------------------------------------------------

/// CLD and a command line in the same read: the line after the CLD frame is the plain port's
/// and is answered there, not skipped as garbage between frames.
#[test]
fn a_line_right_after_cld_in_the_same_read_is_answered_plain() {
    let mut m = Mux::start("0,0,5,127", &[1]);
    let mut bytes = cld();
    bytes.extend(b"AT+CSQ\r");
    m.send(&bytes);
    let mut want = from_module(0, &[0xC1, 0x01]);
    want.extend(b"\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    assert_eq!(m.bytes(), want);
}

/// The same after DISC of DLCI 0.
#[test]
fn a_line_right_after_disc_0_in_the_same_read_is_answered_plain() {
    let mut m = Mux::start("0,0,5,127", &[1]);
    let mut bytes = host(0, DISC, &[]);
    bytes.extend(b"AT\r");
    m.send(&bytes);
    let mut want = response(0, UA);
    want.extend(OK.as_bytes());
    assert_eq!(m.bytes(), want);
}

// ---- another channel's command ends a socket this channel waits on or is in data mode on -------

/// `AT+QIDEACT=1` on DLCI 1 while DLCI 2 waits for a transparent open on that context: the open
/// fails on DLCI 2 with `ERROR`, as on a plain port (not as a URC, leaving DLCI 2 busy for ever).
#[test]
fn a_context_deactivated_elsewhere_fails_a_transparent_open_on_its_channel() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check_exact(2, "AT+QIACT=1", OK);
    m.check_exact(2, "AT+QSSLOPEN=1,0,4,\"192.0.2.2\",443,2", "");
    m.b.writes.clear();
    m.send(&line(1, "AT+QIDEACT=1"));
    let mut want = from_module(2, bench::ERROR.as_bytes());
    want.extend(from_module(1, OK.as_bytes()));
    assert_eq!(m.bytes(), want);
    m.b.settle();
    assert_eq!(m.bytes(), b"", "no +QSSLOPEN URC");
    m.check_exact(2, "AT", OK);
}

/// `AT+QIDEACT=1` on DLCI 1 while DLCI 2 is in transparent mode on that context: `OK` on DLCI
/// 1, then `NO CARRIER` on DLCI 2, as a plain port ends transparent mode when its connection
/// is lost (no `"closed"` URC).
#[test]
fn a_context_deactivated_elsewhere_ends_a_transparent_channel_with_no_carrier() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.transparent(2, 4);
    m.send(&line(1, "AT+QIDEACT=1"));
    let mut want = from_module(1, OK.as_bytes());
    want.extend(from_module(2, b"\r\nNO CARRIER\r\n"));
    assert_eq!(m.bytes(), want);
    m.b.settle();
    assert_eq!(m.bytes(), b"");
    m.check_exact(2, "AT", OK);
}

/// `AT+QSSLCLOSE` on DLCI 1 of the socket DLCI 2 is in transparent mode on: once the close is
/// done, DLCI 2 leaves transparent mode with `NO CARRIER` instead of staying in a data mode
/// on a released socket.
#[test]
fn a_socket_closed_elsewhere_ends_a_transparent_channel_with_no_carrier() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    let conn = m.transparent(2, 4);
    m.check_exact(1, "AT+QSSLCLOSE=4", "");
    m.b.closed(4, conn);
    let mut want = from_module(1, OK.as_bytes());
    want.extend(from_module(2, b"\r\nNO CARRIER\r\n"));
    assert_eq!(m.bytes(), want);
    m.check_exact(2, "AT", OK);
}

/// Open buffer-mode SSL socket `id` from `dlci` (context 1 up): `+QSSLOPEN` on DLCI 1 taken.
fn open_buffer(m: &mut Mux, dlci: u8, id: u8) -> u64 {
    m.check_exact(dlci, "AT+QIACT=1", OK);
    m.check_exact(dlci, &format!("AT+QSSLOPEN=1,0,{id},\"192.0.2.2\",443,0"), OK);
    let conn = m.b.open_request(id).conn;
    m.b.opened(id, conn);
    m.b.settle();
    assert_eq!(m.bytes(), from_module(1, format!("\r\n+QSSLOPEN: {id},0\r\n").as_bytes()));
    conn
}

/// DLCI 1 lingers in `AT+QSSLCLOSE=5,10`; DLCI 2 closes socket 5 at once (`AT+QSSLCLOSE=5,0`):
/// the close DLCI 1 waited for is done, so DLCI 1 answers `OK` too rather than staying busy.
#[test]
fn a_lingering_close_completed_from_another_dlc_answers_on_its_own() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    open_buffer(&mut m, 2, 5);
    m.check_exact(1, "AT+QSSLCLOSE=5,10", "");
    m.send(&line(2, "AT+QSSLCLOSE=5,0"));
    let got = m.bytes();
    m.b.advance(Duration::from_secs(11));
    let later = m.bytes();
    let mut want = from_module(2, OK.as_bytes());
    want.extend(from_module(1, OK.as_bytes()));
    assert_eq!([got, later].concat(), want);
    m.check_exact(1, "AT", OK);
}

/// DLCI 2 waits for a transparent open of socket 4; DLCI 1 closes socket 4: the open is over,
/// so DLCI 2 answers `ERROR` (as a failed open) rather than staying busy for ever.
#[test]
fn a_transparent_open_closed_from_another_dlc_answers_error() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check_exact(2, "AT+QIACT=1", OK);
    m.check_exact(2, "AT+QSSLOPEN=1,0,4,\"192.0.2.2\",443,2", "");
    m.send(&line(1, "AT+QSSLCLOSE=4,0"));
    let mut want = from_module(1, OK.as_bytes());
    want.extend(from_module(2, bench::ERROR.as_bytes()));
    assert_eq!(m.bytes(), want);
    m.check_exact(2, "AT", OK);
}

// ---- input held on a busy channel ----------------------------------------------------------------

/// The host streams data on DLCI 2 before its transparent open answered: past the held-input
/// limit (4 KiB) the module stops DLCI 2 alone with MSC, and the port keeps being read, so
/// DLCI 1 still answers (a command on one channel never waits for another's; policy
/// `cmux-flow`). Once `CONNECT` is out, the held bytes reach the socket and DLCI 2 goes on.
#[test]
fn input_held_on_a_busy_channel_stops_that_dlc_only() {
    let mut m = Mux::start("0,0,7,1509,,,,,", &[1, 2]);
    m.check_exact(2, "AT+QIACT=1", OK);
    m.check_exact(2, "AT+QSSLOPEN=1,0,4,\"192.0.2.2\",443,2", "");
    let conn = m.b.open_request(4).conn;
    let data: Vec<u8> = (0..5000u32).map(|i| b'a' + (i % 26) as u8).collect();
    for chunk in data.chunks(1000) {
        m.send(&uih(2, chunk));
    }
    assert_eq!(m.bytes(), module_msc(2, true));
    assert!(m.b.m.wants_input(), "the port is still read");
    m.check_exact(1, "AT+CSQ", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    m.b.actions.clear();
    m.b.opened(4, conn);
    let mut want = from_module(2, CONNECT.as_bytes());
    want.extend(module_msc(2, false));
    assert_eq!(m.bytes(), want);
    assert_eq!(bench::sends(&m.b.take_actions(), 4).concat(), data);
}

// ---- a socket in transparent mode on one channel, seen from another --------------------------------

/// DLCI 2 is in transparent mode on socket 4: DLCI 1 can neither switch its access mode
/// (`AT+QISWTMD`, code 572, operation not allowed) nor read from it, so downlink keeps coming
/// on DLCI 2 and only there.
#[test]
fn a_socket_in_transparent_mode_on_one_dlc_is_not_switched_from_another() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    let conn = m.transparent(2, 4);
    m.check_exact(1, "AT+QISWTMD=4,2", bench::ERROR);
    m.check_exact(1, "AT+QIGETERROR", "\r\n+QIGETERROR: 572,operation not allowed\r\n\r\nOK\r\n");
    m.check_exact(1, "AT+QISWTMD=4,0", bench::ERROR);
    m.check_exact(1, "AT+QISWTMD=4,1", bench::ERROR);
    m.b.data(4, conn, b"down");
    assert_eq!(m.bytes(), from_module(2, b"down"));
    m.b.settle();
    assert_eq!(m.bytes(), b"");
}

/// `AT&D2` (set on DLCI 1; the pin is one for the port): a DTR drop closes the socket DLCI 2
/// is in transparent mode on, with `NO CARRIER` on DLCI 2 only.
#[test]
fn dtr_drop_with_d2_closes_the_transparent_socket_of_its_channel() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check_exact(1, "AT&D2", OK);
    let conn = m.transparent(2, 4);
    m.b.actions.clear();
    m.b.set_dtr(true);
    assert_eq!(m.bytes(), from_module(2, b"\r\nNO CARRIER\r\n"));
    assert!(m
        .b
        .take_actions()
        .iter()
        .any(|a| matches!(a, NetAction::Abort { id: 4, conn: c } if *c == conn)));
    m.check_exact(1, "AT+QSSLSTATE=4", OK);
    m.check_exact(2, "AT", OK);
}

/// A restart on DLCI 1 while DLCI 2 is in transparent mode: mux mode ends, the boot output
/// comes plain, and the plain port answers in command mode.
#[test]
fn a_restart_under_a_transparent_channel_boots_plain_in_command_mode() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.transparent(2, 4);
    m.check_exact(1, "AT+CFUN=1,1", OK);
    m.b.advance(Duration::from_millis(300));
    assert_eq!(
        m.b.take_text(),
        "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\nAPP RDY\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n"
    );
    m.b.check("AT", "AT\r\r\nOK\r\n");
}

// ---- an HTTP read on a parked channel --------------------------------------------------------------

/// DLCI 2 streams an HTTP body with `AT+QHTTPREAD`; DLCI 1 deactivates the context: the read
/// ends at once on DLCI 2 with the request's error (709, `+QHTTPREAD: 709` on the URC channel)
/// as on a plain port, not after its wait time with 722.
#[test]
fn a_request_ended_from_another_dlc_ends_the_read_at_once() {
    use qsslsim_modem::http::HttpEvent;
    use qsslsim_modem::NetEvent;
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check_exact(2, "AT+QIACT=1", OK);
    let url = "http://example.com/";
    m.check_exact(2, &format!("AT+QHTTPURL={},80", url.len()), CONNECT);
    m.send(&uih(2, url.as_bytes()));
    assert_eq!(m.bytes(), from_module(2, OK.as_bytes()));
    m.b.actions.clear();
    m.check_exact(2, "AT+QHTTPGET", OK);
    let job =
        m.b.take_actions()
            .into_iter()
            .find_map(|a| match a {
                NetAction::Http(r) => Some(r.job),
                _ => None,
            })
            .expect("an HTTP request");
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n".to_vec();
    m.b.net(NetEvent::Http(HttpEvent::Head { job, status: 200, content_length: Some(5), head }));
    m.b.settle();
    assert_eq!(m.bytes(), from_module(1, b"\r\n+QHTTPGET: 0,200,5\r\n"));
    m.check_exact(2, "AT+QHTTPREAD=30", CONNECT);
    m.send(&line(1, "AT+QIDEACT=1"));
    let mut want = from_module(1, OK.as_bytes());
    want.extend(from_module(2, OK.as_bytes()));
    assert_eq!(m.bytes(), want);
    m.b.settle();
    assert_eq!(m.bytes(), from_module(1, b"\r\n+QHTTPREAD: 709\r\n"));
    m.check_exact(2, "AT", OK);
}

/// An upload on DLCI 2 when its DLC is released: nothing is written (nobody is there), the
/// drop is traced, and DLCI 1 goes on; the file was not created.
#[test]
fn an_upload_whose_dlc_is_released_is_dropped_and_traced() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check_exact(2, "AT+QFUPL=\"UFS:a.txt\",10", CONNECT);
    m.send(&uih(2, b"abc"));
    m.send(&host(2, DISC, &[]));
    assert_eq!(m.bytes(), response(2, UA));
    assert!(m.b.events.iter().any(|e| matches!(e,
        qsslsim_modem::Event::Failure { cause, .. } if cause.contains("file_upload mode"))));
    m.b.advance(Duration::from_secs(200));
    assert_eq!(m.bytes(), b"");
    m.check_exact(1, "AT+QFLST=\"UFS:a.txt\"", OK);
}

/// After CLD the plain port can start mux mode again: a fresh session, fresh channels.
#[test]
fn cmux_again_after_cld_starts_fresh() {
    let mut m = Mux::start("0,0,5,127", &[1, 2]);
    m.check_exact(2, "ATE1", OK);
    m.send(&cld());
    assert_eq!(m.bytes(), from_module(0, &[0xC1, 0x01]));
    m.b.check("AT+CMUX=0,0,5,64", OK);
    for d in [0, 2] {
        m.send(&host(d, SABM, &[]));
        assert_eq!(m.bytes(), response(d, UA));
    }
    // Echo off again (the plain port's), and DLCI 1 is not open in the new session.
    m.check_exact(2, "AT", OK);
    m.send(&line(1, "AT"));
    assert_eq!(m.bytes(), frame(0x07, 0x0F, &[]));
}

// ---- a corrupt length -------------------------------------------------------------------------------

/// A frame header whose length octets were corrupted (16383, far beyond N1 64): the module
/// does not wait for 16 KiB swallowing every frame after it, but skips the bad header at once
/// (policy `cmux-frames`) and answers the next frame.
#[test]
fn a_length_beyond_n1_is_skipped_at_once() {
    let mut m = Mux::start("0,0,5,64", &[1]);
    let mut bytes = vec![0xF9, 0x07, 0xEF, 0xFE, 0x7F];
    bytes.extend(line(1, "AT"));
    m.send(&bytes);
    assert_eq!(m.bytes(), from_module(1, OK.as_bytes()));
    assert!(m.b.events.iter().any(|e| matches!(e,
        qsslsim_modem::Event::Failure { cause, .. } if cause.contains("longer than N1"))));
    // A frame of exactly N1 is taken.
    let mut long = b"AT".to_vec();
    long.extend(std::iter::repeat_n(b' ', 61));
    long.push(b'\r');
    assert_eq!(long.len(), 64);
    m.send(&uih(1, &long));
    assert_eq!(m.bytes(), from_module(1, OK.as_bytes()));
}
