//! The daemon's event loop: one task owning the [`Modem`], and a thin `select!` over what can
//! happen to it: control requests, the host writer's progress, the module's deadline, network
//! events, send completions, and host bytes. Host output goes through the [`HostWriter`],
//! network actions to connection tasks. Generic over the host port so that tests can drive it
//! through an in-memory pipe on tokio's paused clock. A network client (`net_port`) takes the
//! AT port from the local one while it is connected ([`run_with_network`]).

use std::collections::HashMap;
use std::sync::Arc;

use qsslsim_modem::settings::FlowControl;
use qsslsim_modem::{Fault, Modem, NetAction, NetEvent, Output, Transport};
use tokio::io::AsyncReadExt;
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::{info, trace, warn};

use crate::host_writer::{HostPort, HostWriter, PortWriter, Switched};
use crate::net_port::{FromClient, Line, Session};
use crate::network::datagram::spawn_service;
use crate::network::listener::spawn_listener;
use crate::network::ppp::PppHandle;
use crate::network::{spawn_accepted, spawn_connection, ConnectionHandle, Connector, Pending, Reports};
use crate::trace::{Record, Tracer};

/// A read this soon after the loop resumed reading found bytes that were already waiting.
const RESUME_WINDOW: std::time::Duration = std::time::Duration::from_millis(2);
/// Bytes read from the host at once.
const HOST_READ_CHUNK: usize = 16 * 1024;

/// Requests from outside the module's serial port (control socket, scenarios, tests).
pub enum Control {
    /// Subscribe to trace records.
    Subscribe(oneshot::Sender<broadcast::Receiver<Record>>),
    /// Run a closure against the module: DTR, faults, the clock, state dumps.
    Inspect(Box<dyn FnOnce(&mut Modem) + Send>),
    /// Stop the loop.
    Shutdown,
}

/// Run the module until `Control::Shutdown` or until the control channel closes.
pub async fn run<H: HostPort>(
    modem: Modem,
    host: H,
    connector: Arc<dyn Connector>,
    control: mpsc::Receiver<Control>,
    tracer: Tracer,
) {
    let (_none, sessions) = mpsc::channel(1);
    run_with_network(modem, host, connector, control, tracer, sessions).await
}

