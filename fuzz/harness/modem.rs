//! The `modem` fuzz harness, shared by `fuzz_targets/modem.rs` and the stable regression tests
//! in `crates/qsslsim-modem/tests/fuzz_regressions.rs` (included with `#[path]`), so a crash
//! input replays through exactly the same code on stable.
//!
//! The input is a script. Byte 0 configures the module: bits 0-2 load one of [`SCENARIOS`]
//! (0: none), bit 3 the `realistic` timing profile, bits 4-5 the guard time (1000, 300, 0 or
//! 20 ms), bit 6 preloads the test PKI (`RAM:cacert.pem`, `UFS:client.pem`, `UFS:client.key`);
//! every later op starts with a tag byte whose low nibble picks the op (mod 9) and whose high
//! nibble is a small parameter `hi`:
//!
//! | op | bytes after the tag | what it does |
//! |---|---|---|
//! | 0 HOST | `len`, `len` bytes | host bytes in one write (`hi` bit 0: one byte per call) |
//! | 1 LINE | `idx` | a canned command line from [`LINES`], `{n}` replaced by `hi` |
//! | 2 TIME | `lo`, `hi8` | let `u16 * [1,10,100,1000][hi & 3]` ms pass, calling `on_time` at every deadline |
//! | 3 NET | `sel`, `kind`, `a`, `b` | a network event for connection `sel` (newest first) |
//! | 4 DTR | — | DTR pin to level `hi & 1` |
//! | 5 FAULT | `kind`, `a` | inject a fault (see [`fault`]) |
//! | 6 IDLE | — | jump to the next deadline (if within a day), `hi + 1` times |
//! | 7 ECHO | — | the network acts as an echo peer: every open is answered, every send reported written and echoed back within the credit, every close completed |
//! | 8 CLOCK | `lo`, `hi8` | set the module clock: near now (`hi & 3` 0), near year 9999 (1) or year 0 (2), or near now with zone `lo` quarter hours (3) |
//!
//! The scripted network keeps the promises the daemon's network layer keeps: events only for
//! connections the module opened (with their serial), `Opened`/`OpenFailed` once and first,
//! `Data` only after `Opened`, before `RemoteClosed` and within the granted credit, `Sent`
//! only for bytes the module sent, `Closed` only after `Close`. Events may still arrive after
//! the module aborted a connection (they were in flight), and the module must ignore them.
//! Host bytes are only written while [`Modem::wants_input`] says so, as the daemon does.
//!
//! Asserted after every call, besides "no panic" (overflow checks are on in fuzz builds):
//! - **credit**: a `Grant` never makes credit + buffered bytes exceed the 64 KiB receive buffer;
//! - **URC placement**: a URC (known from its trace event, or a push-mode `+QSSLURC: "recv"`)
//!   is only written when the port is back in command mode with no command executing, i.e.
//!   never inside a response, a prompt, a data block or an upload; a push URC carries exactly
//!   the number of bytes its header announces;
//! - **network actions**: serials increase; `Send`/`Grant`/`Close`/`Fault` only for a connection
//!   that is up and was neither aborted nor closed; nothing but `Abort` after `Abort`; a new
//!   open on a socket id only after its previous connection was closed, aborted or failed
//!   (no connection is forgotten); grants and sends are never empty;
//! - **liveness**: after `on_time(now)`, `next_deadline()` is never at or before `now` (the
//!   daemon would spin); at the end, an idle port in command mode holds no undelivered URC;
//! - host writes are never empty.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::scenario::Scenario;
use qsslsim_modem::{Event, Fault, Modem, ModemConfig, NetAction, NetEvent, Output, Timing};

const RX_BUFFER_BYTES: usize = qsslsim_modem::policy::RX_BUFFER_BYTES;
/// Host bytes remembered to tell an echo from a URC.
const HISTORY_CAP: usize = 1 << 20;
/// Bytes of the host transcript kept for tests.
const TRANSCRIPT_CAP: usize = 1 << 20;
/// `on_time` calls one TIME op may make.
const MAX_TICKS: usize = 256;
/// The longest an IDLE op jumps ahead (a `urc_delay` of 2^64 ms puts a deadline millions of
/// years away, which no daemon lives to see; time is at most 18 h per TIME op too).
const MAX_JUMP: Duration = Duration::from_secs(86_400);

