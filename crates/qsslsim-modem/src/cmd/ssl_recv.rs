//! `AT+QSSLRECV`: read buffered data in buffer access mode,
//! `+QSSLRECV: <n><CR><LF><data><CR><LF>` then `OK`.

use qsslsim_at::{Command, Kind};

use super::args::params;
use super::{AtCommand, Family, Refusal};
use crate::errors::ErrorCode;
use crate::ids::{count, int_param, SocketId};
use crate::modem::{Flow, Modem};
use crate::socket::{AccessMode, SocketState};

/// Most bytes one read returns.
pub const MAX_READ: usize = 1500;

pub enum Qsslrecv {
    Test,
    Read { id: SocketId, len: usize },
}

impl AtCommand for Qsslrecv {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qsslrecv::Test);
        }
        let p = params(cmd);
        let id = SocketId::param(p.first())?;
        let len = int_param(p.get(1), "<readlen>", 1, MAX_READ as i64)? as usize;
        count(p, 2, 2, "2")?;
        Ok(Qsslrecv::Read { id, len })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (id, len) = match self {
            Qsslrecv::Test => {
                m.info(&format!("+QSSLRECV: {},(1-{MAX_READ})", SocketId::test_form()));
                return Ok(Flow::Done);
            }
            Qsslrecv::Read { id, len } => (id, len),
        };
        super::own_family(m, id, true)?;
        let sock = m.sockets.get_mut(id);
        if !matches!(sock.state(), SocketState::Connected | SocketState::Closing) {
            let why = format!("client id {id} has no connection (state {})", sock.state().code());
            return Err(Refusal::code(ErrorCode::SocketClosed, why));
        }
        // Push and transparent sockets deliver by themselves: reading is not allowed.
        if sock.mode != AccessMode::Buffer {
            let why = format!("client id {id} is not in buffer access mode");
            return Err(Refusal::code(ErrorCode::NotAllowed, why));
        }
        // Note 2.2.4: after an abnormal close the module answers ERROR; data that came before
        // the close stays readable first (policy `recv-after-close`).
        if sock.state() == SocketState::Closing && sock.rx.is_empty() {
            let why = format!("client id {id} was closed by the network and its buffer is drained");
            return Err(Refusal::code(ErrorCode::SocketClosed, why));
        }
        let data = sock.take_rx(len);
        m.info(&format!("+QSSLRECV: {}", data.len()));
        if !data.is_empty() {
            m.raw(&data);
            m.raw(b"\r\n");
        }
        Ok(Flow::Done)
    }
}
