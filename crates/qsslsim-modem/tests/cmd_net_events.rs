//! What network events do, driven straight into the module: remote closes in each access mode,
//! received data in each mode (push frames of at most 1500 bytes), stale events for old
//! connection serials, receive grants (never more than 64 KiB granted and buffered together),
//! transparent data held back while the host does not read, and module-level faults.

mod bench;

use std::time::Duration;

use bench::{described, sends, Bench, ERROR, NO_CARRIER, OK, SEND_OK};
use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::policy::{HOST_QUEUE_BYTES, RX_BUFFER_BYTES};
use qsslsim_modem::{Fault, LinkFault, NetAction, NetEvent};

const RECV0: &str = "\r\n+QSSLURC: \"recv\",0\r\n";
const CLOSED0: &str = "\r\n+QSSLURC: \"closed\",0\r\n";
const CLOSED2: &str = "\r\n+QSSLURC: \"closed\",2\r\n";

fn push_frame(id: u8, data: &[u8]) -> Vec<u8> {
    let mut f = format!("\r\n+QSSLURC: \"recv\",{id},{}\r\n", data.len()).into_bytes();
    f.extend_from_slice(data);
    f
}

/// The bytes granted by `Grant` actions among `actions` for socket `id`.
fn granted(actions: &[NetAction], id: u8) -> usize {
    actions
        .iter()
        .map(|a| match a {
            NetAction::Grant { id: i, bytes, .. } if *i == id => *bytes,
            _ => 0,
        })
        .sum()
}

#[test]
fn the_receive_buffer_is_64_kib() {
    assert_eq!(RX_BUFFER_BYTES, 64 * 1024);
}

// ---- remote close --------------------------------------------------------------------------

#[test]
fn remote_close_in_buffer_mode_is_a_closed_urc_and_state_4() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.remote_closed(0, conn);
    b.settle();
    assert_eq!(b.take_writes_text(), [CLOSED0]);
    assert!(b.take_actions().is_empty(), "the network already closed it");
    b.check(
        "AT+QSSLSTATE=0",
        "\r\n+QSSLSTATE: 0,\"SSLClient\",\"192.0.2.2\",443,50000,4,1,0,0,\"uart1\",0\r\n\r\nOK\r\n",
    );
    // A new open on the id must wait for AT+QSSLCLOSE.
    b.check("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,0", OK);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QSSLOPEN: 0,563\r\n");
}

#[test]
fn remote_close_in_push_mode_comes_after_the_data_before_it() {
    let mut b = Bench::new();
    let conn = b.connect(0, 1);
    b.data(0, conn, b"abc");
    b.remote_closed(0, conn);
    b.settle();
    let want: Vec<Vec<u8>> = vec![push_frame(0, b"abc"), CLOSED0.as_bytes().to_vec()];
    assert_eq!(b.writes, want);
    b.writes.clear();
    b.check(
        "AT+QSSLSTATE=0",
        "\r\n+QSSLSTATE: 0,\"SSLClient\",\"192.0.2.2\",443,50000,4,1,0,1,\"uart1\",0\r\n\r\nOK\r\n",
    );
}

#[test]
fn remote_close_in_transparent_mode_is_no_carrier_after_the_last_byte() {
    let mut b = Bench::new();
    let conn = b.connect(0, 2);
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    b.data(0, conn, &data);
    b.remote_closed(0, conn);
    b.settle();
    assert_eq!(b.writes.last().unwrap(), NO_CARRIER.as_bytes(), "NO CARRIER is a write of its own");
    let mut want = data.clone();
    want.extend_from_slice(NO_CARRIER.as_bytes());
    assert_eq!(b.take_bytes(), want);
    assert_eq!(b.port_mode(), "command");
    b.check(
        "AT+QSSLSTATE=0",
        "\r\n+QSSLSTATE: 0,\"SSLClient\",\"192.0.2.2\",443,50000,4,1,0,2,\"uart1\",0\r\n\r\nOK\r\n",
    );
    b.check("AT+QSSLCLOSE=0", OK);
    b.check("AT+QSSLSTATE", OK);
}

