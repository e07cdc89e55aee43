//! Registration and network commands (3GPP 27.007 and the maker's additions): `AT+CREG`,
//! `AT+CGREG`, `AT+CEREG` (report settings 0–2 and their URCs), `AT+COPS` (operator
//! selection), `AT+CSQ`, `AT+QCSQ`, `AT+QNWINFO`, `AT+QSPN`, `AT+CTZR`, `AT+CTZU`, `AT+QLTS`.
//! The state they read and change is [`crate::registration::Network`].

use qsslsim_at::{Command, Kind};

use super::args::{params, wrong_form};
use super::general::Setting;
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, int_param, opt_int_param, string_param};
use crate::modem::{Flow, Modem};
use crate::registration::{self, OPERATORS};
use crate::urc::RegKind;

/// `+CME ERROR: 30` (no network service).
const NO_SERVICE: u16 = 30;

/// Exec (true) or test (false).
fn exec_or_test(cmd: &Command) -> Result<bool, Refusal> {
    match cmd.kind {
        Kind::Exec => Ok(true),
        Kind::Test => Ok(false),
        _ => Err(wrong_form(cmd)),
    }
}

/// A setting with one integer `0..=hi` in its write form.
fn setting(cmd: &Command, name: &'static str, allowed: &[i64]) -> Result<Setting<u8>, Refusal> {
    Ok(match &cmd.kind {
        Kind::Read => Setting::Read,
        Kind::Test => Setting::Test,
        Kind::Write(p) => {
            count(p, 1, 1, "1")?;
            let hi = *allowed.iter().max().unwrap_or(&0);
            let v = int_param(p.first(), name, 0, hi)?;
            if !allowed.contains(&v) {
                return Err(Refusal::invalid(format!("{name} {v} is not one of {allowed:?}")));
            }
            Setting::Set(v as u8)
        }
        Kind::Exec => return Err(wrong_form(cmd)),
    })
}

/// The report setting of `kind`.
fn report_n(m: &mut Modem, kind: RegKind) -> &mut u8 {
    match kind {
        RegKind::Creg => &mut m.settings.creg_n,
        RegKind::Cgreg => &mut m.settings.cgreg_n,
        RegKind::Cereg => &mut m.settings.cereg_n,
    }
}

fn registration_command(m: &mut Modem, kind: RegKind, s: Setting<u8>) {
    let name = kind.prefix();
    match s {
        Setting::Read => {
            let n = *report_n(m, kind);
            let stat = m.reg_stat();
            let line = match m.location().filter(|_| n == 2) {
                Some(loc) => format!("{name}: {n},{stat},{loc}"),
                None => format!("{name}: {n},{stat}"),
            };
            m.info(&line);
        }
        Setting::Test => m.info(&format!("{name}: (0-2)")),
        Setting::Set(v) => *report_n(m, kind) = v,
    }
}

macro_rules! registration_type {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        pub struct $name(Setting<u8>);

        impl AtCommand for $name {
            const FAMILY: Family = Family::General;
            fn parse(cmd: &Command) -> Result<Self, Refusal> {
                setting(cmd, "<n>", &[0, 1, 2]).map($name)
            }
            fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
                registration_command(m, $kind, self.0);
                Ok(Flow::Done)
            }
        }
    };
}

registration_type!(
    /// `AT+CREG`: circuit-switched registration.
    Creg,
    RegKind::Creg
);
registration_type!(
    /// `AT+CGREG`: packet-switched registration.
    Cgreg,
    RegKind::Cgreg
);
registration_type!(
    /// `AT+CEREG`: EPS registration.
    Cereg,
    RegKind::Cereg
);

/// `AT+COPS`.
pub enum Cops {
    Read,
    Test,
    /// Mode 0 (automatic), 2 (deregister), 3 (format only); with a format when given.
    Mode {
        mode: u8,
        format: Option<u8>,
    },
    /// Mode 1 or 4: the named operator, in `format`.
    Manual {
        mode: u8,
        format: u8,
        oper: String,
    },
}

