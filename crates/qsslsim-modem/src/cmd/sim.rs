//! SIM commands: `AT+CPIN` (the SIM's state — `READY`, `SIM PIN`, `SIM PUK`; `+CME ERROR: 10`
//! without a card — entering the PIN, and the PUK with a new PIN once three wrong PINs
//! blocked it), `AT+QPINC` (tries left), `AT+QSIMSTAT` (insertion report) and `AT+QDSIM`
//! (which of two slots is used). See [`crate::sim`].

use qsslsim_at::{Command, Kind, Param};

use super::general::Setting;
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, int_param, ParamError};
use crate::modem::{Flow, Modem};
use crate::sim::{self, SimStatus};

/// `+CME ERROR` codes: 3 operation not allowed, 10 SIM not inserted, 12 SIM PUK required, 16
/// incorrect password, 50 incorrect parameters.
const NOT_ALLOWED: u16 = 3;
const NO_SIM: u16 = 10;
const PUK_REQUIRED: u16 = 12;
const WRONG_PASSWORD: u16 = 16;
const BAD_PARAMETERS: u16 = 50;
/// A new PIN is 4 to 8 digits (the card's rule).
const PIN_LEN: std::ops::RangeInclusive<usize> = 4..=8;

/// A PIN or PUK: quoted as 27.007 writes it, or bare digits as the maker's example does.
fn password(p: Option<&Param>, name: &'static str) -> Result<String, ParamError> {
    match p {
        Some(Param::Bare(t)) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => Ok(t.clone()),
        other => crate::ids::string_param(other, name).map(str::to_string),
    }
}

pub enum Cpin {
    Read,
    Test,
    /// `AT+CPIN=<pin>` or `AT+CPIN=<puk>,<new pin>`.
    Enter(String, Option<String>),
    /// `AT+CPIN` with no value.
    Bare,
}

impl AtCommand for Cpin {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Ok(match &cmd.kind {
            Kind::Read => Cpin::Read,
            Kind::Test => Cpin::Test,
            Kind::Exec => Cpin::Bare,
            Kind::Write(p) => {
                count(p, 1, 2, "1 or 2")?;
                let first = password(p.first(), "<pin>")?;
                let new_pin = p.get(1).map(|n| password(Some(n), "<new_pin>")).transpose()?;
                Cpin::Enter(first, new_pin)
            }
        })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let status = m.sim.status();
        match self {
            Cpin::Test => {}
            Cpin::Read => match status {
                SimStatus::Absent | SimStatus::Blocked => {
                    let (code, why) = sim::not_ready_error(status).unwrap_or((NO_SIM, "no SIM"));
                    return Err(Refusal::cme(code, why));
                }
                other => m.info(sim::cpin_text(other)),
            },
            Cpin::Bare => return Err(Refusal::cme(NOT_ALLOWED, "AT+CPIN needs a PIN")),
            Cpin::Enter(pin, new_pin) => match status {
                SimStatus::Absent | SimStatus::Blocked => {
                    let (code, why) = sim::not_ready_error(status).unwrap_or((NO_SIM, "no SIM"));
                    return Err(Refusal::cme(code, why));
                }
                SimStatus::Ready => return Err(Refusal::cme(NOT_ALLOWED, "the SIM has no PIN to enter")),
                SimStatus::Pin => enter_pin(m, &pin)?,
                SimStatus::Puk => enter_puk(m, &pin, new_pin)?,
            },
        }
        Ok(Flow::Done)
    }
}

/// The card wants its PIN: the right one unlocks it, a wrong one costs a try.
fn enter_pin(m: &mut Modem, pin: &str) -> Result<(), Refusal> {
    if m.sim.pin.as_deref() != Some(pin) {
        m.sim.tries_left -= 1;
        let why = format!("wrong PIN; {} tries left", m.sim.tries_left);
        return Err(Refusal::cme(WRONG_PASSWORD, why));
    }
    m.sim.tries_left = sim::PIN_TRIES;
    sim::ready_urcs(m);
    crate::registration::update(m, |m| m.sim.unlocked = true);
    Ok(())
}

