//! Configuration host stacks send during init that the emulator stores and reads back without
//! further effect on a pty: `AT+QCFG` (`"band"`, `"nwscanmode"`, `"nwscanseq"`, `"iotopmode"`,
//! `"cmux/urcport"`),
//! `AT+QURCCFG="urcport"` and `AT+QSCLK` (sleep). The stored values are [`ModuleCfg`] (kept
//! across restarts, as the maker saves them at once) and `Settings::sclk`.
//!
//! [`ModuleCfg`]: crate::module_cfg::ModuleCfg

use qsslsim_at::{Command, Kind, Param};

use super::args::{params, wrong_form};
use super::general::Setting;
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, int_param, opt_int_param, string_param};
use crate::modem::{Flow, Modem};
use crate::module_cfg::URC_PORTS;

/// A bare hex mask (`f`, `0x400a0e189f`), lower case without the prefix.
fn hex_mask(p: Option<&Param>, name: &'static str) -> Result<String, Refusal> {
    let text = match p {
        Some(Param::Bare(t)) | Some(Param::Quoted(t)) => t.as_str(),
        _ => return Err(Refusal::invalid(format!("{name} is missing"))),
    };
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    if digits.is_empty() || digits.len() > 32 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Refusal::invalid(format!("{name} {text:?} is not a hex band mask")));
    }
    Ok(digits.to_ascii_lowercase())
}

/// `AT+QCFG="<item>"[,...]`.
pub enum Qcfg {
    Test,
    Read(&'static str),
    Band([String; 3]),
    ScanMode(u8),
    ScanSeq(String),
    IotOpMode(u8),
    CmuxUrcPort(u8),
}

const ITEMS: &[&str] = &["band", "nwscanmode", "nwscanseq", "iotopmode", "cmux/urcport"];

impl AtCommand for Qcfg {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qcfg::Test);
        }
        let p = params(cmd);
        if p.is_empty() {
            return Err(wrong_form(cmd));
        }
        let name = string_param(p.first(), "<item>")?.to_ascii_lowercase();
        let item = ITEMS.iter().find(|i| **i == name).ok_or_else(|| {
            Refusal::invalid(format!("AT+QCFG item {name:?} is not one this module stores"))
        })?;
        if p.len() == 1 {
            return Ok(Qcfg::Read(item));
        }
        Ok(match *item {
            "band" => {
                count(p, 4, 5, "4 or 5")?;
                opt_int_param(p.get(4), "<effect>", 0, 1, 1)?;
                Qcfg::Band([
                    hex_mask(p.get(1), "<gsmbandval>")?,
                    hex_mask(p.get(2), "<ltebandval>")?,
                    hex_mask(p.get(3), "<iotbandval>")?,
                ])
            }
            "nwscanmode" => {
                count(p, 2, 3, "2 or 3")?;
                opt_int_param(p.get(2), "<effect>", 0, 1, 1)?;
                let mode = int_param(p.get(1), "<scanmode>", 0, 3)? as u8;
                if mode == 2 {
                    return Err(Refusal::invalid("<scanmode> 2 is not 0, 1 or 3"));
                }
                Qcfg::ScanMode(mode)
            }
            "nwscanseq" => {
                count(p, 2, 3, "2 or 3")?;
                opt_int_param(p.get(2), "<effect>", 0, 1, 1)?;
                let seq = match p.get(1) {
                    Some(Param::Bare(t)) | Some(Param::Quoted(t)) => t.clone(),
                    _ => return Err(Refusal::invalid("<scanseq> is missing")),
                };
                if seq.is_empty()
                    || seq.len() > 10
                    || seq.len() % 2 != 0
                    || !seq.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(Refusal::invalid(format!("<scanseq> {seq:?} is not pairs of digits")));
                }
                Qcfg::ScanSeq(seq)
            }
            "cmux/urcport" => {
                // The second value of the maker's test form, (0,1), is checked and not kept
                // (policy `cmux-urcport`).
                count(p, 2, 3, "2 or 3")?;
                opt_int_param(p.get(2), "<second value>", 0, 1, 0)?;
                Qcfg::CmuxUrcPort(int_param(p.get(1), "<urcport>", 0, 4)? as u8)
            }
            _ => {
                count(p, 2, 3, "2 or 3")?;
                opt_int_param(p.get(2), "<effect>", 0, 1, 1)?;
                Qcfg::IotOpMode(int_param(p.get(1), "<mode>", 0, 2)? as u8)
            }
        })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let c = &mut m.module_cfg;
        match self {
            Qcfg::Test => {
                for line in [
                    "+QCFG: \"band\",(0-f),(0-7fffffffffffffff),(0-7fffffffffffffff),(0,1)",
                    "+QCFG: \"nwscanmode\",(0,1,3),(0,1)",
                    "+QCFG: \"nwscanseq\",(00-0403),(0,1)",
                    "+QCFG: \"iotopmode\",(0-2),(0,1)",
                    "+QCFG: \"cmux/urcport\",(0-4),(0,1)",
                ] {
                    m.info(line);
                }
            }
            Qcfg::Read(item) => {
                let line = match item {
                    "band" => format!("+QCFG: \"band\",0x{},0x{},0x{}", c.band[0], c.band[1], c.band[2]),
                    "nwscanmode" => format!("+QCFG: \"nwscanmode\",{}", c.nwscanmode),
                    "nwscanseq" => format!("+QCFG: \"nwscanseq\",{}", c.nwscanseq),
                    "cmux/urcport" => format!("+QCFG: \"cmux/urcport\",{}", c.cmux_urcport),
                    _ => format!("+QCFG: \"iotopmode\",{}", c.iotopmode),
                };
                m.info(&line);
            }
            Qcfg::Band(b) => c.band = b,
            Qcfg::ScanMode(n) => c.nwscanmode = n,
            Qcfg::ScanSeq(s) => c.nwscanseq = s,
            Qcfg::IotOpMode(n) => c.iotopmode = n,
            Qcfg::CmuxUrcPort(n) => c.cmux_urcport = n,
        }
        Ok(Flow::Done)
    }
}

