//! `AT+CPSMS`: the power saving mode settings (3GPP TS 27.007 §7.38, the maker's BG96 manual
//! §6.7). Written values are checked and stored in [`crate::psm::PsmSettings`] and read back;
//! the module never sleeps (policy `cpsms`). A bad value answers `+CME ERROR: 50` (policy
//! `cpsms-errors`). The maker's `AT+QPSMS` is not a command of this family: it has no entry
//! and answers `ERROR` (policy `qpsms`).

use qsslsim_at::{Command, Kind, Param};

use super::args::wrong_form;
use super::{AtCommand, Family, Refusal};
use crate::modem::{Flow, Modem};
use crate::psm::{is_timer_byte, PsmSettings};

/// `+CME ERROR: 50`, incorrect parameters.
const BAD_PARAMETERS: u16 = 50;

/// What `AT+CPSMS=?` lists.
const TEST_LINE: &str = "+CPSMS: (0-2),,,(\"00000000\"-\"11111111\"),(\"00000000\"-\"11111111\")";

/// A write: the mode, and the E-UTRAN timers when given (`None` keeps the stored one).
#[derive(Debug, PartialEq, Eq)]
pub struct PsmWrite {
    mode: u8,
    periodic_tau: Option<String>,
    active_time: Option<String>,
}

/// `AT+CPSMS`.
pub enum Cpsms {
    Read,
    Test,
    Write(PsmWrite),
}

/// One optional timer byte: omitted, or a quoted string of eight binary digits.
fn timer(p: Option<&Param>, name: &str) -> Result<Option<String>, Refusal> {
    match p {
        None | Some(Param::Omitted) => Ok(None),
        Some(Param::Quoted(t)) if is_timer_byte(t) => Ok(Some(t.clone())),
        Some(_) => Err(Refusal::cme(BAD_PARAMETERS, format!("{name} is not eight binary digits in quotes"))),
    }
}

fn parse_write(p: &[Param]) -> Result<PsmWrite, Refusal> {
    if p.len() > 5 {
        return Err(Refusal::cme(
            BAD_PARAMETERS,
            format!("AT+CPSMS takes at most 5 parameters, not {}", p.len()),
        ));
    }
    // `AT+CPSMS=` with everything omitted turns PSM off and restores the defaults (27.007).
    if p.iter().all(Param::is_omitted) {
        return Ok(PsmWrite { mode: 2, periodic_tau: None, active_time: None });
    }
    let mode = match p.first().and_then(Param::int) {
        Some(m @ 0..=2) => m as u8,
        _ => return Err(Refusal::cme(BAD_PARAMETERS, "<mode> is not 0, 1 or 2")),
    };
    // The GERAN timers are checked and otherwise ignored: the module has no GERAN (policy `cpsms`).
    timer(p.get(1), "<Requested_Periodic-RAU>")?;
    timer(p.get(2), "<Requested_GPRS-READY-timer>")?;
    Ok(PsmWrite {
        mode,
        periodic_tau: timer(p.get(3), "<Requested_Periodic-TAU>")?,
        active_time: timer(p.get(4), "<Requested_Active-Time>")?,
    })
}

impl AtCommand for Cpsms {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Read => Ok(Cpsms::Read),
            Kind::Test => Ok(Cpsms::Test),
            Kind::Write(p) => parse_write(p).map(Cpsms::Write),
            Kind::Exec => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Cpsms::Read => {
                let line = m.module_cfg.psm.line();
                m.info(&line);
            }
            Cpsms::Test => m.info(TEST_LINE),
            Cpsms::Write(w) if w.mode == 2 => m.module_cfg.psm = PsmSettings::default(),
            Cpsms::Write(w) => {
                let psm = &mut m.module_cfg.psm;
                psm.mode = w.mode;
                if let Some(t) = w.periodic_tau {
                    psm.periodic_tau = t;
                }
                if let Some(t) = w.active_time {
                    psm.active_time = t;
                }
            }
        }
        Ok(Flow::Done)
    }
}
