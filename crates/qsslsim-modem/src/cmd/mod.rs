//! Commands, one file per family, the mini-redis way: each command is a type with a `parse`
//! from the parsed command line (ranges checked, ids typed, test form recognised) and an
//! `apply` against the module. The dispatcher here is the one table from command name to
//! type, and the one place a refusal becomes `ERROR`/`+CME ERROR`, a log line, a trace record
//! and (for the SSL/TCP family) the code `AT+QIGETERROR` reports.

pub mod args;
pub mod basic;
pub mod clock;
pub mod data_mode;
pub mod files;
pub mod general;
pub mod pdp;
pub mod ssl_cfg;
pub mod ssl_close;
pub mod ssl_open;
pub mod ssl_recv;
pub mod ssl_send;
pub mod ssl_state;

use std::fmt;

use qsslsim_at::{Command, ResultCode};
use tracing::info;

use crate::errors::ErrorCode;
use crate::event::Event;
use crate::ids::ParamError;
use crate::modem::{Flow, Modem};

/// How a command family reports its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// V.25ter, 27.007 and file commands: `ERROR` or a `+CME ERROR`; `AT+QIGETERROR` is
    /// left alone.
    General,
    /// SSL/TCP commands: `ERROR`, and every outcome is recorded for `AT+QIGETERROR`.
    Socket,
}

/// Why a command was refused: what the host sees, the code `AT+QIGETERROR` reports for the
/// SSL/TCP family, and the reason the log and the trace give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub result: ResultCode,
    pub code: ErrorCode,
    pub why: String,
}

impl Refusal {
    /// `ERROR`, recording `code` for the SSL/TCP family.
    pub fn code(code: ErrorCode, why: impl fmt::Display) -> Self {
        Refusal { result: ResultCode::Error, code, why: why.to_string() }
    }

    /// `ERROR` for invalid parameters (552 for the SSL/TCP family).
    pub fn invalid(why: impl fmt::Display) -> Self {
        Self::code(ErrorCode::InvalidParam, why)
    }

    /// `+CME ERROR: <n>`.
    pub fn cme(n: u16, why: impl fmt::Display) -> Self {
        Refusal { result: ResultCode::CmeError(n), code: ErrorCode::InvalidParam, why: why.to_string() }
    }
}

impl From<ParamError> for Refusal {
    fn from(e: ParamError) -> Self {
        Refusal::invalid(e)
    }
}

/// One AT command: parsed into a typed value, then applied to the module.
pub(crate) trait AtCommand: Sized {
    const FAMILY: Family;
    fn parse(cmd: &Command) -> Result<Self, Refusal>;
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal>;
}

type Runner = fn(&mut Modem, &Command) -> Flow;

fn run<C: AtCommand>(m: &mut Modem, cmd: &Command) -> Flow {
    m.command_code = None;
    let outcome = C::parse(cmd).and_then(|c| c.apply(m));
    match outcome {
        Ok(flow) => {
            if C::FAMILY == Family::Socket {
                // Recorded once, after the command: what it did to other sockets on the way
                // (an open failing under AT+QIDEACT) is not its own result. A command that
                // answers OK and reports a failure later (an open refused in modes 0/1) names
                // its code with `Modem::command_code`.
                m.last_error = m.command_code.take().unwrap_or(ErrorCode::Ok);
            }
            flow
        }
        Err(refusal) => refuse(m, cmd, C::FAMILY, refusal),
    }
}

/// The one place a refusal is answered, logged, traced and recorded.
fn refuse(m: &mut Modem, cmd: &Command, family: Family, r: Refusal) -> Flow {
    let command = format!("AT{}", cmd.name);
    let mut result_text = Vec::new();
    qsslsim_at::Framing::default().result(r.result, crate::errors::cme_text, &mut result_text);
    let result_text = String::from_utf8_lossy(&result_text).trim().to_string();
    let code = (family == Family::Socket).then_some(r.code);
    info!(%command, result = %result_text, code = code.map(|c| c.number()), why = %r.why, "command refused");
    m.event(Event::Refused { command, result: result_text, code: code.map(|c| c.number()), why: r.why });
    if let Some(code) = code {
        m.last_error = code;
    }
    Flow::Final(r.result)
}

/// Every command the module knows.
pub(crate) const COMMANDS: &[(&str, Runner)] = &[
    ("E", run::<basic::Echo>),
    ("V", run::<basic::Verbose>),
    ("Q", run::<basic::Quiet>),
    ("I", run::<basic::Identify>),
    ("Z", run::<basic::Reset>),
    ("&F", run::<basic::Factory>),
    ("&W", run::<basic::Store>),
    ("&D", run::<basic::DtrMode>),
    ("O", run::<data_mode::Ato>),
    ("+CMEE", run::<general::Cmee>),
    ("+GMR", run::<general::Revision>),
    ("+CGMR", run::<general::Revision>),
    ("+GMI", run::<general::Manufacturer>),
    ("+CGMI", run::<general::Manufacturer>),
    ("+GMM", run::<general::Model>),
    ("+CGMM", run::<general::Model>),
    ("+CPIN", run::<general::Cpin>),
    ("+CSQ", run::<general::Csq>),
    ("+CEREG", run::<general::Cereg>),
    ("+CREG", run::<general::Creg>),
    ("+CGATT", run::<general::Cgatt>),
    ("+CFUN", run::<general::Cfun>),
    ("+CCLK", run::<clock::Cclk>),
    ("+QICSGP", run::<pdp::Qicsgp>),
    ("+QIACT", run::<pdp::Qiact>),
    ("+QIDEACT", run::<pdp::Qideact>),
    ("+QIDNSCFG", run::<pdp::Qidnscfg>),
    ("+QIGETERROR", run::<general::Qigeterror>),
    ("+QFUPL", run::<files::Qfupl>),
    ("+QFLST", run::<files::Qflst>),
    ("+QFDEL", run::<files::Qfdel>),
    ("+QFDWL", run::<files::Qfdwl>),
    ("+QSSLCFG", run::<ssl_cfg::Qsslcfg>),
    ("+QSSLOPEN", run::<ssl_open::Qsslopen>),
    ("+QSSLSEND", run::<ssl_send::Qsslsend>),
    ("+QSSLRECV", run::<ssl_recv::Qsslrecv>),
    ("+QSSLSTATE", run::<ssl_state::Qsslstate>),
    ("+QSSLCLOSE", run::<ssl_close::Qsslclose>),
    ("+QISWTMD", run::<data_mode::Qiswtmd>),
];

/// Run one command; unknown commands answer `ERROR`.
pub(crate) fn execute(m: &mut Modem, cmd: &Command) -> Flow {
    match COMMANDS.iter().find(|(name, _)| *name == cmd.name) {
        Some((_, runner)) => runner(m, cmd),
        None => {
            let why = format!("AT{} is not a command this module knows", cmd.name);
            refuse(m, cmd, Family::General, Refusal::code(ErrorCode::Ok, why))
        }
    }
}