/// [`run`], with network clients (`net_port`) arriving on `sessions`. While a client is
/// connected it is the AT port: its bytes go to the module, the module's output goes to it,
/// its DTR and RTS are the port's, and the local port (the pty) is set aside: what is written
/// to it is dropped, with a log line (policy `net-port-and-pty`). When the client leaves, the
/// local port is the AT port again and the module carries on as it was.
pub async fn run_with_network<H: HostPort>(
    mut modem: Modem,
    host: H,
    connector: Arc<dyn Connector>,
    mut control: mpsc::Receiver<Control>,
    mut tracer: Tracer,
    mut sessions: mpsc::Receiver<Session>,
) {
    let (mut host_rx, host_tx) = host.split();
    let mut writer = HostWriter::new(Switched::Local(host_tx), modem.config().baud);
    let (events_tx, mut events_rx) = mpsc::channel::<NetEvent>(64);
    let (acks_tx, mut acks_rx) = mpsc::unbounded_channel::<NetEvent>();
    let reports = Reports { events: events_tx, acks: acks_tx };
    let mut conns: HashMap<u8, ConnectionHandle> = HashMap::new();
    // The PPP data call's session, if one runs.
    let mut ppp: Option<PppHandle> = None;
    let pending = Pending::default();
    let mut read_buf = vec![0u8; HOST_READ_CHUNK];
    let mut host_open = true;
    let mut reading = Reading::Live;
    let mut sessions_open = true;
    let mut remote: Option<Remote> = None;
    // The local port's writer while a network client has the AT port.
    let mut parked: Option<Switched<H::Writer>> = None;
    // The module's next deadline, re-armed only when it moves.
    let timer = tokio::time::sleep_until(far_future());
    tokio::pin!(timer);

    loop {
        // Yield now and then even if some branch is always ready, so that tokio's budget
        // cannot starve the others.
        tokio::task::consume_budget().await;
        // Tell the module how much the host has yet to read, and take what it makes of that
        // and of whatever happened last; again while its writes change the backlog (it
        // releases bulk data only up to a bound, so this ends).
        let mut told = None;
        while told != Some(writer.module_backlog()) {
            told = Some(writer.module_backlog());
            modem.host_backlog(writer.module_backlog(), now());
            while let Some(out) = modem.poll_output() {
                match out {
                    Output::Host(bytes) => {
                        trace!(bytes = bytes.len(), "host write queued");
                        tracer.host_out(&bytes);
                        writer.push(bytes);
                    }
                    Output::Net(action) => {
                        dispatch(action, &mut conns, &mut ppp, &connector, &reports, &pending)
                    }
                    Output::Event(event) => tracer.module(event),
                }
            }
        }
        let deadline = modem.next_deadline().map(tokio::time::Instant::from_std);
        if let Some(at) = deadline.filter(|at| *at != timer.deadline()) {
            timer.as_mut().reset(at);
        }
        // Raw transparent data makes no output, so a host that is not reading does not stop it.
        let wants = modem.wants_input() && (writer.takes_commands() || modem.input_is_raw_data());
        let take_input = host_open && remote.is_none() && wants;
        reading = match (take_input, reading) {
            (false, _) => Reading::Paused,
            (true, Reading::Paused) => Reading::Resumed(tokio::time::Instant::now()),
            (true, other) => other,
        };
        // A network client's bytes that had to wait go in as soon as the module takes input.
        if let Some(r) = remote.as_mut().filter(|_| wants) {
            if let Some(bytes) = r.waiting.pop_front() {
                r.waiting_bytes -= bytes.len();
                if std::mem::take(&mut r.waited) {
                    modem.input_resumed(now());
                }
                r.waited = !r.waiting.is_empty();
                tracer.host_in(&bytes);
                modem.host_input(&bytes, now());
                continue;
            }
        }
        // With AT+IFC=2,x the host's RTS stops the module's output.
        let rts_held =
            remote.as_ref().is_some_and(|r| !r.rts) && modem.settings().flow_control.0 == FlowControl::RtsCts;
        let remote_reads = remote.as_ref().is_some_and(|r| r.waiting_bytes < REMOTE_WAITING_MAX);
        tokio::select! {
            ctl = control.recv() => match ctl {
                Some(Control::Subscribe(reply)) => {
                    let _ = reply.send(tracer.subscribe());
                }
                Some(Control::Inspect(f)) => f(&mut modem),
                Some(Control::Shutdown) | None => break,
            },
            () = writer.progress(), if writer.is_active() && !rts_held => {}
            () = &mut timer, if deadline.is_some() => {
                modem.on_time(now());
            }
            // Always taken: the module bounds received data by its grants and holds bulk data
            // until the host has room.
            ev = events_rx.recv() => {
                let Some(ev) = ev else { break };
                forget_finished(&ev, &mut conns);
                modem.net_event(ev, now());
            }
            // Send completions are taken whatever the host does with its output.
            Some(ack) = acks_rx.recv() => {
                modem.net_event(ack, now());
                while let Ok(ack) = acks_rx.try_recv() {
                    modem.net_event(ack, now());
                }
            }
            session = sessions.recv(), if sessions_open => match session {
                Some(session) => {
                    if let Some(old) = remote.take() {
                        end_session(old, &mut modem, &mut writer, &mut parked, &mut tracer);
                    }
                    remote = Some(start_session(session, &mut writer, &mut parked, &mut tracer));
                }
                None => sessions_open = false,
            },
            // Control lines take effect at once; data waits (bounded) while the module does
            // not take input, as it would in a serial port's buffer.
            msg = recv_remote(&mut remote), if remote_reads => {
                match msg {
                    None => {
                        let old = remote.take().expect("a session");
                        end_session(old, &mut modem, &mut writer, &mut parked, &mut tracer);
                    }
                    Some(FromClient::Data(bytes)) => {
                        let r = remote.as_mut().expect("a session");
                        if wants && r.waiting.is_empty() {
                            tracer.host_in(&bytes);
                            modem.host_input(&bytes, now());
                        } else {
                            r.waiting_bytes += bytes.len();
                            r.waiting.push_back(bytes);
                            r.waited = true;
                        }
                    }
                    Some(FromClient::Line(line)) => {
                        let r = remote.as_mut().expect("a session");
                        on_line(line, r, &mut modem, &mut writer, &mut tracer);
                    }
                }
            }
            res = host_rx.read(&mut read_buf), if take_input || (host_open && remote.is_some()) => match res {
                Ok(0) | Err(_) => host_open = false,
                Ok(n) if remote.is_some() => {
                    let r = remote.as_mut().expect("a session");
                    if r.local_dropped == 0 {
                        warn!(
                            bytes = n,
                            "{} has the AT port: bytes written to the pty are dropped until it disconnects",
                            r.label
                        );
                    }
                    r.local_dropped += n;
                }
                Ok(n) => {
                    // Bytes already waiting in the pty when reading resumed arrived at unknown
                    // times, so their gaps are not guard silence; bytes the loop had to wait
                    // for arrived live.
                    if matches!(reading, Reading::Resumed(t) if t.elapsed() < RESUME_WINDOW) {
                        modem.input_resumed(now());
                    }
                    reading = Reading::Live;
                    tracer.host_in(&read_buf[..n]);
                    modem.host_input(&read_buf[..n], now());
                }
            },
        }
    }
}

