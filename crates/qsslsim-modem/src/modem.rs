//! The module as one sans-IO state machine: it takes host bytes, network events, DTR changes
//! and the passing of time, and yields host writes and network actions. It owns the port's
//! mode (command line, send prompt, transparent, file upload), the URC queue (a URC never
//! lands inside a response or a data block) and the order of everything written to the host.

use std::collections::VecDeque;
use std::time::Instant;

use qsslsim_at::{Command, Framing, LineAssembler, LineEvent, ResultCode};
use tracing::{debug, info, warn};

use crate::clock::ModuleClock;
use crate::config::ModemConfig;
use crate::errors;
use crate::escape::{EscapeDetector, EscapeTick};
use crate::event::Event;
use crate::fault::{Fault, OpenFault};
use crate::files::{FileStore, Upload};
use crate::net::{NetAction, NetEvent};
use crate::pdp::PdpTable;
use crate::policy;
use crate::scenario::{EventKind, Scenario};
use crate::socket::{AccessMode, Socket, SocketState, SOCKET_COUNT};
use crate::ssl::SslContext;

/// Something the daemon must do for the module.
#[derive(Debug)]
pub enum Output {
    /// One write to the host, kept separate from its neighbours.
    Host(Vec<u8>),
    Net(NetAction),
    /// Something to trace.
    Event(Event),
}

/// What the port is doing with host bytes.
pub(crate) enum Port {
    Command,
    /// After `AT+QSSLSEND`'s `>`: collecting data for socket `id`.
    SendPrompt {
        id: u8,
        fixed: Option<usize>,
        buf: Vec<u8>,
    },
    /// Raw data to and from socket `id`.
    Transparent {
        id: u8,
        escape: EscapeDetector,
    },
    /// `AT+QFUPL` after `CONNECT`.
    Upload(Box<Upload>),
}

/// A command that has started but not yet produced its final result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Busy {
    /// `AT+QSSLOPEN` in transparent mode waiting for `CONNECT`.
    OpenTransparent { id: u8, conn: u64 },
    /// `AT+QSSLCLOSE` lingering, at most until `deadline`.
    Closing { id: u8, conn: u64, deadline: Instant },
}

/// A queued unsolicited report.
enum Urc {
    /// Framed text.
    Text(Vec<u8>),
    /// Push-mode data waiting in socket `id`'s buffer (one URC per 1500 bytes).
    Push(u8),
}

/// How a handler ended.
pub(crate) enum Flow {
    /// Done; the chain continues and ends with `OK`.
    Done,
    /// This command writes its own final result; the rest of the chain is skipped.
    Final(ResultCode),
    /// The port entered a data mode or the command continues asynchronously: no final result
    /// now, and the rest of the chain is dropped.
    Suspend,
}

pub(crate) type Reply = Result<Flow, ResultCode>;

pub struct Modem {
    pub(crate) cfg: ModemConfig,
    pub(crate) framing: Framing,
    pub(crate) echo: bool,
    /// `AT&D` setting.
    pub(crate) dtr_mode: u8,
    pub(crate) dtr_high: bool,
    pub(crate) cfun: u8,
    /// `AT+CEREG` / `AT+CREG` report settings.
    pub(crate) cereg_n: u8,
    pub(crate) creg_n: u8,
    pub(crate) clock: ModuleClock,
    pub(crate) pdp: PdpTable,
    pub(crate) ssl: Vec<SslContext>,
    pub(crate) sockets: Vec<Socket>,
    pub(crate) files: FileStore,
    /// Result of the last SSL/TCP command, for `AT+QIGETERROR`.
    pub(crate) last_error: u16,
    /// The last socket that was in transparent mode (for `ATO`).
    pub(crate) last_transparent: Option<u8>,
    pub(crate) port: Port,
    pub(crate) busy: Option<Busy>,
    pub(crate) now: Instant,
    assembler: LineAssembler,
    last_line: Option<String>,
    held_input: Vec<u8>,
    /// Input is held until the daemon reports its output backlog drained.
    output_pressure: bool,
    /// The write being assembled for the current command.
    write: Vec<u8>,
    /// Whether the current command has begun an information block.
    info_open: bool,
    outputs: VecDeque<Output>,
    urcs: VecDeque<Urc>,
    urc_not_before: Instant,
    conn_serial: u64,
    /// Open-time faults waiting for the next opens.
    pub(crate) armed_open_faults: VecDeque<OpenFault>,
    /// Sends on any socket that must answer `SEND FAIL`.
    pub(crate) send_fail_any: u32,
    /// Extra hold on every URC (fault `urc_delay`).
    pub(crate) urc_delay: std::time::Duration,
    /// The loaded scenario, if any.
    scenario: Option<Scenario>,
    /// Link shaping every new connection starts with (faults `latency`/`bandwidth` without a socket).
    pub(crate) link_defaults: Vec<crate::fault::LinkFault>,
}

