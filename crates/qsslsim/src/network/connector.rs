//! How a socket gets its byte stream: [`TcpConnector`] resolves, routes and dials real TCP;
//! tests substitute in-memory streams through the same trait.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use qsslsim_modem::errors::OpenFailure;
use tokio::io::{AsyncRead, AsyncWrite};

use super::resolve::NetPolicy;

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

pub trait Connector: Send + Sync + 'static {
    fn connect(
        &self,
        host: String,
        port: u16,
        dns_usable: bool,
    ) -> Pin<Box<dyn Future<Output = ConnectResult> + Send>>;

    /// The name and address rules the IP services (lookup, ping, NTP) go through; the
    /// default is the sandbox with no rules (loopback and `localhost` only).
    fn net_policy(&self) -> Arc<NetPolicy> {
        Arc::new(NetPolicy::default())
    }
}

/// Real TCP through [`NetPolicy`].
pub struct TcpConnector {
    pub policy: Arc<NetPolicy>,
}

impl Connector for TcpConnector {
    fn connect(
        &self,
        host: String,
        port: u16,
        dns_usable: bool,
    ) -> Pin<Box<dyn Future<Output = ConnectResult> + Send>> {
        let policy = self.policy.clone();
        Box::pin(async move {
            let dest = policy.destination(&host, port, dns_usable).await?;
            let stream = tokio::net::TcpStream::connect(dest.dial).await.map_err(|e| {
                (OpenFailure::ConnectFailed, format!("TCP connect to {} failed: {e}", dest.dial))
            })?;
            let _ = stream.set_nodelay(true);
            let local_port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
            Ok(Connected { stream: Box::new(stream), reported: dest.reported, local_port })
        })
    }

    fn net_policy(&self) -> Arc<NetPolicy> {
        self.policy.clone()
    }
}
