//! The module as one sans-IO state machine: it takes host bytes, network events, DTR changes
//! and the passing of time, and yields host writes, network actions and trace events
//! ([`Output`]). It routes host bytes by the port's mode, runs command lines through the
//! dispatcher, and decides when queued URCs and bulk downlink data may go out. The state it
//! owns is grouped by job: port settings, the socket table, PDP and SSL contexts, files, the
//! clock, the output queue and the URC queue.

use std::time::Instant;

use qsslsim_at::{Command, LineEvent, ResultCode};
use tracing::{debug, info, warn};

use crate::channels::{Channels, Input};
use crate::clock::ModuleClock;
use crate::config::ModemConfig;
use crate::errors::ErrorCode;
use crate::escape::{EscapeDetector, EscapeTick};
use crate::event::Event;
use crate::fault::Fault;
use crate::faults::ArmedFaults;
use crate::files::FileStore;
use crate::ids::SocketId;
use crate::net::{NetAction, NetEvent};
use crate::output::HostOutput;
pub use crate::output::Output;
use crate::pdp::PdpTable;
use crate::policy;
pub use crate::port::{Busy, Port};
use crate::scenario::{EventKind, Scenario};
use crate::settings::{FlowControl, Settings};
use crate::socket::{AccessMode, SocketState, Sockets};
use crate::ssl::SslContext;
use crate::urc::{self, Urc};
use crate::urc_queue::{Pending, UrcQueue};

/// How a command ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Done; the chain continues and ends with `OK`.
    Done,
    /// This command writes its own final result; the rest of the chain is skipped.
    Final(ResultCode),
    /// The port entered a data mode or the command continues asynchronously: no final result
    /// now, and the rest of the chain is dropped.
    Suspend,
}

pub struct Modem {
    pub(crate) cfg: ModemConfig,
    pub(crate) settings: Settings,
    pub(crate) clock: ModuleClock,
    pub(crate) pdp: PdpTable,
    /// Registration, operator and signal (`AT+CEREG`, `AT+COPS`, `AT+CSQ`).
    pub(crate) network: crate::registration::Network,
    /// `AT+QCFG` items and the URC port: kept across restarts.
    pub(crate) module_cfg: crate::module_cfg::ModuleCfg,
    /// The SIM card (kept across restarts, locked again).
    pub(crate) sim: crate::sim::Sim,
    pub(crate) ssl: Vec<SslContext>,
    /// `AT+QICFG` items and `AT+QISDE` (forgotten on restart).
    pub(crate) ip_cfg: crate::ip_cfg::IpCfg,
    pub(crate) sockets: Sockets,
    pub(crate) files: FileStore,
    /// IP service jobs in progress (`AT+QIDNSGIP`, `AT+QPING`, `AT+QNTP`).
    pub(crate) services: crate::ip_services::Services,
    /// The HTTP(S) client (`AT+QHTTP*`; forgotten on restart).
    pub(crate) http: crate::http::Http,
    /// The GNSS engine (`AT+QGPS`; forgotten on restart).
    pub(crate) gnss: crate::gnss::Gnss,
    /// Message format, character set and the messages sent (`AT+CMGF`, `AT+CSCS`, `AT+CMGS`).
    pub(crate) sms: crate::sms::Sms,
    /// Result of the last SSL/TCP command, for `AT+QIGETERROR`.
    pub(crate) last_error: ErrorCode,
    /// The code the running command records although it answers OK (see `cmd::run`).
    pub(crate) command_code: Option<ErrorCode>,
    /// The last socket that was in transparent mode (for `ATO`).
    pub(crate) last_transparent: Option<SocketId>,
    /// The PPP data call, if one is up (`ATD*99#`).
    pub(crate) ppp: Option<crate::ppp::PppCall>,
    pub(crate) port: Port,
    pub(crate) busy: Option<Busy>,
    pub(crate) now: Instant,
    pub(crate) out: HostOutput,
    pub(crate) urcs: UrcQueue,
    pub(crate) faults: ArmedFaults,
    /// On, restarting, powering down or off (`AT+CFUN=1,1`, `AT+QPOWD`).
    pub(crate) power: crate::power::Power,
    /// Host bytes discarded while the module was not on.
    pub(crate) discarded_input: u64,
    /// The active channel's input (see `crate::channels`).
    pub(crate) input: Input,
    /// The other AT channels and the multiplexer (`AT+CMUX`).
    pub(crate) channels: Channels,
    conn_serial: u64,
    scenario: Option<Scenario>,
}

