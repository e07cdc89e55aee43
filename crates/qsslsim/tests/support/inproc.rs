//! In-process harness for tests on tokio's paused clock: the event loop runs against an
//! in-memory pipe instead of a pty, and connections go to in-memory TLS servers, so no real
//! I/O lets the clock jump and every timing test is exact and costs no wall time.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qsslsim::network::connector::{ConnectResult, Connected, Connector};
use qsslsim::runtime::{self, ControlHandle};
use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::{Modem, ModemConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;

/// How an in-memory server behaves for a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// TLS echo.
    Echo,
    /// TLS sink: reads everything, records it.
    Sink,
    /// Accepts the TCP connection and never answers.
    Silent,
    /// Refuses the TCP connection.
    Refuse,
    /// Completes the handshake, sends `GOODBYE_DATA`, then closes.
    SendThenClose,
    /// Completes the handshake, sends `BLAST_BYTES` of `pattern()`, then stays open.
    Blast,
    /// Sends `pattern()` without end while it reads and records everything, both at once: a
    /// server streaming a download while it takes an upload.
    SourceAndSink,
}

/// How much a `Blast` server sends.
pub const BLAST_BYTES: usize = 64 * 1024;

/// The bytes a `Blast` server sends.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// What a `SendThenClose` server sends before closing.
pub const GOODBYE_DATA: &[u8] = b"last words before the close";

/// In-memory network: each port maps to a behaviour; a sink's received bytes are recorded.
pub struct MemoryNet {
    pub ports: Vec<(u16, Behaviour)>,
    pub received: Arc<Mutex<Vec<u8>>>,
    next_local: AtomicU16,
}

impl MemoryNet {
    pub fn new(ports: &[(u16, Behaviour)]) -> Arc<MemoryNet> {
        Arc::new(MemoryNet {
            ports: ports.to_vec(),
            received: Arc::default(),
            next_local: AtomicU16::new(50000),
        })
    }
}

impl Connector for MemoryNet {
    fn connect(
        &self,
        _host: String,
        port: u16,
        _dns: bool,
    ) -> Pin<Box<dyn Future<Output = ConnectResult> + Send>> {
        let behaviour =
            self.ports.iter().find(|(p, _)| *p == port).map(|(_, b)| *b).unwrap_or(Behaviour::Refuse);
        let local_port = self.next_local.fetch_add(1, Ordering::SeqCst);
        let received = self.received.clone();
        Box::pin(async move {
            if behaviour == Behaviour::Refuse {
                return Err((OpenFailure::ConnectFailed, format!("port {port} refused (memory net)")));
            }
            let (client, server) = tokio::io::duplex(64 * 1024);
            tokio::spawn(serve(server, behaviour, received));
            let reported: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            Ok(Connected { stream: Box::new(client), reported, local_port })
        })
    }
}

async fn serve(stream: DuplexStream, behaviour: Behaviour, received: Arc<Mutex<Vec<u8>>>) {
    if behaviour == Behaviour::Silent {
        // Hold the stream open, never answer.
        let _keep = stream;
        std::future::pending::<()>().await;
        return;
    }
    let acceptor = tokio_rustls::TlsAcceptor::from(qsslsim::peer::server_config(false));
    let Ok(mut tls) = acceptor.accept(stream).await else { return };
    if behaviour == Behaviour::SourceAndSink {
        return source_and_sink(tls, received).await;
    }
    if behaviour == Behaviour::SendThenClose {
        let _ = tls.write_all(GOODBYE_DATA).await;
        let _ = tls.shutdown().await;
        return;
    }
    if behaviour == Behaviour::Blast {
        let _ = tls.write_all(&pattern(BLAST_BYTES)).await;
        let _ = tls.flush().await;
        std::future::pending::<()>().await;
    }
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match tls.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        match behaviour {
            Behaviour::Echo => {
                if tls.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
            _ => received.lock().unwrap().extend_from_slice(&buf[..n]),
        }
    }
    let _ = tls.shutdown().await;
}

/// `pattern()` continued: the `n` bytes from stream offset `offset` on.
pub fn pattern_at(offset: usize, n: usize) -> Vec<u8> {
    (offset..offset + n).map(|i| (i % 251) as u8).collect()
}

/// Both directions at once and independently: the writer never waits for the reader.
async fn source_and_sink<S>(tls: S, received: Arc<Mutex<Vec<u8>>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
{
    let (mut rd, mut wr) = tokio::io::split(tls);
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    });
    let mut offset = 0;
    loop {
        let chunk = pattern_at(offset, 16 * 1024);
        if wr.write_all(&chunk).await.is_err() {
            break;
        }
        offset += chunk.len();
    }
    let _ = reader.await;
}

