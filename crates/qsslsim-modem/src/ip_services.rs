//! The IP services that use no socket: name lookups (`AT+QIDNSGIP`), ping (`AT+QPING`) and
//! time synchronisation (`AT+QNTP`). Owns the jobs in progress (one of each kind at a time),
//! the requests the network layer runs for them ([`ServiceRequest`]), the answers it sends back
//! ([`ServiceEvent`]) and the reports those answers become. Every job has a serial (from the
//! connection serial counter): answers for a job that ended, or from before a restart, are
//! ignored.

use std::net::IpAddr;
use std::time::Duration;

use time::OffsetDateTime;
use tracing::{debug, info, warn};

use crate::errors::ErrorCode;
use crate::event::Event;
use crate::fault::OpenFault;
use crate::ids::PdpCtxId;
use crate::modem::Modem;
use crate::net::{NetAction, NetEvent};
use crate::policy;
use crate::urc::{PingStats, Urc};

/// What the network layer is asked to do for one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRequest {
    pub job: u64,
    pub pdp: u8,
    /// Name or address as the host typed it.
    pub host: String,
    /// Whether the PDP context has a usable DNS server (names fail with 565 otherwise).
    pub dns_usable: bool,
    /// An armed name-lookup fault (`dns_failure`, `dns_busy`) this job's lookup suffers.
    pub fault: Option<OpenFault>,
    pub kind: ServiceKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceKind {
    /// Resolve `host`: answered by [`ServiceEvent::Resolved`] or [`ServiceEvent::Failed`].
    Lookup,
    /// Resolve `host`, then send `count` echoes one after another, each waiting up to
    /// `timeout`: answered by one [`ServiceEvent::Echo`] per echo, or [`ServiceEvent::Failed`]
    /// before the first.
    Ping { timeout: Duration, count: u8 },
    /// Resolve `host`, send one SNTP request to `port` and wait up to `timeout`: answered by
    /// [`ServiceEvent::Time`] or [`ServiceEvent::Failed`].
    Ntp { port: u16, timeout: Duration },
}

/// Why a job or one echo failed: the code the host sees and the precise cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFailure {
    pub code: ErrorCode,
    pub cause: String,
}

/// One echo reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoReply {
    /// The address the module reports (resolved, before routing).
    pub addr: IpAddr,
    pub time_ms: u32,
    pub ttl: u8,
}

/// What the network layer reports for a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceEvent {
    /// A lookup's addresses (at least one).
    Resolved { job: u64, addrs: Vec<IpAddr> },
    /// One echo of a ping: its reply, or why it was lost (569 when it timed out).
    Echo { job: u64, outcome: Result<EchoReply, ServiceFailure> },
    /// The time an NTP server sent (its transmit timestamp), in UTC.
    Time { job: u64, utc: OffsetDateTime },
    /// The job failed as a whole (lookup, route, socket): the only report for it.
    Failed { job: u64, failure: ServiceFailure },
}

impl ServiceEvent {
    pub fn job(&self) -> u64 {
        match self {
            ServiceEvent::Resolved { job, .. }
            | ServiceEvent::Echo { job, .. }
            | ServiceEvent::Time { job, .. }
            | ServiceEvent::Failed { job, .. } => *job,
        }
    }
}

/// A lookup in progress.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub job: u64,
    pub pdp: PdpCtxId,
    pub host: String,
}

/// A ping in progress and the echoes so far (`None`: lost).
#[derive(Debug, Clone)]
pub struct Ping {
    pub job: u64,
    pub pdp: PdpCtxId,
    pub count: u8,
    pub echoes: Vec<Option<u32>>,
}

/// A time synchronisation in progress.
#[derive(Debug, Clone)]
pub struct Ntp {
    pub job: u64,
    pub pdp: PdpCtxId,
    pub server: String,
    pub port: u16,
    pub set_clock: bool,
}

/// The jobs in progress, at most one of each kind.
#[derive(Debug, Clone, Default)]
pub struct Services {
    pub lookup: Option<Lookup>,
    pub ping: Option<Ping>,
    pub ntp: Option<Ntp>,
}

