//! Identity, SIM, signal and registration commands that host init sequences send
//! (`AT+CMEE`, `AT+GMR`, `AT+CPIN?`, `AT+CSQ`, `AT+CEREG?`, `AT+CGATT?`, `AT+CFUN`), and
//! `AT+QIGETERROR`. The radio side is always registered and attached.

use qsslsim_at::{Command, Kind, Param};

use super::args::{params, wrong_form};
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, int_param, opt_int_param, PdpCtxId};
use crate::modem::{Flow, Modem};

/// The read/test/write shape most settings share.
pub enum Setting<T> {
    Read,
    Test,
    Set(T),
}

impl<T> Setting<T> {
    /// The read, test and write forms of a setting (the exec form is refused); `write` reads
    /// the write form's parameters.
    pub fn parse(cmd: &Command, write: impl FnOnce(&[Param]) -> Result<T, Refusal>) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Read => Ok(Setting::Read),
            Kind::Test => Ok(Setting::Test),
            Kind::Write(p) => write(p).map(Setting::Set),
            Kind::Exec => Err(wrong_form(cmd)),
        }
    }
}

/// `AT+CMEE`.
pub struct Cmee(Setting<u8>);

impl AtCommand for Cmee {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Setting::parse(cmd, |p| {
            count(p, 1, 1, "1")?;
            Ok(int_param(p.first(), "<n>", 0, 2)? as u8)
        })
        .map(Cmee)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self.0 {
            Setting::Read => m.info(&format!("+CMEE: {}", m.out.framing.cmee)),
            Setting::Test => m.info("+CMEE: (0-2)"),
            Setting::Set(n) => m.out.framing.cmee = n,
        }
        Ok(Flow::Done)
    }
}

/// Exec and test forms only; exec prints one line.
fn exec_or_test(cmd: &Command) -> Result<bool, Refusal> {
    match cmd.kind {
        Kind::Exec => Ok(true),
        Kind::Test => Ok(false),
        _ => Err(wrong_form(cmd)),
    }
}

/// `AT+GMR` / `AT+CGMR`.
pub struct Revision(bool);
/// `AT+GMI` / `AT+CGMI`.
pub struct Manufacturer(bool);
/// `AT+GMM` / `AT+CGMM`.
pub struct Model(bool);

macro_rules! identity_line {
    ($name:ident, $field:ident) => {
        impl AtCommand for $name {
            const FAMILY: Family = Family::General;
            fn parse(cmd: &Command) -> Result<Self, Refusal> {
                exec_or_test(cmd).map($name)
            }
            fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
                if self.0 {
                    let line = m.cfg.$field.clone();
                    m.info(&line);
                }
                Ok(Flow::Done)
            }
        }
    };
}

identity_line!(Revision, revision);
identity_line!(Manufacturer, manufacturer);
identity_line!(Model, model);

/// `AT+CFUN`: functionality 0, 1 or 4; leaving 1 deactivates every PDP context. `<rst>` 1
/// restarts the module after `OK` (see [`crate::power`]).
pub struct Cfun(Setting<(u8, bool)>);

impl AtCommand for Cfun {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Setting::parse(cmd, |p| {
            count(p, 1, 2, "1 or 2")?;
            let fun = int_param(p.first(), "<fun>", 0, 4)?;
            if ![0, 1, 4].contains(&fun) {
                return Err(Refusal::invalid(format!("<fun> {fun} is not 0, 1 or 4")));
            }
            let rst = opt_int_param(p.get(1), "<rst>", 0, 1, 0)? == 1;
            Ok((fun as u8, rst))
        })
        .map(Cfun)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self.0 {
            Setting::Read => m.info(&format!("+CFUN: {}", m.settings.cfun)),
            Setting::Test => m.info("+CFUN: (0,1,4),(0-1)"),
            Setting::Set((_, true)) => {
                let delay = m.cfg.timing.restart;
                crate::power::request_reset(m, delay);
            }
            Setting::Set((fun, false)) => {
                if fun != 1 {
                    let active: Vec<PdpCtxId> = m.pdp.active().map(|(ctx, _)| ctx).collect();
                    for ctx in active {
                        crate::net_events::deactivate_pdp(m, ctx, false);
                    }
                }
                // Registration follows the radio: the reports the host asked for go out.
                crate::registration::update(m, |m| m.settings.cfun = fun);
            }
        }
        Ok(Flow::Done)
    }
}

/// `AT+QIGETERROR`: the last SSL/TCP command's result.
pub struct Qigeterror(bool);

impl AtCommand for Qigeterror {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if !params(cmd).is_empty() {
            return Err(wrong_form(cmd));
        }
        exec_or_test(cmd).map(Qigeterror)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if self.0 {
            let code = m.last_error;
            m.info(&format!("+QIGETERROR: {code},{}", code.text()));
        }
        Ok(Flow::Done)
    }
}
