//! V.25ter basic commands: `ATE`, `ATV`, `ATQ`, `ATI`, `ATZ`, `AT&F`, `AT&W`, `AT&D`.

use qsslsim_at::{Command, Framing, ResultCode};

use super::args::basic_value;
use crate::modem::{Flow, Modem, Reply};

/// The factory settings of the port (echo on, verbose codes, CMEE 1, AT&D1).
fn restore_port_defaults(m: &mut Modem) {
    m.echo = true;
    m.framing = Framing::default();
    m.dtr_mode = 1;
}

fn switch(cmd: &Command, max: i64) -> Result<i64, ResultCode> {
    basic_value(cmd).filter(|v| (0..=max).contains(v)).ok_or(ResultCode::Error)
}

pub fn echo(m: &mut Modem, cmd: &Command) -> Reply {
    m.echo = switch(cmd, 1)? == 1;
    Ok(Flow::Done)
}

pub fn verbose(m: &mut Modem, cmd: &Command) -> Reply {
    m.framing.verbose = switch(cmd, 1)? == 1;
    Ok(Flow::Done)
}

/// `ATQ0` only: result codes are never suppressed.
pub fn quiet(_m: &mut Modem, cmd: &Command) -> Reply {
    switch(cmd, 0)?;
    Ok(Flow::Done)
}

pub fn identify(m: &mut Modem, cmd: &Command) -> Reply {
    switch(cmd, 0)?;
    let (maker, model, rev) = (m.cfg.manufacturer.clone(), m.cfg.model.clone(), m.cfg.revision.clone());
    m.info(&maker);
    m.info(&model);
    m.info(&format!("Revision: {rev}"));
    Ok(Flow::Done)
}

pub fn reset(m: &mut Modem, cmd: &Command) -> Reply {
    switch(cmd, 0)?;
    restore_port_defaults(m);
    Ok(Flow::Done)
}

pub fn factory(m: &mut Modem, cmd: &Command) -> Reply {
    switch(cmd, 0)?;
    restore_port_defaults(m);
    Ok(Flow::Done)
}

/// `AT&W` is accepted; settings are not kept across a restart anyway.
pub fn store(_m: &mut Modem, cmd: &Command) -> Reply {
    switch(cmd, 0)?;
    Ok(Flow::Done)
}

pub fn dtr(m: &mut Modem, cmd: &Command) -> Reply {
    m.dtr_mode = switch(cmd, 2)? as u8;
    Ok(Flow::Done)
}