/// Canned command lines (from the project's transcripts); `{n}` is the op's `hi` nibble.
pub const LINES: &[&str] = &[
    "AT\r",
    "ATE0\r",
    "ATE1\r",
    "ATV0\r",
    "ATV1\r",
    "AT+CMEE={n}\r",
    "AT&D{n}\r",
    "AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1\r",
    "AT+QIACT={n}\r",
    "AT+QIACT=1\r",
    "AT+QIDEACT=1\r",
    "AT+QIACT?\r",
    "AT+QSSLCFG=\"sslversion\",1,1\r",
    "AT+QSSLCFG=\"ciphersuite\",1,0X0035\r",
    "AT+QSSLCFG=\"seclevel\",1,{n}\r",
    "AT+QSSLCFG=\"closetimemode\",1,{n}\r",
    "AT+QSSLCFG=\"negotiatetime\",1,10\r",
    "AT+QSSLCFG=\"cacert\",1,\"RAM:cacert.pem\"\r",
    "AT+QSSLCFG=\"clientcert\",1,\"UFS:client.pem\"\r",
    "AT+QSSLCFG=\"clientkey\",1,\"UFS:client.key\"\r",
    "AT+QSSLOPEN=1,1,{n},\"192.0.2.2\",8010,0\r",
    "AT+QSSLOPEN=1,1,{n},\"192.0.2.2\",8011,1\r",
    "AT+QSSLOPEN=1,1,{n},\"192.0.2.2\",8011,2\r",
    "AT+QSSLOPEN=1,0,4,\"example.com\",443,{n}\r",
    "AT+QSSLSEND={n}\r",
    "AT+QSSLSEND=4,{n}\r",
    "AT+QSSLSEND=4\r",
    "AT+QSSLSEND=4,18\r",
    "AT+QSSLRECV={n},1500\r",
    "AT+QSSLRECV=4,{n}\r",
    "AT+QSSLSTATE\r",
    "AT+QSSLSTATE={n}\r",
    "AT+QSSLCLOSE={n}\r",
    "AT+QSSLCLOSE=4,{n}\r",
    "AT+QSSLCLOSE=4\r",
    "ATO\r",
    "AT+QISWTMD=4,{n}\r",
    "AT+QISWTMD={n},2\r",
    "AT+QFUPL=\"f{n}.bin\",10,1,1\r",
    "AT+QFUPL=\"RAM:cacert.pem\",5\r",
    "AT+QFUPL=\"big.bin\",2000,{n},1\r",
    "AT+QFLST\r",
    "AT+QFLST=\"RAM:*\"\r",
    "AT+QFDWL=\"f{n}.bin\"\r",
    "AT+QFDEL=\"*\"\r",
    "AT+QIGETERROR\r",
    "AT+CCLK?\r",
    "AT+CCLK=\"26/08/07,13:54:02+32\"\r",
    "AT+CFUN={n}\r",
    "AT&F\r",
    "ATZ\r",
    "A/",
    "+++",
    "Test data from SSL\x1a",
    "\x1b",
    "AT+CMEE=1;+NOSUCH;+CMEE=0\r",
    "AT+QSSLCFG=\"sni\",1,1;+QSSLCFG=\"alpn\",1,\"h2\"\r",
];

/// Files byte 0 can preload (the project's test PKI).
pub const PKI: [(&str, &[u8]); 3] = [
    ("RAM:cacert.pem", include_bytes!("../../certs/ca.pem")),
    ("UFS:client.pem", include_bytes!("../../certs/client.pem")),
    ("UFS:client.key", include_bytes!("../../certs/client.key")),
];