impl Modem {
    pub fn new(cfg: ModemConfig, now: Instant, wall: std::time::SystemTime) -> Self {
        Modem {
            framing: Framing::default(),
            echo: true,
            dtr_mode: 1,
            dtr_high: false,
            cfun: 1,
            cereg_n: 0,
            creg_n: 0,
            clock: ModuleClock::new(wall, now),
            pdp: PdpTable::default(),
            ssl: (0..crate::ssl::SSL_CONTEXT_COUNT as u8).map(SslContext::new).collect(),
            sockets: (0..SOCKET_COUNT).map(|_| Socket::default()).collect(),
            files: FileStore::default(),
            last_error: errors::OK,
            last_transparent: None,
            port: Port::Command,
            busy: None,
            now,
            assembler: LineAssembler::default(),
            last_line: None,
            held_input: Vec::new(),
            output_pressure: false,
            write: Vec::new(),
            info_open: false,
            outputs: VecDeque::new(),
            urcs: VecDeque::new(),
            urc_not_before: now,
            conn_serial: 0,
            armed_open_faults: VecDeque::new(),
            send_fail_any: 0,
            urc_delay: std::time::Duration::ZERO,
            scenario: None,
            link_defaults: Vec::new(),
            cfg,
        }
    }

    pub fn config(&self) -> &ModemConfig {
        &self.cfg
    }

    pub fn files_mut(&mut self) -> &mut FileStore {
        &mut self.files
    }

    // ---- inputs -------------------------------------------------------------------------

    /// Bytes from the host.
    pub fn host_input(&mut self, bytes: &[u8], now: Instant) {
        self.now = now;
        if self.busy.is_some() {
            self.held_input.extend_from_slice(bytes);
        } else {
            self.consume_host(bytes);
        }
        self.pump();
    }

    /// Whether the daemon should read more host bytes now. False while a command is executing
    /// and enough input is held, or while a transparent socket's send buffer is full.
    pub fn wants_input(&self) -> bool {
        if self.output_pressure || self.held_input.len() >= policy::HELD_INPUT_BYTES {
            return false;
        }
        match &self.port {
            Port::Transparent { id, .. } => self.sockets[*id as usize].tx_in_flight < policy::TX_BUFFER_BYTES,
            _ => true,
        }
    }

    /// The daemon has written the module's output down to a small backlog: host input held
    /// back because one command answered with a lot may run now.
    pub fn output_drained(&mut self, now: Instant) {
        if self.output_pressure {
            self.now = now;
            self.output_pressure = false;
            self.pump();
        }
    }

    /// TEMP shim until the modem side of issue 9 lands on main: the daemon reports its host
    /// backlog (unwritten plus unread output); this maps it onto `output_drained`.
    pub fn host_backlog(&mut self, bytes: usize, now: Instant) {
        if bytes < 64 * 1024 {
            self.output_drained(now)
        }
    }

    /// Bytes of host output produced and not yet taken by [`Self::poll_output`].
    fn queued_output(&self) -> usize {
        self.write.len()
            + self.outputs.iter().map(|o| if let Output::Host(b) = o { b.len() } else { 0 }).sum::<usize>()
    }

