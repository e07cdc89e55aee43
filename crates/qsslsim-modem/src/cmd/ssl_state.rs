//! `AT+QSSLSTATE`: one line per open socket, or for one socket.

use qsslsim_at::{Command, Kind};

use super::args::{int_in, invalid, params};
use crate::modem::{Flow, Modem, Reply};
use crate::socket::SocketState;

pub fn qsslstate(m: &mut Modem, cmd: &Command) -> Reply {
    let ids: Vec<u8> = match &cmd.kind {
        Kind::Test => return Ok(Flow::Done),
        Kind::Exec => (0..m.sockets.len() as u8).collect(),
        Kind::Write(_) => {
            let p = params(cmd);
            match int_in(p.first(), 0, 11) {
                Some(id) if p.len() == 1 => vec![id as u8],
                _ => return Err(invalid(m)),
            }
        }
        Kind::Read => return Err(invalid(m)),
    };
    for id in ids {
        if let Some(line) = state_line(m, id) {
            m.info(&line);
        }
    }
    Ok(Flow::Done)
}

/// The `+QSSLSTATE` line of socket `id`, if it is not Initial.
pub fn state_line(m: &Modem, id: u8) -> Option<String> {
    let s = &m.sockets[id as usize];
    if s.state == SocketState::Initial {
        return None;
    }
    // Before the name resolves the address shows as typed.
    let ip = s.remote_ip.map(|ip| ip.to_string()).unwrap_or_else(|| s.host.clone());
    Some(format!(
        "+QSSLSTATE: {id},\"SSLClient\",\"{ip}\",{},{},{},{},{id},{},\"{}\",{}",
        s.port,
        s.local_port,
        s.state.code(),
        s.pdp,
        s.mode.code(),
        m.cfg.at_port,
        s.ssl_ctx
    ))
}