#[test]
fn no_carrier_waits_for_a_host_that_does_not_read() {
    let mut b = Bench::new();
    let conn = b.connect(0, 2);
    b.host_reads = false;
    b.data(0, conn, &vec![b'z'; 3 * HOST_QUEUE_BYTES]);
    b.remote_closed(0, conn);
    b.settle();
    let out = b.take_bytes();
    assert!(out.len() <= HOST_QUEUE_BYTES, "{} bytes for a host that reads nothing", out.len());
    assert!(!out.ends_with(NO_CARRIER.as_bytes()));
    // The host reads everything, three times over.
    let mut total = out.len();
    for _ in 0..4 {
        b.m.host_backlog(0, b.now);
        b.drain();
        let out = b.take_bytes();
        total += out.len();
        if out.ends_with(NO_CARRIER.as_bytes()) {
            assert_eq!(total, 3 * HOST_QUEUE_BYTES + NO_CARRIER.len());
            return;
        }
    }
    panic!("no NO CARRIER after the host read everything");
}

#[test]
fn remote_close_while_opening_in_buffer_mode_is_ignored_until_open_failed() {
    let mut b = Bench::new();
    let conn = b.begin_open(0, 0);
    b.remote_closed(0, conn);
    b.settle();
    assert_eq!(b.take_text(), "");
    b.open_failed(0, conn, OpenFailure::HandshakeFailed);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QSSLOPEN: 0,566\r\n");
}

// ---- data ----------------------------------------------------------------------------------

#[test]
fn buffer_mode_reports_recv_once_until_the_buffer_is_drained() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.data(0, conn, b"one");
    assert_eq!(b.take_writes_text(), [RECV0]);
    b.data(0, conn, b"two");
    b.settle();
    assert_eq!(b.take_text(), "", "no second URC while data waits");
    // A partial read does not re-arm it.
    b.check("AT+QSSLRECV=0,4", "\r\n+QSSLRECV: 4\r\nonet\r\n\r\nOK\r\n");
    b.data(0, conn, b"three");
    b.settle();
    assert_eq!(b.take_text(), "");
    b.check("AT+QSSLRECV=0,100", "\r\n+QSSLRECV: 7\r\nwothree\r\n\r\nOK\r\n");
    b.data(0, conn, b"four");
    b.settle();
    assert_eq!(b.take_writes_text(), [RECV0]);
}

#[test]
fn data_arriving_right_after_an_answer_gets_its_urc_in_a_later_write() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("AT+CSQ", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    b.data(0, conn, b"x");
    assert_eq!(b.take_text(), "", "not in the same instant as the answer");
    b.input(b"AT\r");
    b.settle();
    assert_eq!(b.take_writes_text(), [OK, RECV0]);
}

#[test]
fn a_due_urc_goes_out_before_the_echo_of_a_new_line() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("ATE1", OK);
    b.data(0, conn, b"x");
    assert_eq!(b.take_text(), "");
    // Time passes without the module being woken; the host starts a line.
    b.now += Duration::from_millis(200);
    b.input(b"AT\r");
    assert_eq!(b.take_writes_text(), [RECV0, "AT\r\r\nOK\r\n"]);
}

#[test]
fn push_mode_writes_each_chunk_as_a_frame_of_its_own() {
    let mut b = Bench::new();
    let conn = b.connect(4, 1);
    b.data(4, conn, b"Test data from SSL");
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLURC: \"recv\",4,18\r\nTest data from SSL"]);
}

