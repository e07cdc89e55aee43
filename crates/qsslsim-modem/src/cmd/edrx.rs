//! `AT+CEDRXS`: the eDRX settings (3GPP TS 27.007 §7.40, the maker's BG96 manual §6.8).
//! Written values are checked and stored in [`crate::edrx::EdrxSettings`] and read back; the
//! module never uses eDRX and never sends `+CEDRXP` (policy `cedrxs`). A bad value answers
//! `+CME ERROR: 50`, as `AT+CPSMS` does.

use qsslsim_at::{Command, Kind, Param};

use super::args::wrong_form;
use super::{AtCommand, Family, Refusal};
use crate::edrx::{is_edrx_value, EdrxSettings, ACT_EUTRAN};
use crate::modem::{Flow, Modem};

/// `+CME ERROR: 50`, incorrect parameters.
const BAD_PARAMETERS: u16 = 50;

/// What `AT+CEDRXS=?` lists.
const TEST_LINE: &str = "+CEDRXS: (0-3),(4),(\"0000\"-\"1111\")";

/// A write: the mode, and the requested value when given (`None` keeps the stored one).
#[derive(Debug, PartialEq, Eq)]
pub struct EdrxWrite {
    mode: u8,
    value: Option<String>,
}

/// `AT+CEDRXS`.
pub enum Cedrxs {
    Read,
    Test,
    Write(EdrxWrite),
}

fn parse_write(p: &[Param]) -> Result<EdrxWrite, Refusal> {
    if p.len() > 3 {
        return Err(Refusal::cme(
            BAD_PARAMETERS,
            format!("AT+CEDRXS takes at most 3 parameters, not {}", p.len()),
        ));
    }
    // `AT+CEDRXS=` with everything omitted turns eDRX off and restores the defaults (27.007).
    if p.iter().all(Param::is_omitted) {
        return Ok(EdrxWrite { mode: 3, value: None });
    }
    let mode = match p.first().and_then(Param::int) {
        Some(m @ 0..=3) => m as u8,
        _ => return Err(Refusal::cme(BAD_PARAMETERS, "<mode> is not 0, 1, 2 or 3")),
    };
    match p.get(1) {
        None | Some(Param::Omitted) => {}
        Some(act) if act.int() == Some(i64::from(ACT_EUTRAN)) => {}
        Some(_) => {
            return Err(Refusal::cme(BAD_PARAMETERS, "<AcT-type> is not 4 (E-UTRAN, the module's only one)"))
        }
    }
    let value = match p.get(2) {
        None | Some(Param::Omitted) => None,
        Some(Param::Quoted(v)) if is_edrx_value(v) => Some(v.clone()),
        Some(_) => {
            return Err(Refusal::cme(
                BAD_PARAMETERS,
                "<Requested_eDRX_value> is not four binary digits in quotes",
            ))
        }
    };
    Ok(EdrxWrite { mode, value })
}

impl AtCommand for Cedrxs {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Read => Ok(Cedrxs::Read),
            Kind::Test => Ok(Cedrxs::Test),
            Kind::Write(p) => parse_write(p).map(Cedrxs::Write),
            Kind::Exec => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Cedrxs::Read => {
                if let Some(line) = m.module_cfg.edrx.line() {
                    m.info(&line);
                }
            }
            Cedrxs::Test => m.info(TEST_LINE),
            Cedrxs::Write(w) if w.mode == 3 => m.module_cfg.edrx = EdrxSettings::default(),
            Cedrxs::Write(w) => {
                let edrx = &mut m.module_cfg.edrx;
                edrx.mode = w.mode;
                if let Some(v) = w.value {
                    edrx.value = v;
                }
            }
        }
        Ok(Flow::Done)
    }
}
