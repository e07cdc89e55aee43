//! One socket's connection as tokio tasks: connect, the TLS handshake within `negotiatetime`
//! for an SSL socket (none for plain TCP), then a reader that reads only as far as the module
//! has granted (backpressure) and a writer that reports each write back, so the module always
//! knows its send buffer. Open-time faults act on the connect and handshake; link faults act
//! through the shared [`Link`]. UDP sockets and listeners run their own loops
//! ([`super::datagram`], [`super::listener`]) under the same [`ConnectionHandle`].
//!
//! The two directions report on separate channels ([`Reports`]): received data and the
//! connection's life on one, in order, which the event loop may stop taking while the host is
//! not reading; send completions on the other, which it always takes. So a host that does not
//! read stops the download, never the upload.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::{LinkFault, NetEvent, OpenFault, OpenRequest, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tracing::debug;

use super::connector::Connector;
use super::link::{End, Link};

/// Largest write the writer assembles from queued sends.
const WRITE_BATCH: usize = 64 * 1024;
/// Largest single read handed to the module.
const READ_CHUNK: usize = 16 * 1024;

/// What the runtime keeps per live connection.
pub struct ConnectionHandle {
    pub conn: u64,
    writes: mpsc::UnboundedSender<WriteCmd>,
    credit: Arc<Credit>,
    link: Arc<Link>,
    task: JoinHandle<()>,
    timers: Vec<JoinHandle<()>>,
    /// Run when the module lets go of the socket, before the task is aborted.
    on_drop: Option<Box<dyn FnOnce() + Send>>,
}

pub(super) enum WriteCmd {
    Data(Vec<u8>),
    /// A datagram for a `"UDP SERVICE"`.
    DataTo(String, u16, Vec<u8>),
    Close(Duration),
}

/// Bytes the reader may still deliver.
#[derive(Default)]
pub(super) struct Credit {
    pub(super) bytes: AtomicUsize,
    pub(super) notify: Notify,
}

impl Credit {
    /// Wait until at least `n` bytes may be delivered (or the link changes: `None`).
    pub(super) async fn wait_for(&self, n: usize, link: &Link) -> Option<()> {
        loop {
            if self.bytes.load(Ordering::SeqCst) >= n.max(1) {
                return Some(());
            }
            tokio::select! {
                _ = self.notify.notified() => {}
                _ = link.changed.notified() => return None,
            }
        }
    }
}

impl ConnectionHandle {
    /// Run `body` as the connection's task with its write queue, credit and link.
    pub(super) fn spawn<F, Fut>(conn: u64, link_faults: &[LinkFault], body: F) -> Self
    where
        F: FnOnce(mpsc::UnboundedReceiver<WriteCmd>, Arc<Credit>, Arc<Link>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let (writes, write_rx) = mpsc::unbounded_channel();
        let credit = Arc::new(Credit::default());
        let link = Arc::new(Link::default());
        for fault in link_faults {
            link.apply(*fault);
        }
        let task = tokio::spawn(body(write_rx, credit.clone(), link.clone()));
        ConnectionHandle { conn, writes, credit, link, task, timers: Vec::new(), on_drop: None }
    }

    /// Something to do, synchronously, when the handle is dropped (the socket released).
    pub(super) fn on_drop(&mut self, f: impl FnOnce() + Send + 'static) {
        self.on_drop = Some(Box::new(f));
    }

    pub fn send(&self, data: Vec<u8>) {
        let _ = self.writes.send(WriteCmd::Data(data));
    }
    pub fn send_to(&self, host: String, port: u16, data: Vec<u8>) {
        let _ = self.writes.send(WriteCmd::DataTo(host, port, data));
    }
    pub fn grant(&self, bytes: usize) {
        self.credit.bytes.fetch_add(bytes, Ordering::SeqCst);
        self.credit.notify.notify_one();
    }
    pub fn close(&self, linger: Duration) {
        let _ = self.writes.send(WriteCmd::Close(linger));
    }
    pub fn fault(&mut self, fault: LinkFault) {
        if let LinkFault::ServerClose { after_bytes, after: Some(delay) } = fault {
            let link = self.link.clone();
            self.timers.push(tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                link.apply(LinkFault::ServerClose { after_bytes, after: None });
            }));
        } else {
            self.link.apply(fault);
        }
    }
}

impl Drop for ConnectionHandle {
    fn drop(&mut self) {
        if let Some(on_drop) = self.on_drop.take() {
            on_drop();
        }
        self.task.abort();
        for t in &self.timers {
            t.abort();
        }
    }
}

/// Where connections report to the event loop.
#[derive(Clone)]
pub struct Reports {
    /// Open results, received data and the end of the connection, in order. Bounded: a
    /// reader waits while the loop is not taking them.
    pub events: mpsc::Sender<NetEvent>,
    /// [`NetEvent::Sent`] only. Never waits: a send completion must reach the module even
    /// while the received data ahead of it cannot.
    pub acks: mpsc::UnboundedSender<NetEvent>,
}