#[test]
fn push_frames_carry_at_most_1500_bytes() {
    let mut b = Bench::new();
    let conn = b.connect(0, 1);
    let data: Vec<u8> = (0..4000u32).map(|i| (i % 256) as u8).collect();
    b.data(0, conn, &data);
    b.settle();
    let want =
        vec![push_frame(0, &data[..1500]), push_frame(0, &data[1500..3000]), push_frame(0, &data[3000..])];
    assert_eq!(b.writes, want);
}

/// Split push-mode output for socket 0 into its frames' payloads; every byte must belong to a
/// frame.
fn push_payloads(mut out: &[u8]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    while !out.is_empty() {
        let head = b"\r\n+QSSLURC: \"recv\",0,";
        assert!(
            out.starts_with(head),
            "not a frame: {:?}",
            String::from_utf8_lossy(&out[..out.len().min(40)])
        );
        let rest = &out[head.len()..];
        let end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let len: usize = std::str::from_utf8(&rest[..end]).unwrap().parse().unwrap();
        frames.push(rest[end + 2..end + 2 + len].to_vec());
        out = &rest[end + 2 + len..];
    }
    frames
}

#[test]
fn push_frames_wait_for_a_host_that_does_not_read() {
    let mut b = Bench::new();
    let conn = b.connect(0, 1);
    b.host_reads = false;
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 253) as u8).collect();
    b.data(0, conn, &data);
    b.settle();
    let first = b.take_bytes();
    let header = "\r\n+QSSLURC: \"recv\",0,1500\r\n".len();
    assert!(
        first.len() <= HOST_QUEUE_BYTES + 1500 + header,
        "{} bytes pushed to a host that reads nothing",
        first.len()
    );
    assert!(b.rx_buffered(0) > 0);
    let mut all = first;
    for _ in 0..20 {
        b.m.host_backlog(0, b.now);
        b.settle();
        all.extend(b.take_bytes());
    }
    let frames = push_payloads(&all);
    assert!(frames.iter().all(|f| f.len() <= 1500));
    assert_eq!(frames.concat(), data);
    assert_eq!(b.rx_buffered(0), 0);
}

#[test]
fn transparent_mode_writes_data_raw() {
    let mut b = Bench::new();
    let conn = b.connect(0, 2);
    b.data(0, conn, b"\r\nOK\r\n+QSSLURC");
    b.data(0, conn, b"more");
    assert_eq!(b.take_writes_text(), ["\r\nOK\r\n+QSSLURC", "more"]);
}

#[test]
fn data_for_a_socket_still_opening_is_not_delivered() {
    let mut b = Bench::new();
    let conn = b.begin_open(0, 0);
    b.data(0, conn, b"early");
    b.opened(0, conn);
    b.settle();
    assert_eq!(b.take_text(), "\r\n+QSSLOPEN: 0,0\r\n");
    b.check("AT+QSSLRECV=0,10", "\r\n+QSSLRECV: 0\r\n\r\nOK\r\n");
}

// ---- stale events --------------------------------------------------------------------------

#[test]
fn events_for_an_old_serial_are_ignored() {
    let mut b = Bench::new();
    let old = b.connect(0, 0);
    b.check("AT+QSSLCLOSE=0,0", OK);
    let new = b.connect(0, 0);
    assert_ne!(old, new);
    b.data(0, old, b"stale");
    b.net(NetEvent::Sent { id: 0, conn: old, bytes: 100 });
    b.remote_closed(0, old);
    b.closed(0, old);
    b.open_failed(0, old, OpenFailure::ConnectFailed);
    b.opened(0, old);
    b.settle();
    assert_eq!(b.take_text(), "");
    assert!(b.take_actions().is_empty());
    b.check(
        "AT+QSSLSTATE",
        "\r\n+QSSLSTATE: 0,\"SSLClient\",\"192.0.2.2\",443,50000,2,1,0,0,\"uart1\",0\r\n\r\nOK\r\n",
    );
    b.check("AT+QSSLRECV=0,10", "\r\n+QSSLRECV: 0\r\n\r\nOK\r\n");
    // The current serial still works.
    b.data(0, new, b"fresh");
    b.settle();
    assert_eq!(b.take_writes_text(), [RECV0]);
}

