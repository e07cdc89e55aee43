//! PPP dialling as the host sees it: `ATD*99#`/`ATD*99***<cid>#`/`AT+CGDATA="PPP"` answer
//! `CONNECT` and put the port in PPP mode with the context active; host bytes go to the PPP
//! session, its bytes come back as the host has room; `+++` returns to command mode with the
//! call kept, `ATO` resumes with `CONNECT`, `ATH` and DTR (`AT&D2`) end it; the session ending
//! (LCP terminated) or the context lost gives `NO CARRIER` and the context is down.

mod bench;

use std::net::Ipv4Addr;
use std::time::Duration;

use bench::{Bench, ERROR, OK};
use qsslsim_modem::event::Event;
use qsslsim_modem::{Fault, NetAction, NetEvent};

const CONNECT: &str = "\r\nCONNECT\r\n";
const NO_CARRIER: &str = "\r\nNO CARRIER\r\n";

/// Dial `line`, answer CONNECT, and return the session the module started.
#[track_caller]
fn dial(b: &mut Bench, line: &str, cid: u8) -> u64 {
    b.take_actions();
    b.check(line, CONNECT);
    assert_eq!(b.port_mode(), "ppp");
    let actions = b.take_actions();
    match actions.as_slice() {
        [NetAction::PppStart { session, cid: got, peer, dns }] => {
            assert_eq!(*got, cid);
            assert_eq!(*peer, Ipv4Addr::new(10, 7, 157, cid));
            assert_eq!(*dns, [Ipv4Addr::new(10, 7, 157, 254), Ipv4Addr::new(10, 7, 157, 253)]);
            *session
        }
        other => panic!("expected one PppStart, got {other:?}"),
    }
}

/// `+++` with a second of silence on both sides: `OK`, the call kept.
#[track_caller]
fn escape(b: &mut Bench) {
    b.advance(Duration::from_secs(2));
    b.input(b"+++");
    b.advance(Duration::from_secs(2));
    assert_eq!(b.take_text(), OK);
}