    /// Whether host input is raw data that produces no output (transparent mode), so the
    /// daemon may keep reading it while the host is not reading.
    pub fn input_is_raw_data(&self) -> bool {
        matches!(self.port, Port::Transparent { .. }) && self.busy.is_none()
    }

    /// The daemon had stopped reading the port and now reads again: the bytes it finds may
    /// have waited, so their timing is unknown and must not count as `+++` guard silence.
    pub fn input_resumed(&mut self, now: Instant) {
        self.now = now;
        if let Port::Transparent { escape, .. } = &mut self.port {
            escape.forget_silence(now);
        }
    }

    /// An event from the network layer.
    pub fn net_event(&mut self, ev: NetEvent, now: Instant) {
        self.now = now;
        let (id, conn) = ev.target();
        let Some(sock) = self.sockets.get(id as usize) else { return };
        if sock.conn != conn {
            debug!(id, conn, "stale network event ignored");
            return;
        }
        crate::cmd::ssl_net::on_event(self, ev);
        self.pump();
    }

    /// The DTR pin changed level (a pty has none: the daemon's control socket drives this).
    pub fn set_dtr(&mut self, high: bool, now: Instant) {
        self.now = now;
        let rising = high && !self.dtr_high;
        self.dtr_high = high;
        if rising {
            crate::cmd::data_mode::on_dtr_drop(self);
        }
        self.pump();
    }

    /// Load a scenario; its time-since-start rules count from now.
    pub fn load_scenario(&mut self, mut scenario: Scenario, now: Instant) {
        self.now = now;
        scenario.start(now);
        self.scenario = Some(scenario);
    }

    /// Inject a fault now.
    pub fn inject(&mut self, fault: Fault, now: Instant) {
        self.now = now;
        crate::cmd::faults::inject(self, fault);
        self.pump();
    }

    /// Set the module clock (control socket, scenarios): UTC, and the zone in quarter hours
    /// when given.
    pub fn set_clock(&mut self, utc: time::OffsetDateTime, zone_quarters: Option<i8>, now: Instant) {
        self.now = now;
        self.clock.set_utc(utc, zone_quarters, now);
    }

    /// Time passed; call at [`Self::next_deadline`].
    pub fn on_time(&mut self, now: Instant) {
        self.now = now;
        if let Some(Busy::Closing { id, conn, deadline }) = self.busy {
            if now >= deadline {
                // The linger ran out: drop the connection and answer.
                self.net(NetAction::Abort { id, conn });
                crate::cmd::ssl_net::close_done(self, id);
            }
        }
        let due = self.scenario.as_mut().map(|s| s.due(now)).unwrap_or_default();
        self.fire(due);
        match &mut self.port {
            Port::Transparent { id, escape } => {
                let id = *id;
                match escape.on_time(now) {
                    EscapeTick::Idle => {}
                    EscapeTick::Released(data) => self.send_transparent(id, data),
                    EscapeTick::Escaped => crate::cmd::data_mode::leave_transparent(self, id),
                }
            }
            Port::Upload(up) => {
                if let Some(end) = up.on_time(now) {
                    crate::cmd::files::finish_upload(self, end);
                }
            }
            _ => {}
        }
        self.pump();
    }

