//! PDP contexts the 3GPP 27.007 way: `AT+CGDCONT` (define), `AT+CGACT` (activate),
//! `AT+CGPADDR` (address), `AT+CGCONTRDP` (dynamic parameters: bearer, APN, address and mask,
//! gateway, DNS servers), `AT+CGATT` (attach), `AT+CGEREP` (`+CGEV` reports). They edit and
//! activate the same contexts as `AT+QICSGP`/`AT+QIACT`/`AT+QIDEACT` ([`crate::pdp::PdpTable`]),
//! so a host may define with one family and activate with the other. Failures answer
//! `+CME ERROR` as 27.007 commands do.

use qsslsim_at::{Command, Kind};

use super::args::{params, wrong_form};
use super::general::Setting;
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, int_param, opt_int_param, ParamError, PdpCtxId};
use crate::modem::{Flow, Modem};
use crate::pdp::{local_address, type_name, PDP_TYPES};

/// `+CME ERROR: 3` (operation not allowed).
const NOT_ALLOWED: u16 = 3;
/// `+CME ERROR: 30` (no network service).
const NO_SERVICE: u16 = 30;
/// Longest APN (as `AT+QICSGP`).
const MAX_APN: usize = 100;

/// `AT+CGDCONT`.
pub enum Cgdcont {
    Read,
    Test,
    /// `AT+CGDCONT=<cid>`: the context becomes undefined.
    Undefine(PdpCtxId),
    Define {
        ctx: PdpCtxId,
        kind: u8,
        apn: Option<String>,
    },
}

impl AtCommand for Cgdcont {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Read => return Ok(Cgdcont::Read),
            Kind::Test => return Ok(Cgdcont::Test),
            Kind::Exec => return Err(wrong_form(cmd)),
            Kind::Write(_) => {}
        }
        let p = params(cmd);
        // <cid>,<PDP_type>,<APN>,<PDP_addr>,<d_comp>,<h_comp> and the later optional ones.
        count(p, 1, 12, "1 to 12")?;
        let ctx = PdpCtxId::param(p.first())?;
        if p.len() == 1 {
            return Ok(Cgdcont::Undefine(ctx));
        }
        let name = crate::ids::string_param(p.get(1), "<PDP_type>")?;
        let kind = PDP_TYPES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(k, _)| *k)
            .ok_or(ParamError::BadString { name: "<PDP_type>", rule: "is not IP, IPV6 or IPV4V6" })?;
        let apn = match p.get(2) {
            None | Some(qsslsim_at::Param::Omitted) => None,
            some => {
                let apn = crate::ids::string_param(some, "<APN>")?;
                if apn.len() > MAX_APN {
                    return Err(
                        ParamError::BadString { name: "<APN>", rule: "is longer than 100 bytes" }.into()
                    );
                }
                Some(apn.to_string())
            }
        };
        opt_int_param(p.get(4), "<d_comp>", 0, 3, 0)?;
        opt_int_param(p.get(5), "<h_comp>", 0, 4, 0)?;
        Ok(Cgdcont::Define { ctx, kind, apn })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Cgdcont::Read => {
                let lines: Vec<String> = m
                    .pdp
                    .defined()
                    .map(|(ctx, c)| {
                        format!("+CGDCONT: {ctx},\"{}\",\"{}\",\"0.0.0.0\",0,0", type_name(c.kind), c.apn)
                    })
                    .collect();
                for line in lines {
                    m.info(&line);
                }
            }
            Cgdcont::Test => {
                for (_, name) in PDP_TYPES {
                    m.info(&format!("+CGDCONT: {},\"{name}\",,,(0-3),(0-4)", PdpCtxId::test_form()));
                }
            }
            Cgdcont::Undefine(ctx) => {
                if m.pdp.is_active(ctx) {
                    return Err(Refusal::cme(NOT_ALLOWED, format!("PDP context {ctx} is active")));
                }
                *m.pdp.get_mut(ctx) = crate::pdp::PdpContext::default();
            }
            Cgdcont::Define { ctx, kind, apn } => {
                if m.pdp.is_active(ctx) {
                    // The network gave the active context its parameters; they cannot change now.
                    return Err(Refusal::cme(NOT_ALLOWED, format!("PDP context {ctx} is active")));
                }
                let c = m.pdp.get_mut(ctx);
                c.defined = true;
                c.kind = kind;
                c.apn = apn.unwrap_or_default();
            }
        }
        Ok(Flow::Done)
    }
}

