//! `AT+QSSLSEND` and what ends its `>` prompt: variable length (Ctrl+Z sends, ESC cancels) or
//! fixed length (binary-safe). `SEND OK` means the bytes fit into the socket's send buffer,
//! `SEND FAIL` that they did not. The prompt's byte rules are [`crate::port::Prompt`].

use qsslsim_at::{Command, Kind, ResultCode};
use tracing::{info, warn};

use super::args::params;
use super::{AtCommand, Family, Refusal};
use crate::errors::ErrorCode;
use crate::ids::{count, int_param, SocketId};
use crate::modem::{Flow, Modem, Port};
use crate::policy::TX_BUFFER_BYTES;
use crate::port::{Prompt, PromptEnd, PromptFor, MAX_SEND};
use crate::scenario::EventKind;
use crate::socket::{AccessMode, SocketState};

pub enum Qsslsend {
    Test,
    /// `fixed`: `AT+QSSLSEND=<id>,<len>`; `None`: until Ctrl+Z.
    Send {
        id: SocketId,
        fixed: Option<usize>,
    },
    /// `AT+QSSLSEND=<id>,0`: the send counters (policy `send-counters`).
    Counters(SocketId),
}

impl AtCommand for Qsslsend {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qsslsend::Test);
        }
        let p = params(cmd);
        count(p, 1, 2, "1 or 2")?;
        let id = SocketId::param(p.first())?;
        let fixed = match p.get(1) {
            None => None,
            some => Some(int_param(some, "<sendlen>", 0, MAX_SEND as i64)? as usize),
        };
        if fixed == Some(0) {
            return Ok(Qsslsend::Counters(id));
        }
        Ok(Qsslsend::Send { id, fixed })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (id, fixed) = match self {
            Qsslsend::Test => {
                m.info(&format!("+QSSLSEND: {},(1-{MAX_SEND})", SocketId::test_form()));
                return Ok(Flow::Done);
            }
            Qsslsend::Send { id, fixed } => (id, fixed),
            Qsslsend::Counters(id) => {
                super::own_family(m, id, true)?;
                return counters(m, id, "+QSSLSEND");
            }
        };
        super::own_family(m, id, true)?;
        let sock = m.sockets.get(id);
        if sock.state() != SocketState::Connected {
            let why = format!("client id {id} is not connected (state {})", sock.state().code());
            return Err(Refusal::code(ErrorCode::SocketClosed, why));
        }
        if sock.mode == AccessMode::Transparent {
            let why = format!("client id {id} is in transparent mode");
            return Err(Refusal::code(ErrorCode::SocketClosed, why));
        }
        m.raw(b"\r\n> ");
        m.out.finish_write();
        m.port = Port::SendPrompt(Prompt::new(id, fixed));
        Ok(Flow::Suspend)
    }
}

/// `+QSSLSEND: <total>,<acked>,<unacked>` (or `+QISEND: ...`): bytes accepted with SEND OK on this connection,
/// bytes written to the network, and bytes still waiting. Answered while the connection
/// exists and after the network closed it (state 4), until `AT+QSSLCLOSE`, so a host can learn
/// how much of what got `SEND OK` never left.
pub(crate) fn counters(m: &mut Modem, id: SocketId, prefix: &str) -> Result<Flow, Refusal> {
    let s = m.sockets.get(id);
    if !matches!(s.state(), SocketState::Connected | SocketState::Closing) {
        let why = format!("client id {id} has no connection (state {})", s.state().code());
        return Err(Refusal::code(ErrorCode::SocketClosed, why));
    }
    let (total, unacked) = (s.tx_total, s.tx_in_flight as u64);
    m.info(&format!("{prefix}: {total},{},{unacked}", total - unacked));
    Ok(Flow::Done)
}

