//! The emulated module, with no I/O: PDP contexts, six SSL contexts, twelve sockets, the file
//! system, the module clock and the last error, driven by host bytes, network events and time
//! (see [`Modem`]). The daemon crate runs the network and the pty around it.

pub(crate) mod channels;
pub mod clock;
pub(crate) mod cmd;
pub mod config;
pub mod edrx;
pub mod errors;
pub mod escape;
pub mod event;
pub mod fault;
pub(crate) mod faults;
pub mod files;
pub mod gnss;
pub mod hex;
pub mod http;
pub mod identity;
pub mod ids;
pub mod ip_cfg;
pub mod ip_services;
mod listener;
pub mod modem;
pub mod module_cfg;
pub mod mux;
pub mod net;
pub(crate) mod net_events;
pub mod output;
pub mod pdp;
pub mod policy;
pub mod port;
pub(crate) mod port_events;
pub mod power;
pub mod ppp;
pub mod psm;
pub mod readings;
pub mod registration;
pub mod scenario;
pub mod settings;
pub mod sim;
pub mod sms;
pub mod snapshot;
pub mod socket;
pub mod ssl;
pub mod urc;
pub mod urc_queue;

pub use config::{ModemConfig, Timing};
pub use errors::ErrorCode;
pub use event::Event;
pub use fault::{Fault, LinkFault, OpenFault};
pub use identity::Identity;
pub use modem::Modem;
pub use net::{ListenRequest, NetAction, NetEvent, OpenRequest, TlsSetup, Transport};
pub use output::Output;