/// Bytes from a network client that may wait for the module before the loop stops taking
/// more from it (the client then waits in its socket).
const REMOTE_WAITING_MAX: usize = HOST_READ_CHUNK;

/// The network client that has the AT port.
struct Remote {
    label: String,
    /// Its data the module has not taken yet, oldest first.
    waiting: std::collections::VecDeque<Vec<u8>>,
    waiting_bytes: usize,
    /// Whether the next waiting bytes waited (their timing is unknown: not guard silence).
    waited: bool,
    /// RTS as the client set it (on until it says otherwise).
    rts: bool,
    /// The client dropped DTR and has not raised it again.
    dtr_dropped: bool,
    /// Bytes written to the local port meanwhile, dropped.
    local_dropped: usize,
    input: mpsc::Receiver<FromClient>,
}

async fn recv_remote(remote: &mut Option<Remote>) -> Option<FromClient> {
    match remote {
        Some(r) => r.input.recv().await,
        None => std::future::pending().await,
    }
}

/// A network client takes the AT port: output goes to it from now on.
fn start_session<W: PortWriter>(
    session: Session,
    writer: &mut HostWriter<Switched<W>>,
    parked: &mut Option<Switched<W>>,
    tracer: &mut Tracer,
) -> Remote {
    let (old, dropped) = writer.replace_port(Switched::Remote(session.output));
    if parked.is_none() {
        *parked = Some(old);
    }
    info!(dropped, "{} has the AT port; output not yet written to the pty is dropped", session.label);
    tracer.port("connected", &session.label);
    Remote {
        label: session.label,
        waiting: Default::default(),
        waiting_bytes: 0,
        waited: false,
        rts: true,
        dtr_dropped: false,
        local_dropped: 0,
        input: session.input,
    }
}

/// The client left: the local port is the AT port again; DTR is asserted again if the client
/// left it dropped (policy `net-port-and-pty`).
fn end_session<W: PortWriter>(
    r: Remote,
    modem: &mut Modem,
    writer: &mut HostWriter<Switched<W>>,
    parked: &mut Option<Switched<W>>,
    tracer: &mut Tracer,
) {
    if let Some(local) = parked.take() {
        let (_gone, dropped) = writer.replace_port(local);
        if dropped > 0 {
            info!(dropped, "output for {} that it did not read is dropped", r.label);
        }
    }
    if r.dtr_dropped {
        modem.set_dtr(false, now());
    }
    if r.local_dropped > 0 {
        warn!(
            bytes = r.local_dropped,
            "bytes written to the pty while {} had the AT port were dropped", r.label
        );
    }
    info!("{} left; the pty is the AT port again", r.label);
    tracer.port("disconnected", &r.label);
}