/// The card wants its PUK: the right one with a new PIN unblocks it and sets that PIN; a
/// wrong one costs a PUK try, and the last try blocks the card for good (policy `sim-puk`).
fn enter_puk(m: &mut Modem, puk: &str, new_pin: Option<String>) -> Result<(), Refusal> {
    let Some(new_pin) = new_pin else {
        return Err(Refusal::cme(PUK_REQUIRED, "the SIM wants its PUK and a new PIN"));
    };
    if !PIN_LEN.contains(&new_pin.len()) || !new_pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::cme(BAD_PARAMETERS, format!("new PIN {new_pin:?} is not 4 to 8 digits")));
    }
    if m.sim.puk != puk {
        m.sim.puk_tries_left -= 1;
        let why = format!("wrong PUK; {} tries left", m.sim.puk_tries_left);
        return Err(Refusal::cme(WRONG_PASSWORD, why));
    }
    m.sim.tries_left = sim::PIN_TRIES;
    m.sim.puk_tries_left = sim::PUK_TRIES;
    m.sim.pin = Some(new_pin);
    sim::ready_urcs(m);
    crate::registration::update(m, |m| m.sim.unlocked = true);
    Ok(())
}

/// The facilities `AT+QPINC` counts for: the SIM PIN and PIN2.
const FACILITIES: [&str; 2] = ["SC", "P2"];

/// `AT+QPINC`: PIN and PUK tries left, `+QPINC: <facility>,<pin tries>,<puk tries>`.
pub enum Qpinc {
    Test,
    Read,
    One(&'static str),
}

impl AtCommand for Qpinc {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qpinc::Test),
            Kind::Read => Ok(Qpinc::Read),
            Kind::Write(p) => {
                count(p, 1, 1, "1")?;
                let name = crate::ids::string_param(p.first(), "<facility>")?;
                FACILITIES.into_iter().find(|f| f.eq_ignore_ascii_case(name)).map(Qpinc::One).ok_or_else(
                    || ParamError::BadString { name: "<facility>", rule: "is not \"SC\" or \"P2\"" }.into(),
                )
            }
            Kind::Exec => Err(super::args::wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let facilities: Vec<&str> = match self {
            Qpinc::Test => {
                m.info("+QPINC: (\"SC\",\"P2\")");
                return Ok(Flow::Done);
            }
            Qpinc::Read => FACILITIES.to_vec(),
            Qpinc::One(f) => vec![f],
        };
        if !m.sim.inserted {
            return Err(Refusal::cme(NO_SIM, "no SIM is inserted"));
        }
        for f in facilities {
            // PIN2 is never asked for here, so its counters stay full (policy `sim-puk`).
            let (pin, puk) = if f == "SC" { (m.sim.tries_left, m.sim.puk_tries_left) } else { (3, 10) };
            m.info(&format!("+QPINC: \"{f}\",{pin},{puk}"));
        }
        Ok(Flow::Done)
    }
}

/// `AT+QSIMSTAT`: `+QSIMSTAT: <enable>,<inserted_status>`; `=1` reports insertion and removal
/// as `+QSIMSTAT: 1,<inserted_status>` URCs.
pub struct Qsimstat(Setting<bool>);

impl AtCommand for Qsimstat {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Setting::parse(cmd, |p| {
            count(p, 1, 1, "1")?;
            Ok(int_param(p.first(), "<enable>", 0, 1)? == 1)
        })
        .map(Qsimstat)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self.0 {
            Setting::Test => m.info("+QSIMSTAT: (0,1)"),
            Setting::Read => {
                let text =
                    format!("+QSIMSTAT: {},{}", u8::from(m.sim.report_insertion), u8::from(m.sim.inserted));
                m.info(&text);
            }
            Setting::Set(on) => m.sim.report_insertion = on,
        }
        Ok(Flow::Done)
    }
}

/// `AT+QDSIM[=<slot>]`: the (U)SIM slot in use, 0 (SIM1) or 1 (SIM2). Stored with the
/// non-volatile settings; the one simulated card answers in either slot (policy `qdsim`).
pub struct Qdsim(Setting<u8>);

impl AtCommand for Qdsim {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Setting::parse(cmd, |p| {
            count(p, 1, 1, "1")?;
            Ok(int_param(p.first(), "<slot>", 0, 1)? as u8)
        })
        .map(Qdsim)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self.0 {
            Setting::Read => m.info(&format!("+QDSIM: {}", m.module_cfg.sim_slot)),
            Setting::Test => m.info("+QDSIM: (0,1)"),
            Setting::Set(slot) => m.module_cfg.sim_slot = slot,
        }
        Ok(Flow::Done)
    }
}