#[test]
fn events_for_an_idle_socket_or_no_socket_are_ignored() {
    let mut b = Bench::new();
    for id in [0, 11, 12, 255] {
        b.net(NetEvent::Data { id, conn: 0, data: b"x".to_vec() });
        b.net(NetEvent::Opened { id, conn: 1, remote: "192.0.2.2:443".parse().unwrap(), local_port: 1 });
        b.net(NetEvent::RemoteClosed { id, conn: 0, cause: "x".into() });
    }
    b.settle();
    assert_eq!(b.take_text(), "");
    b.check("AT+QSSLSTATE", OK);
}

#[test]
fn a_second_opened_is_ignored() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.net(NetEvent::Opened { id: 0, conn, remote: "10.0.0.1:1".parse().unwrap(), local_port: 7 });
    b.settle();
    assert_eq!(b.take_text(), "");
    b.check(
        "AT+QSSLSTATE",
        "\r\n+QSSLSTATE: 0,\"SSLClient\",\"192.0.2.2\",443,50000,2,1,0,0,\"uart1\",0\r\n\r\nOK\r\n",
    );
}

// ---- grants --------------------------------------------------------------------------------

#[test]
fn a_new_connection_is_granted_the_whole_buffer() {
    let mut b = Bench::new();
    let conn = b.begin_open(0, 0);
    b.actions.clear();
    b.opened(0, conn);
    assert_eq!(described(&b.take_actions()), [format!("grant 0 #{conn} 65536")]);
}

#[test]
fn grants_wait_until_a_quarter_of_the_buffer_is_free() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.data(0, conn, &vec![b'g'; RX_BUFFER_BYTES]);
    b.take_text();
    assert!(b.take_actions().is_empty());
    // Ten reads free 15000 bytes: less than 16384, no grant yet.
    for _ in 0..10 {
        b.at("AT+QSSLRECV=0,1500");
    }
    assert!(b.take_actions().is_empty());
    b.at("AT+QSSLRECV=0,1500");
    assert_eq!(described(&b.take_actions()), [format!("grant 0 #{conn} 16500")]);
}

#[test]
fn granted_and_buffered_never_exceed_64_kib() {
    let mut b = Bench::new();
    let conn = b.begin_open(0, 0);
    b.actions.clear();
    b.opened(0, conn);
    b.settle();
    b.take_text();
    let mut outstanding = granted(&b.take_actions(), 0);
    let mut delivered = 0usize;
    let mut read = 0usize;
    let mut step = 0u32;
    while delivered < 400_000 {
        step += 1;
        assert!(step < 10_000, "no progress: {delivered} delivered");
        // The network sends what it may, in uneven pieces.
        let piece = outstanding.min(700 + (step as usize * 389) % 5000);
        if piece > 0 {
            b.data(0, conn, &vec![b'd'; piece]);
            outstanding -= piece;
            delivered += piece;
        }
        // The host reads now and then.
        if !step.is_multiple_of(3) {
            let got = b.at("AT+QSSLRECV=0,1500");
            let n: usize = got["\r\n+QSSLRECV: ".len()..].split("\r\n").next().unwrap().parse().unwrap();
            read += n;
        }
        outstanding += granted(&b.take_actions(), 0);
        let buffered = b.rx_buffered(0) as usize;
        assert_eq!(buffered, delivered - read);
        assert!(
            outstanding + buffered <= RX_BUFFER_BYTES,
            "step {step}: {outstanding} granted + {buffered} buffered"
        );
    }
}

#[test]
fn data_beyond_the_grant_is_kept_not_dropped() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.data(0, conn, &vec![b'a'; RX_BUFFER_BYTES]);
    b.data(0, conn, b"extra");
    assert_eq!(b.rx_buffered(0) as usize, RX_BUFFER_BYTES + 5);
}