/// A control line or setting from the network client.
fn on_line<W: PortWriter>(
    line: Line,
    r: &mut Remote,
    modem: &mut Modem,
    writer: &mut HostWriter<Switched<W>>,
    tracer: &mut Tracer,
) {
    match line {
        Line::Dtr(on) => {
            info!("{}: DTR {}", r.label, if on { "on" } else { "off (dropped)" });
            tracer.port(if on { "dtr_on" } else { "dtr_off" }, &r.label);
            r.dtr_dropped = !on;
            // Pin levels: an asserted DTR is a low pin (policy `dtr-levels`).
            modem.set_dtr(!on, now());
        }
        Line::Rts(on) => {
            let honoured = modem.settings().flow_control.0 == FlowControl::RtsCts;
            info!(
                "{}: RTS {}{}",
                r.label,
                if on { "on" } else { "off" },
                if honoured { "" } else { " (ignored: AT+IFC does not use RTS)" }
            );
            tracer.port(if on { "rts_on" } else { "rts_off" }, &r.label);
            r.rts = on;
        }
        Line::Baud(rate) => {
            let module = modem.settings().baud_rate;
            if rate == module {
                info!("{}: baud rate {rate}", r.label);
            } else {
                info!(
                    "{}: baud rate {rate}; the module's AT+IPR is {module}, which a real UART would \
                     garble; here bytes pass unchanged",
                    r.label
                );
            }
            tracer.port("baud", &format!("{} {rate}", r.label));
        }
        Line::Purge { input, output } => {
            let mut dropped = 0;
            if input {
                dropped += r.waiting_bytes;
                r.waiting.clear();
                r.waiting_bytes = 0;
            }
            if output {
                dropped += writer.discard();
            }
            info!(input, output, dropped, "{}: purge", r.label);
            tracer.port("purge", &format!("{} input={input} output={output}", r.label));
        }
        Line::Note(what) => {
            info!("{}: {what} (accepted, changes nothing)", r.label);
            tracer.port("setting", &format!("{} {what}", r.label));
        }
    }
}

/// How the loop has been reading the pty since its last read.
#[derive(Clone, Copy)]
enum Reading {
    /// Reading all along: bytes arrive live.
    Live,
    /// Not reading now (backlog, full send buffer, a command executing).
    Paused,
    /// Reading again since this moment, after a pause.
    Resumed(tokio::time::Instant),
}

/// The module's clock source: tokio's (pausable) clock.
pub fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(86400 * 365)
}

