//! File commands: `AT+QFUPL` (upload over the port, ending by size, `+++` or inactivity),
//! `AT+QFLST`, `AT+QFDEL`, `AT+QFDWL`. Errors are `+CME ERROR: <4xx>`; no command can touch
//! a host path.

use std::time::Duration;

use qsslsim_at::{Command, Kind, ResultCode};

use super::args::params;
use super::{AtCommand, Family, Refusal};
use crate::files::upload::DEFAULT_SIZE;
use crate::files::{code, file_error_text, xor_checksum, Upload, UploadEnd};
use crate::ids::{count, opt_int_param, string_param, ParamError};
use crate::modem::{Flow, Modem, Port};

/// Default and range of `AT+QFUPL`'s `<timeout>` in seconds.
const UPLOAD_TIMEOUT_DEFAULT: i64 = 5;
const UPLOAD_TIMEOUT_MAX: i64 = 65535;

/// A file error as the host sees it, with the rule in words.
fn file_error(n: u16, what: impl std::fmt::Display) -> Refusal {
    Refusal::cme(n, format!("{what}: {}", file_error_text(n).unwrap_or("file error")))
}

/// Parameter problems in the file commands are `+CME ERROR: 425`-style invalid parameters.
fn bad(e: ParamError) -> Refusal {
    Refusal::cme(code::INVALID_PARAMETER, e)
}

pub enum Qfupl {
    Test,
    Upload { name: String, size: usize, timeout: Duration, ack: bool },
}

impl AtCommand for Qfupl {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qfupl::Test);
        }
        let p = params(cmd);
        count(p, 1, 4, "1 to 4").map_err(bad)?;
        let name = string_param(p.first(), "<filename>").map_err(bad)?.to_string();
        let size = opt_int_param(p.get(1), "<file_size>", 1, i64::from(u32::MAX), DEFAULT_SIZE as i64)
            .map_err(bad)?;
        let timeout = opt_int_param(p.get(2), "<timeout>", 1, UPLOAD_TIMEOUT_MAX, UPLOAD_TIMEOUT_DEFAULT)
            .map_err(bad)?;
        let ack = opt_int_param(p.get(3), "<ackmode>", 0, 1, 0).map_err(bad)? == 1;
        Ok(Qfupl::Upload { name, size: size as usize, timeout: Duration::from_secs(timeout as u64), ack })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (name, size, timeout, ack) = match self {
            Qfupl::Test => {
                let (free, _) = m.files.space(crate::files::Drive::Ufs);
                m.info(&format!("+QFUPL: <filename>,(1-{free}),(1-{UPLOAD_TIMEOUT_MAX}),(0,1)"));
                return Ok(Flow::Done);
            }
            Qfupl::Upload { name, size, timeout, ack } => (name, size, timeout, ack),
        };
        m.files.check_upload(&name, size).map_err(|n| file_error(n, format!("upload of {name:?}")))?;
        let upload = Upload::new(name, size, timeout, ack, m.cfg.guard_time, m.now);
        m.intermediate(ResultCode::Connect);
        m.out.finish_write();
        m.port = Port::Upload(Box::new(upload));
        Ok(Flow::Suspend)
    }
}

/// The upload ended (size reached, `+++`, or inactivity): store it and answer.
pub fn finish_upload(m: &mut Modem, end: UploadEnd) {
    let Port::Upload(up) = std::mem::replace(&mut m.port, Port::Command) else { return };
    m.enter_command();
    if up.target() != crate::files::DataFor::File {
        return super::http::finish_input(m, *up, end);
    }
    let (name, data, checksum) = up.finish();
    tracing::info!(file = %name, bytes = data.len(), ?end, "upload ended");
    let len = data.len();
    match m.files.create(&name, data) {
        Ok(()) => {
            m.info(&format!("+QFUPL: {len},{checksum:x}"));
            m.final_result(ResultCode::Ok);
        }
        Err(n) => {
            tracing::info!(file = %name, code = n, "upload could not be stored");
            m.final_result(ResultCode::CmeError(n));
        }
    }
}

/// One file name parameter (write form with exactly one parameter).
fn one_name(cmd: &Command) -> Result<String, Refusal> {
    match &cmd.kind {
        Kind::Write(p) => {
            count(p, 1, 1, "1").map_err(bad)?;
            Ok(string_param(p.first(), "<filename>").map_err(bad)?.to_string())
        }
        _ => Err(bad(ParamError::Count { got: 0, allowed: "1" })),
    }
}

pub enum Qflst {
    Test,
    List(String),
}

impl AtCommand for Qflst {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Exec => Ok(Qflst::List("*".into())),
            Kind::Test => Ok(Qflst::Test),
            _ => one_name(cmd).map(Qflst::List),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if let Qflst::List(pattern) = self {
            for (name, size) in m.files.list(&pattern) {
                m.info(&format!("+QFLST: \"{name}\",{size}"));
            }
        }
        Ok(Flow::Done)
    }
}

pub enum Qfdel {
    Test,
    Delete(String),
}

impl AtCommand for Qfdel {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qfdel::Test),
            _ => one_name(cmd).map(Qfdel::Delete),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if let Qfdel::Delete(name) = self {
            m.files.delete(&name).map_err(|n| file_error(n, format!("delete {name:?}")))?;
        }
        Ok(Flow::Done)
    }
}

pub enum Qfdwl {
    Test,
    Download(String),
}

impl AtCommand for Qfdwl {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qfdwl::Test),
            _ => one_name(cmd).map(Qfdwl::Download),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if let Qfdwl::Download(name) = self {
            let data = m.files.read(&name).map_err(|n| file_error(n, format!("download {name:?}")))?.to_vec();
            m.intermediate(ResultCode::Connect);
            m.raw(&data);
            m.info(&format!("+QFDWL: {},{:x}", data.len(), xor_checksum(&data)));
        }
        Ok(Flow::Done)
    }
}
