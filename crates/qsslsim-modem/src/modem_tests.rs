//! The module driven directly, smoltcp-style: synthetic host bytes, network events and time in,
//! host writes and network actions out. No daemon, no sockets, no clock but the one passed in.

use std::time::{Duration, Instant, SystemTime};

use super::*;
use crate::config::Timing;
use crate::net::{NetAction, NetEvent};

/// A module and its clock.
struct Bench {
    m: Modem,
    now: Instant,
    /// Host writes taken so far, one entry per write.
    writes: Vec<Vec<u8>>,
    /// Network actions taken so far.
    actions: Vec<NetAction>,
}

impl Bench {
    fn new(cfg: ModemConfig) -> Self {
        let now = Instant::now();
        Bench { m: Modem::new(cfg, now, SystemTime::now()), now, writes: Vec::new(), actions: Vec::new() }
    }

    fn drain(&mut self) {
        while let Some(o) = self.m.poll_output() {
            match o {
                Output::Host(b) => self.writes.push(b),
                Output::Net(a) => self.actions.push(a),
                Output::Event(_) => {}
            }
        }
        // The daemon reports what it holds: here the host reads everything at once.
        self.m.host_backlog(0, self.now);
        while let Some(o) = self.m.poll_output() {
            match o {
                Output::Host(b) => self.writes.push(b),
                Output::Net(a) => self.actions.push(a),
                Output::Event(_) => {}
            }
        }
    }

    fn type_line(&mut self, line: &str) {
        self.m.host_input(line.as_bytes(), self.now);
        self.drain();
    }

    /// Let `d` pass, waking the module at each of its deadlines.
    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(t) = self.m.next_deadline().filter(|t| *t <= end) {
            self.now = t.max(self.now);
            self.m.on_time(self.now);
            self.drain();
        }
        self.now = end;
        self.m.on_time(end);
        self.drain();
    }

    /// Everything written so far as text, and forget it.
    fn take_text(&mut self) -> String {
        let all: Vec<u8> = self.writes.drain(..).flatten().collect();
        String::from_utf8_lossy(&all).into_owned()
    }

    /// `ATE0`, activate context 1, open socket `id` in `mode` and connect it; returns its
    /// connection serial.
    fn open(&mut self, id: u8, mode: u8) -> u64 {
        self.type_line("ATE0\r");
        self.type_line("AT+QIACT=1\r");
        self.type_line(&format!("AT+QSSLOPEN=1,0,{id},\"192.0.2.2\",443,{mode}\r"));
        let conn = self
            .actions
            .iter()
            .find_map(|a| match a {
                NetAction::Open(r) if r.id == id => Some(r.conn),
                _ => None,
            })
            .expect("the open reached the network");
        let remote = "192.0.2.2:443".parse().unwrap();
        self.m.net_event(NetEvent::Opened { id, conn, remote, local_port: 50000 }, self.now);
        self.drain();
        self.advance(Duration::from_millis(200));
        self.take_text();
        conn
    }

    fn data(&mut self, id: u8, conn: u64, bytes: &[u8]) {
        self.m.net_event(NetEvent::Data { id, conn, data: bytes.to_vec() }, self.now);
        self.drain();
    }
}

const RECV_URC: &str = "\r\n+QSSLURC: \"recv\",0\r\n";

/// Issue 9 defect 2: a host sending a command every 3 ms kept pushing the URC gap forward,
/// so the "recv" URC never came.
#[test]
fn a_host_sending_commands_every_3_ms_still_gets_the_urc() {
    let mut b = Bench::new(ModemConfig::default());
    let conn = b.open(0, 0);
    let mut start = None;
    for i in 0..40 {
        b.type_line("AT\r");
        if i == 5 {
            // Data arrives right after an answer, inside the gap.
            b.data(0, conn, b"hello");
            start = Some(b.now);
        }
        b.advance(Duration::from_millis(3));
        let Some(start) = start else { continue };
        if b.writes.iter().any(|w| w == RECV_URC.as_bytes()) {
            let waited = b.now - start;
            let fast = Timing::fast();
            let bound = fast.network_urc_gap + fast.urc_gap + Duration::from_millis(3);
            assert!(waited <= bound, "waited {waited:?}");
            return;
        }
    }
    panic!("no recv URC in 120 ms of back-to-back commands: {:?}", b.take_text());
}

