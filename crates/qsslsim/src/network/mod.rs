//! The network behind the module: where names and addresses lead (`--resolve`, `--route`,
//! sandbox), how a TCP stream or UDP socket is obtained ([`Connector`]), and the tasks that run
//! one socket each: a TLS or plain TCP connection, a UDP client or service, a TCP listener;
//! and the PPP data call's session ([`ppp`]).

pub mod connection;
pub mod connector;
pub mod datagram;
pub mod http;
pub mod link;
pub mod listener;
pub mod ppp;
pub mod resolve;
pub mod services;
mod tls_legacy;

pub use connection::{spawn_accepted, spawn_connection, ConnectionHandle, Reports};
pub use connector::{Connector, TcpConnector};
pub use listener::Pending;
pub use resolve::{NetMode, NetPolicy};
