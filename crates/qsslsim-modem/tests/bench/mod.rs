//! The module driven directly through its public API, smoltcp-style: synthetic host bytes,
//! synthetic network events and time passed in explicitly. Host writes are kept one entry per
//! write so tests can assert where one write ends and the next begins; network actions are
//! kept in order. Nothing here sleeps or touches a socket.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::{Event, Fault, Modem, ModemConfig, NetAction, NetEvent, OpenRequest, Output};
use serde_json::Value;

pub const OK: &str = "\r\nOK\r\n";
pub const ERROR: &str = "\r\nERROR\r\n";
pub const CONNECT: &str = "\r\nCONNECT\r\n";
pub const NO_CARRIER: &str = "\r\nNO CARRIER\r\n";
pub const SEND_OK: &str = "\r\nSEND OK\r\n";
pub const SEND_FAIL: &str = "\r\nSEND FAIL\r\n";
pub const PROMPT: &str = "\r\n> ";

/// Where opened connections claim to go.
pub const REMOTE: &str = "192.0.2.2:443";

/// Time enough for every URC gap of the `fast` profile to pass.
pub const SETTLE: Duration = Duration::from_millis(200);

/// The text `AT+QIGETERROR` prints for each code, as SPEC.md §9 and docs/commands.md give it
/// (written out here, not taken from the crate, so the tests check the crate's table).
pub fn error_text(code: u16) -> &'static str {
    match code {
        0 => "operate successfully",
        550 => "unknown error",
        552 => "invalid parameters",
        555 => "operation not supported",
        561 => "open PDP context failed",
        563 => "socket identity has been used",
        564 => "DNS busy",
        565 => "DNS parse failed",
        566 => "socket connect failed",
        567 => "socket has been closed",
        568 => "operation busy",
        569 => "operation timeout",
        570 => "PDP context break down",
        571 => "cancel send",
        572 => "operation not allowed",
        other => panic!("no text for {other} in the bench's table"),
    }
}

/// The whole reply to `AT+QIGETERROR` for `code`.
pub fn qigeterror_reply(code: u16) -> String {
    format!("\r\n+QIGETERROR: {code},{}\r\n\r\nOK\r\n", error_text(code))
}

/// A module, its clock, and everything it has written and asked for so far.
pub struct Bench {
    pub m: Modem,
    pub now: Instant,
    /// Host writes not yet taken, one entry per write.
    pub writes: Vec<Vec<u8>>,
    /// Network actions not yet taken.
    pub actions: Vec<NetAction>,
    /// Trace events not yet taken.
    pub events: Vec<Event>,
    /// Whether the host reads everything at once: after each step the bench reports an empty
    /// backlog (`host_backlog(0)`). When false, nothing is reported and the module counts every
    /// byte it wrote as undelivered.
    pub host_reads: bool,
}

impl Default for Bench {
    fn default() -> Self {
        Self::new()
    }
}

impl Bench {
    /// A fresh module with the default configuration and echo still on.
    pub fn with_echo() -> Self {
        Self::raw(ModemConfig::default())
    }