/// The name-lookup fault a job on `host` suffers: the first armed `dns_failure`/`dns_busy`,
/// as an open by name would take it. An address needs no lookup, so it takes none.
pub fn take_dns_fault(m: &mut Modem, host: &str) -> Option<OpenFault> {
    if host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok() {
        return None;
    }
    let i = m.faults.open.iter().position(|f| matches!(f, OpenFault::DnsFailure | OpenFault::DnsBusy))?;
    m.faults.open.remove(i)
}

/// Ask the network to run a job on active context `pdp`; returns its serial.
pub fn start(m: &mut Modem, pdp: PdpCtxId, host: &str, kind: ServiceKind) -> u64 {
    let job = m.next_conn();
    let fault = take_dns_fault(m, host);
    let dns_usable = m.pdp.get(pdp).dns_usable();
    info!(job, %pdp, host, ?kind, "IP service started");
    m.net(NetAction::Service(ServiceRequest {
        job,
        pdp: pdp.get(),
        host: host.to_string(),
        dns_usable,
        fault,
        kind,
    }));
    job
}

/// A job that fails before it reaches the network (context inactive): its one report.
pub fn fail_now(m: &mut Modem, urc: Urc, code: ErrorCode, cause: String) {
    warn!(code = code.number(), %cause, "IP service failed");
    m.event(Event::Failure { id: None, code: code.number(), cause });
    m.command_code = Some(code);
    m.urc(urc);
}

/// A network event for a job (events for sockets go to `net_events`).
pub fn on_event(m: &mut Modem, ev: NetEvent) {
    let NetEvent::Service(ev) = ev else { return };
    let job = ev.job();
    let s = &m.services;
    if s.lookup.as_ref().is_some_and(|l| l.job == job) {
        on_lookup(m, ev);
    } else if s.ping.as_ref().is_some_and(|p| p.job == job) {
        on_ping(m, ev);
    } else if s.ntp.as_ref().is_some_and(|n| n.job == job) {
        on_ntp(m, ev);
    } else {
        debug!(job, "stale IP service event ignored");
    }
}

/// A job (or one echo) failed: logged, traced, and left for `AT+QIGETERROR` as a failed
/// open's code is.
fn failed(m: &mut Modem, failure: &ServiceFailure) {
    warn!(code = failure.code.number(), cause = %failure.cause, "IP service failed");
    m.event(Event::Failure { id: None, code: failure.code.number(), cause: failure.cause.clone() });
    m.last_error = failure.code;
}

fn on_lookup(m: &mut Modem, ev: ServiceEvent) {
    let Some(lookup) = m.services.lookup.take() else { return };
    match ev {
        ServiceEvent::Resolved { addrs, .. } if !addrs.is_empty() => {
            // An address "resolves" to itself with no lifetime (as on hardware).
            let literal = lookup.host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok();
            let ttl = if literal { 0 } else { policy::DNS_TTL.as_secs() };
            info!(host = %lookup.host, ?addrs, "name resolved");
            m.urc(Urc::DnsGip { err: ErrorCode::Ok, found: Some((addrs.len(), ttl)) });
            for addr in addrs {
                m.urc(Urc::DnsGipAddr(addr));
            }
        }
        ServiceEvent::Failed { failure, .. } => {
            failed(m, &failure);
            m.urc(Urc::DnsGip { err: failure.code, found: None });
        }
        other => {
            warn!(?other, "unexpected answer to a lookup");
            m.urc(Urc::DnsGip { err: ErrorCode::DnsFailed, found: None });
        }
    }
}

