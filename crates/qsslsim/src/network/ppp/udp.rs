//! UDP through a PPP session: each (host port, destination) is one flow with a real UDP
//! socket from the connector (mapped like `AT+QIOPEN`'s `"UDP"`); replies come back as
//! datagrams from the destination the host used.

use std::net::SocketAddrV4;
use std::sync::Arc;

use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tracing::warn;

use crate::network::connector::Connector;

/// A reply for the host: from `from` to `to`.
pub struct Reply {
    pub from: SocketAddrV4,
    pub to: SocketAddrV4,
    pub data: Vec<u8>,
}

/// Datagrams queued for one flow before its socket is ready or while it sends.
const QUEUE: usize = 64;

pub struct Flow {
    tx: mpsc::Sender<Vec<u8>>,
    task: JoinHandle<()>,
}

impl Drop for Flow {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Flow {
    /// A flow from `host` to `dest`; replies go to `back`.
    pub fn start(
        host: SocketAddrV4,
        dest: SocketAddrV4,
        connector: Arc<dyn Connector>,
        back: mpsc::Sender<Reply>,
        wake: Arc<Notify>,
        notes: mpsc::UnboundedSender<String>,
    ) -> Flow {
        let (tx, mut rx) = mpsc::channel::<Vec<u8>>(QUEUE);
        let task = tokio::spawn(async move {
            let sock = match connector.udp(dest.ip().to_string(), dest.port(), true, 0).await {
                Ok(s) => s.socket,
                Err((_, why)) => {
                    warn!(%host, %dest, %why, "PPP UDP flow: no socket; its datagrams are dropped");
                    let _ = notes.send(format!("UDP {host} -> {dest}: no socket, datagrams dropped: {why}"));
                    return;
                }
            };
            let mut buf = vec![0u8; 65536];
            loop {
                tokio::select! {
                    d = rx.recv() => match d {
                        Some(d) => { let _ = sock.send(&d).await; }
                        None => return,
                    },
                    // An error is an ICMP unreachable for an earlier datagram: go on.
                    r = sock.recv(&mut buf) => if let Ok(n) = r {
                        if back.send(Reply { from: dest, to: host, data: buf[..n].to_vec() }).await.is_err() {
                            return;
                        }
                        wake.notify_one();
                    },
                }
            }
        });
        Flow { tx, task }
    }

    /// Queue a datagram; dropped if the queue is full (UDP may lose datagrams).
    pub fn send(&self, data: Vec<u8>) {
        let _ = self.tx.try_send(data);
    }
}
