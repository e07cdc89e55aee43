//! The GNSS commands (the maker's GNSS AT manual, chapter 2): `AT+QGPS` turns the engine on
//! (read form `+QGPS: <0|1>`), `AT+QGPSEND` turns it off, `AT+QGPSLOC=<mode>` reports the
//! simulated fix in one of three formats (`AT+QGPSLOC?` as mode 0, as the manual's example
//! does). Every refusal is a `+CME ERROR` from the GNSS error table (policy `gnss-errors`):
//! 501 for a bad parameter or form, 504 when a session is already on, 505 when none is, 516
//! before the first fix. The engine and the formats are [`crate::gnss`].

use qsslsim_at::{Command, Kind, Param};
use tracing::info;

use super::args::form_text;
use super::{AtCommand, Family, Refusal};
use crate::errors::gnss::{INVALID_PARAM, NOT_FIXED, NOT_SUPPORTED, SESSION_NOT_ACTIVE, SESSION_ONGOING};
use crate::gnss::{location_line, GnssState, LocMode, SessionSettings};
use crate::ids::{int_param, opt_int_param};
use crate::modem::{Flow, Modem};

/// What `AT+QGPS=?` lists.
const QGPS_TEST: &str = "+QGPS: (1-4),(1-255),(1-1000),(0-1000),(1-65535)";
/// What `AT+QGPSLOC=?` prints: the field list, as the manual shows it.
const QGPSLOC_TEST: &str =
    "+QGPSLOC: <UTC>,<latitude>,<longitude>,<hdop>,<altitude>,<fix>,<cog>,<spkm>,<spkn>,<date>,<nsat>";

/// A form the GNSS command does not have, or a parameter out of its range: 501.
fn invalid(why: impl std::fmt::Display) -> Refusal {
    Refusal::cme(INVALID_PARAM, why)
}

fn wrong_form(cmd: &Command) -> Refusal {
    invalid(format!("{} is not a form this command has", form_text(cmd)))
}

/// `AT+QGPS`.
pub enum Qgps {
    Test,
    Read,
    Start(SessionSettings),
}

fn parse_start(p: &[Param]) -> Result<SessionSettings, Refusal> {
    if !(1..=5).contains(&p.len()) {
        return Err(invalid(format!("AT+QGPS takes 1 to 5 parameters, not {}", p.len())));
    }
    let mode = int_param(p.first(), "<gnssmode>", 1, 4).map_err(invalid)?;
    let d = SessionSettings::default();
    let opt = |i: usize, name: &'static str, lo: i64, hi: i64, default: i64| {
        opt_int_param(p.get(i), name, lo, hi, default).map_err(invalid)
    };
    let settings = SessionSettings {
        fixmaxtime: opt(1, "<fixmaxtime>", 1, 255, d.fixmaxtime.into())? as u16,
        fixmaxdist: opt(2, "<fixmaxdist>", 1, 1000, d.fixmaxdist.into())? as u16,
        fixcount: opt(3, "<fixcount>", 0, 1000, d.fixcount.into())? as u16,
        fixrate: opt(4, "<fixrate>", 1, 65535, d.fixrate.into())? as u32,
    };
    if mode != 1 {
        // MS-based, MS-assisted and speed-optimal need the network's assistance server.
        let why = format!("<gnssmode> {mode}: only stand-alone (1) is supported");
        return Err(Refusal::cme(NOT_SUPPORTED, why));
    }
    Ok(settings)
}

impl AtCommand for Qgps {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qgps::Test),
            Kind::Read => Ok(Qgps::Read),
            Kind::Write(p) => parse_start(p).map(Qgps::Start),
            Kind::Exec => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qgps::Test => m.info(QGPS_TEST),
            Qgps::Read => {
                let on = m.gnss.state(m.now) != GnssState::Off;
                m.info(&format!("+QGPS: {}", u8::from(on)));
            }
            Qgps::Start(settings) => {
                if m.gnss.state(m.now) != GnssState::Off {
                    return Err(Refusal::cme(SESSION_ONGOING, "a GNSS session is already on"));
                }
                m.gnss.start(m.now, m.cfg.timing.gnss_fix, settings);
                let first_fix_ms = m.gnss.until_fix(m.now).as_millis() as u64;
                info!(first_fix_ms, fixcount = settings.fixcount, fixrate = settings.fixrate, "GNSS on");
            }
        }
        Ok(Flow::Done)
    }
}

/// `AT+QGPSEND`.
pub enum Qgpsend {
    Test,
    Stop,
}

impl AtCommand for Qgpsend {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match cmd.kind {
            Kind::Test => Ok(Qgpsend::Test),
            Kind::Exec => Ok(Qgpsend::Stop),
            _ => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if let Qgpsend::Stop = self {
            if m.gnss.state(m.now) == GnssState::Off {
                return Err(Refusal::cme(SESSION_NOT_ACTIVE, "GNSS is off"));
            }
            m.gnss.stop();
            info!("GNSS off");
        }
        Ok(Flow::Done)
    }
}

/// `AT+QGPSLOC`.
pub enum Qgpsloc {
    Test,
    Locate(LocMode),
}

impl AtCommand for Qgpsloc {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qgpsloc::Test),
            // The manual's example reads the fix with `AT+QGPSLOC?`, in mode 0's format.
            Kind::Read => Ok(Qgpsloc::Locate(LocMode::Minutes4)),
            Kind::Write(p) if p.len() == 1 => match int_param(p.first(), "<mode>", 0, 2).map_err(invalid)? {
                0 => Ok(Qgpsloc::Locate(LocMode::Minutes4)),
                1 => Ok(Qgpsloc::Locate(LocMode::Minutes6)),
                _ => Ok(Qgpsloc::Locate(LocMode::Degrees)),
            },
            Kind::Write(p) => Err(invalid(format!("AT+QGPSLOC takes 1 parameter, not {}", p.len()))),
            Kind::Exec => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let mode = match self {
            Qgpsloc::Test => {
                m.info(QGPSLOC_TEST);
                return Ok(Flow::Done);
            }
            Qgpsloc::Locate(mode) => mode,
        };
        match m.gnss.state(m.now) {
            GnssState::Off => Err(Refusal::cme(SESSION_NOT_ACTIVE, "GNSS is off (AT+QGPS=1 turns it on)")),
            GnssState::Searching => {
                let left = m.gnss.until_fix(m.now).as_millis();
                Err(Refusal::cme(NOT_FIXED, format!("no fix yet: the first comes in {left} ms")))
            }
            GnssState::Fixed => {
                let line = location_line(m.cfg.gnss_position, mode, m.clock.utc(m.now));
                m.info(&line);
                Ok(Flow::Done)
            }
        }
    }
}