fn on_ping(m: &mut Modem, ev: ServiceEvent) {
    match ev {
        ServiceEvent::Echo { outcome, .. } => {
            let Some(ping) = m.services.ping.as_mut() else { return };
            match outcome {
                Ok(reply) => {
                    ping.echoes.push(Some(reply.time_ms));
                    m.urc(Urc::PingEcho { err: ErrorCode::Ok, reply: Some(reply) });
                }
                Err(failure) => {
                    ping.echoes.push(None);
                    failed(m, &failure);
                    m.urc(Urc::PingEcho { err: failure.code, reply: None });
                }
            }
            let ping = m.services.ping.as_ref().expect("checked above");
            if ping.echoes.len() >= usize::from(ping.count) {
                let stats = stats(&ping.echoes);
                m.services.ping = None;
                m.urc(Urc::PingSummary { err: ErrorCode::Ok, stats: Some(stats) });
            }
        }
        ServiceEvent::Failed { failure, .. } => {
            m.services.ping = None;
            failed(m, &failure);
            m.urc(Urc::PingSummary { err: failure.code, stats: None });
        }
        other => warn!(?other, "unexpected answer to a ping"),
    }
}

/// The summary of a ping's echoes (`None`: lost); min/max/avg are 0 when none came back.
pub fn stats(echoes: &[Option<u32>]) -> PingStats {
    let times: Vec<u32> = echoes.iter().flatten().copied().collect();
    let rcvd = times.len() as u32;
    PingStats {
        sent: echoes.len() as u32,
        rcvd,
        lost: echoes.len() as u32 - rcvd,
        min: times.iter().copied().min().unwrap_or(0),
        max: times.iter().copied().max().unwrap_or(0),
        avg: if rcvd == 0 {
            0
        } else {
            (times.iter().map(|&t| u64::from(t)).sum::<u64>() / u64::from(rcvd)) as u32
        },
    }
}

fn on_ntp(m: &mut Modem, ev: ServiceEvent) {
    let Some(ntp) = m.services.ntp.take() else { return };
    match ev {
        ServiceEvent::Time { utc, .. } => {
            if ntp.set_clock {
                let now = m.now;
                m.clock.set_utc(utc, None, now);
                info!(%utc, "module clock set from NTP");
            }
            // The time fields are UTC; the zone tag is the module's (as on hardware).
            let zone = m.clock.zone_quarters();
            let text = utc.format(NTP_TIME).unwrap_or_default();
            let time = format!("{text}{}{:02}", if zone < 0 { '-' } else { '+' }, zone.unsigned_abs());
            m.urc(Urc::Ntp { err: ErrorCode::Ok, time: Some(time) });
        }
        ServiceEvent::Failed { failure, .. } => {
            failed(m, &failure);
            m.urc(Urc::Ntp { err: failure.code, time: None });
        }
        other => {
            warn!(?other, "unexpected answer to an NTP request");
            m.urc(Urc::Ntp { err: ErrorCode::Unknown, time: None });
        }
    }
}

/// `YYYY/MM/DD,hh:mm:ss` of `+QNTP` (the zone follows in quarter hours).
const NTP_TIME: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]/[month]/[day],[hour]:[minute]:[second]");

/// Context `ctx` went down: every job on it ends with 561 (the network answers that come
/// later are stale).
pub fn pdp_down(m: &mut Modem, ctx: PdpCtxId) {
    let code = ErrorCode::OpenPdpFailed;
    let cause = format!("PDP context {ctx} deactivated while the job ran");
    if m.services.lookup.as_ref().is_some_and(|l| l.pdp == ctx) {
        m.services.lookup = None;
        failed(m, &ServiceFailure { code, cause: cause.clone() });
        m.urc(Urc::DnsGip { err: code, found: None });
    }
    if m.services.ping.as_ref().is_some_and(|p| p.pdp == ctx) {
        m.services.ping = None;
        failed(m, &ServiceFailure { code, cause: cause.clone() });
        m.urc(Urc::PingSummary { err: code, stats: None });
    }
    if m.services.ntp.as_ref().is_some_and(|n| n.pdp == ctx) {
        m.services.ntp = None;
        failed(m, &ServiceFailure { code, cause });
        m.urc(Urc::Ntp { err: code, time: None });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_replies_and_losses() {
        let s = stats(&[Some(10), None, Some(31), Some(20)]);
        assert_eq!(s, PingStats { sent: 4, rcvd: 3, lost: 1, min: 10, max: 31, avg: 20 });
        let none = stats(&[None, None]);
        assert_eq!(none, PingStats { sent: 2, rcvd: 0, lost: 2, min: 0, max: 0, avg: 0 });
    }
}
