//! The daemon's event loop: one task owning the [`Modem`], moving host bytes in, host writes
//! out (one write per module write, blocking on the pty when the host stops reading),
//! network actions to connection tasks and their events back, control requests in, and
//! waking the module at its deadlines. Generic over the host stream so that tests can drive
//! it through an in-memory pipe on tokio's paused clock.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use qsslsim_modem::{Fault, Modem, NetAction, NetEvent, Output};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::{debug, trace};

use crate::network::{spawn_connection, ConnectionHandle, Connector};
use crate::trace::{Record, Tracer};

/// A read this soon after the loop resumed reading found bytes that were already waiting.
const RESUME_WINDOW: std::time::Duration = std::time::Duration::from_millis(2);
/// Bytes read from the host at once.
const HOST_READ_CHUNK: usize = 16 * 1024;
/// Host output waiting to be written beyond which the loop stops taking network data (the
/// bulk of output), so a host that reads slowly throttles the servers instead of growing
/// memory, and a command's answer does not queue behind much server data.
const EVENT_BACKLOG_LIMIT: usize = 64 * 1024;
/// Beyond this the loop stops taking commands too (a host that sends commands and never
/// reads blocks on the pty). Commands keep flowing while only server data is backed up, as
/// on a UART whose two directions are independent.
const HOST_BACKLOG_LIMIT: usize = 256 * 1024;

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
pub async fn run<H>(
    mut modem: Modem,
    host: H,
    connector: Arc<dyn Connector>,
    mut control: mpsc::Receiver<Control>,
    mut tracer: Tracer,
) where
    H: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut host_rx, mut host_tx) = tokio::io::split(host);
    let (events_tx, mut events_rx) = mpsc::channel::<NetEvent>(64);
    let mut conns: HashMap<u8, ConnectionHandle> = HashMap::new();
    let mut pending: VecDeque<Vec<u8>> = VecDeque::new();
    let mut pending_bytes = 0usize;
    let mut written = 0usize; // of pending.front()
    let mut read_buf = vec![0u8; HOST_READ_CHUNK];
    let mut host_open = true;
    let mut reading = Reading::Live;
    let baud = modem.config().baud.filter(|b| *b > 0);
    // UART pacing: writes of about 10 ms worth, the next one not before this moment.
    let pace_chunk = baud.map_or(usize::MAX, |b| (b as usize / 1000).max(1));
    let mut next_write_at = tokio::time::Instant::now();

    loop {
        // The module releases bulk data and held input by what the host has not read yet.
        modem.host_backlog(pending_bytes, now());
        while let Some(out) = modem.poll_output() {
            match out {
                Output::Host(bytes) => {
                    trace!(bytes = bytes.len(), "host write queued");
                    tracer.host_out(&bytes);
                    pending_bytes += bytes.len();
                    pending.push_back(bytes);
                }
                Output::Net(action) => dispatch(action, &mut conns, &connector, &events_tx),
                Output::Event(event) => tracer.module(event),
            }
        }
        let deadline = modem.next_deadline().map(tokio::time::Instant::from_std);
        // Raw transparent data makes no output, so a host that is not reading does not stop it.
        let take_input = host_open
            && modem.wants_input()
            && (pending_bytes < HOST_BACKLOG_LIMIT || modem.input_is_raw_data());
        reading = match (take_input, reading) {
            (false, _) => Reading::Paused,
            (true, Reading::Paused) => Reading::Resumed(tokio::time::Instant::now()),
            (true, other) => other,
        };
        let take_events = pending_bytes < EVENT_BACKLOG_LIMIT;
        let pace_wait =
            (baud.is_some() && !pending.is_empty() && next_write_at > tokio::time::Instant::now())
                .then_some(next_write_at);
        let chunk = pending
            .front()
            .map(|b| &b[written..written.saturating_add(pace_chunk).min(b.len())])
            .unwrap_or(&[]);
        tokio::select! {
            ctl = control.recv() => match ctl {
                Some(Control::Subscribe(reply)) => {
                    let _ = reply.send(tracer.subscribe());
                }
                Some(Control::Inspect(f)) => f(&mut modem),
                Some(Control::Shutdown) | None => break,
            },
            _ = tokio::time::sleep_until(pace_wait.unwrap_or_else(far_future)), if pace_wait.is_some() => {}
            res = host_tx.write(chunk), if !pending.is_empty() && pace_wait.is_none() => {
                match res {
                    Ok(n) => {
                        if let Some(b) = baud {
                            let start = next_write_at.max(tokio::time::Instant::now());
                            next_write_at = start + std::time::Duration::from_secs_f64(n as f64 * 10.0 / b as f64);
                        }
                        written += n;
                        pending_bytes -= n;
                        if written == pending.front().map_or(0, Vec::len) {
                            pending.pop_front();
                            written = 0;
                        }
                    }
                    Err(e) => {
                        debug!(error = %e, "host write failed; output discarded");
                        pending.clear();
                        pending_bytes = 0;
                        written = 0;
                    }
                }
            }
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(far_future)), if deadline.is_some() => {
                modem.on_time(now());
            }
            ev = events_rx.recv(), if take_events => {
                let Some(ev) = ev else { break };
                forget_finished(&ev, &mut conns);
                modem.net_event(ev, now());
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
    events: &mpsc::Sender<NetEvent>,
) {
    let live = |conns: &HashMap<u8, ConnectionHandle>, id: u8, conn: u64| {
        conns.get(&id).filter(|h| h.conn == conn).is_some()
    };
    match action {
        NetAction::Open(req) => {
            let id = req.id;
            conns.insert(id, spawn_connection(req, connector.clone(), events.clone()));
        }
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