/// The same with the `realistic` profile's 100 ms gap and a host polling every 50 ms.
#[test]
fn a_50_ms_poller_in_the_realistic_profile_gets_the_urc() {
    let cfg = ModemConfig { timing: Timing::realistic(), ..ModemConfig::default() };
    let mut b = Bench::new(cfg);
    let conn = b.open(0, 0);
    b.advance(Duration::from_secs(3));
    b.take_text();
    for i in 0..20 {
        b.type_line("AT+QSSLSTATE=0\r");
        if i == 2 {
            b.data(0, conn, b"hello");
        }
        b.advance(Duration::from_millis(50));
        if b.writes.iter().any(|w| w == RECV_URC.as_bytes()) {
            return;
        }
    }
    panic!("no recv URC in 1 s of polling every 50 ms: {:?}", b.take_text());
}

/// A URC is always a write of its own, never inside a response.
#[test]
fn urcs_are_separate_writes_between_responses() {
    let mut b = Bench::new(ModemConfig::default());
    let conn = b.open(0, 0);
    b.data(0, conn, b"x");
    for _ in 0..10 {
        b.type_line("AT+CSQ\r");
        b.advance(Duration::from_millis(2));
    }
    for w in &b.writes {
        let text = String::from_utf8_lossy(w);
        assert!(w == RECV_URC.as_bytes() || !text.contains("+QSSLURC"), "URC inside a write: {text:?}");
    }
    assert_eq!(b.writes.iter().filter(|w| *w == RECV_URC.as_bytes()).count(), 1);
}

/// Issue 9 defect 3 (module side): with a host that does not read, transparent data waits in
/// the socket's buffer; at most `HOST_QUEUE_BYTES` are handed to the daemon, and `+++`'s `OK`
/// follows at once.
#[test]
fn transparent_downlink_is_held_while_the_host_does_not_read() {
    let mut b = Bench::new(ModemConfig { guard_time: Duration::from_millis(200), ..ModemConfig::default() });
    b.type_line("ATE0\r");
    b.type_line("AT+QIACT=1\r");
    b.type_line("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,2\r");
    let conn = match b.actions.last() {
        Some(NetAction::Open(r)) => r.conn,
        other => panic!("{other:?}"),
    };
    b.m.net_event(
        NetEvent::Opened { id: 0, conn, remote: "192.0.2.2:443".parse().unwrap(), local_port: 1 },
        b.now,
    );
    fn take(m: &mut Modem, produced: &mut usize) {
        while let Some(o) = m.poll_output() {
            if let Output::Host(w) = o {
                *produced += w.len();
            }
        }
    }
    let mut produced = 0;
    take(&mut b.m, &mut produced);
    // 60 KB from the server; the host reads nothing, the daemon reports it all undelivered.
    for _ in 0..60 {
        b.m.net_event(NetEvent::Data { id: 0, conn, data: vec![b'a'; 1000] }, b.now);
        take(&mut b.m, &mut produced);
        b.m.host_backlog(produced, b.now);
        take(&mut b.m, &mut produced);
    }
    let connect = "\r\nCONNECT\r\n".len();
    assert!(
        produced - connect <= policy::HOST_QUEUE_BYTES,
        "{produced} bytes handed to a host that reads nothing"
    );
    assert_eq!(b.m.sockets.get(SocketId::new(0).unwrap()).rx.len() + produced - connect, 60_000);
    // The host reads it all; more flows.
    b.m.host_backlog(0, b.now);
    let before = produced;
    take(&mut b.m, &mut produced);
    assert!(produced > before);
}

