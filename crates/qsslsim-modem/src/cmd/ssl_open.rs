//! `AT+QSSLOPEN`: validate, prepare the context's TLS configuration against the module's
//! files and clock, and ask the network to connect. Modes 0/1 answer `OK` and later
//! `+QSSLOPEN: <id>,<err>`; mode 2 answers `CONNECT` or `ERROR` when the open ends.

use qsslsim_at::{Command, Kind, ResultCode};
use qsslsim_tls::OpenRefusal;
use rustls::pki_types::UnixTime;
use tracing::{info, warn};

use super::args::{int_in, invalid, opt_int_in, params, string};
use crate::errors::{self, OpenFailure};
use crate::event::Event;
use crate::modem::{Busy, Flow, Modem, Reply};
use crate::net::{NetAction, OpenRequest};
use crate::scenario::EventKind;
use crate::socket::{AccessMode, Socket, SocketState};

/// Longest server address accepted.
const MAX_ADDR_LEN: usize = 150;

pub fn qsslopen(m: &mut Modem, cmd: &Command) -> Reply {
    if cmd.kind == Kind::Test {
        m.info("+QSSLOPEN: (1-15),(0-5),(0-11),<serveraddr>,<server_port>,(0-2)");
        return Ok(Flow::Done);
    }
    let p = params(cmd);
    if !(5..=6).contains(&p.len()) {
        return Err(invalid(m));
    }
    let pdp = int_in(p.first(), 1, 15);
    let ssl_ctx = int_in(p.get(1), 0, 5);
    let id = int_in(p.get(2), 0, 11);
    let host = string(p.get(3)).filter(|h| !h.is_empty() && h.len() <= MAX_ADDR_LEN);
    let port = int_in(p.get(4), 1, 65535);
    let mode = opt_int_in(p.get(5), 0, 2, 0).and_then(AccessMode::from_code);
    let (Some(pdp), Some(ssl_ctx), Some(id), Some(host), Some(port), Some(mode)) =
        (pdp, ssl_ctx, id, host, port, mode)
    else {
        return Err(invalid(m));
    };
    let (pdp, ssl_ctx, id, port) = (pdp as u8, ssl_ctx as u8, id as u8, port as u16);
    let host = host.to_string();
    m.scenario_open(&host, port);

    let refusal = if m.sockets[id as usize].state != SocketState::Initial {
        Some((OpenFailure::IdInUse, "client id in use".to_string()))
    } else if !m.pdp.is_active(pdp) {
        Some((OpenFailure::PdpInactive, format!("PDP context {pdp} is not active")))
    } else {
        None
    };
    if let Some((failure, cause)) = refusal {
        warn!(id, %cause, "open refused");
        m.event(Event::Failure { id: Some(id), code: failure.code(), cause });
        return refuse(m, id, mode, failure.code());
    }

    let now = m.now;
    let unix = UnixTime::since_unix_epoch(std::time::Duration::from_secs(m.clock.unix_seconds(now)));
    let policy = m.cfg.tls;
    let ctx = &mut m.ssl[ssl_ctx as usize];
    let prepared = match ctx.tls.prepare(&ctx.settings, &m.files, unix, &host, &policy) {
        Ok(p) => p,
        Err(refusal) => {
            let (code, why) = match refusal {
                OpenRefusal::NotSupported(why) => (errors::NOT_SUPPORTED, why),
                OpenRefusal::Failed(why) => (errors::CONNECT_FAILED, why),
            };
            warn!(id, ssl_ctx, cause = %why, "open fails before connecting");
            m.event(Event::Failure { id: Some(id), code, cause: why });
            return refuse(m, id, mode, code);
        }
    };
    let conn = m.next_conn();
    m.sockets[id as usize] = Socket {
        state: SocketState::Opening,
        conn,
        pdp,
        ssl_ctx,
        host: host.clone(),
        port,
        mode,
        ..Socket::default()
    };
    info!(id, %host, port, ?mode, "opening");
    let dns_usable = m.pdp.get(pdp).is_some_and(|c| c.dns_usable());
    let fault = m.armed_open_faults.pop_front();
    m.net(NetAction::Open(OpenRequest {
        id,
        conn,
        pdp,
        host,
        port,
        dns_usable,
        tls: prepared.config,
        server_name: prepared.server_name,
        handshake_timeout: prepared.handshake_timeout,
        fault,
        delay: m.cfg.timing.open_delay,
        link: m.link_defaults.clone(),
    }));
    m.last_error = errors::OK;
    if mode == AccessMode::Transparent {
        m.busy = Some(Busy::OpenTransparent { id, conn });
    }
    // After the module is waiting for this open: a fault the scenario fires now (pdp_lost,
    // module_restart) ends it like any other failure instead of leaving the port busy forever.
    m.scenario_event(EventKind::Open, id);
    Ok(if mode == AccessMode::Transparent { Flow::Suspend } else { Flow::Done })
}

/// An open that fails before reaching the network: mode 2 answers `ERROR`; modes 0/1 answer
/// `OK` and report the code in the URC.
fn refuse(m: &mut Modem, id: u8, mode: AccessMode, code: u16) -> Reply {
    m.last_error = code;
    if mode == AccessMode::Transparent {
        return Err(ResultCode::Error);
    }
    m.urc(&format!("+QSSLOPEN: {id},{code}"));
    Ok(Flow::Done)
}
