//! Reading a command's parameters: counts, ranges, strings; each failure becomes the result
//! code the command family uses.

use qsslsim_at::{Command, Kind, Param, ResultCode};

use crate::errors;
use crate::modem::Modem;

/// The parameters of a write command (empty for other forms).
pub fn params(cmd: &Command) -> &[Param] {
    match &cmd.kind {
        Kind::Write(p) => p,
        _ => &[],
    }
}

/// An integer within `lo..=hi`.
pub fn int_in(p: Option<&Param>, lo: i64, hi: i64) -> Option<i64> {
    p.and_then(Param::int).filter(|v| (lo..=hi).contains(v))
}

/// An optional integer within range: omitted/absent gives `default`.
pub fn opt_int_in(p: Option<&Param>, lo: i64, hi: i64, default: i64) -> Option<i64> {
    match p {
        None | Some(Param::Omitted) => Some(default),
        some => int_in(some, lo, hi),
    }
}

/// A quoted string.
pub fn string(p: Option<&Param>) -> Option<&str> {
    p.and_then(Param::string)
}

/// Fail an SSL/TCP command with `ERROR`, recording `code` for `AT+QIGETERROR`.
pub fn fail(m: &mut Modem, code: u16) -> ResultCode {
    m.last_error = code;
    ResultCode::Error
}

/// Fail an SSL/TCP command for bad parameters (552).
pub fn invalid(m: &mut Modem) -> ResultCode {
    fail(m, errors::INVALID_PARAM)
}

/// A basic command's single digit argument (`ATE1`), absent = 0 as in V.25ter.
pub fn basic_value(cmd: &Command) -> Option<i64> {
    match &cmd.kind {
        Kind::Exec => Some(0),
        Kind::Write(p) if p.len() == 1 => p[0].int(),
        _ => None,
    }
}
