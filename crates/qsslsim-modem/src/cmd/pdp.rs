//! PDP context commands: `AT+QICSGP` (APN), `AT+QIACT` / `AT+QIDEACT` (activation, and the
//! sockets that fall with a context), `AT+QIDNSCFG` (DNS servers).

use std::net::IpAddr;

use qsslsim_at::{Command, Kind, Param};

use super::args::{params, wrong_form};
use super::{AtCommand, Family, Refusal};
use crate::errors::ErrorCode;
use crate::ids::{count, int_param, opt_int_param, string_param, ParamError, PdpCtxId};
use crate::modem::{Flow, Modem};
use crate::pdp::local_address;

/// Longest APN, user name and password `AT+QICSGP` accepts.
const MAX_APN: usize = 100;
const MAX_CREDENTIAL: usize = 127;

/// A string parameter of at most `max` bytes.
fn bounded<'a>(
    p: Option<&'a Param>,
    name: &'static str,
    max: usize,
    rule: &'static str,
) -> Result<&'a str, ParamError> {
    let s = string_param(p, name)?;
    if s.len() > max {
        return Err(ParamError::BadString { name, rule });
    }
    Ok(s)
}

pub enum Qicsgp {
    Test,
    Query(PdpCtxId),
    Set { ctx: PdpCtxId, kind: u8, apn: String, user: String, password: String, auth: u8 },
}

impl AtCommand for Qicsgp {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qicsgp::Test);
        }
        let p = params(cmd);
        if p.is_empty() {
            return Err(wrong_form(cmd));
        }
        let ctx = PdpCtxId::param(p.first())?;
        if p.len() == 1 {
            return Ok(Qicsgp::Query(ctx));
        }
        // <username>,<password> come as a pair and may be left out with <authentication>
        // (the maker's example: AT+QICSGP=1,1,"CMNET").
        if !matches!(p.len(), 3 | 5 | 6) {
            return Err(ParamError::Count { got: p.len(), allowed: "1, 3, 5 or 6" }.into());
        }
        let credential = |i: usize, name| match p.len() {
            3 => Ok(String::new()),
            _ => bounded(p.get(i), name, MAX_CREDENTIAL, "is longer than 127 bytes").map(String::from),
        };
        Ok(Qicsgp::Set {
            ctx,
            kind: int_param(p.get(1), "<context_type>", 1, 3)? as u8,
            apn: bounded(p.get(2), "<APN>", MAX_APN, "is longer than 100 bytes")?.into(),
            user: credential(3, "<username>")?,
            password: credential(4, "<password>")?,
            auth: opt_int_param(p.get(5), "<authentication>", 0, 3, 0)? as u8,
        })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qicsgp::Test => {
                m.info(&format!("+QICSGP: {},(1-3),<APN>,<username>,<password>,(0-3)", PdpCtxId::test_form()))
            }
            Qicsgp::Query(ctx) => {
                let c = m.pdp.get(ctx);
                let line =
                    format!("+QICSGP: {},\"{}\",\"{}\",\"{}\",{}", c.kind, c.apn, c.user, c.password, c.auth);
                m.info(&line);
            }
            Qicsgp::Set { ctx, kind, apn, user, password, auth } => {
                let c = m.pdp.get_mut(ctx);
                c.defined = true;
                c.kind = kind;
                c.apn = apn;
                c.user = user;
                c.password = password;
                c.auth = auth;
            }
        }
        Ok(Flow::Done)
    }
}

pub enum Qiact {
    Test,
    List,
    Activate(PdpCtxId),
}

impl AtCommand for Qiact {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qiact::Test),
            Kind::Read => Ok(Qiact::List),
            Kind::Write(p) => {
                count(p, 1, 1, "1")?;
                Ok(Qiact::Activate(PdpCtxId::param(p.first())?))
            }
            Kind::Exec => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qiact::Test => m.info(&format!("+QIACT: {}", PdpCtxId::test_form())),
            Qiact::List => {
                let lines: Vec<String> = m
                    .pdp
                    .active()
                    .map(|(ctx, c)| format!("+QIACT: {ctx},1,{},\"{}\"", c.kind, local_address(ctx)))
                    .collect();
                for line in lines {
                    m.info(&line);
                }
            }
            Qiact::Activate(ctx) => {
                if m.pdp.is_active(ctx) {
                    let why = format!("PDP context {ctx} is already active (policy qiact-twice)");
                    return Err(Refusal::code(ErrorCode::OpenPdpFailed, why));
                }
                activate(m, ctx).map_err(|(code, why)| Refusal::code(code, why))?;
            }
        }
        Ok(Flow::Done)
    }
}

