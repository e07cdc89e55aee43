//! `AT+QSSLRECV`: read buffered data in buffer access mode,
//! `+QSSLRECV: <n><CR><LF><data><CR><LF>` then `OK`.

use qsslsim_at::{Command, Kind};

use super::args::{fail, int_in, invalid, params};
use crate::errors;
use crate::modem::{Flow, Modem, Reply};
use crate::socket::{AccessMode, SocketState};

pub const MAX_READ: usize = 1500;

pub fn qsslrecv(m: &mut Modem, cmd: &Command) -> Reply {
    if cmd.kind == Kind::Test {
        m.info(&format!("+QSSLRECV: (0-11),(1-{MAX_READ})"));
        return Ok(Flow::Done);
    }
    let p = params(cmd);
    let (Some(id), Some(len)) = (int_in(p.first(), 0, 11), int_in(p.get(1), 1, MAX_READ as i64)) else {
        return Err(invalid(m));
    };
    if p.len() != 2 {
        return Err(invalid(m));
    }
    let sock = &mut m.sockets[id as usize];
    if !matches!(sock.state, SocketState::Connected | SocketState::Closing) {
        return Err(fail(m, errors::SOCKET_CLOSED));
    }
    // Push and transparent sockets deliver by themselves: reading is not allowed.
    if sock.mode != AccessMode::Buffer {
        return Err(fail(m, errors::NOT_ALLOWED));
    }
    let data = sock.take_rx(len as usize);
    let n = data.len();
    m.info(&format!("+QSSLRECV: {n}"));
    if n > 0 {
        m.raw(&data);
        m.raw(b"\r\n");
    }
    m.last_error = errors::OK;
    Ok(Flow::Done)
}
