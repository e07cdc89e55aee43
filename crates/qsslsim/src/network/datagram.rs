//! UDP sockets: a `"UDP"` client connected to one destination, and a `"UDP SERVICE"` bound to
//! a local port that talks to anyone. Each datagram is one event to the module (with its
//! sender for a service) and is delivered only once the module has granted room for all of it,
//! so datagrams are never cut. Each send is one datagram; a longer transparent-mode chunk is
//! split at [`MAX_DATAGRAM`] bytes (policy `udp-datagram-size`).

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use qsslsim_modem::errors::OpenFailure;
use qsslsim_modem::{ListenRequest, NetEvent, OpenRequest};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use super::connection::{before_connect, Credit, Reports, WriteCmd};
use super::connector::{bind_failure, Connector};
use super::link::{DatagramFate, End, Link};

/// Where this socket's datagrams went (routed address -> the address the host named), so a
/// reply is reported from the address the host sent to even when several routes share a
/// target.
type Peers = Arc<std::sync::Mutex<std::collections::HashMap<SocketAddr, SocketAddr>>>;

/// Largest datagram one send makes.
pub const MAX_DATAGRAM: usize = 1460;

/// A `"UDP"` client.
pub(super) async fn run_client(
    req: OpenRequest,
    connector: Arc<dyn Connector>,
    reports: Reports,
    write_rx: mpsc::UnboundedReceiver<WriteCmd>,
    credit: Arc<Credit>,
    link: Arc<Link>,
) {
    let (id, conn) = (req.id, req.conn);
    let fail = |failure: OpenFailure, cause: String| NetEvent::OpenFailed { id, conn, failure, cause };
    if !before_connect(&req, &reports.events).await {
        return;
    }
    let udp = match connector.udp(req.host.clone(), req.port, req.dns_usable, req.local_port).await {
        Ok(u) => u,
        Err((failure, cause)) => {
            let _ = reports.events.send(fail(failure, cause)).await;
            return;
        }
    };
    let opened = NetEvent::Opened { id, conn, remote: udp.reported, local_port: udp.local_port };
    let _ = reports.events.send(opened).await;
    serve(Arc::new(udp.socket), false, id, conn, connector, reports, write_rx, credit, link).await;
}

