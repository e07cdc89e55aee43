//! One socket's connection as tokio tasks: connect, TLS handshake within `negotiatetime`,
//! then a reader that reads only as far as the module has granted (backpressure) and a
//! writer that reports each write back, so the module always knows its send buffer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::{NetEvent, OpenRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tracing::debug;

use super::connector::Connector;

/// Largest single read handed to the module.
const READ_CHUNK: usize = 16 * 1024;

/// What the runtime keeps per live connection.
pub struct ConnectionHandle {
    pub conn: u64,
    writes: mpsc::UnboundedSender<WriteCmd>,
    credit: Arc<Credit>,
    task: JoinHandle<()>,
}

enum WriteCmd {
    Data(Vec<u8>),
    Close(Duration),
}

/// Bytes the reader may still deliver.
#[derive(Default)]
struct Credit {
    bytes: AtomicUsize,
    notify: Notify,
}

impl ConnectionHandle {
    pub fn send(&self, data: Vec<u8>) {
        let _ = self.writes.send(WriteCmd::Data(data));
    }
    pub fn grant(&self, bytes: usize) {
        self.credit.bytes.fetch_add(bytes, Ordering::SeqCst);
        self.credit.notify.notify_one();
    }
    pub fn close(&self, linger: Duration) {
        let _ = self.writes.send(WriteCmd::Close(linger));
    }
}

impl Drop for ConnectionHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start the connection for `req`; events go to `events`.
pub fn spawn_connection(
    req: OpenRequest,
    connector: Arc<dyn Connector>,
    events: mpsc::Sender<NetEvent>,
) -> ConnectionHandle {
    let (writes, write_rx) = mpsc::unbounded_channel();
    let credit = Arc::new(Credit::default());
    let conn = req.conn;
    let task = tokio::spawn(run(req, connector, events, write_rx, credit.clone()));
    ConnectionHandle { conn, writes, credit, task }
}

async fn run(
    req: OpenRequest,
    connector: Arc<dyn Connector>,
    events: mpsc::Sender<NetEvent>,
    write_rx: mpsc::UnboundedReceiver<WriteCmd>,
    credit: Arc<Credit>,
) {
    let (id, conn) = (req.id, req.conn);
    let fail = |failure: OpenFailure, cause: String| NetEvent::OpenFailed { id, conn, failure, cause };
    let connected = match connector.connect(req.host.clone(), req.port, req.dns_usable).await {
        Ok(c) => c,
        Err((failure, cause)) => {
            let _ = events.send(fail(failure, cause)).await;
            return;
        }
    };
    let tls = tokio_rustls::TlsConnector::from(req.tls.clone());
    let handshake = tls.connect(req.server_name.clone(), connected.stream);
    let stream = match tokio::time::timeout(req.handshake_timeout, handshake).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let cause = handshake_cause(&e);
            let _ = events.send(fail(OpenFailure::HandshakeFailed, cause)).await;
            return;
        }
        Err(_) => {
            let cause = format!(
                "TLS handshake did not finish within negotiatetime ({} s)",
                req.handshake_timeout.as_secs()
            );
            let _ = events.send(fail(OpenFailure::HandshakeTimeout, cause)).await;
            return;
        }
    };
    let _ = events
        .send(NetEvent::Opened { id, conn, remote: connected.reported, local_port: connected.local_port })
        .await;
    let (reader, writer) = tokio::io::split(stream);
    let closed = Arc::new(Notify::new());
    let read_task = tokio::spawn(read_loop(reader, id, conn, events.clone(), credit, closed.clone()));
    write_loop(writer, id, conn, events, write_rx, closed).await;
    read_task.abort();
}

fn handshake_cause(e: &std::io::Error) -> String {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        Some(tls) => qsslsim_tls::describe_error(tls),
        None => format!("TLS handshake failed: {e}"),
    }
}

async fn read_loop<R: tokio::io::AsyncRead + Unpin>(
    mut reader: R,
    id: u8,
    conn: u64,
    events: mpsc::Sender<NetEvent>,
    credit: Arc<Credit>,
    closed: Arc<Notify>,
) {
    let mut buf = vec![0u8; READ_CHUNK];
    let cause = loop {
        let allowed = loop {
            let n = credit.bytes.load(Ordering::SeqCst);
            if n > 0 {
                break n;
            }
            credit.notify.notified().await;
        };
        let want = allowed.min(READ_CHUNK);
        match reader.read(&mut buf[..want]).await {
            Ok(0) => break "peer closed the connection".to_string(),
            Ok(n) => {
                credit.bytes.fetch_sub(n, Ordering::SeqCst);
                if events.send(NetEvent::Data { id, conn, data: buf[..n].to_vec() }).await.is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break "peer closed the connection without close_notify".to_string()
            }
            Err(e) => break format!("read failed: {e}"),
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
    events: mpsc::Sender<NetEvent>,
    mut write_rx: mpsc::UnboundedReceiver<WriteCmd>,
    closed: Arc<Notify>,
) {
    while let Some(cmd) = write_rx.recv().await {
        match cmd {
            WriteCmd::Data(data) => {
                let n = data.len();
                if writer.write_all(&data).await.is_err() || writer.flush().await.is_err() {
                    // The reader reports the end of the connection.
                    closed.notified().await;
                    return;
                }
                if events.send(NetEvent::Sent { id, conn, bytes: n }).await.is_err() {
                    return;
                }
            }
            WriteCmd::Close(linger) => {
                let _ = tokio::time::timeout(linger, writer.shutdown()).await;
                // Wait for the peer's close up to the linger time, then drop.
                let _ = tokio::time::timeout(linger, closed.notified()).await;
                let _ = events.send(NetEvent::Closed { id, conn }).await;
                return;
            }
        }
    }
}