fn dispatch(
    action: NetAction,
    conns: &mut HashMap<u8, ConnectionHandle>,
    ppp: &mut Option<PppHandle>,
    connector: &Arc<dyn Connector>,
    reports: &Reports,
    pending: &Pending,
) {
    let live = |conns: &HashMap<u8, ConnectionHandle>, id: u8, conn: u64| {
        conns.get(&id).filter(|h| h.conn == conn).is_some()
    };
    match action {
        NetAction::Open(req) => {
            let id = req.id;
            conns.insert(id, spawn_connection(req, connector.clone(), reports.clone()));
        }
        NetAction::Listen(req) => {
            let id = req.id;
            let handle = match req.transport {
                Transport::Tcp => spawn_listener(req, connector.clone(), reports.clone(), pending.clone()),
                Transport::Udp => spawn_service(req, connector.clone(), reports.clone()),
            };
            conns.insert(id, handle);
        }
        NetAction::SendTo { id, conn, host, port, data } => {
            if live(conns, id, conn) {
                conns[&id].send_to(host, port, data);
            }
        }
        NetAction::Accept { ticket, id, conn, link } => match pending.take(ticket) {
            Some(stream) => {
                conns.insert(id, spawn_accepted(id, conn, stream, &link, reports.clone()));
            }
            None => {
                // The peer left before the module placed it: the socket ends like any other.
                let cause = "the incoming connection ended before it was accepted".to_string();
                let _ = reports.events.try_send(NetEvent::RemoteClosed { id, conn, cause });
            }
        },
        NetAction::Reject { ticket } => drop(pending.take(ticket)),
        NetAction::Send { id, conn, data } => {
            if live(conns, id, conn) {
                conns[&id].send(data);
            }
        }
        NetAction::Grant { id, conn, bytes } => {
            if live(conns, id, conn) {
                conns[&id].grant(bytes);
            }
        }
        NetAction::Close { id, conn, linger } => {
            if live(conns, id, conn) {
                conns[&id].close(linger);
            }
        }
        NetAction::Abort { id, conn } => {
            if live(conns, id, conn) {
                conns.remove(&id);
            }
        }
        NetAction::Fault { id, conn, fault } => {
            if live(conns, id, conn) {
                conns.get_mut(&id).expect("live").fault(fault);
            }
        }
        // Runs to its end on its own; a late answer for a job the module dropped is stale.
        NetAction::Service(req) => {
            crate::network::services::spawn(req, connector.net_policy(), reports.events.clone());
        }
        // Likewise: one task per HTTP request, stale once the module moved on.
        NetAction::Http(req) => {
            crate::network::http::spawn(req, connector.clone(), reports.events.clone());
        }
        // One PPP session at a time; a new one replaces (ends) the old.
        NetAction::PppStart { session, peer, dns, .. } => {
            *ppp = Some(crate::network::ppp::spawn(
                session,
                peer,
                dns,
                connector.clone(),
                reports.events.clone(),
            ));
        }
        NetAction::PppData { session, data } => {
            if let Some(h) = ppp.as_ref().filter(|h| h.session == session) {
                h.data(data);
            }
        }
        NetAction::PppGrant { session, bytes } => {
            if let Some(h) = ppp.as_ref().filter(|h| h.session == session) {
                h.grant(bytes);
            }
        }
        NetAction::PppStop { session } => {
            if ppp.as_ref().is_some_and(|h| h.session == session) {
                *ppp = None;
            }
        }
    }
}

/// Drop the handle of a connection whose tasks have ended.
fn forget_finished(ev: &NetEvent, conns: &mut HashMap<u8, ConnectionHandle>) {
    if let NetEvent::OpenFailed { id, conn, .. }
    | NetEvent::RemoteClosed { id, conn, .. }
    | NetEvent::Closed { id, conn } = *ev
    {
        if conns.get(&id).is_some_and(|h| h.conn == conn) {
            conns.remove(&id);
        }
    }
}

/// A handle for sending control requests and reading answers.
#[derive(Clone)]
pub struct ControlHandle {
    pub tx: mpsc::Sender<Control>,
}

impl ControlHandle {
    // Each request returns once the module has applied it, so whatever the caller does next
    // (a command on the port, say) comes after it.

    pub async fn dtr(&self, high: bool) {
        self.inspect(move |m| m.set_dtr(high, now())).await;
    }

    pub async fn fault(&self, fault: Fault) {
        self.inspect(move |m| m.inject(fault, now())).await;
    }

    pub async fn clock(&self, utc: time::OffsetDateTime, zone_quarters: Option<i8>) {
        self.inspect(move |m| m.set_clock(utc, zone_quarters, now())).await;
    }

    /// Trace records from now on.
    pub async fn subscribe(&self) -> Option<broadcast::Receiver<Record>> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Control::Subscribe(tx)).await.ok()?;
        rx.await.ok()
    }

    /// Compute something from the module's state.
    pub async fn inspect<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Modem) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        let job: Box<dyn FnOnce(&mut Modem) + Send> = Box::new(move |m| {
            let _ = tx.send(f(m));
        });
        self.tx.send(Control::Inspect(job)).await.ok()?;
        rx.await.ok()
    }

    pub async fn shutdown(&self) {
        let _ = self.tx.send(Control::Shutdown).await;
    }
}