/// `AT+QURCCFG="urcport"[,"<port>"]`.
pub enum Qurccfg {
    Test,
    Read,
    Set(&'static str),
}

impl AtCommand for Qurccfg {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qurccfg::Test);
        }
        let p = params(cmd);
        if p.is_empty() {
            return Err(wrong_form(cmd));
        }
        count(p, 1, 2, "1 or 2")?;
        if !string_param(p.first(), "<item>")?.eq_ignore_ascii_case("urcport") {
            return Err(Refusal::invalid("AT+QURCCFG knows only \"urcport\""));
        }
        if p.len() == 1 {
            return Ok(Qurccfg::Read);
        }
        let port = string_param(p.get(1), "<urcportvalue>")?.to_ascii_lowercase();
        let port = URC_PORTS
            .iter()
            .find(|p| **p == port)
            .ok_or_else(|| Refusal::invalid(format!("{port:?} is not usbat, usbmodem or uart1")))?;
        Ok(Qurccfg::Set(port))
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qurccfg::Test => m.info("+QURCCFG: \"urcport\",(\"usbat\",\"usbmodem\",\"uart1\")"),
            Qurccfg::Read => {
                let line = format!("+QURCCFG: \"urcport\",\"{}\"", m.module_cfg.urcport);
                m.info(&line);
            }
            Qurccfg::Set(port) => m.module_cfg.urcport = port.into(),
        }
        Ok(Flow::Done)
    }
}

/// `AT+QSCLK=<0|1>`: sleep allowed or not; stored (a pty has no DTR to wake it).
pub struct Qsclk(Setting<u8>);

impl AtCommand for Qsclk {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Setting::parse(cmd, |p| {
            count(p, 1, 1, "1")?;
            Ok(int_param(p.first(), "<enable>", 0, 1)? as u8)
        })
        .map(Qsclk)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self.0 {
            Setting::Read => m.info(&format!("+QSCLK: {}", m.settings.sclk)),
            Setting::Test => m.info("+QSCLK: (0,1)"),
            Setting::Set(v) => m.settings.sclk = v,
        }
        Ok(Flow::Done)
    }
}
