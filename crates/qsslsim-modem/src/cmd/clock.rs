//! `AT+CCLK`: read and set the module clock used for certificate validity.

use qsslsim_at::{Command, Kind};

use super::args::wrong_form;
use super::general::Setting;
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, string_param};
use crate::modem::{Flow, Modem};

pub struct Cclk(Setting<String>);

impl AtCommand for Cclk {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Ok(Cclk(match &cmd.kind {
            Kind::Read => Setting::Read,
            Kind::Test => Setting::Test,
            Kind::Write(p) => {
                count(p, 1, 1, "1")?;
                Setting::Set(string_param(p.first(), "<time>")?.to_string())
            }
            Kind::Exec => return Err(wrong_form(cmd)),
        }))
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let now = m.now;
        match self.0 {
            Setting::Read => {
                let text = m.clock.format(now);
                m.info(&format!("+CCLK: \"{text}\""));
            }
            Setting::Test => {}
            Setting::Set(text) => {
                m.clock.set(&text, now).ok_or_else(|| {
                    Refusal::invalid(format!("<time> {text:?} is not \"yy/MM/dd,hh:mm:ss±zz\""))
                })?;
            }
        }
        Ok(Flow::Done)
    }
}
