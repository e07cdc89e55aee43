//! The network behind the module: where names and addresses lead (`--resolve`, `--route`,
//! sandbox), how a TCP stream is obtained ([`Connector`]), and the task that runs one TLS
//! connection for one socket.

pub mod connection;
pub mod connector;
pub mod link;
pub mod resolve;
pub mod services;
mod tls_legacy;

pub use connection::{spawn_connection, ConnectionHandle, Reports};
pub use connector::{Connector, TcpConnector};
pub use resolve::{NetMode, NetPolicy};