#[test]
fn a_full_buffer_in_transparent_mode_stops_grants_until_the_host_reads() {
    let mut b = Bench::new();
    let conn = b.connect(0, 2);
    b.host_reads = false;
    b.data(0, conn, &vec![b't'; RX_BUFFER_BYTES]);
    let handed: usize = b.writes.iter().map(Vec::len).sum();
    assert!(handed <= HOST_QUEUE_BYTES, "{handed} bytes handed to a host that reads nothing");
    assert_eq!(b.rx_buffered(0) as usize, RX_BUFFER_BYTES - handed);
    assert_eq!(granted(&b.take_actions(), 0), 0, "no grant while the buffer is nearly full");
    // The host reads; data flows and the network is granted room again.
    let mut total = handed;
    b.writes.clear();
    for _ in 0..40 {
        b.m.host_backlog(0, b.now);
        b.drain();
        total += b.take_bytes().len();
    }
    assert_eq!(total, RX_BUFFER_BYTES);
    assert_eq!(granted(&b.take_actions(), 0), RX_BUFFER_BYTES);
}

#[test]
fn held_transparent_data_waits_behind_an_escape_then_is_announced() {
    let mut b = Bench::new();
    let conn = b.connect(0, 2);
    b.host_reads = false;
    b.advance(Duration::from_secs(1));
    b.data(0, conn, &vec![b'h'; 3 * HOST_QUEUE_BYTES]);
    b.input(b"+++");
    b.advance(Duration::from_secs(1));
    let writes = b.take_writes_text();
    assert_eq!(writes.last().map(String::as_str), Some(OK), "the escape's OK does not wait for the data");
    let data: usize = writes[..writes.len() - 1].iter().map(String::len).sum();
    assert!(data <= HOST_QUEUE_BYTES);
    b.host_reads = true;
    b.m.host_backlog(0, b.now);
    b.drain();
    b.settle();
    assert_eq!(b.take_writes_text(), [RECV0]);
    assert_eq!(b.rx_buffered(0) as usize, 3 * HOST_QUEUE_BYTES - data);
}

// ---- uplink accounting ---------------------------------------------------------------------

#[test]
fn sent_events_free_the_send_buffer() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("AT+QSSLSEND=0,10", "\r\n> ");
    b.input(b"0123456789");
    assert_eq!(b.take_text(), SEND_OK);
    assert_eq!(b.socket(0).unwrap()["tx_in_flight"], 10);
    b.sent(0, conn, 4);
    assert_eq!(b.socket(0).unwrap()["tx_in_flight"], 6);
    b.sent(0, conn, 100);
    assert_eq!(b.socket(0).unwrap()["tx_in_flight"], 0);
}

#[test]
fn transparent_input_stops_being_wanted_while_the_send_buffer_is_full() {
    let mut b = Bench::new();
    // With RTS/CTS (policy transparent-flow-control); without it the module keeps reading.
    b.check("AT+IFC=2,2", "\r\nOK\r\n");
    let conn = b.connect(0, 2);
    assert!(b.m.wants_input());
    b.input(&vec![b'u'; RX_BUFFER_BYTES]);
    assert!(!b.m.wants_input());
    assert_eq!(sends(&b.take_actions(), 0).concat().len(), RX_BUFFER_BYTES);
    b.sent(0, conn, 1);
    assert!(b.m.wants_input());
}

#[test]
fn input_after_a_stall_does_not_count_as_guard_silence() {
    let mut b = Bench::new();
    b.connect(0, 2);
    b.advance(Duration::from_secs(3));
    b.m.input_resumed(b.now);
    b.input(b"+++");
    b.advance(Duration::from_secs(3));
    assert_eq!(b.take_text(), "");
    assert_eq!(sends(&b.take_actions(), 0), [b"+++".to_vec()]);
}

// ---- faults --------------------------------------------------------------------------------

