//! TCP through a PPP session: the host's SYN to a new (address, port) waits while the daemon
//! dials the destination through the connector (routes, `--resolve`, sandbox, faults as for
//! `AT+QIOPEN`); connected, a smoltcp socket takes the SYN and the bytes are relayed both
//! ways with backpressure (neither side reads more than the other can take), FIN both ways;
//! refused or unreachable, the SYN is left to smoltcp with nothing listening, which answers
//! RST.

use std::net::SocketAddrV4;
use std::sync::Arc;

use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::tcp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tracing::warn;

use crate::network::connector::Connector;

/// smoltcp's buffers per connection, each way.
const SOCKET_BUFFER: usize = 64 * 1024;
/// Chunks in flight between a connection's task and the session, each way.
const CHUNKS: usize = 4;
const CHUNK: usize = 16 * 1024;

/// The host's 4-tuple: its end and the destination it asked for.
pub type Key = (SocketAddrV4, SocketAddrV4);

/// What the real connection's task reports.
pub enum FromReal {
    Data(Vec<u8>),
    /// The peer closed its sending side.
    Eof,
    /// The connection broke.
    Reset(String),
}

/// The outcome of a dial, for the session.
pub struct Dialled {
    pub key: Key,
    pub result: Result<Relay, String>,
}

/// The real side of one connection: bytes for it, bytes from it, and its tasks.
pub struct Relay {
    pub to_real: Option<mpsc::Sender<Vec<u8>>>,
    pub from_real: mpsc::Receiver<FromReal>,
    tasks: [JoinHandle<()>; 2],
}

impl Drop for Relay {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// One connection: its smoltcp socket and its real side.
pub struct Flow {
    pub key: Key,
    pub handle: SocketHandle,
    pub relay: Relay,
    /// Bytes from the real side that smoltcp had no room for yet.
    pending: Vec<u8>,
    real_done: bool,
    closed_to_host: bool,
}

/// Dial `key`'s destination; the outcome arrives on `done`.
pub fn dial(
    key: Key,
    connector: Arc<dyn Connector>,
    wake: Arc<Notify>,
    done: mpsc::UnboundedSender<Dialled>,
) {
    tokio::spawn(async move {
        let (host, port) = (key.1.ip().to_string(), key.1.port());
        let result = match connector.connect(host, port, true).await {
            Ok(c) => Ok(relay(c.stream, wake.clone())),
            Err((_, why)) => Err(why),
        };
        let _ = done.send(Dialled { key, result });
        wake.notify_one();
    });
}

fn relay(stream: Box<dyn crate::network::connector::Stream>, wake: Arc<Notify>) -> Relay {
    let (mut rd, mut wr) = tokio::io::split(stream);
    let (to_real, mut to_real_rx) = mpsc::channel::<Vec<u8>>(CHUNKS);
    let (from_tx, from_real) = mpsc::channel::<FromReal>(CHUNKS);
    let w = wake.clone();
    let writer = tokio::spawn(async move {
        while let Some(chunk) = to_real_rx.recv().await {
            if wr.write_all(&chunk).await.is_err() {
                break;
            }
            w.notify_one();
        }
        let _ = wr.shutdown().await;
    });
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let msg = match rd.read(&mut buf).await {
                Ok(0) => FromReal::Eof,
                Ok(n) => FromReal::Data(buf[..n].to_vec()),
                Err(e) => FromReal::Reset(e.to_string()),
            };
            let last = !matches!(msg, FromReal::Data(_));
            if from_tx.send(msg).await.is_err() {
                return;
            }
            wake.notify_one();
            if last {
                return;
            }
        }
    });
    Relay { to_real: Some(to_real), from_real, tasks: [writer, reader] }
}

/// A listening socket for `key`'s destination, to take the held SYN.
pub fn listen(sockets: &mut SocketSet<'static>, key: Key) -> SocketHandle {
    let mut s = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0; SOCKET_BUFFER]),
        tcp::SocketBuffer::new(vec![0; SOCKET_BUFFER]),
    );
    s.set_nagle_enabled(false);
    let ep = smoltcp::wire::IpListenEndpoint { addr: Some((*key.1.ip()).into()), port: key.1.port() };
    s.listen(ep).expect("a fresh socket listens");
    sockets.add(s)
}

impl Flow {
    pub fn new(key: Key, handle: SocketHandle, relay: Relay) -> Flow {
        Flow { key, handle, relay, pending: Vec::new(), real_done: false, closed_to_host: false }
    }

    /// Move what each side can take; `downlink_open` is false while the module has no room
    /// for more downlink (nothing more is put into smoltcp then). Returns whether anything
    /// moved, and whether the flow is over.
    pub fn pump(&mut self, sockets: &mut SocketSet<'static>, downlink_open: bool) -> (bool, bool) {
        let s = sockets.get_mut::<tcp::Socket>(self.handle);
        let mut moved = false;
        // Host → real: only what the writer task has room for.
        while s.can_recv() {
            let Some(tx) = self.relay.to_real.as_ref() else { break };
            let Ok(permit) = tx.try_reserve() else { break };
            let mut buf = vec![0u8; CHUNK];
            let n = s.recv_slice(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.truncate(n);
            permit.send(buf);
            moved = true;
        }
        let opening = matches!(s.state(), tcp::State::Listen | tcp::State::SynReceived);
        if !s.may_recv() && !opening && self.relay.to_real.is_some() {
            // The host sent FIN (or the socket closed): the real side's write half closes.
            self.relay.to_real = None;
            moved = true;
        }
        // Real → host.
        while downlink_open && !self.closed_to_host {
            if !self.pending.is_empty() {
                let n = s.send_slice(&self.pending).unwrap_or(0);
                self.pending.drain(..n);
                moved |= n > 0;
                if !self.pending.is_empty() {
                    break;
                }
            }
            if self.real_done {
                break;
            }
            match self.relay.from_real.try_recv() {
                Ok(FromReal::Data(d)) => self.pending = d,
                Ok(FromReal::Eof) => self.real_done = true,
                Ok(FromReal::Reset(why)) => {
                    warn!(host = %self.key.0, dest = %self.key.1, %why, "PPP TCP flow: the peer's connection broke: RST");
                    s.abort();
                    return (true, true);
                }
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    self.real_done = true;
                }
            }
        }
        if self.real_done && self.pending.is_empty() && !self.closed_to_host {
            s.close();
            self.closed_to_host = true;
            moved = true;
        }
        (moved, matches!(s.state(), tcp::State::Closed | tcp::State::TimeWait))
    }
}
