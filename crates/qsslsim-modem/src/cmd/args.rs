//! Reading a command's form and parameters: the parameters of a write form, a basic command's
//! digit, and the refusal for a form a command does not have. Range checks live with the typed
//! ids and [`crate::ids::int_param`].

use qsslsim_at::{Command, Kind, Param};

use super::Refusal;
use crate::ids::ParamError;

/// The parameters of a write command (empty for other forms).
pub fn params(cmd: &Command) -> &[Param] {
    match &cmd.kind {
        Kind::Write(p) => p,
        _ => &[],
    }
}

/// The command line as the host could have typed it, for messages.
pub fn form_text(cmd: &Command) -> String {
    match &cmd.kind {
        Kind::Exec => format!("AT{}", cmd.name),
        Kind::Read => format!("AT{}?", cmd.name),
        Kind::Test => format!("AT{}=?", cmd.name),
        Kind::Write(p) => format!("AT{}=<{} parameters>", cmd.name, p.len()),
    }
}

/// A form the command does not have.
pub fn wrong_form(cmd: &Command) -> Refusal {
    Refusal::invalid(format!("{} is not a form this command has", form_text(cmd)))
}

/// A basic command's single digit argument (`ATE1`), absent = 0 as in V.25ter, within
/// `0..=max`.
pub fn basic_value(cmd: &Command, max: i64) -> Result<i64, Refusal> {
    let value = match &cmd.kind {
        Kind::Exec => Some(0),
        Kind::Write(p) if p.len() == 1 => p[0].int(),
        _ => None,
    };
    value
        .filter(|v| (0..=max).contains(v))
        .ok_or_else(|| Refusal::invalid(format!("AT{} takes a value from 0 to {max}", cmd.name)))
}

/// Longest server name or address a command takes.
pub const MAX_ADDR_LEN: usize = 150;

/// A server name or address parameter (`AT+QSSLOPEN`, `AT+QIOPEN`, `AT+QIDNSGIP`, `AT+QPING`,
/// `AT+QNTP`): a quoted string of 1 to 150 characters.
pub fn host_param<'a>(p: Option<&'a Param>, name: &'static str) -> Result<&'a str, ParamError> {
    let host = crate::ids::string_param(p, name)?;
    if host.is_empty() || host.len() > MAX_ADDR_LEN {
        return Err(ParamError::BadString { name, rule: "must have 1 to 150 characters" });
    }
    Ok(host)
}