/// Start the connection for `req` (TLS or plain TCP, or a UDP client); it reports to
/// `reports`.
pub fn spawn_connection(
    req: OpenRequest,
    connector: Arc<dyn Connector>,
    reports: Reports,
) -> ConnectionHandle {
    let link = req.link.clone();
    ConnectionHandle::spawn(req.conn, &link, move |write_rx, credit, link| async move {
        match req.transport {
            Transport::Tcp => run(req, connector, reports, write_rx, credit, link).await,
            Transport::Udp => {
                super::datagram::run_client(req, connector, reports, write_rx, credit, link).await
            }
        }
    })
}

/// A connection a listener accepted, adopted by socket `id` as connection `conn`: connected
/// already, so it goes straight to reading and writing.
pub fn spawn_accepted(
    id: u8,
    conn: u64,
    stream: tokio::net::TcpStream,
    link: &[LinkFault],
    reports: Reports,
) -> ConnectionHandle {
    let _ = stream.set_nodelay(true);
    ConnectionHandle::spawn(conn, link, move |write_rx, credit, link| {
        serve_stream(Box::new(stream), id, conn, reports, write_rx, credit, link)
    })
}

/// What every open does before connecting: wait the timing profile's open delay, then fail at
/// once if an armed open fault fails it before any connecting (refused, DNS). False if the
/// open already ended (its `OpenFailed` is sent).
pub(super) async fn before_connect(req: &OpenRequest, events: &mpsc::Sender<NetEvent>) -> bool {
    if !req.delay.is_zero() {
        tokio::time::sleep(req.delay).await;
    }
    let (failure, cause) = match req.fault {
        Some(OpenFault::RefuseConnect) => {
            (OpenFailure::ConnectFailed, "fault refuse_connect: connection refused")
        }
        Some(OpenFault::DnsFailure) => {
            (OpenFailure::DnsFailed, "fault dns_failure: the name did not resolve")
        }
        Some(OpenFault::DnsBusy) => (OpenFailure::DnsBusy, "fault dns_busy: the resolver is busy"),
        _ => return true,
    };
    let (id, conn) = (req.id, req.conn);
    let _ = events.send(NetEvent::OpenFailed { id, conn, failure, cause: cause.to_string() }).await;
    false
}

async fn run(
    req: OpenRequest,
    connector: Arc<dyn Connector>,
    reports: Reports,
    write_rx: mpsc::UnboundedReceiver<WriteCmd>,
    credit: Arc<Credit>,
    link: Arc<Link>,
) {
    let (id, conn) = (req.id, req.conn);
    let events = reports.events.clone();
    let fail = |failure: OpenFailure, cause: String| NetEvent::OpenFailed { id, conn, failure, cause };
    if !before_connect(&req, &events).await {
        return;
    }
    let connect = async {
        if req.fault == Some(OpenFault::ConnectStall) {
            // The listener drops the SYNs: nothing ever answers.
            std::future::pending::<()>().await;
        }
        connector.connect_from(req.host.clone(), req.port, req.dns_usable, req.local_port).await
    };
    let connected = match tokio::time::timeout(req.connect_timeout, connect).await {
        Ok(Ok(c)) => c,
        Ok(Err((failure, cause))) => {
            let _ = events.send(fail(failure, cause)).await;
            return;
        }
        Err(_) => {
            let cause = format!(
                "TCP connect got no answer within the open timeout ({} s, policy open-timeout){}",
                req.connect_timeout.as_secs(),
                if req.fault == Some(OpenFault::ConnectStall) { " (fault connect_stall)" } else { "" }
            );
            let _ = events.send(fail(OpenFailure::ConnectFailed, cause)).await;
            return;
        }
    };
    let Some(tls) = &req.tls else {
        // Plain TCP: connected is open.
        let _ = events
            .send(NetEvent::Opened { id, conn, remote: connected.reported, local_port: connected.local_port })
            .await;
        return serve_stream(connected.stream, id, conn, reports, write_rx, credit, link).await;
    };
    let outcome = match req.fault {
        Some(OpenFault::HandshakeStall) => {
            tokio::time::sleep(tls.handshake_timeout).await;
            None
        }
        Some(OpenFault::HandshakeAlert) => {
            let cause = "fault handshake_alert: the server answered the ClientHello with a fatal handshake_failure alert";
            let _ = events.send(fail(OpenFailure::HandshakeFailed, cause.into())).await;
            return;
        }
        _ => {
            let handshake = super::tls_legacy::handshake(&tls.client, &tls.server_name, connected.stream);
            match tokio::time::timeout(tls.handshake_timeout, handshake).await {
                Ok(Ok(s)) => Some(s),
                Ok(Err(cause)) => {
                    let _ = events.send(fail(OpenFailure::HandshakeFailed, cause)).await;
                    return;
                }
                Err(_) => None,
            }
        }
    };
    let Some(stream) = outcome else {
        let cause = format!(
            "TLS handshake did not finish within negotiatetime ({} s)",
            tls.handshake_timeout.as_secs()
        );
        let _ = events.send(fail(OpenFailure::HandshakeTimeout, cause)).await;
        return;
    };
    let _ = events
        .send(NetEvent::Opened { id, conn, remote: connected.reported, local_port: connected.local_port })
        .await;
    serve_stream(stream, id, conn, reports, write_rx, credit, link).await;
}