/// Transparent `NO CARRIER` comes after every byte the server sent before it closed.
#[test]
fn no_carrier_follows_the_last_byte() {
    let mut b = Bench::new(ModemConfig::default());
    b.type_line("ATE0\r");
    b.type_line("AT+QIACT=1\r");
    b.type_line("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,2\r");
    let conn = match b.actions.last() {
        Some(NetAction::Open(r)) => r.conn,
        other => panic!("{other:?}"),
    };
    b.take_text();
    b.m.net_event(
        NetEvent::Opened { id: 0, conn, remote: "192.0.2.2:443".parse().unwrap(), local_port: 1 },
        b.now,
    );
    let big = vec![b'z'; 3 * policy::HOST_QUEUE_BYTES];
    b.m.net_event(NetEvent::Data { id: 0, conn, data: big.clone() }, b.now);
    b.m.net_event(NetEvent::RemoteClosed { id: 0, conn, cause: "peer closed".into() }, b.now);
    b.drain();
    for _ in 0..10 {
        b.advance(Duration::from_millis(1));
    }
    let mut want = b"\r\nCONNECT\r\n".to_vec();
    want.extend(&big);
    want.extend(b"\r\nNO CARRIER\r\n");
    let got = b.take_text().into_bytes();
    assert!(
        got == want,
        "got {} bytes ending {:?}",
        got.len(),
        String::from_utf8_lossy(&got[got.len().saturating_sub(20)..])
    );
}

/// Every refused command says why, once, in the trace.
#[test]
fn refusals_name_the_rule_broken() {
    let mut b = Bench::new(ModemConfig::default());
    b.m.host_input(b"AT+QSSLSEND=12,5\r", b.now);
    let mut why = Vec::new();
    while let Some(o) = b.m.poll_output() {
        if let Output::Event(crate::event::Event::Refused { command, code, why: w, .. }) = o {
            why.push((command, code, w));
        }
    }
    assert_eq!(why, vec![("AT+QSSLSEND".to_string(), Some(552), "client id 12 is outside 0-11".to_string())]);
}

/// Issue 12: after an abnormal close the buffered data is still readable, then `ERROR` (567).
#[test]
fn recv_after_an_abnormal_close_reads_the_rest_then_errors() {
    let mut b = Bench::new(ModemConfig::default());
    let conn = b.open(0, 0);
    b.data(0, conn, b"bye");
    b.m.net_event(NetEvent::RemoteClosed { id: 0, conn, cause: "peer closed".into() }, b.now);
    b.advance(Duration::from_millis(100));
    assert_eq!(b.take_text(), "\r\n+QSSLURC: \"recv\",0\r\n\r\n+QSSLURC: \"closed\",0\r\n");
    b.type_line("AT+QSSLRECV=0,1500\r");
    assert_eq!(b.take_text(), "\r\n+QSSLRECV: 3\r\nbye\r\n\r\nOK\r\n");
    b.type_line("AT+QSSLRECV=0,1500\r");
    b.type_line("AT+QIGETERROR\r");
    assert_eq!(b.take_text(), "\r\nERROR\r\n\r\n+QIGETERROR: 567,socket has been closed\r\n\r\nOK\r\n");
}

/// Policy `state-idle-socket`: an idle socket has no line, in either form.
#[test]
fn state_of_an_idle_socket_is_a_bare_ok() {
    let mut b = Bench::new(ModemConfig::default());
    b.type_line("ATE0\r");
    b.take_text();
    b.type_line("AT+QSSLSTATE=3\r");
    b.type_line("AT+QSSLSTATE\r");
    assert_eq!(b.take_text(), "\r\nOK\r\n\r\nOK\r\n");
}

/// `AT+QIGETERROR` reports the last command's own result: an open that fails because
/// `AT+QIDEACT` took its context is reported in its URC, and QIDEACT itself succeeded.
#[test]
fn qigeterror_reports_the_commands_own_result() {
    let mut b = Bench::new(ModemConfig::default());
    b.type_line("ATE0\r");
    b.type_line("AT+QIACT=1\r");
    b.type_line("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,0\r");
    b.take_text();
    b.type_line("AT+QIDEACT=1\r");
    b.type_line("AT+QIGETERROR\r");
    b.advance(Duration::from_millis(200));
    assert_eq!(
        b.take_text(),
        "\r\nOK\r\n\r\n+QIGETERROR: 0,operate successfully\r\n\r\nOK\r\n\r\n+QSSLOPEN: 0,570\r\n"
    );
}