/// Activate `ctx` (`AT+QIACT`, `AT+CGACT=1`): refused without network service, or without an
/// APN where the network requires one; the code and reason if refused. Activating attaches.
pub(crate) fn activate(m: &mut Modem, ctx: PdpCtxId) -> Result<(), (ErrorCode, String)> {
    if m.settings.cfun != 1 {
        return Err((ErrorCode::OpenPdpFailed, format!("the radio is off (AT+CFUN={})", m.settings.cfun)));
    }
    if !m.registered() {
        return Err((ErrorCode::OpenPdpFailed, "the module is not registered (no network service)".into()));
    }
    if m.cfg.apn_required && m.pdp.get(ctx).apn.is_empty() {
        let why = format!("PDP context {ctx} has no APN and the network requires one");
        return Err((ErrorCode::ApnNotConfigured, why));
    }
    m.network.attached = true;
    let c = m.pdp.get_mut(ctx);
    c.active = true;
    c.defined = true;
    Ok(())
}

pub enum Qideact {
    Test,
    Deactivate(PdpCtxId),
}

impl AtCommand for Qideact {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qideact::Test),
            Kind::Write(p) => {
                count(p, 1, 1, "1")?;
                Ok(Qideact::Deactivate(PdpCtxId::param(p.first())?))
            }
            _ => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qideact::Test => m.info(&format!("+QIDEACT: {}", PdpCtxId::test_form())),
            Qideact::Deactivate(ctx) => crate::net_events::deactivate_pdp(m, ctx, false),
        }
        Ok(Flow::Done)
    }
}

pub enum Qidnscfg {
    Test,
    Query(PdpCtxId),
    /// New primary and secondary servers; `None` keeps the current one.
    Set {
        ctx: PdpCtxId,
        primary: Option<String>,
        secondary: Option<String>,
    },
}

/// A DNS server address parameter: omitted keeps the current one.
fn dns_address(p: Option<&Param>, name: &'static str) -> Result<Option<String>, ParamError> {
    match p {
        None | Some(Param::Omitted) => Ok(None),
        some => {
            let s = string_param(some, name)?;
            match s.parse::<IpAddr>() {
                Ok(_) => Ok(Some(s.to_string())),
                Err(_) => Err(ParamError::BadString { name, rule: "is not an IP address" }),
            }
        }
    }
}

impl AtCommand for Qidnscfg {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qidnscfg::Test);
        }
        let p = params(cmd);
        if p.is_empty() {
            return Err(wrong_form(cmd));
        }
        count(p, 1, 3, "1 to 3")?;
        let ctx = PdpCtxId::param(p.first())?;
        if p.len() == 1 {
            return Ok(Qidnscfg::Query(ctx));
        }
        let primary = dns_address(p.get(1), "<pridnsaddr>")?;
        let secondary = dns_address(p.get(2), "<secdnsaddr>")?;
        Ok(Qidnscfg::Set { ctx, primary, secondary })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qidnscfg::Test => {
                m.info(&format!("+QIDNSCFG: {},<pridnsaddr>,<secdnsaddr>", PdpCtxId::test_form()))
            }
            Qidnscfg::Query(ctx) => {
                let c = m.pdp.get(ctx);
                let line = format!("+QIDNSCFG: {ctx},\"{}\",\"{}\"", c.dns_primary, c.dns_secondary);
                m.info(&line);
            }
            Qidnscfg::Set { ctx, primary, secondary } => {
                let c = m.pdp.get_mut(ctx);
                if let Some(pri) = primary {
                    c.dns_primary = pri;
                }
                if let Some(sec) = secondary {
                    c.dns_secondary = sec;
                }
            }
        }
        Ok(Flow::Done)
    }
}
