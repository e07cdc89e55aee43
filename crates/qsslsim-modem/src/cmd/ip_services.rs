//! `AT+QIDNSGIP`, `AT+QPING` and `AT+QNTP`: the IP services that use no socket. Each answers
//! `OK` once its parameters are good and reports its result later in URCs (see
//! [`crate::ip_services`]); a context that is not active fails the same way, in the URC
//! (policy `ip-service-checks`). A second job of the same kind while one runs answers `ERROR`
//! (policy `ip-service-busy`).

use qsslsim_at::{Command, Kind};

use super::args::{host_param, wrong_form};
use super::{AtCommand, Family, Refusal};
use crate::errors::ErrorCode;
use crate::ids::{count, opt_int_param, PdpCtxId};
use crate::ip_services::{self, Lookup, Ntp, Ping, ServiceKind};
use crate::modem::{Flow, Modem};
use crate::urc::Urc;

/// `<timeout>` of `AT+QPING` in seconds: range and default.
pub const PING_TIMEOUT_S: (i64, i64, i64) = (1, 255, 4);
/// `<pingnum>` of `AT+QPING`: range and default.
pub const PING_COUNT: (i64, i64, i64) = (1, 10, 4);
/// `<port>` of `AT+QNTP`: range and default.
pub const NTP_PORT: (i64, i64, i64) = (1, 65535, 123);
/// `<autosettime>` of `AT+QNTP`: range and default (policy `qntp-autosettime`).
pub const NTP_AUTOSET: (i64, i64, i64) = (0, 1, 1);

/// Whether `ctx` is active; if not, the job's one report is `urc` with 561.
fn context_ready(m: &mut Modem, ctx: PdpCtxId, urc: Urc) -> bool {
    if m.pdp.is_active(ctx) {
        return true;
    }
    let code = ErrorCode::OpenPdpFailed;
    ip_services::fail_now(m, urc, code, format!("PDP context {ctx} is not active"));
    false
}

pub enum Qidnsgip {
    Test,
    Resolve { ctx: PdpCtxId, host: String },
}

impl AtCommand for Qidnsgip {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qidnsgip::Test),
            Kind::Write(p) => {
                count(p, 2, 2, "2")?;
                let ctx = PdpCtxId::param(p.first())?;
                let host = host_param(p.get(1), "<hostname>")?.to_string();
                Ok(Qidnsgip::Resolve { ctx, host })
            }
            _ => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (ctx, host) = match self {
            Qidnsgip::Test => {
                m.info(&format!("+QIDNSGIP: {},<hostname>", PdpCtxId::test_form()));
                return Ok(Flow::Done);
            }
            Qidnsgip::Resolve { ctx, host } => (ctx, host),
        };
        if m.services.lookup.is_some() {
            return Err(Refusal::code(ErrorCode::DnsBusy, "a lookup (AT+QIDNSGIP) is still running"));
        }
        if context_ready(m, ctx, Urc::DnsGip { err: ErrorCode::OpenPdpFailed, found: None }) {
            let job = ip_services::start(m, ctx, &host, ServiceKind::Lookup);
            m.services.lookup = Some(Lookup { job, pdp: ctx, host });
        }
        Ok(Flow::Done)
    }
}

pub enum Qping {
    Test,
    Ping { ctx: PdpCtxId, host: String, timeout: u8, count: u8 },
}

impl AtCommand for Qping {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qping::Test),
            Kind::Write(p) => {
                count(p, 2, 4, "2 to 4")?;
                let ctx = PdpCtxId::param(p.first())?;
                let host = host_param(p.get(1), "<host>")?.to_string();
                let (lo, hi, default) = PING_TIMEOUT_S;
                let timeout = opt_int_param(p.get(2), "<timeout>", lo, hi, default)? as u8;
                let (lo, hi, default) = PING_COUNT;
                let count = opt_int_param(p.get(3), "<pingnum>", lo, hi, default)? as u8;
                Ok(Qping::Ping { ctx, host, timeout, count })
            }
            _ => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (ctx, host, timeout, count) = match self {
            Qping::Test => {
                let (t, n) = (PING_TIMEOUT_S, PING_COUNT);
                let line =
                    format!("+QPING: {},<host>,({}-{}),({}-{})", PdpCtxId::test_form(), t.0, t.1, n.0, n.1);
                m.info(&line);
                return Ok(Flow::Done);
            }
            Qping::Ping { ctx, host, timeout, count } => (ctx, host, timeout, count),
        };
        if m.services.ping.is_some() {
            return Err(Refusal::code(ErrorCode::OperationBusy, "a ping (AT+QPING) is still running"));
        }
        if context_ready(m, ctx, Urc::PingSummary { err: ErrorCode::OpenPdpFailed, stats: None }) {
            let timeout = std::time::Duration::from_secs(timeout.into());
            let job = ip_services::start(m, ctx, &host, ServiceKind::Ping { timeout, count });
            m.services.ping = Some(Ping { job, pdp: ctx, count, echoes: Vec::new() });
        }
        Ok(Flow::Done)
    }
}

pub enum Qntp {
    Test,
    Read,
    Sync { ctx: PdpCtxId, server: String, port: u16, set_clock: bool },
}

impl AtCommand for Qntp {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        match &cmd.kind {
            Kind::Test => Ok(Qntp::Test),
            Kind::Read => Ok(Qntp::Read),
            Kind::Write(p) => {
                count(p, 2, 4, "2 to 4")?;
                let ctx = PdpCtxId::param(p.first())?;
                let server = host_param(p.get(1), "<server>")?.to_string();
                let (lo, hi, default) = NTP_PORT;
                let port = opt_int_param(p.get(2), "<port>", lo, hi, default)? as u16;
                let (lo, hi, default) = NTP_AUTOSET;
                let set_clock = opt_int_param(p.get(3), "<autosettime>", lo, hi, default)? == 1;
                Ok(Qntp::Sync { ctx, server, port, set_clock })
            }
            Kind::Exec => Err(wrong_form(cmd)),
        }
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        match self {
            Qntp::Test => {
                let (p, a) = (NTP_PORT, NTP_AUTOSET);
                let line =
                    format!("+QNTP: {},<server>,({}-{}),({},{})", PdpCtxId::test_form(), p.0, p.1, a.0, a.1);
                m.info(&line);
            }
            // Only while a synchronisation runs; otherwise just OK.
            Qntp::Read => {
                if let Some(ntp) = &m.services.ntp {
                    let line = format!("+QNTP: \"{}\",{}", ntp.server, ntp.port);
                    m.info(&line);
                }
            }
            Qntp::Sync { ctx, server, port, set_clock } => {
                if m.services.ntp.is_some() {
                    let why = "a time synchronisation (AT+QNTP) is still running";
                    return Err(Refusal::code(ErrorCode::OperationBusy, why));
                }
                if context_ready(m, ctx, Urc::Ntp { err: ErrorCode::OpenPdpFailed, time: None }) {
                    let kind = ServiceKind::Ntp { port, timeout: crate::policy::NTP_TIMEOUT };
                    let job = ip_services::start(m, ctx, &server, kind);
                    m.services.ntp = Some(Ntp { job, pdp: ctx, server, port, set_clock });
                }
            }
        }
        Ok(Flow::Done)
    }
}