/// A `"UDP SERVICE"` on the loopback address at the module's local port.
pub fn spawn_service(
    req: ListenRequest,
    connector: Arc<dyn Connector>,
    reports: Reports,
) -> super::ConnectionHandle {
    let link = req.link.clone();
    super::ConnectionHandle::spawn(req.conn, &link, move |write_rx, credit, link| async move {
        let (id, conn) = (req.id, req.conn);
        let bound = match req.fault {
            Some(qsslsim_modem::OpenFault::RefuseConnect) => {
                Err((OpenFailure::BindFailed, "fault refuse_connect: the bind was refused".to_string()))
            }
            _ => UdpSocket::bind(super::listener::listen_address(req.port)).await.map_err(|e| {
                (
                    bind_failure(&e),
                    format!("UDP bind to {} failed: {e}", super::listener::listen_address(req.port)),
                )
            }),
        };
        let socket = match bound {
            Ok(s) => s,
            Err((failure, cause)) => {
                let _ = reports.events.send(NetEvent::OpenFailed { id, conn, failure, cause }).await;
                return;
            }
        };
        let local = socket.local_addr().unwrap_or_else(|_| super::listener::listen_address(req.port));
        let _ =
            reports.events.send(NetEvent::Opened { id, conn, remote: local, local_port: local.port() }).await;
        serve(Arc::new(socket), true, id, conn, connector, reports, write_rx, credit, link).await;
    })
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    socket: Arc<UdpSocket>,
    service: bool,
    id: u8,
    conn: u64,
    connector: Arc<dyn Connector>,
    reports: Reports,
    mut write_rx: mpsc::UnboundedReceiver<WriteCmd>,
    credit: Arc<Credit>,
    link: Arc<Link>,
) {
    let sent_to = Peers::default();
    let reader = tokio::spawn(read_loop(
        socket.clone(),
        connector.clone(),
        sent_to.clone(),
        service,
        id,
        conn,
        reports.events.clone(),
        credit,
        link.clone(),
    ));
    let _reader = AbortOnDrop(reader);
    while let Some(cmd) = write_rx.recv().await {
        let (dest, data) = match cmd {
            WriteCmd::Data(data) => (None, data),
            WriteCmd::DataTo(host, port, data) => (Some((host, port)), data),
            WriteCmd::Close(_) => {
                let _ = reports.events.send(NetEvent::Closed { id, conn }).await;
                return;
            }
        };
        let n = data.len();
        link.delay(n).await;
        let to = match dest {
            None => None,
            Some((host, port)) => match connector.destination(host.clone(), port, true).await {
                Ok(d) => {
                    // A reply from there names the address this socket sent to.
                    sent_to.lock().expect("sent_to lock").insert(d.dial, d.reported);
                    Some(d.dial)
                }
                Err((_, cause)) => {
                    warn!(id, %host, port, %cause, bytes = n, "UDP SERVICE datagram not sent: no route");
                    let _ = reports.acks.send(NetEvent::Sent { id, conn, bytes: n });
                    continue;
                }
            },
        };
        for chunk in data.chunks(MAX_DATAGRAM) {
            let sent = match to {
                Some(addr) => socket.send_to(chunk, addr).await,
                None => socket.send(chunk).await,
            };
            if let Err(e) = sent {
                // A datagram the network refused is lost, as UDP loses them; the log says so.
                warn!(id, bytes = chunk.len(), error = %e, "UDP datagram not sent");
            }
        }
        if reports.acks.send(NetEvent::Sent { id, conn, bytes: n }).is_err() {
            return;
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn read_loop(
    socket: Arc<UdpSocket>,
    peers: Arc<dyn Connector>,
    sent_to: Peers,
    service: bool,
    id: u8,
    conn: u64,
    events: mpsc::Sender<NetEvent>,
    credit: Arc<Credit>,
    link: Arc<Link>,
) {
    let mut buf = vec![0u8; 65536];
    let mut held: Option<(SocketAddr, Vec<u8>)> = None;
    let cause = loop {
        match link.ending() {
            Some(End::Closed) => break "fault server_close: the UDP socket was closed".to_string(),
            Some(End::Reset) => break "fault connection_reset: the UDP socket was reset".to_string(),
            None => {}
        }
        if link.wait_if_stalled().await {
            continue;
        }
        if credit.wait_for(1, &link).await.is_none() {
            continue;
        }
        let (n, from): (usize, SocketAddr) = tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok(got) => got,
                // A connected UDP socket reports an ICMP refusal as an error: nothing listens
                // there yet. Datagrams may still come later.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
                Err(e) => break format!("UDP receive failed: {e}"),
            },
            _ = link.changed.notified() => continue,
        };
        // A sender the host reached through --route shows under the address the host used.
        let known = sent_to.lock().expect("sent_to lock").get(&from).copied();
        let from = known.unwrap_or_else(|| peers.reported_peer(from));
        let data = buf[..n].to_vec();
        let copies = match link.datagram_fate() {
            DatagramFate::Deliver => vec![(from, data)],
            DatagramFate::Lose => {
                warn!(id, bytes = n, %from, "fault datagram_loss: datagram lost");
                continue;
            }
            DatagramFate::Duplicate => {
                info!(id, bytes = n, %from, "fault datagram_duplicate: datagram delivered twice");
                vec![(from, data.clone()), (from, data)]
            }
            DatagramFate::HoldForSwap => {
                info!(id, bytes = n, %from, "fault datagram_reorder: datagram held for the next one");
                held = Some((from, data));
                continue;
            }
        };
        // A datagram held for a swap goes right after the one that overtook it.
        for (from, data) in copies.into_iter().chain(held.take()) {
            if !deliver(&events, &credit, &link, service, id, conn, from, data).await {
                return;
            }
        }
    };
    debug!(id, conn, %cause, "UDP reader finished");
    let _ = events.send(NetEvent::RemoteClosed { id, conn, cause }).await;
}

/// Hand one datagram to the module once it has granted room for all of it; false if the module
/// is gone.
#[allow(clippy::too_many_arguments)]
async fn deliver(
    events: &mpsc::Sender<NetEvent>,
    credit: &Credit,
    link: &Link,
    service: bool,
    id: u8,
    conn: u64,
    from: SocketAddr,
    data: Vec<u8>,
) -> bool {
    let n = data.len();
    // The whole datagram must fit what the module granted.
    while credit.bytes.load(Ordering::SeqCst) < n {
        let _ = credit.wait_for(n, link).await;
    }
    link.delay(n).await;
    credit.bytes.fetch_sub(n, Ordering::SeqCst);
    let ev =
        if service { NetEvent::Datagram { id, conn, from, data } } else { NetEvent::Data { id, conn, data } };
    events.send(ev).await.is_ok()
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
