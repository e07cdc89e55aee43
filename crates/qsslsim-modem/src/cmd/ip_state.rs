//! `AT+QISTATE`: the TCP/IP family's sockets, all of them (`AT+QISTATE?` or `AT+QISTATE`),
//! those of one PDP context (`=0,<contextID>`) or one (`=1,<connectID>`). Nothing to list
//! answers a bare `OK`. SSL clients are `AT+QSSLSTATE`'s.

use qsslsim_at::{Command, Kind};

use super::args::params;
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, int_param, PdpCtxId, SocketId};
use crate::modem::{Flow, Modem};
use crate::socket::{Service, SocketState};

pub enum Qistate {
    Test,
    All,
    Context(PdpCtxId),
    One(SocketId),
}

impl AtCommand for Qistate {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qistate::Test),
            Kind::Exec | Kind::Read => Ok(Qistate::All),
            Kind::Write(_) => {
                let p = params(cmd);
                count(p, 2, 2, "2")?;
                match int_param(p.first(), "<query_type>", 0, 1)? {
                    0 => Ok(Qistate::Context(PdpCtxId::param(p.get(1))?)),
                    _ => Ok(Qistate::One(SocketId::param(p.get(1))?)),
                }
            }
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let ids: Vec<SocketId> = match self {
            Qistate::Test => return Ok(Flow::Done),
            Qistate::All => SocketId::all().collect(),
            Qistate::Context(ctx) => SocketId::all().filter(|&id| m.sockets.get(id).pdp == ctx).collect(),
            Qistate::One(id) => vec![id],
        };
        Ok(super::ssl_state::list(m, ids, state_line))
    }
}

/// The `+QISTATE` line of socket `id`, if it is a TCP/IP socket in use.
/// `<IP_address>`: the server (clients), the sender (incoming), the module's own address
/// (listener, UDP SERVICE: the maker's notes, and a hardware capture). `<serverID>`: the
/// listener for an incoming connection, else the socket's own id (policy `qistate-server-id`).
pub fn state_line(m: &Modem, id: SocketId) -> Option<String> {
    let s = m.sockets.get(id);
    if s.state() == SocketState::Initial || s.service.is_ssl() {
        return None;
    }
    let typed = || s.remote_ip.map(|ip| ip.to_string()).unwrap_or_else(|| s.host.clone());
    let (ip, remote_port, server) = match s.service {
        Service::TcpListener => (crate::pdp::local_address(s.pdp), 0, id),
        Service::UdpService => (crate::pdp::local_address(s.pdp), s.port, id),
        Service::TcpIncoming { server } => (typed(), s.port, server),
        _ => (typed(), s.port, id),
    };
    Some(format!(
        "+QISTATE: {id},\"{}\",\"{ip}\",{remote_port},{},{},{},{server},{},\"{}\"",
        s.service.name(),
        s.local_port,
        s.state().code(),
        s.pdp,
        s.mode.code(),
        m.cfg.at_port
    ))
}
