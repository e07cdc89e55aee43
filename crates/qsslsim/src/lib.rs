//! The qsslsim daemon around the sans-IO module: command line, pty, network, event loop.

pub mod cli;
pub mod control;
pub mod ctl;
pub mod daemon;
pub mod host_writer;
pub mod net_port;
pub mod network;
pub mod peer;
pub mod peer_plain;
pub mod pty;
pub mod rfc2217;
pub mod runtime;
pub mod trace;
