//! `AT+QISEND` (variable length ended by Ctrl+Z, fixed length, a `"UDP SERVICE"` datagram to
//! an address, and `=<id>,0` for the send counters) and `AT+QISENDEX` (the payload as a hex
//! string, no prompt). The prompt and what ends it are shared with `AT+QSSLSEND`
//! ([`super::ssl_send`]).

use qsslsim_at::{Command, Kind, ResultCode};

use super::args::params;
use super::ssl_send::{counters, deliver, sent_ok};
use super::{own_family, AtCommand, Family, Refusal};
use crate::errors::ErrorCode;
use crate::ids::{count, int_param, string_param, ParamError, SocketId};
use crate::modem::{Flow, Modem, Port};
use crate::port::{Prompt, MAX_SEND};
use crate::socket::{AccessMode, Service, SocketState};

/// Longest `AT+QISENDEX` hex string (256 bytes).
const MAX_HEX_CHARS: usize = 512;

pub enum Qisend {
    Test,
    Send { id: SocketId, fixed: Option<usize>, dest: Option<(String, u16)> },
    Counters(SocketId),
}

impl AtCommand for Qisend {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qisend::Test);
        }
        let p = params(cmd);
        count(p, 1, 4, "1, 2 or 4")?;
        let id = SocketId::param(p.first())?;
        let fixed = match p.get(1) {
            None => None,
            some => Some(int_param(some, "<send_length>", 0, MAX_SEND as i64)? as usize),
        };
        if fixed == Some(0) && p.len() == 2 {
            return Ok(Qisend::Counters(id));
        }
        let dest = match p.len() {
            4 => {
                let ip = string_param(p.get(2), "<remoteIP>")?;
                if ip.parse::<std::net::IpAddr>().is_err() {
                    return Err(
                        ParamError::BadString { name: "<remoteIP>", rule: "must be an IP address" }.into()
                    );
                }
                let port = int_param(p.get(3), "<remote_port>", 1, 65535)? as u16;
                if fixed == Some(0) {
                    return Err(Refusal::invalid("<send_length> 0 with a remote address"));
                }
                Some((ip.to_string(), port))
            }
            3 => return Err(ParamError::Count { got: 3, allowed: "1, 2 or 4" }.into()),
            _ => None,
        };
        Ok(Qisend::Send { id, fixed, dest })
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (id, fixed, dest) = match self {
            Qisend::Test => {
                m.info(&format!("+QISEND: {},(0-{MAX_SEND})", SocketId::test_form()));
                return Ok(Flow::Done);
            }
            Qisend::Counters(id) => {
                own_family(m, id, false)?;
                return counters(m, id, "+QISEND");
            }
            Qisend::Send { id, fixed, dest } => (id, fixed, dest),
        };
        sendable(m, id)?;
        let service = m.sockets.get(id).service;
        match (service, &dest, fixed) {
            (Service::UdpService, None, _) => {
                let why = format!(
                    "id {id} is a UDP SERVICE: a send names <send_length>, <remoteIP> and <remote_port>"
                );
                return Err(Refusal::invalid(why));
            }
            (Service::UdpService, Some(_), _) => {}
            (_, Some(_), _) => {
                let why = format!(
                    "id {id} is a {} socket: only a UDP SERVICE takes a remote address",
                    service.name()
                );
                return Err(Refusal::invalid(why));
            }
            _ => {}
        }
        m.raw(b"\r\n> ");
        m.out.finish_write();
        let mut prompt = Prompt::new(id, fixed);
        prompt.command = "AT+QISEND";
        prompt.dest = dest;
        prompt.echo = m.ip_cfg.send_echo;
        m.port = Port::SendPrompt(prompt);
        Ok(Flow::Suspend)
    }
}

/// Socket `id` can take payload from the host now: a connected TCP/IP data socket outside
/// transparent mode.
fn sendable(m: &Modem, id: SocketId) -> Result<(), Refusal> {
    own_family(m, id, false)?;
    let sock = m.sockets.get(id);
    if !sock.service.carries_data() {
        return Err(Refusal::code(
            ErrorCode::NotAllowed,
            format!("id {id} is a TCP LISTENER: it carries no data"),
        ));
    }
    if sock.state() != SocketState::Connected {
        let why = format!("id {id} is not connected (state {})", sock.state().code());
        return Err(Refusal::code(ErrorCode::SocketClosed, why));
    }
    if sock.mode == AccessMode::Transparent {
        return Err(Refusal::code(ErrorCode::SocketClosed, format!("id {id} is in transparent mode")));
    }
    Ok(())
}

pub enum Qisendex {
    Test,
    Send { id: SocketId, data: Vec<u8> },
}

impl AtCommand for Qisendex {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qisendex::Test);
        }
        let p = params(cmd);
        count(p, 2, 2, "2")?;
        let id = SocketId::param(p.first())?;
        let hex = string_param(p.get(1), "<hex_string>")?;
        if hex.is_empty() || hex.len() > MAX_HEX_CHARS || !hex.len().is_multiple_of(2) {
            let rule = "must have an even number of hex digits, 2 to 512";
            return Err(ParamError::BadString { name: "<hex_string>", rule }.into());
        }
        let data = crate::hex::decode(hex)
            .ok_or(ParamError::BadString { name: "<hex_string>", rule: "must hold hex digits only" })?;
        Ok(Qisendex::Send { id, data })
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (id, data) = match self {
            Qisendex::Test => {
                m.info(&format!("+QISENDEX: {},<hex_string>", SocketId::test_form()));
                return Ok(Flow::Done);
            }
            Qisendex::Send { id, data } => (id, data),
        };
        sendable(m, id)?;
        if m.sockets.get(id).service == Service::UdpService {
            let why = format!("id {id} is a UDP SERVICE: AT+QISENDEX has no remote address");
            return Err(Refusal::code(ErrorCode::NotAllowed, why));
        }
        let result = deliver(m, id, data, None)?;
        if result == ResultCode::SendOk {
            sent_ok(m, id);
        }
        Ok(Flow::Final(result))
    }
}