impl Modem {
    pub fn new(cfg: ModemConfig, now: Instant, wall: std::time::SystemTime) -> Self {
        Modem {
            settings: Settings::default(),
            clock: ModuleClock::new(wall, now),
            pdp: PdpTable::default(),
            network: crate::registration::Network::default(),
            module_cfg: crate::module_cfg::ModuleCfg::new(&cfg.at_port),
            sim: crate::sim::Sim::new(&cfg.sim),
            ssl: crate::ids::SslCtxId::all().map(SslContext::new).collect(),
            ip_cfg: crate::ip_cfg::IpCfg::default(),
            sockets: Sockets::default(),
            files: FileStore::default(),
            services: Default::default(),
            http: Default::default(),
            gnss: Default::default(),
            sms: Default::default(),
            last_error: ErrorCode::Ok,
            command_code: None,
            last_transparent: None,
            ppp: None,
            port: Port::Command,
            busy: None,
            now,
            out: HostOutput::default(),
            urcs: UrcQueue::new(cfg.timing.urc_gap, cfg.timing.network_urc_gap, now),
            faults: ArmedFaults::default(),
            power: crate::power::Power::On,
            discarded_input: 0,
            input: Input::default(),
            channels: Channels::default(),
            conn_serial: 0,
            scenario: None,
            cfg,
        }
    }

    pub fn config(&self) -> &ModemConfig {
        &self.cfg
    }