fn uplink(actions: &[NetAction]) -> Vec<u8> {
    actions
        .iter()
        .filter_map(|a| match a {
            NetAction::PppData { data, .. } => Some(data.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn zephyr_dial_script_verbatim() {
    // modem_cellular's dial script for the Quectel family.
    let mut b = Bench::new();
    b.check("AT+CGACT=0,1", OK);
    b.check("AT+CGDCONT=1,\"IP\",\"internet\"", OK);
    b.check("AT+CFUN=1", OK);
    let session = dial(&mut b, "ATD*99***1#", 1);
    // PPP frames pass through untouched, `+` and CR included.
    b.input(b"\x7e\xff\x7d\x23\xc0\x21+\r\n\x7e");
    let acts = b.take_actions();
    assert_eq!(uplink(&acts), b"\x7e\xff\x7d\x23\xc0\x21+\r\n\x7e");
    assert!(acts.iter().all(|a| matches!(a, NetAction::PppData { session: s, .. } if *s == session)));
    // Downlink bytes reach the host verbatim, and are granted again.
    b.net(NetEvent::PppData { session, data: b"\x7e\x21\x45\x7e".to_vec() });
    assert_eq!(b.take_bytes(), b"\x7e\x21\x45\x7e");
    assert!(
        matches!(b.take_actions().as_slice(), [NetAction::PppGrant { session: s, bytes: 4 }] if *s == session)
    );
}

#[test]
fn dial_activates_the_context_and_lcp_end_gives_no_carrier() {
    let mut b = Bench::new();
    let session = dial(&mut b, "ATD*99#", 1);
    b.net(NetEvent::PppEnded { session, why: "the host terminated LCP".into() });
    assert_eq!(b.take_text(), NO_CARRIER);
    assert_eq!(b.port_mode(), "command");
    b.check("AT+CGACT?", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
    b.check("AT+CGPADDR=1", "\r\n+CGPADDR: 1,\"0.0.0.0\"\r\n\r\nOK\r\n");
    // Traced: up when dialled, down with why.
    let ppp: Vec<(String, String)> = b
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Ppp { session: s, what, detail } if *s == session => Some((what.clone(), detail.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        ppp,
        [
            ("up".to_string(), "dialled on context 1, host address 10.7.157.1".to_string()),
            ("down".to_string(), "the host terminated LCP".to_string())
        ]
    );
    // Late events of the ended session change nothing.
    b.net(NetEvent::PppData { session, data: b"late".to_vec() });
    assert_eq!(b.take_text(), "");
}

#[test]
fn context_shows_active_while_the_call_is_held() {
    let mut b = Bench::new();
    dial(&mut b, "ATD*99***1#", 1);
    escape(&mut b);
    assert_eq!(b.port_mode(), "command");
    b.check("AT+CGACT?", "\r\n+CGACT: 1,1\r\n\r\nOK\r\n");
    b.check("AT+CGPADDR=1", "\r\n+CGPADDR: 1,\"10.7.157.1\"\r\n\r\nOK\r\n");
    // Dialling again while the call is held is refused.
    b.check("ATD*99#", ERROR);
}

#[test]
fn escape_then_ato_resumes_and_ath_hangs_up() {
    let mut b = Bench::new();
    let session = dial(&mut b, "ATD*99#", 1);
    escape(&mut b);
    assert!(uplink(&b.take_actions()).is_empty(), "the escape is not PPP data");
    // Downlink while in command mode waits for ATO.
    b.net(NetEvent::PppData { session, data: b"\x7eheld\x7e".to_vec() });
    assert_eq!(b.take_text(), "");
    b.check("ATO", &format!("{CONNECT}\x7eheld\x7e"));
    assert_eq!(b.port_mode(), "ppp");
    escape(&mut b);
    b.take_actions();
    b.check("ATH", OK);
    assert!(b.take_actions().iter().any(|a| matches!(a, NetAction::PppStop { session: s } if *s == session)));
    b.check("AT+CGACT?", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
    b.check("ATO", NO_CARRIER);
}

#[test]
fn dtr_with_and_d2_hangs_up_and_and_d1_keeps_the_call() {
    let mut b = Bench::new();
    b.check("AT&D1", OK);
    dial(&mut b, "ATD*99#", 1);
    b.set_dtr(false);
    b.set_dtr(true);
    assert_eq!(b.take_text(), OK);
    assert_eq!(b.port_mode(), "command");
    b.check("ATO", CONNECT);
    b.check_dtr_drop_hangs_up();
}

trait DtrHangUp {
    fn check_dtr_drop_hangs_up(&mut self);
}

impl DtrHangUp for Bench {
    fn check_dtr_drop_hangs_up(&mut self) {
        // AT&D2 cannot be typed in PPP mode: set it directly through a held call's escape.
        self.advance(Duration::from_secs(2));
        self.input(b"+++");
        self.advance(Duration::from_secs(2));
        assert_eq!(self.take_text(), OK);
        self.check("AT&D2", OK);
        self.check("ATO", CONNECT);
        self.take_actions();
        self.set_dtr(false);
        self.set_dtr(true);
        assert_eq!(self.take_text(), NO_CARRIER);
        assert!(self.take_actions().iter().any(|a| matches!(a, NetAction::PppStop { .. })));
        self.check("AT+CGACT?", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
    }
}

#[test]
fn cgdata_ppp_dials_too() {
    let mut b = Bench::new();
    b.check("AT+CGDATA=?", "\r\n+CGDATA: (\"PPP\")\r\n\r\nOK\r\n");
    b.check("AT+CGDCONT=2,\"IP\",\"apn2\"", OK);
    dial(&mut b, "AT+CGDATA=\"PPP\",2", 2);
    let mut b = Bench::new();
    b.check_cme("AT+CGDATA=\"M-xyz\",1", 4);
}

#[test]
fn context_lost_or_radio_off_gives_no_carrier() {
    let mut b = Bench::new();
    let session = dial(&mut b, "ATD*99***1#", 1);
    b.inject(Fault::PdpLost { ctx: 1 });
    assert!(b.take_text().starts_with(NO_CARRIER));
    assert!(b.take_actions().iter().any(|a| matches!(a, NetAction::PppStop { session: s } if *s == session)));
    b.check("AT+CGACT?", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");

    let mut b = Bench::new();
    dial(&mut b, "ATD*99#", 1);
    escape(&mut b);
    b.check("AT+CFUN=0", OK);
    b.check("ATO", NO_CARRIER);

    // connection_reset without a socket: the link drops under the call.
    let mut b = Bench::new();
    let session = dial(&mut b, "ATD*99#", 1);
    b.inject(Fault::ConnectionReset { socket: None });
    assert_eq!(b.take_text(), NO_CARRIER);
    assert!(b.take_actions().iter().any(|a| matches!(a, NetAction::PppStop { session: s } if *s == session)));
    b.check("AT+CGACT?", "\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
}

#[test]
fn refusals() {
    let mut b = Bench::new();
    // Not a packet-service dial string, or a context out of range.
    b.check("ATD5551234", ERROR);
    b.check("ATD*99***16#", ERROR);
    b.check("ATD*99**2*1#", ERROR);
    // A context that was never defined.
    b.check("ATD*99***5#", ERROR);
    // The context is held by the module's own stack (AT+QIACT).
    b.check("AT+QIACT=1", OK);
    b.check("ATD*99***1#", ERROR);
    b.check("AT+QIDEACT=1", OK);
    // The radio is off: the dial cannot activate the context.
    b.check("AT+CFUN=0", OK);
    b.check("ATD*99***1#", NO_CARRIER);
    assert_eq!(b.port_mode(), "command");
    assert!(!b.take_actions().iter().any(|a| matches!(a, NetAction::PppStart { .. })));
    let refused = b.events.iter().any(|e| format!("{e:?}").contains("radio is off"));
    assert!(refused, "the refusal is traced: {:?}", b.events);
}

#[test]
fn downlink_waits_for_host_room_and_grants_only_what_was_written() {
    let mut b = Bench::new();
    let session = dial(&mut b, "ATD*99#", 1);
    b.host_reads = false;
    let big = vec![0x42u8; 64 * 1024];
    b.net(NetEvent::PppData { session, data: big.clone() });
    let first = b.take_bytes();
    assert!(!first.is_empty() && first.len() < big.len(), "only up to the host queue bound: {}", first.len());
    let granted: usize = b
        .take_actions()
        .iter()
        .map(|a| match a {
            NetAction::PppGrant { bytes, .. } => *bytes,
            _ => 0,
        })
        .sum();
    assert_eq!(granted, first.len());
    b.host_reads = true;
    let mut all = first;
    while all.len() < big.len() {
        b.drain();
        let more = b.take_bytes();
        assert!(!more.is_empty(), "the rest flows as the host reads ({} of {})", all.len(), big.len());
        all.extend(more);
    }
    assert!(all == big, "every byte in order");
}
