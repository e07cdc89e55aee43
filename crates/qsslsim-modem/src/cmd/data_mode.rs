//! Commands that move a connection between command mode and its data modes: `ATO` back into
//! transparent mode, and `AT+QISWTMD` between buffer, push and transparent. Leaving transparent
//! mode (`+++`, DTR) is a port event: see [`crate::port_events`].

use qsslsim_at::{Command, Kind, ResultCode};

use super::args::{basic_value, params};
use super::{AtCommand, Family, Refusal};
use crate::errors::ErrorCode;
use crate::ids::{count, int_param, SocketId};
use crate::modem::{Flow, Modem};
use crate::socket::{AccessMode, SocketState};
use crate::urc::Urc;

/// `ATO`: return to the last transparent connection, or `NO CARRIER`.
pub struct Ato;

impl AtCommand for Ato {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        basic_value(cmd, 0).map(|_| Ato)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if crate::ppp::resume(m) {
            return Ok(Flow::Suspend);
        }
        match m.last_transparent {
            Some(id) if m.sockets.state(id) == SocketState::Connected => {
                tracing::info!(%id, "ATO: back to transparent mode");
                m.enter_transparent(id);
                Ok(Flow::Suspend)
            }
            _ => {
                tracing::info!("ATO: no connection to return to: NO CARRIER");
                Ok(Flow::Final(ResultCode::NoCarrier))
            }
        }
    }
}

pub enum Qiswtmd {
    Test,
    Switch { id: SocketId, mode: AccessMode },
}

impl AtCommand for Qiswtmd {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qiswtmd::Test);
        }
        let p = params(cmd);
        let id = SocketId::param(p.first())?;
        let (lo, hi) = AccessMode::RANGE;
        let mode = int_param(p.get(1), "<access_mode>", lo, hi)?;
        count(p, 2, 2, "2")?;
        Ok(Qiswtmd::Switch {
            id,
            mode: AccessMode::from_code(mode).expect("range checked against AccessMode::RANGE"),
        })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (id, mode) = match self {
            Qiswtmd::Test => {
                m.info(&format!("+QISWTMD: {},(0-2)", SocketId::test_form()));
                return Ok(Flow::Done);
            }
            Qiswtmd::Switch { id, mode } => (id, mode),
        };
        if m.sockets.state(id) != SocketState::Connected {
            let why = format!("client id {id} is not connected");
            return Err(Refusal::code(ErrorCode::SocketClosed, why));
        }
        if let Some(dlci) = m.transparent_elsewhere(id) {
            let why = format!(
                "client id {id} is in transparent mode on CMUX channel {dlci} (policy cmux-channels)"
            );
            return Err(Refusal::code(ErrorCode::NotAllowed, why));
        }
        match mode {
            AccessMode::Buffer => {
                switch_to_buffer(m, id);
                Ok(Flow::Done)
            }
            AccessMode::Push => {
                let sock = m.sockets.get_mut(id);
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
}

/// Socket `id` delivers in buffer mode from now on; data already waiting is announced with
/// `+QSSLURC: "recv"` or `+QIURC: "recv"` unless it already was.
pub fn switch_to_buffer(m: &mut Modem, id: SocketId) {
    let sock = m.sockets.get_mut(id);
    sock.mode = AccessMode::Buffer;
    if !sock.rx.is_empty() && sock.recv_urc_armed {
        sock.recv_urc_armed = false;
        let (service, len) = (sock.service, sock.rx.len());
        let len = m.ip_cfg.recvind().then_some(len);
        m.urc(Urc::recv(service, id, len));
    }
}
