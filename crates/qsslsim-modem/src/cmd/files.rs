//! File commands: `AT+QFUPL` (upload over the port, ending by size, `+++` or inactivity),
//! `AT+QFLST`, `AT+QFDEL`, `AT+QFDWL`. Errors are `+CME ERROR: <4xx>`; no command can touch
//! a host path.

use std::time::Duration;

use qsslsim_at::{Command, Kind, ResultCode};

use super::args::{opt_int_in, params, string};
use crate::files::upload::DEFAULT_SIZE;
use crate::files::{code, xor_checksum, Upload, UploadEnd};
use crate::modem::{Flow, Modem, Port, Reply};

fn cme(code: u16) -> ResultCode {
    ResultCode::CmeError(code)
}

pub fn qfupl(m: &mut Modem, cmd: &Command) -> Reply {
    if cmd.kind == Kind::Test {
        let (free, _) = m.files.space(crate::files::Drive::Ufs);
        m.info(&format!("+QFUPL: <filename>,(1-{free}),(1-65535),(0,1)"));
        return Ok(Flow::Done);
    }
    let p = params(cmd);
    if p.is_empty() || p.len() > 4 {
        return Err(cme(code::INVALID_PARAMETER));
    }
    let name = string(p.first()).ok_or(cme(code::INVALID_PARAMETER))?;
    let size = opt_int_in(p.get(1), 1, i64::from(u32::MAX), DEFAULT_SIZE as i64)
        .ok_or(cme(code::INVALID_PARAMETER))? as usize;
    let timeout = opt_int_in(p.get(2), 1, 65535, 5).ok_or(cme(code::INVALID_PARAMETER))? as u64;
    let ack = opt_int_in(p.get(3), 0, 1, 0).ok_or(cme(code::INVALID_PARAMETER))? == 1;
    m.files.check_upload(name, size).map_err(cme)?;
    let upload =
        Upload::new(name.to_string(), size, Duration::from_secs(timeout), ack, m.cfg.guard_time, m.now);
    m.intermediate(ResultCode::Connect);
    m.finish_write();
    m.port = Port::Upload(Box::new(upload));
    Ok(Flow::Suspend)
}

/// The upload ended (size reached, `+++`, or inactivity): store it and answer.
pub fn finish_upload(m: &mut Modem, end: UploadEnd) {
    let Port::Upload(up) = std::mem::replace(&mut m.port, Port::Command) else { return };
    m.enter_command();
    let (name, data, checksum) = up.finish();
    tracing::info!(file = %name, bytes = data.len(), ?end, "upload ended");
    let len = data.len();
    match m.files.create(&name, data) {
        Ok(()) => {
            m.info(&format!("+QFUPL: {len},{checksum:x}"));
            m.final_result(ResultCode::Ok);
        }
        Err(code) => m.final_result(cme(code)),
    }
}

pub fn qflst(m: &mut Modem, cmd: &Command) -> Reply {
    let pattern = match &cmd.kind {
        Kind::Exec => "*".to_string(),
        Kind::Test => return Ok(Flow::Done),
        Kind::Write(p) if p.len() == 1 => string(p.first()).ok_or(cme(code::INVALID_PARAMETER))?.to_string(),
        _ => return Err(cme(code::INVALID_PARAMETER)),
    };
    for (name, size) in m.files.list(&pattern) {
        m.info(&format!("+QFLST: \"{name}\",{size}"));
    }
    Ok(Flow::Done)
}

pub fn qfdel(m: &mut Modem, cmd: &Command) -> Reply {
    match &cmd.kind {
        Kind::Test => Ok(Flow::Done),
        Kind::Write(p) if p.len() == 1 => {
            let name = string(p.first()).ok_or(cme(code::INVALID_PARAMETER))?;
            m.files.delete(name).map_err(cme)?;
            Ok(Flow::Done)
        }
        _ => Err(cme(code::INVALID_PARAMETER)),
    }
}

pub fn qfdwl(m: &mut Modem, cmd: &Command) -> Reply {
    match &cmd.kind {
        Kind::Test => Ok(Flow::Done),
        Kind::Write(p) if p.len() == 1 => {
            let name = string(p.first()).ok_or(cme(code::INVALID_PARAMETER))?;
            let data = m.files.read(name).map_err(cme)?.to_vec();
            m.intermediate(ResultCode::Connect);
            m.raw(&data);
            m.info(&format!("+QFDWL: {},{:x}", data.len(), xor_checksum(&data)));
            Ok(Flow::Done)
        }
        _ => Err(cme(code::INVALID_PARAMETER)),
    }
}
