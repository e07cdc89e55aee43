//! `"TCP LISTENER"` sockets: a real TCP listener on the loopback address at the module's local
//! port (policy `listen-address`). Each accepted connection waits in [`Pending`] under a
//! ticket while the module decides which connect id gets it ([`NetEvent::Incoming`], answered
//! by `Accept` or `Reject`).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::{ListenRequest, NetEvent};
use tokio::net::{TcpListener, TcpStream};
use tracing::{info, warn};

use super::connection::Reports;
use super::connector::bind_failure;
use super::ConnectionHandle;

/// Where a listener or UDP service with local port `port` is served.
pub fn listen_address(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// Accepted connections the module has not placed yet, by ticket.
#[derive(Default, Clone)]
pub struct Pending {
    inner: Arc<Mutex<(u64, HashMap<u64, TcpStream>)>>,
}

impl Pending {
    fn park(&self, stream: TcpStream) -> u64 {
        let mut inner = self.inner.lock().expect("pending lock");
        inner.0 += 1;
        let ticket = inner.0;
        inner.1.insert(ticket, stream);
        ticket
    }

    /// The connection parked under `ticket` (gone if the listener's peer already left).
    pub fn take(&self, ticket: u64) -> Option<TcpStream> {
        self.inner.lock().expect("pending lock").1.remove(&ticket)
    }
}

/// Start listener `req`; it reports `Opened` once bound, then one `Incoming` per connection.
pub fn spawn_listener(req: ListenRequest, reports: Reports, pending: Pending) -> ConnectionHandle {
    let link = req.link.clone();
    ConnectionHandle::spawn(req.conn, &link, move |_writes, _credit, _link| async move {
        let (id, conn) = (req.id, req.conn);
        let addr = listen_address(req.port);
        let bound = match req.fault {
            Some(qsslsim_modem::OpenFault::RefuseConnect) => {
                Err((OpenFailure::BindFailed, "fault refuse_connect: the bind was refused".to_string()))
            }
            _ => TcpListener::bind(addr)
                .await
                .map_err(|e| (bind_failure(&e), format!("listen on {addr} failed: {e}"))),
        };
        let listener = match bound {
            Ok(l) => l,
            Err((failure, cause)) => {
                let _ = reports.events.send(NetEvent::OpenFailed { id, conn, failure, cause }).await;
                return;
            }
        };
        let local = listener.local_addr().unwrap_or(addr);
        info!(id, %local, "listener bound");
        let _ =
            reports.events.send(NetEvent::Opened { id, conn, remote: local, local_port: local.port() }).await;
        loop {
            match listener.accept().await {
                Ok((stream, remote)) => {
                    let ticket = pending.park(stream);
                    if reports.events.send(NetEvent::Incoming { id, conn, ticket, remote }).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    warn!(id, error = %e, "accept failed; the listener goes on");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    })
}
