//! `AT+QSSLSTATE`: one line per SSL socket that is not Initial, or for one socket. Sockets of
//! the TCP/IP family are `AT+QISTATE`'s.

use qsslsim_at::{Command, Kind};

use super::args::{params, wrong_form};
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, SocketId};
use crate::modem::{Flow, Modem};
use crate::socket::SocketState;

pub enum Qsslstate {
    Test,
    All,
    One(SocketId),
}

impl AtCommand for Qsslstate {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qsslstate::Test),
            Kind::Exec => Ok(Qsslstate::All),
            Kind::Write(_) => {
                let p = params(cmd);
                if p.len() == 2 {
                    // TinyGSM's `AT+QSSLSTATE=1,<id>` borrows AT+QISTATE's query form; the SSL
                    // note's syntax has one <clientID> (policy `qsslstate-one-client`).
                    return Err(Refusal::invalid(
                        "AT+QSSLSTATE takes one <clientID>; the two-parameter form is AT+QISTATE's (policy qsslstate-one-client)",
                    ));
                }
                let id = SocketId::param(p.first())?;
                count(p, 1, 1, "1")?;
                Ok(Qsslstate::One(id))
            }
            Kind::Read => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let ids: Vec<SocketId> = match self {
            Qsslstate::Test => return Ok(Flow::Done),
            Qsslstate::All => SocketId::all().collect(),
            Qsslstate::One(id) => vec![id],
        };
        Ok(list(m, ids, state_line))
    }
}

/// The state lines of `ids` that have one (sockets of the command's family in use), for
/// `AT+QSSLSTATE` and `AT+QISTATE`; nothing to list is a bare `OK`.
pub(crate) fn list(m: &mut Modem, ids: Vec<SocketId>, line: fn(&Modem, SocketId) -> Option<String>) -> Flow {
    for id in ids {
        if let Some(text) = line(m, id) {
            m.info(&text);
        }
    }
    Flow::Done
}

/// The `+QSSLSTATE` line of socket `id`, if it is not Initial.
pub fn state_line(m: &Modem, id: SocketId) -> Option<String> {
    let s = m.sockets.get(id);
    if s.state() == SocketState::Initial || !s.service.is_ssl() {
        return None;
    }
    // Before the name resolves the address shows as typed.
    let ip = s.remote_ip.map(|ip| ip.to_string()).unwrap_or_else(|| s.host.clone());
    Some(format!(
        "+QSSLSTATE: {id},\"SSLClient\",\"{ip}\",{},{},{},{},{id},{},\"{}\",{}",
        s.port,
        s.local_port,
        s.state().code(),
        s.pdp,
        s.mode.code(),
        m.cfg.at_port,
        s.ssl_ctx
    ))
}
