//! `AT+QSSLSEND` and its `>` prompt: variable length (Ctrl+Z sends, ESC cancels) or fixed
//! length (binary-safe). `SEND OK` means the bytes fit into the socket's send buffer,
//! `SEND FAIL` that they did not.

use qsslsim_at::{Command, Kind, ResultCode};
use tracing::warn;

use super::args::{fail, int_in, invalid, params};
use crate::errors;
use crate::modem::{Flow, Modem, Port, Reply};
use crate::policy::TX_BUFFER_BYTES;
use crate::scenario::EventKind;
use crate::socket::{AccessMode, SocketState};

pub const MAX_SEND: usize = 1460;
const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;

pub fn qsslsend(m: &mut Modem, cmd: &Command) -> Reply {
    if cmd.kind == Kind::Test {
        m.info(&format!("+QSSLSEND: (0-11),(1-{MAX_SEND})"));
        return Ok(Flow::Done);
    }
    let p = params(cmd);
    if !(1..=2).contains(&p.len()) {
        return Err(invalid(m));
    }
    let Some(id) = int_in(p.first(), 0, 11) else { return Err(invalid(m)) };
    let fixed = match p.get(1) {
        None => None,
        Some(_) => match int_in(p.get(1), 1, MAX_SEND as i64) {
            Some(n) => Some(n as usize),
            None => return Err(invalid(m)),
        },
    };
    let sock = &m.sockets[id as usize];
    if sock.state != SocketState::Connected || sock.mode == AccessMode::Transparent {
        return Err(fail(m, errors::SOCKET_CLOSED));
    }
    m.raw(b"\r\n> ");
    m.finish_write();
    m.port = Port::SendPrompt { id: id as u8, fixed, buf: Vec::new() };
    Ok(Flow::Suspend)
}

/// Bytes typed at the prompt. Returns how many were used; the rest go back to command mode.
pub fn consume_prompt(m: &mut Modem, bytes: &[u8]) -> usize {
    let Port::SendPrompt { id, fixed, buf } = &mut m.port else { return 0 };
    let id = *id;
    let mut used = 0;
    let mut end = None;
    match *fixed {
        Some(n) => {
            let take = (n - buf.len()).min(bytes.len());
            buf.extend_from_slice(&bytes[..take]);
            used = take;
            if buf.len() == n {
                end = Some(PromptEnd::Send);
            }
        }
        None => {
            for &b in bytes {
                match b {
                    CTRL_Z | ESC => {
                        used += 1;
                        end = Some(if b == CTRL_Z { PromptEnd::Send } else { PromptEnd::Cancel });
                        break;
                    }
                    // The byte that does not fit is left for command mode.
                    _ if buf.len() == MAX_SEND => {
                        end = Some(PromptEnd::TooLong);
                        break;
                    }
                    _ => {
                        used += 1;
                        buf.push(b);
                    }
                }
            }
        }
    }
    // Echo what was typed as data (not the terminator).
    if m.echo {
        let terminator = matches!(end, Some(PromptEnd::Send | PromptEnd::Cancel)) && fixed.is_none();
        let data_end = used - usize::from(terminator);
        let echo = bytes[..data_end].to_vec();
        m.push_write(echo);
    }
    if let Some(end) = end {
        let Port::SendPrompt { buf, .. } = std::mem::replace(&mut m.port, Port::Command) else {
            unreachable!()
        };
        m.enter_command();
        finish(m, id, buf, end);
    }
    used
}

enum PromptEnd {
    Send,
    Cancel,
    TooLong,
}

fn finish(m: &mut Modem, id: u8, data: Vec<u8>, end: PromptEnd) {
    match end {
        PromptEnd::Cancel => {
            m.last_error = errors::CANCEL_SEND;
            m.final_result(ResultCode::Ok);
        }
        PromptEnd::TooLong => {
            warn!(id, "send prompt exceeded {MAX_SEND} bytes without Ctrl+Z; nothing sent");
            m.last_error = errors::INVALID_PARAM;
            m.final_result(ResultCode::Error);
        }
        PromptEnd::Send => {
            let sock = &mut m.sockets[id as usize];
            if sock.state != SocketState::Connected {
                m.last_error = errors::SOCKET_CLOSED;
                return m.final_result(ResultCode::Error);
            }
            // Injected `send_buffer_full` faults: this socket's first, then any socket's.
            let injected = if sock.send_fail > 0 {
                sock.send_fail -= 1;
                true
            } else if m.send_fail_any > 0 {
                m.send_fail_any -= 1;
                true
            } else {
                false
            };
            if injected || sock.tx_in_flight + data.len() > TX_BUFFER_BYTES {
                warn!(id, in_flight = sock.tx_in_flight, injected, "send buffer full");
                m.last_error = errors::OK;
                return m.final_result(ResultCode::SendFail);
            }
            if !data.is_empty() {
                m.queue_send(id, data);
            }
            m.last_error = errors::OK;
            m.final_result(ResultCode::SendOk);
            m.scenario_bytes(id);
            m.scenario_event(EventKind::SendOk, id);
        }
    }
}
