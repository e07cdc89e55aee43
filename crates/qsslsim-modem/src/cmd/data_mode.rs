//! Moving a connection between command mode and its data modes: `+++` and DTR out of
//! transparent mode, `ATO` and `AT+QISWTMD` back in, and switching between buffer and push.

use qsslsim_at::{Command, Kind, ResultCode};

use super::args::{fail, int_in, invalid, params};
use crate::errors;
use crate::modem::{Flow, Modem, Port, Reply};
use crate::net::NetAction;
use crate::socket::{AccessMode, SocketState};

/// `+++` or DTR: back to command mode, the connection kept, now in buffer mode.
pub fn leave_transparent(m: &mut Modem, id: u8) {
    m.enter_command();
    let sock = &mut m.sockets[id as usize];
    sock.mode = AccessMode::Buffer;
    sock.recv_urc_armed = sock.rx.is_empty();
    m.final_result(ResultCode::Ok);
}

/// The host dropped DTR (pin low→high): per `AT&D`, ignore, leave data mode, or close.
pub fn on_dtr_drop(m: &mut Modem) {
    let Port::Transparent { id, .. } = m.port else { return };
    match m.dtr_mode {
        1 => leave_transparent(m, id),
        2 => {
            let conn = m.sockets[id as usize].conn;
            m.net(NetAction::Abort { id, conn });
            super::ssl_close::release(m, id);
            m.enter_command();
            m.final_result(ResultCode::NoCarrier);
        }
        _ => {}
    }
}

/// `ATO`: return to the last transparent connection, or `NO CARRIER`.
pub fn ato(m: &mut Modem, cmd: &Command) -> Reply {
    if !matches!(&cmd.kind, Kind::Exec) && super::args::basic_value(cmd) != Some(0) {
        return Err(ResultCode::Error);
    }
    match m.last_transparent {
        Some(id) if m.sockets[id as usize].state == SocketState::Connected => {
            m.enter_transparent(id);
            Ok(Flow::Suspend)
        }
        _ => Ok(Flow::Final(ResultCode::NoCarrier)),
    }
}

/// `AT+QISWTMD=<id>,<mode>`.
pub fn qiswtmd(m: &mut Modem, cmd: &Command) -> Reply {
    if cmd.kind == Kind::Test {
        m.info("+QISWTMD: (0-11),(0-2)");
        return Ok(Flow::Done);
    }
    let p = params(cmd);
    let (Some(id), Some(mode), 2) = (int_in(p.first(), 0, 11), int_in(p.get(1), 0, 2), p.len()) else {
        return Err(invalid(m));
    };
    let id = id as u8;
    if m.sockets[id as usize].state != SocketState::Connected {
        return Err(fail(m, errors::SOCKET_CLOSED));
    }
    m.last_error = errors::OK;
    let sock = &mut m.sockets[id as usize];
    match AccessMode::from_code(mode).expect("range checked") {
        AccessMode::Buffer => {
            sock.mode = AccessMode::Buffer;
            if !sock.rx.is_empty() && sock.recv_urc_armed {
                sock.recv_urc_armed = false;
                m.urc(&format!("+QSSLURC: \"recv\",{id}"));
            }
            Ok(Flow::Done)
        }
        AccessMode::Push => {
            sock.mode = AccessMode::Push;
            if !sock.rx.is_empty() {
                m.urc_push(id);
            }
            Ok(Flow::Done)
        }
        AccessMode::Transparent => {
            m.enter_transparent(id);
            Ok(Flow::Suspend)
        }
    }
}
