//! Status reports with nothing behind them on a pty, printed from the one table
//! [`crate::readings::READINGS`]: `AT+CEER` (the last release cause), `AT+CBC` (battery) and
//! `AT+QTEMP` (temperatures). Each has an exec form that prints one line and a test form.

use qsslsim_at::{Command, Kind};

use super::args::wrong_form;
use super::{AtCommand, Family, Refusal};
use crate::modem::{Flow, Modem};
use crate::readings::{CBC_RANGES, READINGS};

/// Exec (`true`) or test (`false`); other forms are refused.
fn exec_or_test(cmd: &Command) -> Result<bool, Refusal> {
    match cmd.kind {
        Kind::Exec => Ok(true),
        Kind::Test => Ok(false),
        _ => Err(wrong_form(cmd)),
    }
}

/// `AT+CEER`: `+CEER: "<text>"`; the test form answers `OK` alone.
pub struct Ceer(bool);

impl AtCommand for Ceer {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        exec_or_test(cmd).map(Ceer)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if self.0 {
            m.info(&format!("+CEER: \"{}\"", READINGS.release_cause));
        }
        Ok(Flow::Done)
    }
}

/// `AT+CBC`: `+CBC: <bcs>,<bcl>,<voltage>`.
pub struct Cbc(bool);

impl AtCommand for Cbc {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        exec_or_test(cmd).map(Cbc)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if self.0 {
            let r = READINGS;
            m.info(&format!("+CBC: {},{},{}", r.charge_status, r.charge_level, r.voltage_mv));
        } else {
            m.info(CBC_RANGES);
        }
        Ok(Flow::Done)
    }
}

/// `AT+QTEMP`: `+QTEMP: <pmic>,<xo>,<pa>` in °C; the test form answers `OK` alone.
pub struct Qtemp(bool);

impl AtCommand for Qtemp {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        exec_or_test(cmd).map(Qtemp)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if self.0 {
            let [pmic, xo, pa] = READINGS.temperatures;
            m.info(&format!("+QTEMP: {pmic},{xo},{pa}"));
        }
        Ok(Flow::Done)
    }
}
