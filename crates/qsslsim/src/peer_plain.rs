//! The built-in peer without TLS: `qsslsim peer --proto tcp|udp`, and the plain TCP and UDP
//! echo peers `--demo` starts for the module's `AT+QIOPEN` sockets.
//!
//! Plain TCP serves the TLS peer's four modes unchanged, without the handshake. UDP has no
//! connection, so each mode is defined per datagram:
//!
//! - **echo**: every datagram goes back, unchanged, to the address and port it came from;
//! - **sink**: datagrams are counted ([`UdpCounts`], logged at info) and nothing is sent;
//! - **source**: each datagram received (any content, even empty) is answered with a burst of
//!   [`SOURCE_BURST`] datagrams of [`SOURCE_DATAGRAM`] bytes to its sender: together the first
//!   8 KiB of the a..z stream the TCP and TLS source sends. The peer sends only when asked,
//!   one burst per datagram, so a host (or the module's `UDP SERVICE`) asks for more by
//!   sending again, and nothing floods an address that never spoke;
//! - **http** is refused for UDP ([`check`]).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UdpSocket};
use tracing::{debug, info};

use crate::peer::{handle, source_block, PeerMode, Proto};

/// Bytes in each datagram of a UDP source burst.
pub const SOURCE_DATAGRAM: usize = 1024;
/// Datagrams in the burst a UDP source sends for each datagram it receives.
pub const SOURCE_BURST: usize = 8;

/// What a UDP peer has received (every mode counts).
#[derive(Debug, Default)]
pub struct UdpCounts {
    pub datagrams: AtomicU64,
    pub bytes: AtomicU64,
}

/// Whether `mode` can be served over `proto`: everything but HTTP over UDP.
pub fn check(proto: Proto, mode: PeerMode) -> Result<(), String> {
    match (proto, mode) {
        (Proto::Udp, PeerMode::Http) => {
            Err("--mode http needs a stream: use --proto tls or --proto tcp (UDP \
                                             serves echo, sink and source)"
                .into())
        }
        _ => Ok(()),
    }
}

/// Accept plain TCP connections forever, each served like a TLS one.
pub async fn serve_tcp(listener: TcpListener, mode: PeerMode) {
    loop {
        let (tcp, from) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors, say: wait instead of spinning.
                debug!(error = %e, "peer: TCP accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(async move {
            debug!(%from, ?mode, "peer: plain TCP client connected");
            let _ = handle(tcp, mode).await;
        });
    }
}

/// Serve datagrams forever (see the module doc for what each mode does).
pub async fn serve_udp(socket: UdpSocket, mode: PeerMode, counts: Arc<UdpCounts>) {
    let block = source_block();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(got) => got,
            Err(e) => {
                debug!(error = %e, "peer: UDP receive failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let datagrams = counts.datagrams.fetch_add(1, Ordering::Relaxed) + 1;
        let bytes = counts.bytes.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        match mode {
            PeerMode::Echo => reply(&socket, &buf[..n], from).await,
            PeerMode::Source => {
                for k in 0..SOURCE_BURST {
                    reply(&socket, &block[k * SOURCE_DATAGRAM..(k + 1) * SOURCE_DATAGRAM], from).await;
                }
            }
            PeerMode::Sink | PeerMode::Http => {
                info!(%from, len = n, datagrams, bytes, "peer: UDP sink received a datagram")
            }
        }
    }
}

async fn reply(socket: &UdpSocket, data: &[u8], to: SocketAddr) {
    if let Err(e) = socket.send_to(data, to).await {
        debug!(%to, error = %e, "peer: UDP send failed");
    }
}

/// `qsslsim peer --proto tcp|udp` after the common checks: bind, print `LISTENING <addr>`,
/// serve forever. Exit code 1 when the address cannot be bound.
pub async fn run(proto: Proto, listen: SocketAddr, mode: PeerMode) -> i32 {
    let bound = match proto {
        Proto::Udp => UdpSocket::bind(listen).await.map(Bound::Udp),
        _ => TcpListener::bind(listen).await.map(Bound::Tcp),
    };
    let bound = match bound {
        Ok(b) => b,
        Err(e) => {
            crate::peer::complain(&format!("qsslsim peer: cannot listen on {listen}: {e}"));
            return 1;
        }
    };
    let addr = match &bound {
        Bound::Tcp(l) => l.local_addr(),
        Bound::Udp(s) => s.local_addr(),
    };
    let addr = addr.map(|a| a.to_string()).unwrap_or_default();
    crate::peer::say(&format!("LISTENING {addr}"));
    info!(%addr, ?proto, ?mode, "peer listening");
    match bound {
        Bound::Tcp(l) => serve_tcp(l, mode).await,
        Bound::Udp(s) => serve_udp(s, mode, Arc::default()).await,
    }
    0
}

enum Bound {
    Tcp(TcpListener),
    Udp(UdpSocket),
}