/// Issue 12: every result code is reachable. `command_error` makes a command fail as the
/// module fails it: ERROR and the code, or for an open in mode 0/1, OK and the URC.
#[test]
fn command_error_fault_fails_commands_as_the_module_does() {
    use crate::fault::Fault;
    let mut b = Bench::new(ModemConfig::default());
    let conn = b.open(0, 0);
    let fault = |command: &str, code: u16, count: Option<u32>| Fault::CommandError {
        command: command.into(),
        code,
        count,
    };
    b.m.inject(fault("AT+QSSLSEND", 558, Some(2)), b.now);
    for _ in 0..2 {
        b.type_line("AT+QSSLSEND=0,1\r");
        b.type_line("AT+QIGETERROR\r");
        assert_eq!(b.take_text(), "\r\nERROR\r\n\r\n+QIGETERROR: 558,socket write failed\r\n\r\nOK\r\n");
    }
    b.type_line("AT+QSSLSEND=0,1\r");
    assert_eq!(b.take_text(), "\r\n> ");
    b.type_line("x");
    b.take_text();
    // An open in buffer mode answers OK and reports the code in its URC.
    b.m.inject(fault("+qsslopen", 553, None), b.now);
    b.type_line("AT+QSSLOPEN=1,0,1,\"192.0.2.2\",443,0\r");
    b.advance(Duration::from_millis(200));
    assert_eq!(b.take_text(), "\r\nOK\r\n\r\n+QSSLOPEN: 1,553\r\n");
    // In transparent mode, ERROR.
    b.m.inject(fault("AT+QSSLOPEN", 554, None), b.now);
    b.type_line("AT+QSSLOPEN=1,0,1,\"192.0.2.2\",443,2\r");
    b.type_line("AT+QIGETERROR\r");
    assert_eq!(b.take_text(), "\r\nERROR\r\n\r\n+QIGETERROR: 554,create socket failed\r\n\r\nOK\r\n");
    let _ = conn;
}

#[test]
fn command_error_fault_is_refused_for_other_commands_and_codes() {
    use crate::fault::Fault;
    let bad = [("AT+CSQ", 550), ("AT+QSSLSEND", 0), ("AT+QSSLSEND", 575), ("AT+NOSUCH", 550)];
    for (command, code) in bad {
        let f = Fault::CommandError { command: command.into(), code, count: None };
        assert!(f.validate().is_err(), "{command} {code}");
    }
    let ok = Fault::CommandError { command: "at+qsslstate".into(), code: 551, count: None };
    assert_eq!(ok.validate(), Ok(()));
}

/// 573: a network that requires an APN refuses to activate a context without one.
#[test]
fn apn_required_refuses_activation_without_an_apn() {
    let mut b = Bench::new(ModemConfig { apn_required: true, ..ModemConfig::default() });
    b.type_line("ATE0\r");
    b.take_text();
    b.type_line("AT+QIACT=1\r");
    b.type_line("AT+QIGETERROR\r");
    assert_eq!(b.take_text(), "\r\nERROR\r\n\r\n+QIGETERROR: 573,APN not configured\r\n\r\nOK\r\n");
    b.type_line("AT+QICSGP=1,1,\"internet\",\"\",\"\",0\r");
    b.type_line("AT+QIACT=1\r");
    assert_eq!(b.take_text(), "\r\nOK\r\n\r\nOK\r\n");
}

/// Issue 14: what got SEND OK but never left is visible after the connection dropped.
#[test]
fn send_counters_answer_after_the_network_closed_the_socket() {
    let mut b = Bench::new(ModemConfig::default());
    let conn = b.open(0, 0);
    b.type_line("AT+QSSLSEND=0,5\r");
    b.type_line("hello");
    b.type_line("AT+QSSLSEND=0,3\r");
    b.type_line("abc");
    b.m.net_event(NetEvent::Sent { id: 0, conn, bytes: 5 }, b.now);
    b.take_text();
    b.type_line("AT+QSSLSEND=0,0\r");
    assert_eq!(b.take_text(), "\r\n+QSSLSEND: 8,5,3\r\n\r\nOK\r\n");
    b.m.net_event(NetEvent::RemoteClosed { id: 0, conn, cause: "reset".into() }, b.now);
    b.advance(Duration::from_millis(100));
    b.take_text();
    b.type_line("AT+QSSLSEND=0,0\r");
    assert_eq!(b.take_text(), "\r\n+QSSLSEND: 8,5,3\r\n\r\nOK\r\n");
    b.type_line("AT+QSSLCLOSE=0\r");
    b.type_line("AT+QSSLSEND=0,0\r");
    assert_eq!(b.take_text(), "\r\nOK\r\n\r\nERROR\r\n");
}

