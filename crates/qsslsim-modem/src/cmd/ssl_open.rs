//! `AT+QSSLOPEN`: validate, prepare the context's TLS configuration against the module's
//! files and clock, and ask the network to connect. Modes 0/1 answer `OK` and later
//! `+QSSLOPEN: <id>,<err>`; mode 2 answers `CONNECT` or `ERROR` when the open ends.

use qsslsim_at::{Command, Kind};
use qsslsim_tls::OpenRefusal;
use rustls::pki_types::UnixTime;
use tracing::{info, warn};

use super::args::{host_param, params};
use super::{AtCommand, Family, Refusal};
use crate::errors::{ErrorCode, OpenFailure};
use crate::event::Event;
use crate::ids::{count, int_param, opt_int_param, PdpCtxId, SocketId, SslCtxId};
use crate::modem::{Busy, Flow, Modem};
use crate::net::{NetAction, OpenRequest, TlsSetup, Transport};
use crate::scenario::EventKind;
use crate::socket::{AccessMode, OpenSpec, Service, SocketState};
use crate::urc::Urc;

pub enum Qsslopen {
    Test,
    Open { id: SocketId, spec: OpenSpec },
}

impl AtCommand for Qsslopen {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qsslopen::Test);
        }
        let p = params(cmd);
        count(p, 5, 6, "5 or 6")?;
        let pdp = PdpCtxId::param(p.first())?;
        let ssl_ctx = SslCtxId::param(p.get(1))?;
        let id = SocketId::param(p.get(2))?;
        let host = host_param(p.get(3), "<serveraddr>")?;
        let port = int_param(p.get(4), "<server_port>", 1, 65535)? as u16;
        let (lo, hi) = AccessMode::RANGE;
        let mode = opt_int_param(p.get(5), "<access_mode>", lo, hi, 0)?;
        let mode = AccessMode::from_code(mode).expect("range checked against AccessMode::RANGE");
        let spec = OpenSpec {
            service: Service::Ssl,
            pdp,
            ssl_ctx,
            host: host.to_string(),
            port,
            local_port: 0,
            mode,
        };
        Ok(Qsslopen::Open { id, spec })
    }

    fn fail_with(self, m: &mut Modem, code: ErrorCode) -> Result<Flow, Refusal> {
        match self {
            Qsslopen::Test => self.apply(m),
            Qsslopen::Open { id, spec } => fail_open(m, id, &spec, code),
        }
    }

    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (id, spec) = match self {
            Qsslopen::Test => {
                m.info(&format!(
                    "+QSSLOPEN: {},{},{},<serveraddr>,<server_port>,(0-2)",
                    PdpCtxId::test_form(),
                    SslCtxId::test_form(),
                    SocketId::test_form()
                ));
                return Ok(Flow::Done);
            }
            Qsslopen::Open { id, spec } => (id, spec),
        };
        if let Some(refused) = refuse_blocked(m, id, &spec) {
            return refused;
        }

        let now = m.now;
        let unix = UnixTime::since_unix_epoch(std::time::Duration::from_secs(m.clock.unix_seconds(now)));
        let policy = m.cfg.tls;
        let ctx = &mut m.ssl[spec.ssl_ctx.index()];
        let prepared = match ctx.tls.prepare(&ctx.settings, &m.files, unix, &spec.host, &policy) {
            Ok(p) => p,
            Err(refusal) => {
                let (code, why) = match refusal {
                    OpenRefusal::NotSupported(why) => (ErrorCode::NotSupported, why),
                    OpenRefusal::Failed(why) => (ErrorCode::ConnectFailed, why),
                };
                return refuse(m, Service::Ssl, id, spec.mode, code, why);
            }
        };
        let conn = m.next_conn();
        let (host, port, mode, pdp) = (spec.host.clone(), spec.port, spec.mode, spec.pdp);
        m.sockets.begin_open(id, conn, spec);
        info!(%id, %host, port, ?mode, "opening");
        let dns_usable = m.pdp.get(pdp).dns_usable();
        let fault = m.faults.take_open_fault(&host, true);
        m.net(NetAction::Open(OpenRequest {
            id: id.get(),
            conn,
            pdp: pdp.get(),
            host,
            port,
            dns_usable,
            transport: Transport::Tcp,
            local_port: 0,
            tls: Some(TlsSetup {
                client: prepared.config,
                server_name: prepared.server_name,
                handshake_timeout: prepared.handshake_timeout,
            }),
            connect_timeout: crate::policy::OPEN_CONNECT_TIMEOUT,
            fault,
            delay: m.cfg.timing.open_delay,
            link: m.faults.link_defaults.clone(),
        }));
        if mode == AccessMode::Transparent {
            m.busy = Some(Busy::OpenTransparent { id, conn });
        }
        // After the module is waiting for this open: a fault the scenario fires now (pdp_lost,
        // module_restart) ends it like any other failure instead of leaving the port busy forever.
        m.scenario_event(EventKind::Open, id);
        Ok(if mode == AccessMode::Transparent { Flow::Suspend } else { Flow::Done })
    }
}

/// An open of either family failing as the fault `command_error` asks.
pub(crate) fn fail_open(
    m: &mut Modem,
    id: SocketId,
    spec: &OpenSpec,
    code: ErrorCode,
) -> Result<Flow, Refusal> {
    refuse(m, spec.service, id, spec.mode, code, format!("fault command_error: fails with {code}"))
}

/// The start every open of either family makes: the scenario hears of it, then an open that
/// cannot start is refused (the answer is returned).
pub(crate) fn refuse_blocked(m: &mut Modem, id: SocketId, spec: &OpenSpec) -> Option<Result<Flow, Refusal>> {
    m.scenario_open(&spec.host, spec.port);
    let (failure, cause) = open_blocked(m, id, spec)?;
    Some(refuse(m, spec.service, id, spec.mode, failure.code(), cause))
}

/// Why an open of either family cannot start: the id is taken (SSL and TCP/IP share the pool,
/// policy `socket-pool`) or the PDP context is not active.
fn open_blocked(m: &Modem, id: SocketId, spec: &OpenSpec) -> Option<(OpenFailure, String)> {
    if m.sockets.state(id) != SocketState::Initial {
        let holder = m.sockets.get(id).service.name();
        Some((OpenFailure::IdInUse, format!("connect id {id} is in use (by a {holder} socket)")))
    } else if !m.pdp.is_active(spec.pdp) {
        Some((OpenFailure::PdpInactive, format!("PDP context {} is not active", spec.pdp)))
    } else {
        None
    }
}

/// An open that fails before reaching the network: mode 2 answers `ERROR`; modes 0/1 answer
/// `OK` and report the code in the open URC of the socket's family (policy `open-checks`).
pub(crate) fn refuse(
    m: &mut Modem,
    service: Service,
    id: SocketId,
    mode: AccessMode,
    code: ErrorCode,
    cause: String,
) -> Result<Flow, Refusal> {
    warn!(%id, code = code.number(), %cause, "open refused");
    m.event(Event::Failure { id: Some(id.get()), code: code.number(), cause: cause.clone() });
    if mode == AccessMode::Transparent {
        return Err(Refusal::code(code, cause));
    }
    m.command_code = Some(code);
    m.urc(Urc::open_result(service, id, code));
    Ok(Flow::Done)
}
