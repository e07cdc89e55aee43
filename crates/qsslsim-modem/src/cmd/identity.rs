//! Identity commands beyond `AT+GMI`/`GMM`/`GMR` (general.rs): the IMEI (`AT+CGSN`, `AT+GSN`),
//! the IMSI (`AT+CIMI`), the ICCID (`AT+QCCID`, and `AT+CCID`, which Quectel firmware accepts
//! too), the subscriber number (`AT+CNUM`) and the full firmware revision (`AT+QGMR`). Values come from [`crate::identity::Identity`] in the
//! module's configuration.
//!
//! Forms: the execution form prints the value; the test form answers `OK` alone, as the
//! maker's manuals show for these commands. `AT+CGSN` and `AT+GSN` print the bare IMEI;
//! `AT+CIMI` the bare IMSI; `AT+QCCID` prefixes `+QCCID: `, `AT+CCID` `+CCID: `; `AT+CNUM` prints
//! `+CNUM: ,"<number>",<type>` when the SIM stores a number, else nothing.

use qsslsim_at::{Command, Kind};

use super::args::{params, wrong_form};
use super::{AtCommand, Family, Refusal};
use crate::modem::{Flow, Modem};

/// Execution (true) or test (false); other forms are refused.
fn exec_or_test(cmd: &Command) -> Result<bool, Refusal> {
    match cmd.kind {
        Kind::Exec => Ok(true),
        Kind::Test => Ok(false),
        _ => Err(wrong_form(cmd)),
    }
}

/// The text of one identity command, given the module.
fn line(m: &Modem, what: What) -> Option<String> {
    let id = &m.cfg.identity;
    match what {
        What::Imei => Some(id.imei.clone()),
        What::Imsi => Some(id.imsi.clone()),
        What::Iccid => Some(format!("+QCCID: {}", id.iccid)),
        What::Ccid => Some(format!("+CCID: {}", id.iccid)),
        What::Number if id.number.is_empty() => None,
        What::Number => {
            // 145: international format (leading '+'), else 129.
            let kind = if id.number.starts_with('+') { 145 } else { 129 };
            Some(format!("+CNUM: ,\"{}\",{kind}", id.number))
        }
        What::FullRevision => Some(id.full_revision.clone()),
    }
}

#[derive(Clone, Copy)]
enum What {
    Imei,
    Imsi,
    Iccid,
    Ccid,
    Number,
    FullRevision,
}

fn answer(m: &mut Modem, exec: bool, what: What) -> Result<Flow, Refusal> {
    if exec {
        // The IMSI and number need an unlocked card; the ICCID only a card (policy
        // `sim-states`).
        let status = m.sim.status();
        let blocked = match what {
            What::Imsi | What::Number => crate::sim::not_ready_error(status),
            What::Iccid | What::Ccid if status == crate::sim::SimStatus::Absent => {
                crate::sim::not_ready_error(status)
            }
            _ => None,
        };
        if let Some((code, why)) = blocked {
            return Err(Refusal::cme(code, why));
        }
        if let Some(text) = line(m, what) {
            m.info(&text);
        }
    }
    Ok(Flow::Done)
}

macro_rules! identity_command {
    ($(#[$doc:meta])* $name:ident, $what:expr) => {
        $(#[$doc])*
        pub struct $name(bool);

        impl AtCommand for $name {
            const FAMILY: Family = Family::General;
            fn parse(cmd: &Command) -> Result<Self, Refusal> {
                exec_or_test(cmd).map($name)
            }
            fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
                answer(m, self.0, $what)
            }
        }
    };
}

identity_command!(
    /// `AT+CIMI`: the IMSI.
    Cimi,
    What::Imsi
);
identity_command!(
    /// `AT+QCCID`: the ICCID.
    Qccid,
    What::Iccid
);
identity_command!(
    /// `AT+CCID`: the ICCID as `+CCID: <iccid>` (Particle's Quectel client, EG91 among its
    /// modules, reads it this way).
    Ccid,
    What::Ccid
);
identity_command!(
    /// `AT+CNUM`: the subscriber number, if the SIM stores one.
    Cnum,
    What::Number
);
identity_command!(
    /// `AT+QGMR`: the full firmware revision.
    Qgmr,
    What::FullRevision
);

/// `AT+CGSN` / `AT+GSN`: the IMEI. The 27.007 write form `AT+CGSN=<snt>` is accepted with
/// `<snt>` 0 or 1 (both print the bare IMEI, as the EG-series firmware does).
pub struct Imei(bool);

impl AtCommand for Imei {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if let Kind::Write(_) = cmd.kind {
            let p = params(cmd);
            crate::ids::count(p, 1, 1, "1")?;
            crate::ids::int_param(p.first(), "<snt>", 0, 1)?;
            return Ok(Imei(true));
        }
        exec_or_test(cmd).map(Imei)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        answer(m, self.0, What::Imei)
    }
}