    /// A fresh module with `cfg`, echo still on, clock at the Unix epoch plus one day.
    pub fn raw(cfg: ModemConfig) -> Self {
        let now = Instant::now();
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400);
        let mut b = Bench {
            m: Modem::new(cfg, now, wall),
            now,
            writes: Vec::new(),
            actions: Vec::new(),
            events: Vec::new(),
            host_reads: true,
        };
        b.drain();
        b
    }

    /// A module with the default configuration and echo off (`ATE0` already answered).
    pub fn new() -> Self {
        Self::with(ModemConfig::default())
    }

    /// A module with `cfg` and echo off.
    pub fn with(cfg: ModemConfig) -> Self {
        let mut b = Self::raw(cfg);
        assert_eq!(b.at("ATE0"), "ATE0\r\r\nOK\r\n");
        b
    }

    /// Collect everything the module has to say; report an empty backlog if the host reads.
    pub fn drain(&mut self) {
        self.poll();
        if self.host_reads {
            self.m.host_backlog(0, self.now);
            self.poll();
        }
    }

    fn poll(&mut self) {
        while let Some(o) = self.m.poll_output() {
            match o {
                Output::Host(w) => self.writes.push(w),
                Output::Net(a) => self.actions.push(a),
                Output::Event(e) => self.events.push(e),
            }
        }
    }

    // ---- host side ------------------------------------------------------------------------

    /// Host bytes arrive now.
    pub fn input(&mut self, bytes: &[u8]) {
        self.m.host_input(bytes, self.now);
        self.drain();
    }

    /// Send `line` and `<CR>`; return every write it produced, joined, as text. Writes from
    /// before are discarded.
    pub fn at(&mut self, line: &str) -> String {
        self.writes.clear();
        self.input(format!("{line}\r").as_bytes());
        self.take_text()
    }

    /// Send `line` and `<CR>`; return its writes one by one.
    pub fn at_writes(&mut self, line: &str) -> Vec<String> {
        self.writes.clear();
        self.input(format!("{line}\r").as_bytes());
        self.take_writes_text()
    }

    /// Send `line`, assert the reply is `want`.
    #[track_caller]
    pub fn check(&mut self, line: &str, want: &str) {
        let got = self.at(line);
        assert_eq!(got, want, "reply to {line:?}");
    }

    /// `AT+QIGETERROR`'s code now.
    #[track_caller]
    pub fn last_error(&mut self) -> u16 {
        let got = self.at("AT+QIGETERROR");
        let code = got
            .strip_prefix("\r\n+QIGETERROR: ")
            .and_then(|r| r.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("not a +QIGETERROR reply: {got:?}"));
        assert_eq!(got, qigeterror_reply(code), "AT+QIGETERROR reply for {code}");
        code
    }

    /// Record a success (code 0) so that the next refusal cannot pass on an old code.
    pub fn clear_error(&mut self) {
        self.check("AT+QIACT=?", "\r\n+QIACT: (1-15)\r\n\r\nOK\r\n");
        assert_eq!(self.last_error(), 0, "AT+QIACT=? records 0");
    }

    /// `line` answers `ERROR` and leaves `code` for `AT+QIGETERROR`.
    #[track_caller]
    pub fn check_code(&mut self, line: &str, code: u16) {
        self.clear_error();
        self.check(line, ERROR);
        assert_eq!(self.last_error(), code, "AT+QIGETERROR after {line:?}");
    }

    /// `line` answers `+CME ERROR: <code>` (under the default `AT+CMEE=1`).
    #[track_caller]
    pub fn check_cme(&mut self, line: &str, code: u16) {
        self.check(line, &format!("\r\n+CME ERROR: {code}\r\n"));
    }

    /// Every write so far, joined, as text; forgets them.
    pub fn take_text(&mut self) -> String {
        String::from_utf8_lossy(&self.take_bytes()).into_owned()
    }

    /// Every write so far, joined; forgets them.
    pub fn take_bytes(&mut self) -> Vec<u8> {
        self.writes.drain(..).flatten().collect()
    }

    /// The writes so far, one by one, as text; forgets them.
    pub fn take_writes_text(&mut self) -> Vec<String> {
        self.writes.drain(..).map(|w| String::from_utf8_lossy(&w).into_owned()).collect()
    }

    /// The network actions so far; forgets them.
    pub fn take_actions(&mut self) -> Vec<NetAction> {
        std::mem::take(&mut self.actions)
    }

    /// The network actions so far, leaving out grants; forgets them all.
    pub fn take_actions_but_grants(&mut self) -> Vec<NetAction> {
        self.take_actions().into_iter().filter(|a| !matches!(a, NetAction::Grant { .. })).collect()
    }

    // ---- time -----------------------------------------------------------------------------

    /// Let `d` pass, waking the module at each deadline it names on the way.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        let mut wakeups = 0;
        while let Some(t) = self.m.next_deadline().filter(|t| *t <= end) {
            wakeups += 1;
            assert!(wakeups < 10_000, "the module keeps asking to be woken at {t:?}");
            self.now = t.max(self.now);
            self.m.on_time(self.now);
            self.drain();
        }
        self.now = end;
        self.m.on_time(end);
        self.drain();
    }

    /// Let the URC gaps pass.
    pub fn settle(&mut self) {
        self.advance(SETTLE);
    }

    // ---- network side ---------------------------------------------------------------------

    pub fn net(&mut self, ev: NetEvent) {
        self.m.net_event(ev, self.now);
        self.drain();
    }

    /// The open request for socket `id` among the actions so far (the last one).
    #[track_caller]
    pub fn open_request(&self, id: u8) -> OpenRequest {
        self.actions
            .iter()
            .rev()
            .find_map(|a| match a {
                NetAction::Open(r) if r.id == id => Some(r.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no open for socket {id} among {:?}", self.actions))
    }

    pub fn opened(&mut self, id: u8, conn: u64) {
        let remote: SocketAddr = REMOTE.parse().unwrap();
        self.net(NetEvent::Opened { id, conn, remote, local_port: 50_000 + u16::from(id) });
    }

    pub fn open_failed(&mut self, id: u8, conn: u64, failure: OpenFailure) {
        self.net(NetEvent::OpenFailed { id, conn, failure, cause: "synthetic".into() });
    }

    pub fn data(&mut self, id: u8, conn: u64, bytes: &[u8]) {
        self.net(NetEvent::Data { id, conn, data: bytes.to_vec() });
    }

    pub fn sent(&mut self, id: u8, conn: u64, bytes: usize) {
        self.net(NetEvent::Sent { id, conn, bytes });
    }

    pub fn remote_closed(&mut self, id: u8, conn: u64) {
        self.net(NetEvent::RemoteClosed { id, conn, cause: "peer closed".into() });
    }

    pub fn closed(&mut self, id: u8, conn: u64) {
        self.net(NetEvent::Closed { id, conn });
    }

    pub fn inject(&mut self, fault: Fault) {
        self.m.inject(fault, self.now);
        self.drain();
    }

    pub fn set_dtr(&mut self, high: bool) {
        self.m.set_dtr(high, self.now);
        self.drain();
    }

    // ---- whole flows ----------------------------------------------------------------------

    /// Activate PDP context 1 (once).
    pub fn pdp_up(&mut self) {
        let active = self.snapshot()["pdp_active"].as_array().unwrap().iter().any(|c| c["ctx"] == 1);
        if !active {
            self.check("AT+QIACT=1", OK);
        }
    }

    /// Ask for an open of socket `id` in `mode` on SSL context 0 to 192.0.2.2:443; returns the
    /// connection serial of the `NetAction::Open` it produced. The reply (OK for modes 0/1,
    /// nothing for mode 2) is checked; actions are left in place.
    #[track_caller]
    pub fn begin_open(&mut self, id: u8, mode: u8) -> u64 {
        self.pdp_up();
        let want = if mode == 2 { "" } else { OK };
        self.check(&format!("AT+QSSLOPEN=1,0,{id},\"192.0.2.2\",443,{mode}"), want);
        self.open_request(id).conn
    }

    /// Open socket `id` in `mode` and connect it: the `+QSSLOPEN: <id>,0` URC (modes 0/1) or
    /// `CONNECT` (mode 2) is checked. Writes and actions are cleared. Returns the serial.
    #[track_caller]
    pub fn connect(&mut self, id: u8, mode: u8) -> u64 {
        let conn = self.begin_open(id, mode);
        self.opened(id, conn);
        self.settle();
        let want = if mode == 2 { CONNECT.to_string() } else { format!("\r\n+QSSLOPEN: {id},0\r\n") };
        assert_eq!(self.take_text(), want, "open of socket {id} in mode {mode}");
        self.actions.clear();
        conn
    }

    // ---- state ----------------------------------------------------------------------------

    pub fn snapshot(&self) -> Value {
        self.m.snapshot()
    }

    /// Socket `id` in the snapshot, if it is not idle.
    pub fn socket(&self, id: u8) -> Option<Value> {
        self.snapshot()["sockets"].as_array().unwrap().iter().find(|s| s["id"] == id).cloned()
    }

    /// Bytes waiting in socket `id`'s receive buffer.
    pub fn rx_buffered(&self, id: u8) -> u64 {
        self.socket(id).map_or(0, |s| s["rx_buffered"].as_u64().unwrap())
    }

    /// The port's mode as the snapshot names it.
    pub fn port_mode(&self) -> String {
        self.snapshot()["port"]["mode"].as_str().unwrap().to_string()
    }
}

/// The `NetAction::Send` payloads among `actions`, for socket `id`.
pub fn sends(actions: &[NetAction], id: u8) -> Vec<Vec<u8>> {
    actions
        .iter()
        .filter_map(|a| match a {
            NetAction::Send { id: i, data, .. } if *i == id => Some(data.clone()),
            _ => None,
        })
        .collect()
}

/// A compact description of an action, for exact comparisons (`Open` by id and serial).
pub fn describe(a: &NetAction) -> String {
    match a {
        NetAction::Open(r) => format!("open {} #{} {}:{} pdp {}", r.id, r.conn, r.host, r.port, r.pdp),
        NetAction::Send { id, conn, data } => {
            format!("send {id} #{conn} {:?}", String::from_utf8_lossy(data))
        }
        NetAction::Grant { id, conn, bytes } => format!("grant {id} #{conn} {bytes}"),
        NetAction::Close { id, conn, linger } => format!("close {id} #{conn} {linger:?}"),
        NetAction::Abort { id, conn } => format!("abort {id} #{conn}"),
        NetAction::Fault { id, conn, fault } => format!("fault {id} #{conn} {fault:?}"),
        NetAction::Listen(r) => format!("listen {} #{} {:?} port {}", r.id, r.conn, r.transport, r.port),
        NetAction::SendTo { id, conn, host, port, data } => {
            format!("send {id} #{conn} to {host}:{port} {:?}", String::from_utf8_lossy(data))
        }
        NetAction::Accept { ticket, id, conn, .. } => format!("accept ticket {ticket} as {id} #{conn}"),
        NetAction::Reject { ticket } => format!("reject ticket {ticket}"),
        NetAction::Service(r) => format!("service #{} {:?} {} pdp {}", r.job, r.kind, r.host, r.pdp),
        NetAction::Http(r) => format!(
            "http #{} {} {}:{}{} pdp {}",
            r.job,
            r.method.name(),
            r.url.host,
            r.url.port,
            r.url.target,
            r.pdp
        ),
        NetAction::PppStart { session, cid, peer, .. } => {
            format!("ppp start #{session} cid {cid} peer {peer}")
        }
        NetAction::PppData { session, data } => format!("ppp data #{session} {} bytes", data.len()),
        NetAction::PppGrant { session, bytes } => format!("ppp grant #{session} {bytes}"),
        NetAction::PppStop { session } => format!("ppp stop #{session}"),
    }
}

/// Every action described.
pub fn described(actions: &[NetAction]) -> Vec<String> {
    actions.iter().map(describe).collect()
}