/// Scenarios byte 0 can load (the shipped fixtures first).
pub const SCENARIOS: &[&str] = &[
    include_str!("../../fixtures/scenarios/flaky-network.toml"),
    include_str!("../../fixtures/scenarios/slow-link.toml"),
    r#"
[[rule]]
when = { command = "AT+QSSLSEND=*" }
fault = { kind = "module_restart" }
[[rule]]
when = { command = "AT+QFUPL*" }
fault = { kind = "urc_delay", ms = 300 }
repeat = true
"#,
    r#"
[[rule]]
when = { after_event = "connected", after_ms = 50 }
fault = { kind = "server_close", socket = 4 }
repeat = true
[[rule]]
when = { received_bytes = 10 }
fault = { kind = "pdp_lost", ctx = 1 }
[[rule]]
when = { sent_bytes = 5, after_ms = 10 }
fault = { kind = "module_restart" }
"#,
    r#"
[[rule]]
when = { at_ms = 100 }
fault = { kind = "urc_delay", ms = 500 }
[[rule]]
when = { after_event = "open" }
fault = { kind = "refuse_connect" }
repeat = true
[[rule]]
when = { after_event = "recv", socket = 4 }
fault = { kind = "send_buffer_full", socket = 4, count = 2 }
repeat = true
[[rule]]
when = { after_event = "send_ok" }
fault = { kind = "connection_reset" }
repeat = true
"#,
    r#"
[[rule]]
when = { open = "192.0.2.2:*" }
fault = { kind = "handshake_stall" }
repeat = true
[[rule]]
when = { after_event = "closed", after_ms = 5 }
fault = { kind = "module_restart" }
[[rule]]
when = { after_event = "open_failed" }
fault = { kind = "pdp_lost", ctx = 1 }
repeat = true
"#,
];

/// One connection the module asked for, as the scripted network sees it.
#[derive(Debug)]
struct Conn {
    id: u8,
    conn: u64,
    /// `Opened` or `OpenFailed` was delivered.
    answered: bool,
    opened: bool,
    failed: bool,
    remote_closed: bool,
    close_requested: bool,
    closed_delivered: bool,
    aborted: bool,
    /// Granted and not yet delivered.
    credit: usize,
    /// Sent by the module and not yet reported written.
    unsent: usize,
    /// What the echo peer owes back.
    echo: VecDeque<u8>,
}

impl Conn {
    fn new(id: u8, conn: u64) -> Self {
        Conn {
            id,
            conn,
            answered: false,
            opened: false,
            failed: false,
            remote_closed: false,
            close_requested: false,
            closed_delivered: false,
            aborted: false,
            credit: 0,
            unsent: 0,
            echo: VecDeque::new(),
        }
    }
}

impl Conn {
    /// The module may still send on it, grant it, close it or fault it.
    fn up(&self) -> bool {
        self.opened && !self.aborted && !self.remote_closed && !self.failed
    }
}

struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let start = self.pos.min(self.data.len());
        let end = (start + n).min(self.data.len());
        self.pos = start + n;
        &self.data[start..end]
    }
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
}

pub struct Harness {
    pub modem: Modem,
    pub now: Instant,
    conns: Vec<Conn>,
    /// Framed texts of URCs queued (trace events) and not yet written, in order.
    pending_urcs: VecDeque<Vec<u8>>,
    host_history: Vec<u8>,
    last_serial: u64,
    /// Everything written to the host, for tests.
    pub transcript: Vec<u8>,
}

/// Run one fuzz input.
pub fn run(data: &[u8]) {
    let _ = run_transcript(data);
}

/// Run one fuzz input and return what the host saw.
pub fn run_transcript(data: &[u8]) -> Vec<u8> {
    let mut input = Input { data, pos: 0 };
    let config = input.byte();
    let mut h = Harness::new(config);
    while !input.done() {
        h.op(&mut input);
    }
    h.finish();
    h.transcript
}

