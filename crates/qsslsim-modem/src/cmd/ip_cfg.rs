//! `AT+QICFG` (the TCP/IP family's optional settings, one item per call) and `AT+QISDE`
//! (whether data typed at `AT+QISEND`'s prompt is echoed). The items and their ranges are
//! the table in [`crate::ip_cfg`].

use qsslsim_at::{Command, Kind};

use super::args::{params, wrong_form};
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, int_param, string_param, ParamError};
use crate::ip_cfg::{IpCfg, IP_CFG_ITEMS};
use crate::modem::{Flow, Modem};

/// A range as the maker's test responses write it: `(0,1)` for a pair, `(lo-hi)` otherwise.
fn range_text(lo: i64, hi: i64) -> String {
    if hi == lo + 1 {
        format!("({lo},{hi})")
    } else {
        format!("({lo}-{hi})")
    }
}

pub enum Qicfg {
    Test,
    Query(usize),
    Set { index: usize, values: Vec<i64> },
}

impl AtCommand for Qicfg {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match cmd.kind {
            Kind::Test => return Ok(Qicfg::Test),
            Kind::Write(_) => {}
            _ => return Err(wrong_form(cmd)),
        }
        let p = params(cmd);
        let name = string_param(p.first(), "<item>")?;
        let (index, item) = IpCfg::item(name)
            .ok_or_else(|| Refusal::invalid(format!("\"{name}\" is not an AT+QICFG item this module has")))?;
        if p.len() == 1 {
            return Ok(Qicfg::Query(index));
        }
        count(p, 2, 1 + item.values.len(), "the item and its values")?;
        let values = p[1..]
            .iter()
            .zip(item.values)
            .map(|(param, &(lo, hi, _))| int_param(Some(param), "<value>", lo, hi))
            .collect::<Result<Vec<_>, ParamError>>()?;
        Ok(Qicfg::Set { index, values })
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qicfg::Test => {
                for item in IP_CFG_ITEMS {
                    let ranges: Vec<String> =
                        item.values.iter().map(|&(lo, hi, _)| range_text(lo, hi)).collect();
                    m.info(&format!("+QICFG: \"{}\",{}", item.name, ranges.join(",")));
                }
            }
            Qicfg::Query(index) => {
                let values: Vec<String> = m.ip_cfg.values(index).iter().map(i64::to_string).collect();
                m.info(&format!("+QICFG: \"{}\",{}", IP_CFG_ITEMS[index].name, values.join(",")));
            }
            Qicfg::Set { index, values } => {
                tracing::info!(item = IP_CFG_ITEMS[index].name, ?values, "AT+QICFG set");
                m.ip_cfg.set(index, &values);
            }
        }
        Ok(Flow::Done)
    }
}

pub enum Qisde {
    Test,
    Read,
    Set(bool),
}

impl AtCommand for Qisde {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match cmd.kind {
            Kind::Test => Ok(Qisde::Test),
            Kind::Read => Ok(Qisde::Read),
            Kind::Write(_) => {
                let p = params(cmd);
                count(p, 1, 1, "1")?;
                Ok(Qisde::Set(int_param(p.first(), "<echo>", 0, 1)? == 1))
            }
            Kind::Exec => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qisde::Test => m.info("+QISDE: (0,1)"),
            Qisde::Read => {
                let echo = u8::from(m.ip_cfg.send_echo);
                m.info(&format!("+QISDE: {echo}"));
            }
            Qisde::Set(echo) => m.ip_cfg.send_echo = echo,
        }
        Ok(Flow::Done)
    }
}