/// The module running on the paused clock, with the host end of its port.
pub struct Sim {
    pub host: DuplexStream,
    pub control: ControlHandle,
    pub pending: Vec<u8>,
}

impl Sim {
    pub fn start(cfg: ModemConfig, net: Arc<dyn Connector>) -> Sim {
        let modem = Modem::new(cfg, runtime::now(), std::time::SystemTime::now());
        Self::start_with(modem, net)
    }

    pub fn start_with(modem: Modem, net: Arc<dyn Connector>) -> Sim {
        Self::start_with_port(modem, net, 1 << 20)
    }

    /// Like [`Self::start_with`], with a host pipe that holds at most `port_bytes` unread in
    /// each direction: a serial port whose buffer is as small as a real module's.
    pub fn start_with_port(modem: Modem, net: Arc<dyn Connector>, port_bytes: usize) -> Sim {
        let (host, module_side) = tokio::io::duplex(port_bytes);
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(runtime::run(modem, module_side, net, rx, qsslsim::trace::Tracer::new(None).unwrap()));
        Sim { host, control: ControlHandle { tx }, pending: Vec::new() }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.host.write_all(bytes).await.unwrap();
    }

    /// Read until `n` bytes are pending or `wait` of (virtual) time passes.
    pub async fn take(&mut self, n: usize, wait: Duration) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut buf = vec![0u8; 64 * 1024];
        while self.pending.len() < n {
            match tokio::time::timeout_at(deadline, self.host.read(&mut buf)).await {
                Ok(Ok(k)) if k > 0 => self.pending.extend_from_slice(&buf[..k]),
                _ => break,
            }
        }
        let n = n.min(self.pending.len());
        self.pending.drain(..n).collect()
    }

    #[track_caller]
    pub fn expect(&mut self, expected: &[u8]) -> impl Future<Output = ()> + '_ {
        self.expect_within(expected, Duration::from_secs(30))
    }

    /// Like [`Self::expect`], waiting up to `wait` of (virtual) time.
    #[track_caller]
    pub fn expect_within(&mut self, expected: &[u8], wait: Duration) -> impl Future<Output = ()> + '_ {
        let caller = std::panic::Location::caller();
        let expected = expected.to_vec();
        async move {
            let got = self.take(expected.len(), wait).await;
            assert_eq!(got.escape_ascii().to_string(), expected.escape_ascii().to_string(), "at {caller}");
        }
    }

    /// Everything that arrives within `wait`.
    pub async fn read_for(&mut self, wait: Duration) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match tokio::time::timeout_at(deadline, self.host.read(&mut buf)).await {
                Ok(Ok(k)) if k > 0 => self.pending.extend_from_slice(&buf[..k]),
                _ => break,
            }
        }
        std::mem::take(&mut self.pending)
    }

    /// Read like a slow host: at most `chunk` bytes every `every`, until `needle` has arrived
    /// (counting only bytes read from now on) or `limit` passes. Returns how long it took
    /// (`None`: not within `limit`) and how many bytes were read meanwhile.
    pub async fn read_paced_until(
        &mut self,
        chunk: usize,
        every: Duration,
        needle: Option<&[u8]>,
        limit: Duration,
    ) -> (Option<Duration>, usize) {
        let t0 = tokio::time::Instant::now();
        let mut seen: Vec<u8> = Vec::new();
        let mut total = 0;
        let mut buf = vec![0u8; chunk];
        while t0.elapsed() < limit {
            tokio::time::sleep(every).await;
            let n = match tokio::time::timeout(Duration::ZERO, self.host.read(&mut buf)).await {
                Ok(Ok(n)) => n,
                _ => 0,
            };
            total += n;
            if let Some(needle) = needle {
                seen.extend_from_slice(&buf[..n]);
                if let Some(pos) = super::find(&seen, needle) {
                    self.pending.extend_from_slice(&seen[pos + needle.len()..]);
                    return (Some(t0.elapsed()), total);
                }
                let keep = seen.len().saturating_sub(needle.len());
                seen.drain(..keep);
            }
        }
        (None, total)
    }

    pub async fn transact(&mut self, send: &str, expected: &str) {
        self.send(send.as_bytes()).await;
        let got = self.take(expected.len(), Duration::from_secs(30)).await;
        assert_eq!(
            got.escape_ascii().to_string(),
            expected.as_bytes().escape_ascii().to_string(),
            "reply to {send:?}"
        );
    }
}