impl Harness {
    pub fn new(config: u8) -> Self {
        let mut cfg = ModemConfig::default();
        if config & 0x08 != 0 {
            cfg.timing = Timing::realistic();
        }
        cfg.guard_time = [1000, 300, 0, 20].map(Duration::from_millis)[usize::from((config >> 4) & 3)];
        let now = Instant::now();
        // 2026-05-20T00:00:00Z
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_779_235_200);
        let mut modem = Modem::new(cfg, now, wall);
        if config & 0x40 != 0 {
            for (name, data) in PKI {
                modem.files_mut().put(name, data.to_vec()).expect("test PKI fits");
            }
        }
        let scenario = usize::from(config & 0x07);
        if let Some(text) = scenario.checked_sub(1).and_then(|i| SCENARIOS.get(i)) {
            let s = Scenario::parse(text).expect("built-in scenario parses");
            modem.load_scenario(s, now);
        }
        let mut h = Harness {
            modem,
            now,
            conns: Vec::new(),
            pending_urcs: VecDeque::new(),
            host_history: Vec::new(),
            last_serial: 0,
            transcript: Vec::new(),
        };
        h.drain();
        h
    }

    fn op(&mut self, input: &mut Input) {
        let tag = input.byte();
        let hi = tag >> 4;
        match (tag & 0x0F) % 9 {
            0 => {
                let len = usize::from(input.byte());
                let bytes = input.take(len).to_vec();
                if hi & 1 == 1 {
                    for b in bytes {
                        self.host(&[b]);
                    }
                } else {
                    self.host(&bytes);
                }
            }
            1 => {
                let line = LINES[usize::from(input.byte()) % LINES.len()].replace("{n}", &hi.to_string());
                self.host(line.as_bytes());
            }
            2 => {
                let v = u64::from(input.u16());
                let ms = v * [1, 10, 100, 1000][usize::from(hi & 3)];
                self.advance(Duration::from_millis(ms));
            }
            3 => {
                let (sel, kind, a, b) = (input.byte(), input.byte(), input.byte(), input.byte());
                self.net(sel, kind, a, b);
            }
            4 => {
                self.modem.set_dtr(hi & 1 == 1, self.now);
                self.drain();
            }
            5 => {
                let (kind, a) = (input.byte(), input.byte());
                self.modem.inject(fault(kind, a), self.now);
                self.drain();
            }
            6 => {
                for _ in 0..=hi {
                    if !self.jump_to_deadline() {
                        break;
                    }
                }
            }
            7 => self.echo_peer(),
            _ => {
                let v = i64::from(input.u16());
                // Around now, or at the ends of what the clock can hold (RFC 3339 years 0000
                // and 9999 reach the module through the control socket).
                let secs = match hi & 3 {
                    0 | 3 => 1_700_000_000 + v * 5400,
                    1 => 253_402_300_799 - v,
                    _ => -62_167_219_200 + v,
                };
                let zone = (hi & 3 == 3).then_some(v as i8);
                if let Ok(utc) = time::OffsetDateTime::from_unix_timestamp(secs) {
                    self.modem.set_clock(utc, zone, self.now);
                    self.drain();
                }
            }
        }
    }

    /// Host bytes, if the daemon would read them now.
    pub fn host(&mut self, bytes: &[u8]) {
        if bytes.is_empty() || !self.modem.wants_input() {
            return;
        }
        if self.host_history.len() + bytes.len() <= HISTORY_CAP {
            self.host_history.extend_from_slice(bytes);
        }
        self.modem.host_input(bytes, self.now);
        self.drain();
    }

    /// Let `span` pass, calling `on_time` at every deadline on the way.
    pub fn advance(&mut self, span: Duration) {
        let target = self.now + span;
        for _ in 0..MAX_TICKS {
            match self.modem.next_deadline() {
                Some(deadline) if deadline <= target => {
                    self.now = self.now.max(deadline);
                    self.tick();
                }
                _ => break,
            }
        }
        self.now = self.now.max(target);
    }

    /// Go to the next deadline if it is within [`MAX_JUMP`]; false if there is none.
    fn jump_to_deadline(&mut self) -> bool {
        match self.modem.next_deadline() {
            Some(deadline) if deadline <= self.now + MAX_JUMP => {
                self.now = self.now.max(deadline);
                self.tick();
                true
            }
            _ => false,
        }
    }

    fn tick(&mut self) {
        self.modem.on_time(self.now);
        self.drain();
        if let Some(next) = self.modem.next_deadline() {
            assert!(
                next > self.now,
                "after on_time(now) the next deadline is {:?} at or before now",
                self.now - next
            );
        }
    }

    fn pick(&self, sel: u8) -> Option<usize> {
        let n = self.conns.len();
        (n > 0).then(|| n - 1 - usize::from(sel) % n)
    }

    fn deliver(&mut self, ev: NetEvent) {
        self.modem.net_event(ev, self.now);
        self.drain();
    }

    fn net(&mut self, sel: u8, kind: u8, a: u8, b: u8) {
        let Some(i) = self.pick(sel) else { return };
        let (id, conn) = (self.conns[i].id, self.conns[i].conn);
        let c = &mut self.conns[i];
        let ev = match kind % 6 {
            0 if !c.answered => {
                c.answered = true;
                c.opened = true;
                let remote: SocketAddr =
                    if a & 1 == 0 { "192.0.2.2:8010" } else { "[2001:db8::2]:443" }.parse().unwrap();
                NetEvent::Opened { id, conn, remote, local_port: 50000 + u16::from(b) }
            }
            1 if !c.answered => {
                c.answered = true;
                c.failed = true;
                let failure = [
                    OpenFailure::PdpInactive,
                    OpenFailure::IdInUse,
                    OpenFailure::DnsFailed,
                    OpenFailure::DnsBusy,
                    OpenFailure::ConnectFailed,
                    OpenFailure::HandshakeFailed,
                    OpenFailure::HandshakeTimeout,
                    OpenFailure::NotSupported,
                ][usize::from(a % 8)];
                NetEvent::OpenFailed { id, conn, failure, cause: "fuzz".into() }
            }
            2 if c.opened && !c.remote_closed && c.credit > 0 => {
                let want = usize::from(u16::from_le_bytes([a, b])).max(1);
                let n = want.min(c.credit);
                c.credit -= n;
                let data = (0..n).map(|k| net_byte(a.wrapping_add((k as u8).wrapping_mul(b | 1)))).collect();
                NetEvent::Data { id, conn, data }
            }
            3 if c.unsent > 0 => {
                let n = if a == 0 { c.unsent } else { usize::from(a).min(c.unsent) };
                c.unsent -= n;
                NetEvent::Sent { id, conn, bytes: n }
            }
            4 if c.opened && !c.remote_closed => {
                c.remote_closed = true;
                NetEvent::RemoteClosed { id, conn, cause: "peer closed the connection".into() }
            }
            5 if c.close_requested && !c.closed_delivered => {
                c.closed_delivered = true;
                NetEvent::Closed { id, conn }
            }
            _ => return,
        };
        self.deliver(ev);
    }

    /// The network as an echo peer: answer pending opens, report sends written, echo them.
    fn echo_peer(&mut self) {
        for i in 0..self.conns.len() {
            let (id, conn) = (self.conns[i].id, self.conns[i].conn);
            if self.conns[i].aborted {
                continue;
            }
            if !self.conns[i].answered {
                self.conns[i].answered = true;
                self.conns[i].opened = true;
                let remote = "192.0.2.2:8010".parse().unwrap();
                self.deliver(NetEvent::Opened { id, conn, remote, local_port: 50000 });
            }
            let unsent = std::mem::take(&mut self.conns[i].unsent);
            if unsent > 0 {
                self.deliver(NetEvent::Sent { id, conn, bytes: unsent });
            }
            let c = &mut self.conns[i];
            if c.opened && !c.remote_closed && c.credit > 0 && !c.echo.is_empty() {
                let n = c.credit.min(c.echo.len());
                c.credit -= n;
                let data: Vec<u8> = c.echo.drain(..n).map(net_byte).collect();
                self.deliver(NetEvent::Data { id, conn, data });
            }
            let c = &mut self.conns[i];
            if c.close_requested && !c.closed_delivered {
                c.closed_delivered = true;
                self.deliver(NetEvent::Closed { id, conn });
            }
        }
    }

    /// Take everything the module produced and check it.
    fn drain(&mut self) {
        let mut urc_writes: Vec<Vec<u8>> = Vec::new();
        let mut granted = false;
        while let Some(out) = self.modem.poll_output() {
            match out {
                Output::Host(w) => {
                    assert!(!w.is_empty(), "empty host write");
                    if self.transcript.len() + w.len() <= TRANSCRIPT_CAP {
                        self.transcript.extend_from_slice(&w);
                    }
                    if self.pending_urcs.front() == Some(&w) {
                        self.pending_urcs.pop_front();
                        urc_writes.push(w);
                    } else if let Some(push) = push_urc(&w) {
                        if !push && !contains(&self.host_history, &w) {
                            panic!(
                                "push URC whose length is not its header's: {:?}",
                                String::from_utf8_lossy(&w)
                            );
                        }
                        urc_writes.push(w);
                    }
                }
                Output::Net(action) => granted |= self.action(action),
                Output::Event(Event::Urc { text }) => {
                    let mut framed = b"\r\n".to_vec();
                    framed.extend_from_slice(text.as_bytes());
                    framed.extend_from_slice(b"\r\n");
                    self.pending_urcs.push_back(framed);
                }
                Output::Event(Event::Fault { fault, .. }) if fault == "module_restart" => {
                    // The restart drops the URCs it had queued.
                    self.pending_urcs.clear();
                }
                Output::Event(_) => {}
            }
        }
        if !urc_writes.is_empty() {
            let mode = port_mode(&self.modem);
            if mode != "command" {
                for w in urc_writes {
                    // An echo of host bytes can look like a URC; anything else cannot.
                    assert!(
                        contains(&self.host_history, &w),
                        "URC {:?} written while the port is {mode}",
                        String::from_utf8_lossy(&w)
                    );
                }
            }
        }
        if granted {
            self.check_credit();
        }
    }

    fn conn_mut(&mut self, id: u8, conn: u64, what: &str) -> &mut Conn {
        match self.conns.iter_mut().find(|c| c.conn == conn) {
            Some(c) => {
                assert_eq!(
                    c.id, id,
                    "{what} for connection {conn} names socket {id}, it was opened on {}",
                    c.id
                );
                c
            }
            None => panic!("{what} for connection {conn} (socket {id}) that was never opened"),
        }
    }

    /// Check one network action; true if it granted credit.
    fn action(&mut self, action: NetAction) -> bool {
        match action {
            NetAction::Open(req) => {
                assert!(
                    req.conn > self.last_serial,
                    "connection serial {} not after {}",
                    req.conn,
                    self.last_serial
                );
                assert!(req.id < 12, "open on socket {}", req.id);
                self.last_serial = req.conn;
                for c in self.conns.iter().filter(|c| c.id == req.id) {
                    assert!(
                        c.aborted || c.close_requested || c.failed,
                        "socket {} reopened while connection {} was neither closed, aborted nor failed: {c:?}",
                        req.id,
                        c.conn
                    );
                }
                self.conns.push(Conn::new(req.id, req.conn));
                false
            }
            // A listener or UDP service is bookkept like a connection; an accepted connection
            // is one that is up from the start.
            NetAction::Listen(req) => {
                self.last_serial = self.last_serial.max(req.conn);
                self.conns.push(Conn::new(req.id, req.conn));
                false
            }
            NetAction::Accept { id, conn, .. } => {
                self.last_serial = self.last_serial.max(conn);
                let mut c = Conn::new(id, conn);
                (c.answered, c.opened) = (true, true);
                self.conns.push(c);
                false
            }
            NetAction::Reject { .. } => false,
            NetAction::SendTo { id, conn, data, .. } | NetAction::Send { id, conn, data } => {
                let c = self.conn_mut(id, conn, "Send");
                assert!(c.up() && !c.close_requested, "Send on a connection that is not up: {c:?}");
                assert!(!data.is_empty(), "empty Send");
                c.unsent += data.len();
                if c.echo.len() < 4 * RX_BUFFER_BYTES {
                    c.echo.extend(data);
                }
                false
            }
            NetAction::Grant { id, conn, bytes } => {
                let c = self.conn_mut(id, conn, "Grant");
                assert!(c.up() && !c.close_requested, "Grant on a connection that is not up: {c:?}");
                assert!(bytes > 0, "empty Grant");
                c.credit += bytes;
                assert!(c.credit <= RX_BUFFER_BYTES, "credit {} beyond the receive buffer", c.credit);
                true
            }
            NetAction::Close { id, conn, .. } => {
                let c = self.conn_mut(id, conn, "Close");
                assert!(c.up() && !c.close_requested, "Close on a connection that is not up: {c:?}");
                c.close_requested = true;
                false
            }
            NetAction::Abort { id, conn } => {
                self.conn_mut(id, conn, "Abort").aborted = true;
                false
            }
            NetAction::Fault { id, conn, .. } => {
                let c = self.conn_mut(id, conn, "Fault");
                assert!(c.up(), "link fault on a connection that is not up: {c:?}");
                false
            }
            // IP service jobs (lookup, ping, NTP) use no connection; left unanswered here.
            NetAction::Service(_) => false,
            // HTTP requests likewise (AT+QHTTPGET/POST): no socket, left unanswered here.
            NetAction::Http(_) => false,
            // A PPP call (ATD*99#) takes a serial from the same counter; its session is left
            // unanswered here.
            NetAction::PppStart { session, .. } => {
                self.last_serial = self.last_serial.max(session);
                false
            }
            NetAction::PppData { .. } | NetAction::PppGrant { .. } | NetAction::PppStop { .. } => false,
        }
    }

    /// Credit plus buffered bytes never exceed the receive buffer.
    fn check_credit(&self) {
        let snap = self.modem.snapshot();
        for s in snap["sockets"].as_array().into_iter().flatten() {
            let id = s["id"].as_u64().unwrap() as u8;
            let rx = s["rx_buffered"].as_u64().unwrap() as usize;
            assert!(rx <= RX_BUFFER_BYTES, "socket {id} buffers {rx} bytes");
            // The socket's current connection is the last one opened on it.
            if let Some(c) = self.conns.iter().rev().find(|c| c.id == id) {
                if !c.aborted {
                    assert!(
                        c.credit + rx <= RX_BUFFER_BYTES,
                        "socket {id}: credit {} + buffered {rx} > {RX_BUFFER_BYTES}",
                        c.credit
                    );
                }
            }
        }
    }

    /// Let every deadline pass, then check no URC is stuck behind an idle port.
    pub fn finish(&mut self) {
        for _ in 0..MAX_TICKS {
            if !self.jump_to_deadline() {
                break;
            }
        }
        if self.modem.next_deadline().is_none() && port_mode(&self.modem) == "command" {
            assert!(
                self.pending_urcs.is_empty(),
                "URCs never written although the port is idle: {:?}",
                self.pending_urcs.iter().map(|u| String::from_utf8_lossy(u).into_owned()).collect::<Vec<_>>()
            );
        }
    }
}

