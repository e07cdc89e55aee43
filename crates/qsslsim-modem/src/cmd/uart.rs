//! The serial port's own settings: `AT+IFC` (flow control each way) and `AT+IPR` (baud rate).
//! A pty has no baud rate and no RTS/CTS lines: both are stored and reported; flow control
//! decides what transparent mode does when the network cannot take the host's data (policy
//! `transparent-flow-control`).

use qsslsim_at::Command;

use super::general::Setting;
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, int_param, opt_int_param};
use crate::modem::{Flow, Modem};
use crate::settings::{FlowControl, BAUD_RATES};

/// `AT+IFC=<dce_by_dte>[,<dte_by_dce>]`: 0 none, 2 RTS/CTS.
pub struct Ifc(Setting<(FlowControl, FlowControl)>);

fn flow_control(
    p: Option<&qsslsim_at::Param>,
    name: &'static str,
    optional: bool,
) -> Result<FlowControl, Refusal> {
    let v = if optional { opt_int_param(p, name, 0, 2, 0)? } else { int_param(p, name, 0, 2)? };
    FlowControl::from_code(v)
        .ok_or_else(|| Refusal::invalid(format!("{name} {v} is not 0 (none) or 2 (RTS/CTS)")))
}

impl AtCommand for Ifc {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Setting::parse(cmd, |p| {
            count(p, 1, 2, "1 or 2")?;
            let by_host = flow_control(p.first(), "<dce_by_dte>", false)?;
            let by_module = flow_control(p.get(1), "<dte_by_dce>", true)?;
            Ok((by_host, by_module))
        })
        .map(Ifc)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self.0 {
            Setting::Read => {
                let (a, b) = m.settings.flow_control;
                m.info(&format!("+IFC: {},{}", a.code(), b.code()));
            }
            Setting::Test => m.info("+IFC: (0,2),(0,2)"),
            Setting::Set(v) => {
                tracing::info!(?v, "AT+IFC: flow control (host stops module, module stops host)");
                m.settings.flow_control = v;
            }
        }
        Ok(Flow::Done)
    }
}

/// `AT+IPR=<rate>`: stored and reported; the pty has no rate (`--baud` paces output).
pub struct Ipr(Setting<u32>);

impl AtCommand for Ipr {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Setting::parse(cmd, |p| {
            count(p, 1, 1, "1")?;
            let rate = int_param(p.first(), "<rate>", 0, i64::from(u32::MAX))? as u32;
            if rate != 0 && !BAUD_RATES.contains(&rate) {
                return Err(Refusal::invalid(format!("<rate> {rate} is not a rate the module supports")));
            }
            Ok(rate)
        })
        .map(Ipr)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self.0 {
            Setting::Read => m.info(&format!("+IPR: {}", m.settings.baud_rate)),
            Setting::Test => {
                let rates: Vec<String> = BAUD_RATES.iter().map(u32::to_string).collect();
                m.info(&format!("+IPR: (0,{})", rates.join(",")));
            }
            Setting::Set(rate) => m.settings.baud_rate = rate,
        }
        Ok(Flow::Done)
    }
}