impl AtCommand for Cops {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Read => return Ok(Cops::Read),
            Kind::Test => return Ok(Cops::Test),
            Kind::Exec => return Err(wrong_form(cmd)),
            Kind::Write(_) => {}
        }
        let p = params(cmd);
        count(p, 1, 4, "1 to 4")?;
        let mode = int_param(p.first(), "<mode>", 0, 4)? as u8;
        let format = match p.get(1) {
            None | Some(qsslsim_at::Param::Omitted) => None,
            some => Some(int_param(some, "<format>", 0, 2)? as u8),
        };
        opt_int_param(p.get(3), "<AcT>", 0, 7, 7)?;
        match mode {
            1 | 4 => {
                let oper = string_param(p.get(2), "<oper>")?.to_string();
                let format = format.ok_or_else(|| Refusal::invalid("manual selection needs <format>"))?;
                Ok(Cops::Manual { mode, format, oper })
            }
            3 if format.is_none() => Err(Refusal::invalid("AT+COPS=3 needs <format>")),
            _ => {
                if p.len() > 2 {
                    return Err(Refusal::invalid(format!("<mode> {mode} takes no <oper>")));
                }
                Ok(Cops::Mode { mode, format })
            }
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Cops::Read => {
                let (mode, format) = (m.network.cops_mode, m.network.cops_format);
                let line = if m.registered() {
                    let oper = m.serving().name(format);
                    format!("+COPS: {mode},{format},\"{oper}\",{}", registration::ACT_LTE)
                } else {
                    format!("+COPS: {mode}")
                };
                m.info(&line);
            }
            Cops::Test => {
                let serving = m.registered().then_some(m.network.operator);
                let list: Vec<String> = OPERATORS
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        let stat = if Some(i) == serving { 2 } else { 1 };
                        format!(
                            "({stat},\"{}\",\"{}\",\"{}\",{})",
                            o.long,
                            o.short,
                            o.numeric,
                            registration::ACT_LTE
                        )
                    })
                    .collect();
                m.info(&format!("+COPS: {},,(0-4),(0-2)", list.join(",")));
            }
            Cops::Mode { mode, format } => {
                if let Some(f) = format {
                    m.network.cops_format = f;
                }
                match mode {
                    0 => registration::update(m, |m| {
                        m.network.cops_mode = 0;
                        m.network.operator = 0;
                        m.network.stat = registration::HOME;
                    }),
                    2 => registration::update(m, |m| {
                        m.network.cops_mode = 2;
                        m.network.stat = registration::NOT_REGISTERED;
                    }),
                    _ => {}
                }
            }
            Cops::Manual { mode, format, oper } => {
                let Some(i) = OPERATORS.iter().position(|o| o.name(format) == oper) else {
                    if mode == 4 {
                        // Manual/automatic: fall back to automatic selection.
                        registration::update(m, |m| {
                            m.network.cops_mode = 4;
                            m.network.operator = 0;
                            m.network.stat = registration::HOME;
                        });
                        return Ok(Flow::Done);
                    }
                    return Err(Refusal::cme(NO_SERVICE, format!("no network {oper:?} is in range")));
                };
                m.network.cops_format = format;
                registration::update(m, |m| {
                    m.network.cops_mode = mode;
                    m.network.operator = i;
                    // Any network but the SIM's home network is a visited one (policy
                    // `cops-manual`).
                    m.network.stat = if i == 0 { registration::HOME } else { registration::ROAMING };
                });
            }
        }
        Ok(Flow::Done)
    }
}

/// `AT+CSQ`: 99,99 without service.
pub struct Csq(bool);

impl AtCommand for Csq {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        exec_or_test(cmd).map(Csq)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let line = if self.0 {
            let (rssi, ber) = m.csq();
            format!("+CSQ: {rssi},{ber}")
        } else {
            "+CSQ: (0-31,99),(0-7,99)".into()
        };
        m.info(&line);
        Ok(Flow::Done)
    }
}

/// `AT+QCSQ`: `+QCSQ: "LTE",<rssi>,<rsrp>,<sinr>,<rsrq>` derived from the `+CSQ` level, or
/// `+QCSQ: "NOSERVICE"`.
pub struct Qcsq(bool);