/// `AT+CGACT`.
pub enum Cgact {
    Read,
    Test,
    /// Activate (true) or deactivate the contexts named, or every defined one.
    Set {
        on: bool,
        contexts: Vec<PdpCtxId>,
    },
}

impl AtCommand for Cgact {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Read => Ok(Cgact::Read),
            Kind::Test => Ok(Cgact::Test),
            Kind::Exec => Err(wrong_form(cmd)),
            Kind::Write(p) => {
                count(p, 1, 1 + PdpCtxId::COUNT, "1 to 16")?;
                let on = int_param(p.first(), "<state>", 0, 1)? == 1;
                let contexts = p[1..].iter().map(|c| PdpCtxId::param(Some(c))).collect::<Result<_, _>>()?;
                Ok(Cgact::Set { on, contexts })
            }
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Cgact::Read => {
                let lines: Vec<String> =
                    m.pdp.defined().map(|(ctx, c)| format!("+CGACT: {ctx},{}", u8::from(c.active))).collect();
                for line in lines {
                    m.info(&line);
                }
            }
            Cgact::Test => m.info("+CGACT: (0,1)"),
            Cgact::Set { on, contexts } => {
                let contexts = if contexts.is_empty() {
                    m.pdp.defined().map(|(ctx, _)| ctx).collect()
                } else {
                    contexts
                };
                for ctx in contexts {
                    match (on, m.pdp.is_active(ctx)) {
                        // 27.007: a context already in the requested state is left alone.
                        (true, true) | (false, false) => {}
                        (true, false) => {
                            if let Err((_, why)) = super::pdp::activate(m, ctx) {
                                return Err(Refusal::cme(NO_SERVICE, why));
                            }
                        }
                        (false, true) => crate::net_events::deactivate_pdp(m, ctx, false),
                    }
                }
            }
        }
        Ok(Flow::Done)
    }
}

/// `AT+CGPADDR[=<cid>[,<cid>...]]`: the address `AT+QIACT?` shows, `0.0.0.0` while inactive.
pub enum Cgpaddr {
    Test,
    Show(Vec<PdpCtxId>),
}

impl AtCommand for Cgpaddr {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Cgpaddr::Test),
            Kind::Exec => Ok(Cgpaddr::Show(Vec::new())),
            Kind::Write(p) => {
                count(p, 1, PdpCtxId::COUNT, "1 to 15")?;
                Ok(Cgpaddr::Show(p.iter().map(|c| PdpCtxId::param(Some(c))).collect::<Result<_, _>>()?))
            }
            Kind::Read => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Cgpaddr::Test => {
                let ids: Vec<String> = m.pdp.defined().map(|(ctx, _)| ctx.to_string()).collect();
                m.info(&format!("+CGPADDR: ({})", ids.join(",")));
            }
            Cgpaddr::Show(contexts) => {
                let contexts = if contexts.is_empty() {
                    m.pdp.defined().map(|(ctx, _)| ctx).collect()
                } else {
                    contexts
                };
                for ctx in contexts {
                    let addr = if m.pdp.is_active(ctx) { local_address(ctx) } else { "0.0.0.0".into() };
                    m.info(&format!("+CGPADDR: {ctx},\"{addr}\""));
                }
            }
        }
        Ok(Flow::Done)
    }
}

