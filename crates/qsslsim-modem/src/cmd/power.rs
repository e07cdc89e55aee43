//! `AT+QPOWD[=<n>]`: `OK` at once, `POWERED DOWN` after the power-down delay, then silence
//! until the module is powered on again ([`crate::power`]). `AT+CFUN=<fun>,1` (reset) lives
//! with `AT+CFUN` in general.rs and uses the same machinery.

use qsslsim_at::{Command, Kind};

use super::args::wrong_form;
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, int_param};
use crate::modem::{Flow, Modem};

/// `AT+QPOWD`: exec, `=0` (immediate) or `=1` (normal) power down; test lists `(0,1)`.
pub enum Qpowd {
    Test,
    PowerDown,
}

impl AtCommand for Qpowd {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Exec => Ok(Qpowd::PowerDown),
            Kind::Test => Ok(Qpowd::Test),
            Kind::Write(p) => {
                count(p, 1, 1, "1")?;
                int_param(p.first(), "<n>", 0, 1)?;
                Ok(Qpowd::PowerDown)
            }
            Kind::Read => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qpowd::Test => m.info("+QPOWD: (0,1)"),
            Qpowd::PowerDown => {
                let delay = m.cfg.timing.power_down;
                crate::power::request_power_down(m, delay);
            }
        }
        Ok(Flow::Done)
    }
}
