//! How a socket gets its transport: [`TcpConnector`] resolves, routes and dials real TCP, and
//! opens UDP sockets through the same mapping; tests substitute in-memory streams through the
//! same trait (UDP and local ports then fall back to the defaults below).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use qsslsim_modem::errors::OpenFailure;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpSocket, UdpSocket};

use super::resolve::{Destination, NetPolicy};

pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// A TCP-level connection, before TLS.
pub struct Connected {
    pub stream: Box<dyn Stream>,
    /// The address the module reports (resolved, before routing).
    pub reported: SocketAddr,
    pub local_port: u16,
}

pub type ConnectResult = Result<Connected, (OpenFailure, String)>;
pub type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A UDP socket connected to one destination.
pub struct ConnectedUdp {
    pub socket: UdpSocket,
    pub reported: SocketAddr,
    pub local_port: u16,
}

pub trait Connector: Send + Sync + 'static {
    fn connect(&self, host: String, port: u16, dns_usable: bool) -> Boxed<ConnectResult>;

    /// [`Self::connect`] from a given local port (0: any). Connectors that cannot choose
    /// their local port ignore it.
    fn connect_from(
        &self,
        host: String,
        port: u16,
        dns_usable: bool,
        _local_port: u16,
    ) -> Boxed<ConnectResult> {
        self.connect(host, port, dns_usable)
    }

    /// Where a datagram to `host`:`port` goes. Without a resolver only IP literals, unrouted.
    fn destination(
        &self,
        host: String,
        port: u16,
        _dns_usable: bool,
    ) -> Boxed<Result<Destination, (OpenFailure, String)>> {
        Box::pin(async move {
            let ip =
                host.parse().map_err(|_| (OpenFailure::DnsFailed, format!("{host} is not an address")))?;
            let addr = SocketAddr::new(ip, port);
            Ok(Destination { reported: addr, dial: addr })
        })
    }

    /// A UDP socket bound to `local_port` (0: any) and connected to `host`:`port`.
    fn udp(
        &self,
        host: String,
        port: u16,
        dns_usable: bool,
        local_port: u16,
    ) -> Boxed<Result<ConnectedUdp, (OpenFailure, String)>> {
        let dest = self.destination(host, port, dns_usable);
        Box::pin(async move {
            let dest = dest.await?;
            let bind = if dest.dial.is_ipv6() { "[::]" } else { "0.0.0.0" };
            let socket = UdpSocket::bind(format!("{bind}:{local_port}")).await.map_err(|e| {
                (bind_failure(&e), format!("UDP bind to local port {local_port} failed: {e}"))
            })?;
            socket.connect(dest.dial).await.map_err(|e| {
                (OpenFailure::ConnectFailed, format!("UDP connect to {} failed: {e}", dest.dial))
            })?;
            let local_port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
            Ok(ConnectedUdp { socket, reported: dest.reported, local_port })
        })
    }
    /// The name and address rules the IP services (lookup, ping, NTP) go through; the
    /// default is the sandbox with no rules (loopback and `localhost` only).
    fn net_policy(&self) -> Arc<NetPolicy> {
        Arc::new(NetPolicy::default())
    }
}

/// The failure a refused bind reports: 574 for a port in use, 556 otherwise.
pub fn bind_failure(e: &std::io::Error) -> OpenFailure {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        OpenFailure::PortBusy
    } else {
        OpenFailure::BindFailed
    }
}

/// Real TCP through [`NetPolicy`].
pub struct TcpConnector {
    pub policy: Arc<NetPolicy>,
}

impl Connector for TcpConnector {
    fn connect(&self, host: String, port: u16, dns_usable: bool) -> Boxed<ConnectResult> {
        self.connect_from(host, port, dns_usable, 0)
    }

    fn connect_from(
        &self,
        host: String,
        port: u16,
        dns_usable: bool,
        local_port: u16,
    ) -> Boxed<ConnectResult> {
        let policy = self.policy.clone();
        Box::pin(async move {
            let dest = policy.destination(&host, port, dns_usable).await?;
            let fail = |e: std::io::Error| {
                (OpenFailure::ConnectFailed, format!("TCP connect to {} failed: {e}", dest.dial))
            };
            let stream = if local_port == 0 {
                tokio::net::TcpStream::connect(dest.dial).await.map_err(fail)?
            } else {
                let socket = if dest.dial.is_ipv6() { TcpSocket::new_v6() } else { TcpSocket::new_v4() }
                    .map_err(fail)?;
                let bind = SocketAddr::new(
                    if dest.dial.is_ipv6() { "::".parse().unwrap() } else { "0.0.0.0".parse().unwrap() },
                    local_port,
                );
                socket.bind(bind).map_err(|e| {
                    (bind_failure(&e), format!("TCP bind to local port {local_port} failed: {e}"))
                })?;
                socket.connect(dest.dial).await.map_err(fail)?
            };
            let _ = stream.set_nodelay(true);
            let local_port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
            Ok(Connected { stream: Box::new(stream), reported: dest.reported, local_port })
        })
    }

    fn destination(
        &self,
        host: String,
        port: u16,
        dns_usable: bool,
    ) -> Boxed<Result<Destination, (OpenFailure, String)>> {
        let policy = self.policy.clone();
        Box::pin(async move { policy.destination(&host, port, dns_usable).await })
    }

    fn net_policy(&self) -> Arc<NetPolicy> {
        self.policy.clone()
    }
}
