//! Identity, SIM, signal and registration commands that host init sequences send
//! (`AT+CMEE`, `AT+GMR`, `AT+CPIN?`, `AT+CSQ`, `AT+CEREG?`, `AT+CGATT?`, `AT+CFUN`), and
//! `AT+QIGETERROR`. The radio side is always registered and attached.

use qsslsim_at::{Command, Kind, ResultCode};

use super::args::{int_in, opt_int_in};
use crate::errors;
use crate::modem::{Flow, Modem, Reply};

pub fn cmee(m: &mut Modem, cmd: &Command) -> Reply {
    match &cmd.kind {
        Kind::Read => m.info(&format!("+CMEE: {}", m.framing.cmee)),
        Kind::Test => m.info("+CMEE: (0-2)"),
        Kind::Write(p) if p.len() == 1 => {
            m.framing.cmee = int_in(p.first(), 0, 2).ok_or(ResultCode::Error)? as u8
        }
        _ => return Err(ResultCode::Error),
    }
    Ok(Flow::Done)
}

/// Exec and test forms only, printing one line.
fn exec_line(m: &mut Modem, cmd: &Command, line: String) -> Reply {
    match cmd.kind {
        Kind::Exec => m.info(&line),
        Kind::Test => {}
        _ => return Err(ResultCode::Error),
    }
    Ok(Flow::Done)
}

pub fn revision(m: &mut Modem, cmd: &Command) -> Reply {
    let line = m.cfg.revision.clone();
    exec_line(m, cmd, line)
}

pub fn manufacturer(m: &mut Modem, cmd: &Command) -> Reply {
    let line = m.cfg.manufacturer.clone();
    exec_line(m, cmd, line)
}

pub fn model(m: &mut Modem, cmd: &Command) -> Reply {
    let line = m.cfg.model.clone();
    exec_line(m, cmd, line)
}

pub fn cpin(m: &mut Modem, cmd: &Command) -> Reply {
    match cmd.kind {
        Kind::Read => m.info("+CPIN: READY"),
        Kind::Test => {}
        // No PIN is set: entering one is not allowed.
        _ => return Err(ResultCode::CmeError(3)),
    }
    Ok(Flow::Done)
}

pub fn csq(m: &mut Modem, cmd: &Command) -> Reply {
    match cmd.kind {
        Kind::Exec => m.info("+CSQ: 24,99"),
        Kind::Test => m.info("+CSQ: (0-31,99),(0-7,99)"),
        _ => return Err(ResultCode::Error),
    }
    Ok(Flow::Done)
}

fn registration(m: &mut Modem, cmd: &Command, name: &str, max_n: i64, n: &mut u8) -> Reply {
    match &cmd.kind {
        Kind::Read => m.info(&format!("{name}: {n},1")),
        Kind::Test => m.info(&format!("{name}: (0-{max_n})")),
        Kind::Write(p) if p.len() == 1 => *n = int_in(p.first(), 0, max_n).ok_or(ResultCode::Error)? as u8,
        _ => return Err(ResultCode::Error),
    }
    Ok(Flow::Done)
}

pub fn cereg(m: &mut Modem, cmd: &Command) -> Reply {
    let mut n = m.cereg_n;
    let r = registration(m, cmd, "+CEREG", 2, &mut n);
    m.cereg_n = n;
    r
}

pub fn creg(m: &mut Modem, cmd: &Command) -> Reply {
    let mut n = m.creg_n;
    let r = registration(m, cmd, "+CREG", 2, &mut n);
    m.creg_n = n;
    r
}

pub fn cgatt(m: &mut Modem, cmd: &Command) -> Reply {
    match &cmd.kind {
        Kind::Read => m.info(&format!("+CGATT: {}", u8::from(m.cfun == 1))),
        Kind::Test => m.info("+CGATT: (0,1)"),
        Kind::Write(p) if p.len() == 1 && int_in(p.first(), 1, 1).is_some() => {}
        _ => return Err(ResultCode::Error),
    }
    Ok(Flow::Done)
}

pub fn cfun(m: &mut Modem, cmd: &Command) -> Reply {
    match &cmd.kind {
        Kind::Read => m.info(&format!("+CFUN: {}", m.cfun)),
        Kind::Test => m.info("+CFUN: (0,1,4),(0-1)"),
        Kind::Write(p) if (1..=2).contains(&p.len()) => {
            let fun = int_in(p.first(), 0, 4).filter(|f| [0, 1, 4].contains(f)).ok_or(ResultCode::Error)?;
            // A reset request (second parameter 1) is accepted but does not restart the module.
            opt_int_in(p.get(1), 0, 1, 0).ok_or(ResultCode::Error)?;
            m.cfun = fun as u8;
            if fun != 1 {
                for ctx in crate::pdp::FIRST_CONTEXT..=crate::pdp::LAST_CONTEXT {
                    if m.pdp.is_active(ctx) {
                        super::pdp::deactivate(m, ctx, false);
                    }
                }
            }
        }
        _ => return Err(ResultCode::Error),
    }
    Ok(Flow::Done)
}

pub fn qigeterror(m: &mut Modem, cmd: &Command) -> Reply {
    match cmd.kind {
        Kind::Exec => {
            let code = m.last_error;
            m.info(&format!("+QIGETERROR: {code},{}", errors::result_text(code)));
        }
        Kind::Test => {}
        _ => return Err(ResultCode::Error),
    }
    Ok(Flow::Done)
}
