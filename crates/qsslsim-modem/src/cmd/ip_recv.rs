//! `AT+QIRD`: read what a buffer-mode TCP/IP socket holds. `+QIRD: <n>` (a `"UDP SERVICE"`
//! adds `,"<ip>",<port>` of the datagram's sender), a line end, the bytes and a line end, then
//! `OK`; one datagram at most per read on UDP sockets. `=<id>,0` answers the receive counters
//! `+QIRD: <total>,<read>,<unread>`. `AT+QICFG="viewmode",1` puts the bytes on the header's
//! line after a comma; `"dataformat"` with receive 1 shows them as hex digits.

use qsslsim_at::{Command, Kind};

use super::args::params;
use super::{own_family, AtCommand, Family, Refusal};
use crate::errors::ErrorCode;
use crate::ids::{count, opt_int_param, SocketId};
use crate::modem::{Flow, Modem};
use crate::socket::{AccessMode, Service, SocketState};

/// Most bytes one read returns, and the default.
pub const MAX_READ: usize = 1500;

pub enum Qird {
    Test,
    Read { id: SocketId, len: usize },
    Counters(SocketId),
}

impl AtCommand for Qird {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qird::Test);
        }
        let p = params(cmd);
        count(p, 1, 2, "1 or 2")?;
        let id = SocketId::param(p.first())?;
        let len = opt_int_param(p.get(1), "<read_length>", 0, MAX_READ as i64, MAX_READ as i64)? as usize;
        Ok(if len == 0 { Qird::Counters(id) } else { Qird::Read { id, len } })
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (id, len) = match self {
            Qird::Test => {
                m.info(&format!("+QIRD: {},(0-{MAX_READ})", SocketId::test_form()));
                return Ok(Flow::Done);
            }
            Qird::Counters(id) => {
                readable(m, id)?;
                let s = m.sockets.get(id);
                m.info(&format!("+QIRD: {},{},{}", s.rx_total, s.rx_read, s.rx.len()));
                return Ok(Flow::Done);
            }
            Qird::Read { id, len } => (id, len),
        };
        readable(m, id)?;
        let sock = m.sockets.get_mut(id);
        if sock.mode != AccessMode::Buffer {
            let why = format!("id {id} is not in buffer access mode");
            return Err(Refusal::code(ErrorCode::NotAllowed, why));
        }
        // A datagram socket reads one datagram (or the part of it that is left) at a time.
        let datagram = sock.front_datagram();
        let len = datagram.map_or(len, |d| len.min(d.len));
        let service = sock.service;
        let data = sock.take_rx(len);
        let mut header = format!("+QIRD: {}", data.len());
        if let (Service::UdpService, Some(from)) = (service, datagram.and_then(|d| d.from)) {
            if !data.is_empty() {
                header.push_str(&format!(",\"{}\",{}", from.ip(), from.port()));
            }
        }
        let shown = if m.ip_cfg.hex_format().1 { crate::hex::upper(&data).into_bytes() } else { data };
        if shown.is_empty() {
            m.info(&header);
        } else if m.ip_cfg.viewmode_one_line() {
            let mut line = header.into_bytes();
            line.push(b',');
            line.extend_from_slice(&shown);
            m.info_bytes(&line);
        } else {
            m.info(&header);
            m.raw(&shown);
            m.raw(b"\r\n");
        }
        Ok(Flow::Done)
    }
}

/// Socket `id` has something `AT+QIRD` can read: a TCP/IP data socket with a connection, or
/// one the network closed (its data stays readable until `AT+QICLOSE`; once drained a read
/// answers `+QIRD: 0`, policy `qird-after-close`).
fn readable(m: &Modem, id: SocketId) -> Result<(), Refusal> {
    own_family(m, id, false)?;
    let sock = m.sockets.get(id);
    if !matches!(sock.state(), SocketState::Connected | SocketState::Closing | SocketState::HostClosing) {
        let why = format!("id {id} has no connection (state {})", sock.state().code());
        return Err(Refusal::code(ErrorCode::SocketClosed, why));
    }
    if !sock.service.carries_data() {
        return Err(Refusal::code(
            ErrorCode::NotAllowed,
            format!("id {id} is a TCP LISTENER: it carries no data"),
        ));
    }
    Ok(())
}
