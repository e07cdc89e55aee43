//! The daemon's event loop: one task owning the [`Modem`], and a thin `select!` over what can
//! happen to it: control requests, the host writer's progress, the module's deadline, network
//! events, send completions, and host bytes. Host output goes through the [`HostWriter`],
//! network actions to connection tasks. Generic over the host port so that tests can drive it
//! through an in-memory pipe on tokio's paused clock.

use std::collections::HashMap;
use std::sync::Arc;

use qsslsim_modem::{Fault, Modem, NetAction, NetEvent, Output, Transport};
use tokio::io::AsyncReadExt;
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::trace;

use crate::host_writer::{HostPort, HostWriter};
use crate::network::datagram::spawn_service;
use crate::network::listener::spawn_listener;
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
    mut modem: Modem,
    host: H,
    connector: Arc<dyn Connector>,
    mut control: mpsc::Receiver<Control>,
    mut tracer: Tracer,
) {
    let (mut host_rx, host_tx) = host.split();
    let mut writer = HostWriter::new(host_tx, modem.config().baud);
    let (events_tx, mut events_rx) = mpsc::channel::<NetEvent>(64);
    let (acks_tx, mut acks_rx) = mpsc::unbounded_channel::<NetEvent>();
    let reports = Reports { events: events_tx, acks: acks_tx };
    let mut conns: HashMap<u8, ConnectionHandle> = HashMap::new();
    let pending = Pending::default();
    let mut read_buf = vec![0u8; HOST_READ_CHUNK];
    let mut host_open = true;
    let mut reading = Reading::Live;
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
                    Output::Net(action) => dispatch(action, &mut conns, &connector, &reports, &pending),
                    Output::Event(event) => tracer.module(event),
                }
            }
        }
        let deadline = modem.next_deadline().map(tokio::time::Instant::from_std);
        if let Some(at) = deadline.filter(|at| *at != timer.deadline()) {
            timer.as_mut().reset(at);
        }
        // Raw transparent data makes no output, so a host that is not reading does not stop it.
        let take_input =
            host_open && modem.wants_input() && (writer.takes_commands() || modem.input_is_raw_data());
        reading = match (take_input, reading) {
            (false, _) => Reading::Paused,
            (true, Reading::Paused) => Reading::Resumed(tokio::time::Instant::now()),
            (true, other) => other,
        };
        tokio::select! {
            ctl = control.recv() => match ctl {
                Some(Control::Subscribe(reply)) => {
                    let _ = reply.send(tracer.subscribe());
                }
                Some(Control::Inspect(f)) => f(&mut modem),
                Some(Control::Shutdown) | None => break,
            },
            () = writer.progress(), if writer.is_active() => {}
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
            res = host_rx.read(&mut read_buf), if take_input => match res {
                Ok(0) | Err(_) => host_open = false,
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
                Transport::Tcp => spawn_listener(req, reports.clone(), pending.clone()),
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