/// Network bytes never contain CR, so no data write can pass for a framed URC.
fn net_byte(b: u8) -> u8 {
    if b == b'\r' {
        b'\n'
    } else {
        b
    }
}

fn port_mode(m: &Modem) -> String {
    m.snapshot()["port"]["mode"].as_str().unwrap_or("?").to_string()
}

/// `Some(ok)` if `w` starts like a push-mode URC, `\r\n+QSSLURC: "recv",<id>,<n>\r\n<n bytes>`;
/// `ok` says whether exactly `n` bytes follow.
fn push_urc(w: &[u8]) -> Option<bool> {
    let rest = w.strip_prefix(b"\r\n+QSSLURC: \"recv\",")?;
    let end = rest.windows(2).position(|p| p == b"\r\n")?;
    let head = std::str::from_utf8(&rest[..end]).ok()?;
    let (id, n) = head.split_once(',')?;
    let _: u8 = id.parse().ok()?;
    let n: usize = n.parse().ok()?;
    Some(rest.len() - end - 2 == n && n > 0 && n <= 1500)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// A fault from two bytes.
pub fn fault(kind: u8, a: u8) -> Fault {
    let socket = match a & 0x0F {
        12 | 13 => None,
        14 => Some(200),
        15 => Some(255),
        n => Some(n),
    };
    // 15 stands for the largest value JSON or TOML can carry.
    let small = match a >> 4 {
        15 => u64::MAX / 1000,
        n => u64::from(n),
    };
    match kind % 14 {
        0 => Fault::RefuseConnect,
        1 => Fault::DnsFailure,
        2 => Fault::DnsBusy,
        3 => Fault::HandshakeStall,
        4 => Fault::HandshakeAlert,
        5 => Fault::ServerClose {
            socket,
            after_bytes: (small & 1 == 1).then_some(small * 10),
            after_ms: (small & 2 == 2).then_some(small * 100),
        },
        6 => Fault::ConnectionReset { socket },
        7 => Fault::PdpLost { ctx: a % 17 },
        8 => Fault::Latency { socket, ms: small * 50 },
        9 => Fault::Bandwidth { socket, bytes_per_sec: small * 1000 },
        10 => Fault::SendBufferFull {
            socket,
            count: (small > 0).then_some(small.min(u64::from(u32::MAX)) as u32),
        },
        11 => Fault::ReceiveStall { socket, ms: (small > 0).then_some(small * 100) },
        12 => Fault::UrcDelay { ms: small * 100 },
        _ => Fault::ModuleRestart,
    }
}