    /// The next moment [`Self::on_time`] must be called, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        let port = match &self.port {
            Port::Transparent { escape, .. } => escape.deadline(),
            Port::Upload(up) => up.next_deadline(),
            _ => None,
        };
        let urc = (!self.urcs.is_empty() && self.urcs_may_flow() && self.urc_not_before > self.now)
            .then_some(self.urc_not_before);
        let scenario = self.scenario.as_ref().and_then(Scenario::next_deadline);
        let close = match self.busy {
            Some(Busy::Closing { deadline, .. }) => Some(deadline),
            _ => None,
        };
        [port, urc, scenario, close].into_iter().flatten().min()
    }

    /// The next thing to do, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    // ---- host byte routing --------------------------------------------------------------

    fn consume_host(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.busy.is_some() || self.output_pressure {
                self.held_input.extend_from_slice(bytes);
                return;
            }
            let used = match &mut self.port {
                Port::Command => self.consume_command(bytes),
                Port::SendPrompt { .. } => crate::cmd::ssl_send::consume_prompt(self, bytes),
                Port::Transparent { id, escape } => {
                    let id = *id;
                    let mut data = Vec::with_capacity(bytes.len());
                    escape.feed(bytes, self.now, &mut data);
                    self.send_transparent(id, data);
                    bytes.len()
                }
                Port::Upload(up) => {
                    let mut acks = Vec::new();
                    let (used, end) = up.feed(bytes, self.now, &mut acks);
                    if !acks.is_empty() {
                        self.push_write(acks);
                    }
                    if let Some(end) = end {
                        crate::cmd::files::finish_upload(self, end);
                    }
                    used
                }
            };
            bytes = &bytes[used..];
        }
    }

    /// Command mode: assemble lines, run them. Returns how many bytes were used (stops early
    /// when a command switches the port to another mode).
    fn consume_command(&mut self, bytes: &[u8]) -> usize {
        let mut echo = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            let event = self.assembler.push(b, self.echo, &mut echo);
            if let Some(event) = event {
                self.write.append(&mut echo);
                self.run_line(event);
                self.finish_write();
                if self.queued_output() > policy::OUTPUT_BUDGET_BYTES {
                    // One line can answer with a lot (AT+QFDWL): the rest waits until the
                    // daemon has written it (see `output_drained`).
                    self.output_pressure = true;
                }
                if !matches!(self.port, Port::Command) || self.busy.is_some() || self.output_pressure {
                    // The line's <LF>, if it came with its <CR>, is a line ending, not data
                    // (policy `echo-lf`). One arriving later, after the prompt or CONNECT was
                    // written, is data.
                    return i + 1 + usize::from(bytes.get(i + 1) == Some(&b'\n'));
                }
            }
        }
        if !echo.is_empty() {
            self.push_write(echo);
        }
        bytes.len()
    }

    fn run_line(&mut self, event: LineEvent) {
        let line = match event {
            LineEvent::Line(line) => line,
            LineEvent::Repeat => match self.last_line.clone() {
                Some(line) => line,
                None => return self.final_result(ResultCode::Error),
            },
            LineEvent::TooLong => return self.final_result(ResultCode::Error),
        };
        if line.trim().is_empty() {
            return;
        }
        debug!(line = %line, "command line");
        if let Some(faults) = self.scenario.as_mut().map(|s| s.on_command(&line, self.now)) {
            let restarts = faults.contains(&Fault::ModuleRestart);
            self.fire(faults);
            if restarts {
                // The module went down before it could run the line.
                return;
            }
        }
        match qsslsim_at::parse_line(line.trim_start()) {
            Ok(cmds) => {
                self.last_line = Some(line.trim_start().to_string());
                self.run_commands(&cmds);
            }
            Err(_) => self.final_result(ResultCode::Error),
        }
    }

    fn run_commands(&mut self, cmds: &[Command]) {
        for cmd in cmds {
            self.info_open = false;
            match crate::cmd::execute(self, cmd) {
                Ok(Flow::Done) => {}
                Ok(Flow::Final(code)) | Err(code) => return self.final_result(code),
                Ok(Flow::Suspend) => return,
            }
        }
        self.final_result(ResultCode::Ok);
    }

    // ---- writing ------------------------------------------------------------------------

    /// An information line of the current response. The first line of a command's response
    /// is framed `<CR><LF>text<CR><LF>`; lines after it only end with `<CR><LF>`.
    pub(crate) fn info(&mut self, text: &str) {
        if self.info_open {
            self.write.extend_from_slice(text.as_bytes());
            self.write.extend_from_slice(b"\r\n");
        } else {
            self.framing.info(text, &mut self.write);
            self.info_open = true;
        }
    }

    /// Raw bytes inside the current response (e.g. the data of `+QSSLRECV`).
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.write.extend_from_slice(bytes);
    }

    /// A result code that is not final (`CONNECT` before file data), written into the current
    /// response.
    pub(crate) fn intermediate(&mut self, code: ResultCode) {
        self.framing.result(code, errors::cme_text, &mut self.write);
        self.info_open = false;
    }

    /// Write a final result code; URCs may follow only after the gap.
    pub(crate) fn final_result(&mut self, code: ResultCode) {
        self.framing.result(code, errors::cme_text, &mut self.write);
        self.info_open = false;
        self.finish_write();
        self.urc_not_before = self.now + self.cfg.timing.urc_gap;
    }

    /// Close the write being assembled as one host write.
    pub(crate) fn finish_write(&mut self) {
        if !self.write.is_empty() {
            let w = std::mem::take(&mut self.write);
            self.outputs.push_back(Output::Host(w));
        }
    }

    /// A separate host write (echo, transparent data, ACKs).
    pub(crate) fn push_write(&mut self, bytes: Vec<u8>) {
        self.finish_write();
        if !bytes.is_empty() {
            self.outputs.push_back(Output::Host(bytes));
        }
    }

    pub(crate) fn net(&mut self, action: NetAction) {
        self.finish_write();
        self.outputs.push_back(Output::Net(action));
    }

    /// Queue a URC (framed `<CR><LF>text<CR><LF>`).
    pub(crate) fn urc(&mut self, text: &str) {
        let mut framed = Vec::new();
        self.framing.urc(text, &mut framed);
        info!(urc = %text, "urc queued");
        self.event(Event::Urc { text: text.to_string() });
        self.hold_urcs_for_delay();
        self.urcs.push_back(Urc::Text(framed));
    }

    /// Note that push-mode data waits in socket `id`'s buffer.
    pub(crate) fn urc_push(&mut self, id: u8) {
        if !self.urcs.iter().any(|u| matches!(u, Urc::Push(i) if *i == id)) {
            self.hold_urcs_for_delay();
            self.urcs.push_back(Urc::Push(id));
        }
    }

    fn hold_urcs_for_delay(&mut self) {
        if !self.urc_delay.is_zero() {
            self.urc_not_before = self.urc_not_before.max(self.now + self.urc_delay);
        }
    }

    /// Report something for traces.
    pub(crate) fn event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    pub(crate) fn record_fault(&mut self, fault: &Fault) {
        self.event(Event::Fault { fault: fault.name().to_string(), detail: format!("{fault:?}") });
    }

    /// Inject faults a scenario fired.
    pub(crate) fn fire(&mut self, faults: Vec<Fault>) {
        for fault in faults {
            crate::cmd::faults::inject(self, fault);
        }
    }

    /// Tell the scenario about an event on socket `id`.
    pub(crate) fn scenario_event(&mut self, kind: EventKind, id: u8) {
        let now = self.now;
        if let Some(faults) = self.scenario.as_mut().map(|s| s.on_event(kind, id, now)) {
            self.fire(faults);
        }
    }

    /// Tell the scenario socket `id`'s byte totals changed.
    pub(crate) fn scenario_bytes(&mut self, id: u8) {
        let (now, s) = (self.now, &self.sockets[id as usize]);
        let (conn, sent, received) = (s.conn, s.tx_total, s.rx_total);
        if let Some(faults) = self.scenario.as_mut().map(|sc| sc.on_bytes(id, conn, sent, received, now)) {
            self.fire(faults);
        }
    }

    /// Tell the scenario about an open to `host`:`port`.
    pub(crate) fn scenario_open(&mut self, host: &str, port: u16) {
        let now = self.now;
        if let Some(faults) = self.scenario.as_mut().map(|s| s.on_open(host, port, now)) {
            self.fire(faults);
        }
    }

    /// Restart: a fresh module that keeps the clock, the UFS drive, pending output and the
    /// connection serial (so events of the old connections stay stale).
    pub(crate) fn reboot(&mut self) {
        self.finish_write();
        let mut fresh = Modem::new(self.cfg.clone(), self.now, std::time::SystemTime::UNIX_EPOCH);
        fresh.clock = self.clock.clone();
        fresh.files = std::mem::take(&mut self.files);
        let _ = fresh.files.delete("RAM:*");
        fresh.conn_serial = self.conn_serial;
        fresh.outputs = std::mem::take(&mut self.outputs);
        fresh.scenario = self.scenario.take();
        *self = fresh;
    }

    fn urcs_may_flow(&self) -> bool {
        matches!(self.port, Port::Command) && self.busy.is_none()
    }

    /// Release what may be released: held input once idle, URCs once the port is free and
    /// the gap after the last final result has passed; then grants.
    fn pump(&mut self) {
        self.finish_write();
        if self.busy.is_none() && !self.output_pressure && !self.held_input.is_empty() {
            let held = std::mem::take(&mut self.held_input);
            self.consume_host(&held);
        }
        while self.urcs_may_flow() && self.now >= self.urc_not_before {
            let Some(urc) = self.urcs.pop_front() else { break };
            match urc {
                Urc::Text(bytes) => self.push_write(bytes),
                Urc::Push(id) => {
                    let more = self.push_chunk(id);
                    if more {
                        self.urcs.push_front(Urc::Push(id));
                    }
                }
            }
        }
        self.grant_all();
        self.finish_write();
    }

    /// One push-mode URC with up to 1500 bytes; true if more data waits.
    fn push_chunk(&mut self, id: u8) -> bool {
        let sock = &mut self.sockets[id as usize];
        if sock.mode != AccessMode::Push || sock.rx.is_empty() {
            return false;
        }
        let data = sock.take_rx(policy::PUSH_CHUNK_BYTES);
        let mut w = format!("\r\n+QSSLURC: \"recv\",{id},{}\r\n", data.len()).into_bytes();
        w.extend(data);
        let more = !sock.rx.is_empty();
        self.push_write(w);
        more
    }

    fn grant_all(&mut self) {
        for id in 0..SOCKET_COUNT {
            let sock = &mut self.sockets[id];
            if let Some(bytes) = sock.grant_due() {
                sock.granted += bytes;
                let conn = sock.conn;
                self.net(NetAction::Grant { id: id as u8, conn, bytes });
            }
        }
    }

    // ---- helpers for handlers -----------------------------------------------------------

    pub(crate) fn next_conn(&mut self) -> u64 {
        self.conn_serial += 1;
        self.conn_serial
    }

    /// Hand transparent-mode host data to the socket.
    pub(crate) fn send_transparent(&mut self, id: u8, data: Vec<u8>) {
        if data.is_empty() {
            return;
        }
        let sock = &mut self.sockets[id as usize];
        if sock.state != SocketState::Connected {
            warn!(id, bytes = data.len(), "transparent data after the connection ended; not sent");
            return;
        }
        self.queue_send(id, data);
        self.scenario_bytes(id);
    }

    /// Hand host bytes to socket `id`'s connection, counting them as in flight until the
    /// network reports them written.
    pub(crate) fn queue_send(&mut self, id: u8, data: Vec<u8>) {
        let sock = &mut self.sockets[id as usize];
        sock.tx_in_flight += data.len();
        sock.tx_total += data.len() as u64;
        let conn = sock.conn;
        self.net(NetAction::Send { id, conn, data });
    }

    /// Enter transparent mode on socket `id`: `CONNECT`, then anything already buffered, raw.
    pub(crate) fn enter_transparent(&mut self, id: u8) {
        self.final_result(ResultCode::Connect);
        let sock = &mut self.sockets[id as usize];
        sock.mode = AccessMode::Transparent;
        let pending = sock.take_rx(usize::MAX);
        self.push_write(pending);
        self.last_transparent = Some(id);
        self.assembler.reset();
        self.port = Port::Transparent { id, escape: EscapeDetector::new(self.cfg.guard_time, self.now) };
    }

    /// Back to command mode after a data mode ended.
    pub(crate) fn enter_command(&mut self) {
        self.assembler.reset();
        self.port = Port::Command;
    }

    /// A busy command finished.
    pub(crate) fn clear_busy(&mut self) {
        self.busy = None;
    }
}