#[test]
fn link_faults_go_to_live_connections_only() {
    let mut b = Bench::new();
    let conn = b.connect(2, 0);
    b.inject(Fault::ConnectionReset { socket: Some(2) });
    assert_eq!(described(&b.take_actions()), [format!("fault 2 #{conn} Reset")]);
    b.inject(Fault::ConnectionReset { socket: Some(3) });
    assert!(b.take_actions().is_empty());
    b.inject(Fault::ServerClose { socket: None, after_bytes: Some(10), after_ms: None });
    match b.take_actions().as_slice() {
        [NetAction::Fault {
            id: 2,
            conn: c,
            fault: LinkFault::ServerClose { after_bytes: Some(10), after: None },
        }] => {
            assert_eq!(*c, conn)
        }
        other => panic!("{:?}", described(other)),
    }
}

#[test]
fn pdp_lost_during_a_transparent_open_is_error_570() {
    let mut b = Bench::new();
    let conn = b.begin_open(0, 2);
    b.actions.clear();
    b.inject(Fault::PdpLost { ctx: 1 });
    assert_eq!(described(&b.take_actions()), [format!("abort 0 #{conn}")]);
    b.settle();
    assert_eq!(b.take_writes_text(), [ERROR, "\r\n+QIURC: \"pdpdeact\",1\r\n"]);
    assert_eq!(b.last_error(), 570);
}

#[test]
fn pdp_lost_in_transparent_mode_is_no_carrier_then_pdpdeact() {
    let mut b = Bench::new();
    let conn = b.connect(0, 2);
    b.data(0, conn, b"tail");
    b.inject(Fault::PdpLost { ctx: 1 });
    b.settle();
    assert_eq!(b.take_writes_text(), ["tail", NO_CARRIER, "\r\n+QIURC: \"pdpdeact\",1\r\n"]);
}

#[test]
fn module_restart_drops_connections_and_says_rdy() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.m.files_mut().put("keep.pem", b"u".to_vec()).unwrap();
    b.m.files_mut().put("RAM:lose.pem", b"r".to_vec()).unwrap();
    b.inject(Fault::ModuleRestart);
    assert_eq!(described(&b.take_actions()), [format!("abort 0 #{conn}")]);
    b.settle();
    assert_eq!(b.take_writes_text(), ["\r\nRDY\r\n"]);
    // Settings are back to the factory's: echo is on again.
    b.check("AT+QSSLSTATE", "AT+QSSLSTATE\r\r\nOK\r\n");
    b.check("AT+QIACT?", "AT+QIACT?\r\r\nOK\r\n");
    b.check("AT+QFLST", "AT+QFLST\r\r\n+QFLST: \"UFS:keep.pem\",1\r\n\r\nOK\r\n");
    b.check("AT+QFLST=\"RAM:*\"", "AT+QFLST=\"RAM:*\"\r\r\nOK\r\n");
    // The old connection's events are stale.
    b.data(0, conn, b"ghost");
    b.settle();
    assert_eq!(b.take_text(), "");
}

#[test]
fn urc_delay_holds_urcs_back() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.inject(Fault::UrcDelay { ms: 1000 });
    b.data(0, conn, b"x");
    b.advance(Duration::from_millis(999));
    assert_eq!(b.take_text(), "");
    b.advance(Duration::from_millis(1));
    assert_eq!(b.take_writes_text(), [RECV0]);
}

#[test]
fn urcs_keep_their_framing_under_atv0() {
    let mut b = Bench::new();
    let conn = b.connect(0, 0);
    b.check("ATV0", "0\r");
    b.data(0, conn, b"x");
    b.remote_closed(0, conn);
    b.settle();
    assert_eq!(b.take_writes_text(), [RECV0, CLOSED0]);
}

#[test]

