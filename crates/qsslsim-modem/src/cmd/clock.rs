//! `AT+CCLK`: read and set the module clock used for certificate validity.

use qsslsim_at::{Command, Kind, ResultCode};

use super::args::string;
use crate::modem::{Flow, Modem, Reply};

pub fn cclk(m: &mut Modem, cmd: &Command) -> Reply {
    match &cmd.kind {
        Kind::Read => {
            let now = m.now;
            let text = m.clock.format(now);
            m.info(&format!("+CCLK: \"{text}\""));
        }
        Kind::Test => {}
        Kind::Write(p) if p.len() == 1 => {
            let text = string(p.first()).ok_or(ResultCode::Error)?;
            let now = m.now;
            m.clock.set(text, now).ok_or(ResultCode::Error)?;
        }
        _ => return Err(ResultCode::Error),
    }
    Ok(Flow::Done)
}