/// Read and write an open stream until it ends.
async fn serve_stream(
    stream: Box<dyn super::connector::Stream>,
    id: u8,
    conn: u64,
    reports: Reports,
    write_rx: mpsc::UnboundedReceiver<WriteCmd>,
    credit: Arc<Credit>,
    link: Arc<Link>,
) {
    let events = reports.events.clone();
    let (reader, writer) = tokio::io::split(stream);
    let closed = Arc::new(Notify::new());
    // Aborted with this task too (the handle dropped): the reader holds the stream.
    let _reader =
        AbortOnDrop(tokio::spawn(read_loop(reader, id, conn, events, credit, closed.clone(), link.clone())));
    write_loop(writer, id, conn, reports, write_rx, closed, link).await;
}

/// A spawned task that ends when its owner is dropped, including when the owner is itself an
/// aborted task.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn read_loop<R: tokio::io::AsyncRead + Unpin>(
    mut reader: R,
    id: u8,
    conn: u64,
    events: mpsc::Sender<NetEvent>,
    credit: Arc<Credit>,
    closed: Arc<Notify>,
    link: Arc<Link>,
) {
    let mut buf = vec![0u8; READ_CHUNK];
    let cause = loop {
        match link.ending() {
            Some(End::Closed) => break "fault server_close: the server closed the connection".to_string(),
            Some(End::Reset) => break "fault connection_reset: connection reset by peer".to_string(),
            None => {}
        }
        // Taken before anything is looked at, so a change while reading is not missed.
        let changed = link.changed.notified();
        if link.wait_if_stalled().await {
            continue;
        }
        let allowed = credit.bytes.load(Ordering::SeqCst);
        if allowed == 0 {
            tokio::select! {
                _ = credit.notify.notified() => {}
                _ = changed => {}
            }
            continue;
        }
        let want = link.chunk_limit(allowed.min(READ_CHUNK));
        let n = tokio::select! {
            r = reader.read(&mut buf[..want]) => match r {
                Ok(0) => break "peer closed the connection".to_string(),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    break "peer closed the connection without close_notify".to_string()
                }
                Err(e) => break format!("read failed: {e}"),
            },
            _ = changed => continue,
        };
        let n = link.take_allowance(n);
        link.delay(n).await;
        if n > 0 {
            credit.bytes.fetch_sub(n, Ordering::SeqCst);
            if events.send(NetEvent::Data { id, conn, data: buf[..n].to_vec() }).await.is_err() {
                return;
            }
        }
    };
    debug!(id, conn, %cause, "reader finished");
    closed.notify_one();
    let _ = events.send(NetEvent::RemoteClosed { id, conn, cause }).await;
}

async fn write_loop<W: tokio::io::AsyncWrite + Unpin>(
    mut writer: W,
    id: u8,
    conn: u64,
    reports: Reports,
    mut write_rx: mpsc::UnboundedReceiver<WriteCmd>,
    closed: Arc<Notify>,
    link: Arc<Link>,
) {
    let mut pending_close = None;
    while let Some(cmd) = write_rx.recv().await {
        match cmd {
            WriteCmd::Data(mut data) | WriteCmd::DataTo(_, _, mut data) => {
                // Coalesce what is already queued into one write: fewer, fuller TLS records
                // and TCP segments, the same bytes in the same order.
                while data.len() < WRITE_BATCH {
                    match write_rx.try_recv() {
                        Ok(WriteCmd::Data(more) | WriteCmd::DataTo(_, _, more)) => {
                            data.extend_from_slice(&more)
                        }
                        Ok(WriteCmd::Close(linger)) => {
                            pending_close = Some(linger);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let n = data.len();
                link.delay(n).await;
                if link.is_reset() || writer.write_all(&data).await.is_err() || writer.flush().await.is_err()
                {
                    // The reader reports the end of the connection.
                    closed.notified().await;
                    return;
                }
                if reports.acks.send(NetEvent::Sent { id, conn, bytes: n }).is_err() {
                    return;
                }
                if let Some(linger) = pending_close.take() {
                    close(&mut writer, id, conn, &reports.events, &closed, linger).await;
                    return;
                }
            }
            WriteCmd::Close(linger) => {
                close(&mut writer, id, conn, &reports.events, &closed, linger).await;
                return;
            }
        }
    }
}

/// Graceful close: close_notify, wait for the peer's close up to the linger time, then drop.
async fn close<W: tokio::io::AsyncWrite + Unpin>(
    writer: &mut W,
    id: u8,
    conn: u64,
    events: &mpsc::Sender<NetEvent>,
    closed: &Notify,
    linger: Duration,
) {
    let _ = tokio::time::timeout(linger, writer.shutdown()).await;
    let _ = tokio::time::timeout(linger, closed.notified()).await;
    let _ = events.send(NetEvent::Closed { id, conn }).await;
}