    /// The port settings the host has made (`ATE`, `AT&D`, `AT+IFC`, `AT+IPR`, ...): the
    /// daemon reads flow control and the baud rate from here for a network client's lines.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn files_mut(&mut self) -> &mut FileStore {
        &mut self.files
    }

    // ---- inputs -------------------------------------------------------------------------

    /// Bytes from the host.
    pub fn host_input(&mut self, bytes: &[u8], now: Instant) {
        self.now = now;
        crate::power::on_time(self);
        if self.power != crate::power::Power::On {
            crate::power::discard_input(self, bytes);
            self.pump();
            return;
        }
        self.host_bytes(bytes);
        self.pump();
    }

    /// Host bytes for the plain port, or frames in mux mode.
    pub(crate) fn host_bytes(&mut self, bytes: &[u8]) {
        if self.channels.muxed() {
            self.mux_input(bytes);
            return;
        }
        self.consume_host(bytes);
        let rest = std::mem::take(&mut self.channels.leftover);
        if self.channels.muxed() && !rest.is_empty() {
            self.mux_input(&rest);
        }
    }

    /// Whether the daemon should read more host bytes now. False while a command is executing
    /// and enough input is held, or while a transparent socket's send buffer is full.
    pub fn wants_input(&self) -> bool {
        if self.channels.muxed() {
            // One port carries every channel: it is read while no channel has too much held.
            // A channel past the held-input limit is stopped alone with MSC (see `signal_flow`);
            // only a host that goes on past twice the limit stops the whole port.
            let full = |i: &Input| i.output_pressure || i.held.len() >= 2 * policy::HELD_INPUT_BYTES;
            // A host that goes on sending on a DLC the module stopped with MSC, under RTS/CTS:
            // past twice the send buffer the whole port waits, as CTS would stop a UART, so
            // nothing is lost and memory stays bounded (policy `cmux-flow`).
            let flooded = |port: &Port| {
                self.settings.flow_control.1 == FlowControl::RtsCts
                    && port
                        .transparent_socket()
                        .is_some_and(|id| self.sockets.get(id).tx_in_flight >= 2 * policy::TX_BUFFER_BYTES)
            };
            return !full(&self.input)
                && !flooded(&self.port)
                && !self.channels.parked_open().any(|(_, c)| full(&c.input) || flooded(&c.port));
        }
        if self.input.output_pressure || self.input.held.len() >= policy::HELD_INPUT_BYTES {
            return false;
        }
        match self.port.transparent_socket() {
            // With RTS/CTS the module stops the host while the send buffer is full (the pty
            // stops being read). Without flow control the module keeps reading, so `+++` is
            // always seen (policy `transparent-flow-control`).
            Some(id) if self.settings.flow_control.1 == FlowControl::RtsCts => {
                self.sockets.get(id).tx_in_flight < policy::TX_BUFFER_BYTES
            }
            _ => true,
        }
    }

    /// The daemon reports how many bytes of host output it holds undelivered (its queue, and
    /// the port's buffer where it can see it). Bulk downlink (transparent data, push frames)
    /// flows only while this is below [`policy::HOST_QUEUE_BYTES`], so an answer never waits
    /// behind more than that; host input waits while it exceeds
    /// [`policy::OUTPUT_BUDGET_BYTES`].
    pub fn host_backlog(&mut self, bytes: usize, now: Instant) {
        self.now = now;
        self.out.set_backlog(bytes);
        if self.out.backlog() <= policy::OUTPUT_BUDGET_BYTES {
            self.input.output_pressure = false;
            for c in self.channels.parked.values_mut() {
                c.input.output_pressure = false;
            }
        }
        self.pump();
    }

    /// Whether host input is raw data that produces no output (transparent mode), so the
    /// daemon may keep reading it while the host is not reading.
    pub fn input_is_raw_data(&self) -> bool {
        !self.channels.muxed()
            && matches!(self.port, Port::Transparent { .. } | Port::Ppp { .. })
            && self.busy.is_none()
    }

    /// The daemon had stopped reading the port and now reads again: the bytes it finds may
    /// have waited, so their timing is unknown and must not count as `+++` guard silence.
    pub fn input_resumed(&mut self, now: Instant) {
        self.now = now;
        let parked = self.channels.parked.values_mut().map(|c| &mut c.port);
        for port in std::iter::once(&mut self.port).chain(parked) {
            if let Port::Transparent { escape, .. } | Port::Ppp { escape, .. } = port {
                escape.forget_silence(now);
            }
        }
    }

    /// An event from the network layer.
    pub fn net_event(&mut self, ev: NetEvent, now: Instant) {
        self.now = now;
        let Some((id, conn)) = ev.target() else {
            // An IP service job's or HTTP request's answer: no socket (the job checks its
            // own serial).
            self.switch_for_event(&ev, None);
            if matches!(ev, NetEvent::PppData { .. } | NetEvent::PppFlow { .. } | NetEvent::PppEnded { .. }) {
                crate::ppp::on_event(self, ev);
            } else if matches!(ev, NetEvent::Http(_)) {
                crate::http::on_event(self, ev);
            } else {
                crate::ip_services::on_event(self, ev);
            }
            self.pump();
            return;
        };
        let Some(id) = SocketId::new(id) else {
            warn!(id, "network event for a socket that does not exist");
            return;
        };
        if self.sockets.get(id).conn != conn {
            debug!(%id, conn, "stale network event ignored");
            if let NetEvent::Incoming { ticket, remote, .. } = ev {
                // The listener is gone: its late connection is closed, not left hanging.
                info!(%id, %remote, "connection for a closed listener refused");
                self.net(NetAction::Reject { ticket });
                self.pump();
            }
            return;
        }
        self.switch_for_event(&ev, Some(id));
        crate::net_events::on_event(self, id, ev);
        self.pump();
    }

    /// Mux mode: make the channel a network event belongs to the active one. An event that
    /// completes a channel's command (an open in transparent mode, a lingering close, an HTTP
    /// read) or feeds its data mode goes to that channel; everything else (URCs) to the URC
    /// channel.
    fn switch_for_event(&mut self, ev: &NetEvent, socket: Option<SocketId>) {
        if !self.channels.muxed() {
            return;
        }
        if let (NetEvent::PppData { .. } | NetEvent::PppFlow { .. } | NetEvent::PppEnded { .. }, Some(call)) =
            (ev, self.ppp.as_ref())
        {
            // A PPP call belongs to the channel that dialled it, online or escaped.
            let dlci = call.dlci;
            return self.switch_to(dlci);
        }
        let http_job = match ev {
            NetEvent::Http(h) => Some(h.job()),
            _ => None,
        };
        let target = self.owner(socket, http_job);
        self.switch_to(target.unwrap_or_else(|| self.urc_dlci()));
    }

    /// Mux mode: the open channel whose data mode is on `socket`, or whose command waits on it
    /// (an open in transparent mode, a lingering close) or on HTTP request `http_job`.
    pub(crate) fn owner(&self, socket: Option<SocketId>, http_job: Option<u64>) -> Option<u8> {
        let owns = |port: &Port, busy: Option<&Busy>| {
            let by_busy = match (busy, socket) {
                (Some(Busy::OpenTransparent { id, .. }), Some(s))
                | (Some(Busy::Closing { id, .. }), Some(s)) => *id == s,
                (Some(Busy::HttpRead { job, .. }), _) => http_job == Some(*job),
                _ => false,
            };
            let by_port = match port {
                Port::Transparent { id, .. } => socket == Some(*id),
                _ => false,
            };
            by_busy || by_port
        };
        if owns(&self.port, self.busy.as_ref()) {
            Some(self.channels.active)
        } else {
            self.channels.parked_open().find(|(_, c)| owns(&c.port, c.busy.as_ref())).map(|(d, _)| *d)
        }
    }

    /// Mux mode: make the channel socket `id` belongs to (see [`Self::owner`]) the active one,
    /// so what ends its command or data mode is written there; the channel active before, to
    /// switch back to. Nothing happens without mux mode.
    pub(crate) fn switch_to_socket_owner(&mut self, id: SocketId) -> u8 {
        let back = self.channels.active;
        if let Some(dlci) = self.channels.muxed().then(|| self.owner(Some(id), None)).flatten() {
            self.switch_to(dlci);
        }
        back
    }

    /// The DTR pin changed level (a pty has none: the daemon's control socket or an RFC 2217
    /// client drives this).
    pub fn set_dtr(&mut self, high: bool, now: Instant) {
        self.now = now;
        let rising = high && !self.settings.dtr_high;
        self.settings.dtr_high = high;
        if rising {
            // In mux mode the one pin acts on every channel's data mode (policy `cmux-channels`).
            for dlci in self.channels.open() {
                self.switch_to(dlci);
                crate::port_events::on_dtr_drop(self);
            }
            if !self.channels.muxed() {
                crate::port_events::on_dtr_drop(self);
            }
        }
        self.pump();
    }

    /// Load a scenario; its time-since-start rules count from now.
    pub fn load_scenario(&mut self, mut scenario: Scenario, now: Instant) {
        self.now = now;
        scenario.start(now);
        self.scenario = Some(scenario);
    }

    /// Whether `fault` can act now (values in bounds, its socket connected); the reason if not.
    pub fn check_fault(&self, fault: &Fault) -> Result<(), String> {
        crate::faults::check(self, fault)
    }

    /// Inject a fault now.
    pub fn inject(&mut self, fault: Fault, now: Instant) {
        self.now = now;
        crate::faults::inject(self, fault);
        self.pump();
    }

    /// Set the module clock (control socket, scenarios): UTC, and the zone in quarter hours
    /// when given.
    pub fn set_clock(&mut self, utc: time::OffsetDateTime, zone_quarters: Option<i8>, now: Instant) {
        self.now = now;
        let zone_before = self.clock.zone_quarters();
        self.clock.set_utc(utc, zone_quarters, now);
        // The network's time with a new zone: reported as AT+CTZR asks (policy `ctzr-reports`).
        if zone_quarters.is_some_and(|z| z != zone_before) {
            let zone = self.clock.zone_quarters();
            let tz = format!("{}{:02}", if zone < 0 { '-' } else { '+' }, zone.unsigned_abs());
            match self.settings.ctzr {
                1 => self.urc(Urc::TimeZone(format!("+CTZV: {tz}"))),
                2 => {
                    let full = self.clock.format_full(now, false);
                    let time = full.get(..19).unwrap_or(&full).to_string();
                    self.urc(Urc::TimeZone(format!("+CTZE: \"{tz}\",0,\"{time}\"")))
                }
                _ => {}
            }
        }
        self.pump();
    }

    /// Time passed; call at [`Self::next_deadline`].
    pub fn on_time(&mut self, now: Instant) {
        self.now = now;
        crate::power::on_time(self);
        let due = self.scenario.as_mut().map(|s| s.due(now)).unwrap_or_default();
        if !self.channels.muxed() {
            self.busy_time(now);
            self.fire(due);
            self.port_time(now);
        } else {
            self.fire(due);
            for dlci in self.channels.open() {
                self.switch_to(dlci);
                self.busy_time(now);
                self.port_time(now);
            }
        }
        self.pump();
    }

    /// Time passed for the active channel's command: a lingering close, an HTTP read.
    fn busy_time(&mut self, now: Instant) {
        if let Some(Busy::Closing { id, conn, deadline }) = self.busy {
            if now >= deadline {
                // The linger ran out: drop the connection and answer.
                self.net(NetAction::Abort { id: id.get(), conn });
                crate::net_events::close_done(self, id);
            }
        }
        crate::http::on_time(self, now);
    }

    /// Time passed for the active channel's data mode: the `+++` guard time, an upload.
    fn port_time(&mut self, now: Instant) {
        match &mut self.port {
            Port::Transparent { id, escape } => {
                let id = *id;
                match escape.on_time(now) {
                    EscapeTick::Idle => {}
                    EscapeTick::Released(data) => self.send_transparent(id, data),
                    EscapeTick::Escaped => crate::port_events::leave_transparent(self, id),
                }
            }
            Port::Upload(up) => {
                if let Some(end) = up.on_time(now) {
                    crate::cmd::files::finish_upload(self, end);
                }
            }
            Port::Ppp { session, escape } => {
                let session = *session;
                match escape.on_time(now) {
                    EscapeTick::Idle => {}
                    EscapeTick::Released(data) => crate::ppp::uplink(self, session, data),
                    EscapeTick::Escaped => crate::ppp::escape(self),
                }
            }
            _ => {}
        }
    }

    /// The next moment [`Self::on_time`] must be called, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        let channel = crate::channels::deadline(&self.port, self.busy.as_ref());
        let parked = self.channels.parked_deadline();
        let urc =
            self.urcs_may_flow().then(|| self.urcs.next_due(self.now)).flatten().filter(|t| *t > self.now);
        let scenario = self.scenario.as_ref().and_then(Scenario::next_deadline);
        let power = self.power.deadline();
        [channel, parked, urc, scenario, power].into_iter().flatten().min()
    }

    /// The next thing to do, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop()
    }

    // ---- host byte routing --------------------------------------------------------------

    pub(crate) fn consume_host(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.busy.is_some() || self.input.output_pressure {
                self.input.held.extend_from_slice(bytes);
                return;
            }
            let used = match &mut self.port {
                Port::Command => self.consume_command(bytes),
                Port::SendPrompt(_) => crate::cmd::ssl_send::consume_prompt(self, bytes),
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
                        self.out.push_write(acks);
                    }
                    if let Some(end) = end {
                        crate::cmd::files::finish_upload(self, end);
                    }
                    used
                }
                Port::Ppp { session, escape } => {
                    let session = *session;
                    let mut data = Vec::with_capacity(bytes.len());
                    escape.feed(bytes, self.now, &mut data);
                    crate::ppp::uplink(self, session, data);
                    bytes.len()
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
            let was_idle = self.input.assembler.is_idle();
            let mark = echo.len();
            let event = self.input.assembler.push(b, self.settings.echo, &mut echo);
            if was_idle && !self.input.assembler.is_idle() {
                // The host starts a new line: URCs that may go out now go before its echo.
                let this = echo.split_off(mark);
                self.out.push_write(std::mem::take(&mut echo));
                self.release_urcs();
                echo = this;
            }
            if let Some(event) = event {
                self.out.raw(&echo);
                echo.clear();
                self.run_line(event);
                self.out.finish_write();
                if let Some(params) = self.channels.pending.take() {
                    // `OK` is out on the plain port; what follows the line is frames.
                    self.start_mux(params);
                    let rest = i + 1 + usize::from(bytes.get(i + 1) == Some(&b'\n'));
                    self.channels.leftover = bytes[rest..].to_vec();
                    return bytes.len();
                }
                if self.out.queued_host_bytes() > policy::OUTPUT_BUDGET_BYTES {
                    // One line can answer with a lot (AT+QFDWL): the rest waits until the
                    // daemon has written it (see `host_backlog`).
                    self.input.output_pressure = true;
                }
                if !matches!(self.port, Port::Command) || self.busy.is_some() || self.input.output_pressure {
                    // The line's <LF>, if it came with its <CR>, is a line ending, not data
                    // (policy `echo-lf`). One arriving later, after the prompt or CONNECT was
                    // written, is data.
                    return i + 1 + usize::from(bytes.get(i + 1) == Some(&b'\n'));
                }
            }
        }
        self.out.push_write(echo);
        bytes.len()
    }

    fn run_line(&mut self, event: LineEvent) {
        let line = match event {
            LineEvent::Line(line) => line,
            LineEvent::Repeat => match self.input.last_line.clone() {
                Some(line) => line,
                None => return self.refuse_line("A/", "A/ with no previous command line"),
            },
            LineEvent::TooLong => {
                return self.refuse_line("", "the line is longer than 1024 characters (policy too-long-line)")
            }
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
                self.input.last_line = Some(line.trim_start().to_string());
                self.run_commands(&cmds);
            }
            Err(e) => self.refuse_line(line.trim(), &format!("not a command line: {e:?}")),
        }
    }

    /// A whole line answers `ERROR` before any command ran.
    fn refuse_line(&mut self, line: &str, why: &str) {
        info!(line, why, "ERROR");
        self.out.event(Event::Refused {
            command: line.into(),
            result: "ERROR".into(),
            code: None,
            why: why.into(),
        });
        self.final_result(ResultCode::Error);
    }

    fn run_commands(&mut self, cmds: &[Command]) {
        for cmd in cmds {
            self.out.begin_command();
            match crate::cmd::execute(self, cmd) {
                Flow::Done => {}
                Flow::Final(code) => {
                    if code != ResultCode::Ok {
                        // A later command of the line failed: `AT+CMUX` before it takes no effect.
                        self.channels.pending = None;
                    }
                    return self.final_result(code);
                }
                Flow::Suspend => {
                    if self.channels.pending.take().is_some() {
                        // The command entered a data mode or waits on the plain port: mux mode
                        // under it would strand it (policy `cmux-params`).
                        info!("AT+CMUX dropped: a later command of its line suspended the port");
                        self.out.event(Event::Failure {
                            id: None,
                            code: 0,
                            cause: "AT+CMUX takes no effect: a later command of its line entered a data mode or waits".into(),
                        });
                    }
                    return;
                }
            }
        }
        self.final_result(ResultCode::Ok);
    }

    // ---- writing ------------------------------------------------------------------------

    /// An information line of the current response.
    pub(crate) fn info(&mut self, text: &str) {
        self.out.info(text);
    }

    /// An information line of bytes that need not be text.
    pub(crate) fn info_bytes(&mut self, line: &[u8]) {
        self.out.info_bytes(line);
    }

    /// Raw bytes inside the current response (e.g. the data of `+QSSLRECV`).
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.out.raw(bytes);
    }

    /// A result code that is not final (`CONNECT` before file data), written into the current
    /// response.
    pub(crate) fn intermediate(&mut self, code: ResultCode) {
        self.out.result(code);
    }

    /// Write a final result code; URCs may follow only after the gap. In mux mode only a
    /// result on the URC channel shares its byte stream with URCs (policy `urc-gap`).
    pub(crate) fn final_result(&mut self, code: ResultCode) {
        self.out.result(code);
        self.out.finish_write();
        if !self.channels.muxed() || self.channels.active == self.urc_dlci() {
            self.urcs.final_written(self.now);
        }
    }

    pub(crate) fn net(&mut self, action: NetAction) {
        self.out.net(action);
    }

    /// Queue a URC.
    pub(crate) fn urc(&mut self, urc: Urc) {
        let text = urc.to_string();
        info!(urc = %text, "urc queued");
        self.out.event(Event::Urc { text });
        self.urcs.push(urc, self.now);
    }

    /// Note that push-mode data waits in socket `id`'s buffer.
    pub(crate) fn urc_push(&mut self, id: SocketId) {
        self.urcs.push_data(id, self.now);
    }

    /// Report something for traces.
    pub(crate) fn event(&mut self, event: Event) {
        self.out.event(event);
    }

    /// Inject faults a scenario fired.
    pub(crate) fn fire(&mut self, faults: Vec<Fault>) {
        for fault in faults {
            crate::faults::inject(self, fault);
        }
    }

    /// Tell the scenario about an event on socket `id`.
    pub(crate) fn scenario_event(&mut self, kind: EventKind, id: SocketId) {
        let now = self.now;
        if let Some(faults) = self.scenario.as_mut().map(|s| s.on_event(kind, id.get(), now)) {
            self.fire(faults);
        }
    }

    /// Tell the scenario socket `id`'s byte totals changed.
    pub(crate) fn scenario_bytes(&mut self, id: SocketId) {
        let (now, s) = (self.now, self.sockets.get(id));
        let (conn, sent, received) = (s.conn, s.tx_total, s.rx_total);
        if let Some(faults) =
            self.scenario.as_mut().map(|sc| sc.on_bytes(id.get(), conn, sent, received, now))
        {
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

    /// Queue the boot output (`RDY`, `+CFUN: 1`, `APP RDY`, `+CPIN: READY`, `+QUSIM: 1`,
    /// `+QIND: SMS DONE`), as the daemon does at start with `--boot-urcs`.
    pub fn boot_output(&mut self, now: Instant) {
        self.now = now;
        crate::power::boot_output(self);
        self.pump();
    }

    /// Restart: a fresh module that keeps the clock, the UFS drive, pending output and the
    /// connection serial (so events of the old connections stay stale).
    pub(crate) fn reboot(&mut self) {
        if let Some(call) = self.ppp.take() {
            // The call dies with the module; its session in the daemon is stopped.
            self.net(NetAction::PppStop { session: call.session });
        }
        let mut fresh = Modem::new(self.cfg.clone(), self.now, std::time::SystemTime::UNIX_EPOCH);
        fresh.clock = self.clock.clone();
        fresh.files = std::mem::take(&mut self.files);
        let _ = fresh.files.delete("RAM:*");
        fresh.conn_serial = self.conn_serial;
        fresh.out = self.out.take_pending();
        fresh.scenario = self.scenario.take();
        fresh.discarded_input = self.discarded_input;
        fresh.module_cfg = self.module_cfg.clone();
        fresh.sim = self.sim.after_restart();
        fresh.sms = self.sms.after_restart();
        if self.channels.muxed() {
            // The restart ends mux mode: the boot output comes on the plain port.
            info!("mux mode off: the module restarts");
            fresh.event(Event::Mux { on: false, detail: "the module restarted".into() });
        }
        *self = fresh;
    }

    fn urcs_may_flow(&self) -> bool {
        if self.power != crate::power::Power::On {
            return false;
        }
        if self.channels.muxed() {
            // URCs wait until the URC channel is open and free.
            let dlci = self.urc_dlci();
            return if self.channels.active == dlci {
                matches!(self.port, Port::Command) && self.busy.is_none()
            } else {
                self.channels.parked_open().any(|(d, c)| *d == dlci && c.free_for_urcs())
            };
        }
        matches!(self.port, Port::Command) && self.busy.is_none()
    }

    /// Release what may be released: held input once idle, URCs once the port is free and
    /// they are due, transparent downlink while the host has room; then grants and the
    /// socket transitions' trace records.
    fn pump(&mut self) {
        self.out.finish_write();
        if self.channels.muxed() {
            // Every channel: its held input and its transparent downlink; then URCs on the
            // URC channel.
            for dlci in self.channels.open() {
                self.switch_to(dlci);
                self.settle_stale_busy();
                self.release_held();
                self.release_transparent();
                self.signal_flow(dlci);
            }
            if self.channels.is_open(self.urc_dlci()) {
                self.switch_to(self.urc_dlci());
                self.release_urcs();
            }
        } else {
            self.release_held();
            self.release_urcs();
            self.release_transparent();
        }
        if let Some(dlci) = self.ppp.as_ref().map(|c| c.dlci) {
            // The call's downlink goes to the channel that dialled it.
            self.switch_to(dlci);
            crate::ppp::release(self);
        }
        self.grant_all();
        for event in self.sockets.take_events() {
            self.out.event(event);
        }
        self.out.finish_write();
    }

    /// Mux mode: the active channel's command waits on a socket connection that a command on
    /// another channel has since closed (`AT+QSSLCLOSE`, `AT+QICLOSE`), or on an HTTP request
    /// that ended while the channel was parked (`AT+QIDEACT` there): nothing will complete it,
    /// so it answers now, an open with `ERROR`, a lingering close with `OK`, a read as the
    /// request ended (policy `cmux-channels`).
    fn settle_stale_busy(&mut self) {
        let stale = |id: SocketId, conn: u64| self.sockets.get(id).conn != conn;
        match self.busy {
            Some(Busy::OpenTransparent { id, conn }) if stale(id, conn) => {
                info!(%id, "transparent open closed from another channel: ERROR");
                self.busy = None;
                self.final_result(ResultCode::Error);
            }
            Some(Busy::Closing { id, conn, .. }) if stale(id, conn) => {
                info!(%id, "lingering close completed from another channel: OK");
                self.busy = None;
                self.final_result(ResultCode::Ok);
            }
            Some(Busy::HttpRead { job, .. }) => {
                let ended = self.http.exchange.as_ref().filter(|e| e.job == job).and_then(|e| e.end);
                if let Some(err) = ended {
                    info!(job, err, "HTTP request ended while its read's channel was parked");
                    crate::http::finish_read(self, err);
                }
            }
            _ => {}
        }
    }

    /// The active channel's held input, once it is idle.
    fn release_held(&mut self) {
        if self.busy.is_none() && !self.input.output_pressure && !self.input.held.is_empty() {
            let held = std::mem::take(&mut self.input.held);
            if self.channels.muxed() {
                self.consume_host(&held);
            } else {
                self.host_bytes(&held);
            }
        }
    }

    /// Whether the host has room for more bulk data.
    fn host_has_room(&self) -> bool {
        self.out.backlog() < policy::HOST_QUEUE_BYTES
    }

    fn release_urcs(&mut self) {
        // Entries put back without anything written; a whole turn of them ends the round.
        if self.channels.muxed() && self.channels.active != self.urc_dlci() {
            return;
        }
        let mut idle = 0;
        while self.urcs_may_flow() && idle <= self.urcs.len() {
            let Some(pending) = self.urcs.pop_due(self.now) else { break };
            match pending {
                Pending::Report(urc) => {
                    let framed = urc.encode(&self.out.framing);
                    self.out.push_write(framed);
                    idle = 0;
                }
                Pending::PushData(id) => {
                    if !self.host_has_room() {
                        // Frames wait in the socket's buffer until the host reads; other
                        // reports may still go.
                        self.urcs.requeue_data(id, self.now);
                        idle += 1;
                        continue;
                    }
                    if self.push_frame(id) {
                        self.urcs.requeue_data(id, self.now);
                    }
                    idle = 0;
                }
            }
        }
    }

    /// One push-mode frame with up to 1500 bytes; true if more data waits.
    fn push_frame(&mut self, id: SocketId) -> bool {
        let sock = self.sockets.get_mut(id);
        if sock.mode != AccessMode::Push || sock.rx.is_empty() {
            return false;
        }
        // A datagram socket frames one datagram (or its first 1500 bytes) at a time.
        let (from, limit) = match sock.front_datagram() {
            Some(d) => (d.from, d.len.min(policy::PUSH_CHUNK_BYTES)),
            None => (None, policy::PUSH_CHUNK_BYTES),
        };
        let service = sock.service;
        let data = sock.take_rx(limit);
        let more = !sock.rx.is_empty();
        info!(urc = %urc::push_text(service, id, from, data.len()), "push frame");
        self.out.push_write(urc::push_frame(service, id, from, &data));
        more
    }

    /// Transparent mode: hand buffered server data to the host while it has room; once the
    /// connection has ended and everything is out, `NO CARRIER`.
    fn release_transparent(&mut self) {
        let Some(id) = self.port.transparent_socket() else { return };
        if self.busy.is_some() {
            return;
        }
        while self.host_has_room() {
            let room = policy::HOST_QUEUE_BYTES - self.out.backlog();
            let data = self.sockets.get_mut(id).take_rx(room);
            if data.is_empty() {
                break;
            }
            self.out.push_write(data);
        }
        let sock = self.sockets.get(id);
        if sock.state() == SocketState::Initial {
            // Mux mode: a command on another channel released the socket (policy
            // `cmux-channels`).
            info!(%id, "transparent socket released elsewhere: NO CARRIER");
            self.enter_command();
            self.final_result(ResultCode::NoCarrier);
        } else if sock.state() == SocketState::Closing && sock.rx.is_empty() {
            info!(%id, "transparent connection ended: NO CARRIER");
            self.enter_command();
            self.final_result(ResultCode::NoCarrier);
        }
    }

    fn grant_all(&mut self) {
        for id in SocketId::all() {
            let sock = self.sockets.get_mut(id);
            if let Some(bytes) = sock.grant_due() {
                sock.granted += bytes;
                let conn = sock.conn;
                self.net(NetAction::Grant { id: id.get(), conn, bytes });
            }
        }
    }

    // ---- helpers for commands and network events ----------------------------------------

    pub(crate) fn next_conn(&mut self) -> u64 {
        self.conn_serial += 1;
        self.conn_serial
    }

    /// Hand transparent-mode host data to the socket. Without flow control, what does not fit
    /// into the send buffer is lost, as on a UART nobody can stop, and counted.
    pub(crate) fn send_transparent(&mut self, id: SocketId, mut data: Vec<u8>) {
        if data.is_empty() {
            return;
        }
        let room = policy::TX_BUFFER_BYTES.saturating_sub(self.sockets.get(id).tx_in_flight);
        if data.len() > room && self.settings.flow_control.1 == FlowControl::None {
            let lost = data.len() - room;
            data.truncate(room);
            warn!(%id, lost, "transparent input overflowed the send buffer without flow control (AT+IFC)");
            self.event(Event::Failure {
                id: Some(id.get()),
                code: ErrorCode::Ok.number(),
                cause: format!(
                    "{lost} bytes typed in transparent mode were lost: the send buffer was full and AT+IFC sets no flow control"
                ),
            });
            if data.is_empty() {
                return;
            }
        }
        if self.sockets.state(id) != SocketState::Connected {
            warn!(%id, bytes = data.len(), "transparent data after the connection ended; not sent");
            self.event(Event::Failure {
                id: Some(id.get()),
                code: ErrorCode::SocketClosed.number(),
                cause: format!("{} bytes typed in transparent mode after the connection ended", data.len()),
            });
            return;
        }
        self.queue_send(id, data);
        self.scenario_bytes(id);
    }

    /// Hand host bytes to socket `id`'s connection, counting them as in flight until the
    /// network reports them written.
    pub(crate) fn queue_send(&mut self, id: SocketId, data: Vec<u8>) {
        let sock = self.sockets.get_mut(id);
        sock.tx_in_flight += data.len();
        sock.tx_total += data.len() as u64;
        let conn = sock.conn;
        self.net(NetAction::Send { id: id.get(), conn, data });
    }

    /// A `"UDP SERVICE"` datagram for `host`:`port`, counted like [`Self::queue_send`].
    pub(crate) fn queue_send_to(&mut self, id: SocketId, host: String, port: u16, data: Vec<u8>) {
        let sock = self.sockets.get_mut(id);
        sock.tx_in_flight += data.len();
        sock.tx_total += data.len() as u64;
        let conn = sock.conn;
        self.net(NetAction::SendTo { id: id.get(), conn, host, port, data });
    }

    /// Enter transparent mode on socket `id`: `CONNECT`, then anything already buffered, raw,
    /// as fast as the host takes it.
    pub(crate) fn enter_transparent(&mut self, id: SocketId) {
        self.final_result(ResultCode::Connect);
        self.sockets.get_mut(id).mode = AccessMode::Transparent;
        self.last_transparent = Some(id);
        // The socket's data mode is this channel's now: `ATO` elsewhere must not share it.
        self.forget_transparent_elsewhere(id);
        self.input.assembler.reset();
        self.port = Port::Transparent { id, escape: EscapeDetector::new(self.cfg.guard_time, self.now) };
    }

    /// Enter PPP mode for `session` (after its `CONNECT`).
    pub(crate) fn enter_ppp(&mut self, session: u64) {
        self.input.assembler.reset();
        self.port = Port::Ppp { session, escape: EscapeDetector::new(self.cfg.guard_time, self.now) };
    }

    /// Back to command mode after a data mode ended.
    pub(crate) fn enter_command(&mut self) {
        self.input.assembler.reset();
        self.port = Port::Command;
    }

    /// Release socket `id` back to Initial (the host closed it, or it never opened).
    pub(crate) fn release_socket(&mut self, id: SocketId, why: &str) {
        let (ctx, ssl) = (self.sockets.get(id).ssl_ctx, self.sockets.get(id).service.is_ssl());
        let unread = self.sockets.release(id, why);
        let ctx_unused = |s: &crate::socket::Socket| {
            s.state() == SocketState::Initial || !s.service.is_ssl() || s.ssl_ctx != ctx
        };
        if ssl && self.sockets.iter().all(|(_, s)| ctx_unused(s)) {
            // The last connection of this SSL context is gone: the module releases the
            // context's runtime state, its session cache with it (policy `session-cache`).
            self.ssl[ctx.index()].tls.clear_sessions();
        }
        if unread > 0 {
            info!(%id, unread, "socket released with unread data: discarded at the host's request");
        }
        for dropped in self.urcs.forget_socket(id) {
            info!(%id, ?dropped, "queued report dropped: the host released the socket");
            self.out.event(Event::Failure {
                id: Some(id.get()),
                code: ErrorCode::Ok.number(),
                cause: format!("queued {dropped:?} not written: the host released the socket first"),
            });
        }
        if self.last_transparent == Some(id) {
            self.last_transparent = None;
        }
        self.forget_transparent_elsewhere(id);
    }

    /// Mux mode: no parked channel's `ATO` returns to socket `id` any more (it was released,
    /// or another channel took it into transparent mode; policy `cmux-channels`).
    fn forget_transparent_elsewhere(&mut self, id: SocketId) {
        for c in self.channels.parked.values_mut() {
            if c.last_transparent == Some(id) {
                c.last_transparent = None;
            }
        }
    }
}

#[cfg(test)]
#[path = "modem_tests.rs"]
mod tests;