/// Issue 14: a server that stops reading must not hide `+++`. Without flow control (the
/// factory AT+IFC=0,0) the module keeps reading: what does not fit is lost and counted, and
/// the escape is seen. With RTS/CTS the module stops reading the host instead.
#[test]
fn transparent_input_follows_the_flow_control_setting() {
    let guard = Duration::from_millis(200);
    for rts_cts in [false, true] {
        let mut b = Bench::new(ModemConfig { guard_time: guard, ..ModemConfig::default() });
        b.type_line("ATE0\r");
        if rts_cts {
            b.type_line("AT+IFC=2,2\r");
        }
        b.type_line("AT+QIACT=1\r");
        b.type_line("AT+QSSLOPEN=1,0,0,\"192.0.2.2\",443,2\r");
        let conn = match b.actions.last() {
            Some(NetAction::Open(r)) => r.conn,
            other => panic!("{other:?}"),
        };
        let remote = "192.0.2.2:443".parse().unwrap();
        b.m.net_event(NetEvent::Opened { id: 0, conn, remote, local_port: 1 }, b.now);
        b.drain();
        b.take_text();
        // The server reads nothing: 100 KB from the host.
        for _ in 0..100 {
            if !b.m.wants_input() {
                break;
            }
            b.m.host_input(&[b'x'; 1000], b.now);
            b.drain();
        }
        let sent: usize = b
            .actions
            .iter()
            .map(|a| match a {
                NetAction::Send { data, .. } => data.len(),
                _ => 0,
            })
            .sum();
        if rts_cts {
            // Reading stops once the buffer is full; the read in flight still counts.
            assert!((policy::TX_BUFFER_BYTES..policy::TX_BUFFER_BYTES + 1000).contains(&sent), "{sent}");
        } else {
            assert_eq!(sent, policy::TX_BUFFER_BYTES, "the rest is lost, not queued");
        }
        assert_eq!(b.m.wants_input(), !rts_cts, "rts_cts {rts_cts}");
        if !rts_cts {
            b.advance(guard);
            b.m.host_input(b"+++", b.now);
            b.advance(guard + Duration::from_millis(10));
            assert_eq!(b.take_text(), "\r\nOK\r\n");
        }
    }
}

#[test]
fn ifc_and_ipr_are_stored_and_reported() {
    let mut b = Bench::new(ModemConfig::default());
    b.type_line("ATE0\r");
    b.take_text();
    b.type_line("AT+IFC?\r");
    b.type_line("AT+IFC=2,2\r");
    b.type_line("AT+IFC?\r");
    b.type_line("AT+IFC=1,1\r");
    b.type_line("AT+IPR?\r");
    b.type_line("AT+IPR=921600\r");
    b.type_line("AT+IPR?\r");
    b.type_line("AT+IPR=1234\r");
    assert_eq!(
        b.take_text(),
        "\r\n+IFC: 0,0\r\n\r\nOK\r\n\r\nOK\r\n\r\n+IFC: 2,2\r\n\r\nOK\r\n\r\nERROR\r\n\
         \r\n+IPR: 115200\r\n\r\nOK\r\n\r\nOK\r\n\r\n+IPR: 921600\r\n\r\nOK\r\n\r\nERROR\r\n"
    );
}

/// Issue 13: a DNS fault does not hit an open by IP literal (no lookup happens); it waits for
/// the next open by name. Other open faults still apply in order.
#[test]
fn dns_faults_skip_opens_by_ip_literal() {
    use crate::fault::{Fault, OpenFault};
    let mut b = Bench::new(ModemConfig::default());
    b.type_line("AT+QIACT=1\r");
    b.m.inject(Fault::DnsFailure, b.now);
    b.m.inject(Fault::RefuseConnect, b.now);
    let mut faults = Vec::new();
    for (id, host) in [(0, "192.0.2.2"), (1, "peer.example"), (2, "::1")] {
        b.type_line(&format!("AT+QSSLOPEN=1,0,{id},\"{host}\",443,0\r"));
        if let Some(NetAction::Open(r)) = b.actions.last() {
            faults.push(r.fault);
        }
    }
    assert_eq!(faults, vec![Some(OpenFault::RefuseConnect), Some(OpenFault::DnsFailure), None]);
}