impl AtCommand for Qcsq {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        exec_or_test(cmd).map(Qcsq)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if self.0 {
            // Policy `qcsq-values`: every figure follows the CSQ level.
            let line = match m.lte_signal() {
                None => "+QCSQ: \"NOSERVICE\"".to_string(),
                Some(sig) => {
                    format!("+QCSQ: \"LTE\",{},{},{},{}", sig.rssi, sig.rsrp, sig.sinr_raw, sig.rsrq)
                }
            };
            m.info(&line);
        }
        Ok(Flow::Done)
    }
}

/// `AT+QNWINFO`: access technology, operator, band and channel.
pub struct Qnwinfo(bool);

impl AtCommand for Qnwinfo {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        exec_or_test(cmd).map(Qnwinfo)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if self.0 {
            let line = if m.registered() {
                let (band, earfcn) = (registration::LTE_BAND, registration::LTE_EARFCN);
                format!("+QNWINFO: \"FDD LTE\",\"{}\",\"LTE BAND {band}\",{earfcn}", m.serving().numeric)
            } else {
                "+QNWINFO: No Service".to_string()
            };
            m.info(&line);
        }
        Ok(Flow::Done)
    }
}

/// `AT+QSPN`: the serving network's names.
pub struct Qspn(bool);

impl AtCommand for Qspn {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match cmd.kind {
            Kind::Exec | Kind::Read => Ok(Qspn(true)),
            Kind::Test => Ok(Qspn(false)),
            _ => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        if self.0 {
            if !m.registered() {
                return Err(Refusal::cme(NO_SERVICE, "not registered: no network names"));
            }
            let o = m.serving();
            let home = OPERATORS[0];
            m.info(&format!("+QSPN: \"{}\",\"{}\",\"{}\",0,\"{}\"", o.long, o.short, home.short, o.numeric));
        }
        Ok(Flow::Done)
    }
}

/// `AT+CTZR`: time zone reports 0–2.
pub struct Ctzr(Setting<u8>);

impl AtCommand for Ctzr {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        setting(cmd, "<reporting>", &[0, 1, 2]).map(Ctzr)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self.0 {
            Setting::Read => m.info(&format!("+CTZR: {}", m.settings.ctzr)),
            Setting::Test => m.info("+CTZR: (0-2)"),
            Setting::Set(v) => m.settings.ctzr = v,
        }
        Ok(Flow::Done)
    }
}

/// `AT+CTZU`: update the clock from the network's time (0, 1, 3); stored only.
pub struct Ctzu(Setting<u8>);

impl AtCommand for Ctzu {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        setting(cmd, "<onoff>", &[0, 1, 3]).map(Ctzu)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self.0 {
            Setting::Read => m.info(&format!("+CTZU: {}", m.settings.ctzu)),
            Setting::Test => m.info("+CTZU: (0,1,3)"),
            Setting::Set(v) => m.settings.ctzu = v,
        }
        Ok(Flow::Done)
    }
}

/// `AT+QLTS[=<mode>]`: the network time from the module clock; 0 (or none) last synchronised,
/// 1 UTC, 2 local.
pub enum Qlts {
    Test,
    Show(u8),
}

impl AtCommand for Qlts {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Exec => Ok(Qlts::Show(0)),
            Kind::Test => Ok(Qlts::Test),
            Kind::Write(p) => {
                count(p, 1, 1, "1")?;
                Ok(Qlts::Show(int_param(p.first(), "<mode>", 0, 2)? as u8))
            }
            Kind::Read => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qlts::Test => m.info("+QLTS: (0-2)"),
            Qlts::Show(mode) => {
                if !m.registered() {
                    // No network time without a network: an empty string, as the maker's
                    // manual shows for a module that never synchronised.
                    m.info("+QLTS: \"\"");
                } else {
                    let text = m.clock.format_full(m.now, mode == 1);
                    m.info(&format!("+QLTS: \"{text},0\""));
                }
            }
        }
        Ok(Flow::Done)
    }
}
