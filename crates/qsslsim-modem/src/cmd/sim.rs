//! `AT+CPIN`: the SIM's state (`READY`, `SIM PIN`, `SIM PUK`; `+CME ERROR: 10` without a
//! card) and entering the PIN. See [`crate::sim`].

use qsslsim_at::{Command, Kind};

use super::{AtCommand, Family, Refusal};
use crate::ids::{count, string_param};
use crate::modem::{Flow, Modem};
use crate::sim::{self, SimStatus};

/// `+CME ERROR: 3` (operation not allowed), 16 (incorrect password).
const NOT_ALLOWED: u16 = 3;
const WRONG_PIN: u16 = 16;

pub enum Cpin {
    Read,
    Test,
    /// `AT+CPIN="<pin>"[,"<new pin>"]`.
    Enter(String),
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
                Cpin::Enter(string_param(p.first(), "<pin>")?.to_string())
            }
        })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let status = m.sim.status();
        match self {
            Cpin::Test => {}
            Cpin::Read => match status {
                SimStatus::Absent => return Err(Refusal::cme(10, "no SIM is inserted")),
                other => m.info(sim::cpin_text(other)),
            },
            Cpin::Bare => return Err(Refusal::cme(NOT_ALLOWED, "AT+CPIN needs a PIN")),
            Cpin::Enter(pin) => match status {
                SimStatus::Absent => return Err(Refusal::cme(10, "no SIM is inserted")),
                SimStatus::Ready => return Err(Refusal::cme(NOT_ALLOWED, "the SIM has no PIN to enter")),
                SimStatus::Puk => return Err(Refusal::cme(12, "the SIM wants its PUK")),
                SimStatus::Pin => {
                    if m.sim.pin.as_deref() != Some(pin.as_str()) {
                        m.sim.tries_left -= 1;
                        let why = format!("wrong PIN; {} tries left", m.sim.tries_left);
                        return Err(Refusal::cme(WRONG_PIN, why));
                    }
                    m.sim.tries_left = sim::PIN_TRIES;
                    sim::ready_urcs(m);
                    crate::registration::update(m, |m| m.sim.unlocked = true);
                }
            },
        }
        Ok(Flow::Done)
    }
}
