//! A sans-IO PPP server, the module's side of a dial-up data call: RFC 1662 framing
//! ([`hdlc`]), LCP (RFC 1661), authentication as the module accepts it (PAP or CHAP-MD5,
//! any credentials), and IPCP (RFC 1332) with DNS addresses (RFC 1877). Bytes from the host go
//! in with [`Server::input`]; bytes for the host, IPv4 packets up and events come out of the
//! `poll_*` methods; IPv4 packets down go in with [`Server::send_ip`]. Time is a tick the
//! caller gives once a second ([`Server::tick`]).

pub mod hdlc;
pub mod negotiate;
pub mod packet;

mod auth;
mod ipcp;
mod lcp;
mod server;

pub use server::{Auth, Config, End, Event, Server};