fn a_closed_urc_still_queued_is_not_reported_for_the_next_connection_on_the_id() {
    let mut b = Bench::new();
    let old = b.connect(0, 0);
    // The server closes right after an answer, and the host closes and reopens the id before
    // the URC's gap has passed (a host closing on its own timeout, say).
    b.check("AT+CSQ", "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    b.remote_closed(0, old);
    b.check("AT+QSSLCLOSE=0", OK);
    let new = b.begin_open(0, 0);
    b.opened(0, new);
    b.settle();
    // Network events of the old serial are ignored once the id is released; its queued
    // report must not reach the host either, or the host takes the new connection for closed.
    assert_eq!(b.take_writes_text(), ["\r\n+QSSLOPEN: 0,0\r\n"]);
}

#[test]
fn push_streams_take_turns_and_a_busy_one_does_not_hold_back_the_rest() {
    let mut b = Bench::new();
    let busy = b.connect(0, 1);
    let other = b.connect(1, 1);
    let closing = b.connect(2, 0);
    b.host_reads = false;
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    b.data(0, busy, &data);
    b.data(1, other, b"x");
    b.remote_closed(2, closing);
    b.settle();
    // The host reads nothing: socket 0's frames fill what the port may hold, but a report
    // needs no room and does not wait behind them.
    let first = b.take_writes_text();
    assert_eq!(first.last().map(String::as_str), Some(CLOSED2), "{first:?}");
    // Once the host reads, socket 1's frame comes next, long before socket 0 is drained.
    b.m.host_backlog(0, b.now);
    b.settle();
    let next = b.take_bytes();
    assert!(next.starts_with(&push_frame(1, b"x")), "{:?}", String::from_utf8_lossy(&next[..40]));
    assert!(b.rx_buffered(0) > 0);
}

#[test]
fn a_socket_s_closed_report_still_follows_all_of_its_pushed_data() {
    let mut b = Bench::new();
    let conn = b.connect(0, 1);
    let other = b.connect(1, 1);
    b.host_reads = false;
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    b.data(0, conn, &data);
    b.data(1, other, &data[..3000]);
    b.remote_closed(0, conn);
    let mut all = Vec::new();
    for _ in 0..40 {
        b.settle();
        all.extend(b.take_bytes());
        b.m.host_backlog(0, b.now);
    }
    let at = all.windows(CLOSED0.len()).position(|w| w == CLOSED0.as_bytes()).expect("a closed report");
    assert_eq!(b.rx_buffered(0), 0);
    assert_eq!(b.rx_buffered(1), 0);
    // Every byte of both sockets arrived, in order per socket, and none of socket 0's after
    // its "closed" report (socket 1's may).
    let (got, _) = frames_by_socket(&all[..at]);
    let (after, _) = frames_by_socket(&all[at + CLOSED0.len()..]);
    assert!(after[0].is_empty(), "socket 0 data after its closed report");
    assert_eq!(got[0], data);
    assert_eq!([got[1].clone(), after[1].clone()].concat(), data[..3000]);
}

/// The payloads of the push frames in `out`, per socket 0 and 1, and how many frames.
fn frames_by_socket(out: &[u8]) -> ([Vec<u8>; 2], usize) {
    let mut got: [Vec<u8>; 2] = Default::default();
    let mut rest = out;
    let mut n = 0;
    while !rest.is_empty() {
        let text = String::from_utf8_lossy(&rest[..rest.len().min(40)]).to_string();
        let head = text.strip_prefix("\r\n+QSSLURC: \"recv\",").expect("a push frame");
        let (id, tail) = head.split_once(',').unwrap();
        let len: usize = tail.split("\r\n").next().unwrap().parse().unwrap();
        let start = "\r\n+QSSLURC: \"recv\",".len() + id.len() + 1 + len.to_string().len() + 2;
        got[id.parse::<usize>().unwrap()].extend_from_slice(&rest[start..start + len]);
        rest = &rest[start + len..];
        n += 1;
    }
    (got, n)
}
