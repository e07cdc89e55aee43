//! PPP data calls (`ATD*99#`): one task per session runs the PPP server (crate `qsslsim-ppp`)
//! over the host's bytes and a user-space IP stack (smoltcp) behind it. TCP, UDP, DNS and
//! ping from the host go where `AT+QIOPEN` would take them: through the connector, so
//! `--resolve`, `--route`, the sandbox and faults apply the same way.

mod device;
pub mod dns;
pub mod packets;
mod session;
mod tcp;
mod udp;

use std::net::Ipv4Addr;
use std::sync::Arc;

use qsslsim_modem::NetEvent;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::network::connector::Connector;

/// What the module tells a session.
pub(crate) enum Cmd {
    /// Host bytes (HDLC frames).
    Data(Vec<u8>),
    /// The module wrote this much downlink to the host: as much more may come.
    Grant(usize),
}

/// The running session; dropping it ends the session at once.
pub struct PppHandle {
    pub session: u64,
    tx: mpsc::UnboundedSender<Cmd>,
    task: JoinHandle<()>,
}

impl PppHandle {
    pub fn data(&self, data: Vec<u8>) {
        let _ = self.tx.send(Cmd::Data(data));
    }
    pub fn grant(&self, bytes: usize) {
        let _ = self.tx.send(Cmd::Grant(bytes));
    }
}

impl Drop for PppHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start session `session`: the host gets `peer` and the DNS servers `dns`.
pub fn spawn(
    session: u64,
    peer: Ipv4Addr,
    dns: [Ipv4Addr; 2],
    connector: Arc<dyn Connector>,
    events: mpsc::Sender<NetEvent>,
) -> PppHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(session::run(session::Setup { session, peer, dns, connector, events }, rx));
    PppHandle { session, tx, task }
}
