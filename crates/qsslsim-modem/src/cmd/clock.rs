//! `AT+CCLK`: read and set the module clock used for certificate validity.

use qsslsim_at::Command;

use super::general::Setting;
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, string_param};
use crate::modem::{Flow, Modem};

pub struct Cclk(Setting<String>);

impl AtCommand for Cclk {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Setting::parse(cmd, |p| {
            count(p, 1, 1, "1")?;
            Ok(string_param(p.first(), "<time>")?.to_string())
        })
        .map(Cclk)
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