/// `AT+CGCONTRDP[=<cid>]`: for each active context named (every active one without a cid)
/// `+CGCONTRDP: <cid>,<bearer_id>,"<apn>","<addr>.<mask>","<gw>","<dns1>","<dns2>"`, the
/// address `AT+CGPADDR` and `AT+QIACT?` show and the DNS servers `AT+QIDNSCFG` shows. An
/// inactive context has no dynamic parameters: no line.
pub enum Cgcontrdp {
    Test,
    Show(Option<PdpCtxId>),
}

impl AtCommand for Cgcontrdp {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Cgcontrdp::Test),
            Kind::Exec => Ok(Cgcontrdp::Show(None)),
            Kind::Write(p) => {
                count(p, 1, 1, "1")?;
                Ok(Cgcontrdp::Show(Some(PdpCtxId::param(p.first())?)))
            }
            Kind::Read => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let active: Vec<PdpCtxId> = m.pdp.active().map(|(ctx, _)| ctx).collect();
        let lines: Vec<String> = match self {
            Cgcontrdp::Test => {
                let ids: Vec<String> = active.iter().map(ToString::to_string).collect();
                vec![format!("+CGCONTRDP: ({})", ids.join(","))]
            }
            Cgcontrdp::Show(which) => active
                .into_iter()
                .filter(|ctx| which.is_none() || which == Some(*ctx))
                .map(|ctx| {
                    let c = m.pdp.get(ctx);
                    format!(
                        "+CGCONTRDP: {ctx},{},\"{}\",\"{}.{}\",\"{}\",\"{}\",\"{}\"",
                        crate::pdp::bearer_id(ctx),
                        c.apn,
                        local_address(ctx),
                        crate::pdp::SUBNET_MASK,
                        crate::pdp::GATEWAY,
                        c.dns_primary,
                        c.dns_secondary
                    )
                })
                .collect(),
        };
        for line in lines {
            m.info(&line);
        }
        Ok(Flow::Done)
    }
}

/// `AT+CGATT`: `=0` detaches (every context goes down), `=1` attaches (needs service).
pub struct Cgatt(Setting<bool>);

impl AtCommand for Cgatt {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Setting::parse(cmd, |p| {
            count(p, 1, 1, "1")?;
            Ok(int_param(p.first(), "<state>", 0, 1)? == 1)
        })
        .map(Cgatt)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self.0 {
            Setting::Read => {
                let attached = m.network.attached && m.registered();
                m.info(&format!("+CGATT: {}", u8::from(attached)));
            }
            Setting::Test => m.info("+CGATT: (0,1)"),
            Setting::Set(true) => {
                if !m.registered() {
                    return Err(Refusal::cme(NO_SERVICE, "cannot attach without network service"));
                }
                m.network.attached = true;
            }
            Setting::Set(false) => {
                let active: Vec<PdpCtxId> = m.pdp.active().map(|(ctx, _)| ctx).collect();
                for ctx in active {
                    crate::net_events::deactivate_pdp(m, ctx, false);
                }
                m.network.attached = false;
            }
        }
        Ok(Flow::Done)
    }
}

/// `AT+CGEREP=<mode>[,<bfr>]`: `+CGEV` reports on (mode 1, 2) or off.
pub struct Cgerep(Setting<(u8, u8)>);

impl AtCommand for Cgerep {
    const FAMILY: Family = Family::General;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        Setting::parse(cmd, |p| {
            count(p, 1, 2, "1 or 2")?;
            let mode = int_param(p.first(), "<mode>", 0, 2)? as u8;
            let bfr = opt_int_param(p.get(1), "<bfr>", 0, 1, 0)? as u8;
            Ok((mode, bfr))
        })
        .map(Cgerep)
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self.0 {
            Setting::Read => {
                let (mode, bfr) = m.settings.cgerep;
                m.info(&format!("+CGEREP: {mode},{bfr}"));
            }
            Setting::Test => m.info("+CGEREP: (0-2),(0,1)"),
            Setting::Set(v) => m.settings.cgerep = v,
        }
        Ok(Flow::Done)
    }
}