/// Bytes typed at the prompt. Returns how many were used; the rest go back to command mode.
/// The prompt of `AT+CMGS` is handed to [`super::sms::consume_prompt`].
pub fn consume_prompt(m: &mut Modem, bytes: &[u8]) -> usize {
    let Port::SendPrompt(prompt) = &mut m.port else { return 0 };
    if let PromptFor::Sms(_) = prompt.purpose {
        return super::sms::consume_prompt(m, bytes);
    }
    let (id, command, echo) = (prompt.id, prompt.command, prompt.echo);
    let feed = prompt.feed(bytes);
    let dest = if feed.end.is_some() { prompt.dest.take() } else { None };
    if m.settings.echo && echo {
        // What was typed is echoed as data; the terminator is not.
        m.out.push_write(bytes[..feed.echo].to_vec());
    }
    if let Some(end) = feed.end {
        m.enter_command();
        finish(m, id, end, command, dest);
    }
    feed.used
}

/// The send ends in ERROR after the prompt: answered like any refusal of the command.
fn refuse_at_prompt(m: &mut Modem, command: &str, r: Refusal) {
    let result = super::report_refusal(m, command.into(), Family::Socket, r);
    m.final_result(result);
}

fn finish(m: &mut Modem, id: SocketId, end: PromptEnd, command: &str, dest: Option<(String, u16)>) {
    let data = match end {
        PromptEnd::Cancel => {
            info!(%id, "send cancelled with ESC");
            m.last_error = ErrorCode::CancelSend;
            return m.final_result(ResultCode::Ok);
        }
        PromptEnd::TooLong => {
            let why = format!("send prompt exceeded {MAX_SEND} bytes without Ctrl+Z; nothing sent");
            return refuse_at_prompt(m, command, Refusal::invalid(why));
        }
        PromptEnd::Send(data) => data,
    };
    // `AT+QICFG="dataformat",1,x`: what was typed at AT+QISEND's prompt is hex digits.
    let data = if command == "AT+QISEND" && m.ip_cfg.hex_format().0 {
        match crate::hex::decode(&String::from_utf8_lossy(&data)) {
            Some(bytes) => bytes,
            None => {
                let why = "dataformat sends hex, and the payload is not pairs of hex digits";
                return refuse_at_prompt(m, command, Refusal::invalid(why));
            }
        }
    } else {
        data
    };
    match deliver(m, id, data, dest) {
        Ok(result) => {
            m.final_result(result);
            if result == ResultCode::SendOk {
                sent_ok(m, id);
            }
        }
        Err(r) => refuse_at_prompt(m, command, r),
    }
}

/// Payload for socket `id` (from a prompt or `AT+QISENDEX`): `SEND OK` when it fits into the
/// send buffer and goes to the network (as one datagram to `dest` for a `"UDP SERVICE"`),
/// `SEND FAIL` when it does not, an error when the connection ended meanwhile.
pub(crate) fn deliver(
    m: &mut Modem,
    id: SocketId,
    data: Vec<u8>,
    dest: Option<(String, u16)>,
) -> Result<ResultCode, Refusal> {
    if m.sockets.state(id) != SocketState::Connected {
        let why = format!("the connection of id {id} ended before the send; {} bytes not sent", data.len());
        return Err(Refusal::code(ErrorCode::SocketClosed, why));
    }
    // Injected `send_buffer_full` faults: this socket's first, then any socket's.
    let sock = m.sockets.get_mut(id);
    let injected = m.faults.take_send_fail(&mut sock.send_fail);
    if injected || sock.tx_in_flight + data.len() > TX_BUFFER_BYTES {
        warn!(%id, in_flight = sock.tx_in_flight, bytes = data.len(), injected, "send buffer full: SEND FAIL");
        m.last_error = ErrorCode::Ok;
        return Ok(ResultCode::SendFail);
    }
    if !data.is_empty() {
        match dest {
            Some((host, port)) => m.queue_send_to(id, host, port, data),
            None => m.queue_send(id, data),
        }
    }
    m.last_error = ErrorCode::Ok;
    Ok(ResultCode::SendOk)
}

/// After `SEND OK` is written: the scenario hears of the bytes and the send.
pub(crate) fn sent_ok(m: &mut Modem, id: SocketId) {
    m.scenario_bytes(id);
    m.scenario_event(EventKind::SendOk, id);
}
