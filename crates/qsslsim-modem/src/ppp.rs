//! The PPP data call as the module sees it: which session and context it holds, whether the
//! port is online (PPP mode) or escaped to command mode (`+++`), the downlink bytes waiting for
//! the host to have room, and every way the call ends (`ATH`, DTR, the host terminating LCP,
//! the context or the link lost) with `NO CARRIER`. The PPP protocol itself runs in the
//! daemon (crate `qsslsim-ppp`); the module only moves bytes.

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use qsslsim_at::ResultCode;
use tracing::{debug, info};

use crate::errors::ErrorCode;
use crate::event::Event;
use crate::ids::PdpCtxId;
use crate::modem::{Modem, Port};
use crate::net::{NetAction, NetEvent};

/// Downlink bytes the daemon may have on their way to the module before the module grants
/// more: bounds what waits in the module while the host does not read.
pub const DOWNLINK_WINDOW: usize = 32 * 1024;

/// The call in progress.
#[derive(Debug)]
pub struct PppCall {
    pub session: u64,
    pub cid: PdpCtxId,
    /// Whether the port is in PPP mode (false after `+++` until `ATO`).
    pub online: bool,
    /// Downlink bytes not yet written to the host.
    pub down: VecDeque<u8>,
    /// Set once the session ended: `NO CARRIER` follows once `down` is out.
    pub ended: Option<String>,
    /// The AT channel that dialled (0 the plain port, 1-4 a CMUX DLC): the call's bytes,
    /// `CONNECT` after `ATO` and `NO CARRIER` belong to it.
    pub dlci: u8,
}

/// Start a call on `cid` (already active): `CONNECT`, PPP mode, the daemon's session.
pub fn start(m: &mut Modem, cid: PdpCtxId) {
    let session = m.next_conn();
    let ctx = m.pdp.get(cid);
    let peer: Ipv4Addr = crate::pdp::local_address(cid).parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
    let dns_of = |s: &str| s.parse::<Ipv4Addr>().unwrap_or(Ipv4Addr::UNSPECIFIED);
    let dns = [dns_of(&ctx.dns_primary), dns_of(&ctx.dns_secondary)];
    info!(session, %cid, %peer, "PPP call up: CONNECT");
    m.event(Event::Ppp {
        session,
        what: "up".into(),
        detail: format!("dialled on context {cid}, host address {peer}"),
    });
    let dlci = m.channels.active;
    m.ppp = Some(PppCall { session, cid, online: true, down: VecDeque::new(), ended: None, dlci });
    m.net(NetAction::PppStart { session, cid: cid.get(), peer, dns });
    m.final_result(ResultCode::Connect);
    m.enter_ppp(session);
}

/// Host bytes in PPP mode.
pub fn uplink(m: &mut Modem, session: u64, data: Vec<u8>) {
    if !data.is_empty() {
        m.net(NetAction::PppData { session, data });
    }
}

/// `+++` (or DTR with `AT&D1`): command mode, the call kept for `ATO`.
pub fn escape(m: &mut Modem) {
    if let Some(call) = m.ppp.as_mut() {
        call.online = false;
        info!(session = call.session, "left PPP mode; the call is kept (ATO returns)");
    }
    m.enter_command();
    m.final_result(ResultCode::Ok);
}

/// `ATO` with a call held: back to PPP mode. False if there is no call to return to.
pub fn resume(m: &mut Modem) -> bool {
    let Some(call) = m.ppp.as_mut().filter(|c| c.ended.is_none()) else { return false };
    call.online = true;
    // In mux mode the call is the channel's that resumed it: its bytes follow the PPP mode
    // (policy `cmux-channels`).
    call.dlci = m.channels.active;
    let session = call.session;
    info!(session, "ATO: back to PPP mode");
    m.final_result(ResultCode::Connect);
    m.enter_ppp(session);
    true
}

/// End the call from the module's side (`ATH`, DTR with `AT&D2`, the context or link lost):
/// the session stops, the context is deactivated. `NO CARRIER` is written if the port was
/// in PPP mode and `no_carrier` is set; returns whether a call was ended.
pub fn hang_up(m: &mut Modem, why: &str, no_carrier: bool) -> bool {
    let Some(call) = m.ppp.as_mut() else { return false };
    if m.channels.muxed() && call.dlci != m.channels.active && m.channels.parked.contains_key(&call.dlci) {
        // A command on another CMUX channel ended it (AT+CFUN=0, AT+CGACT=0, ATH there):
        // the session and the context end now; the call's own channel leaves PPP mode with
        // NO CARRIER once this command has answered (`release`, from the pump, on that
        // channel), as a transparent socket's channel does.
        if call.ended.is_none() {
            info!(session = call.session, why, dlci = call.dlci, "PPP call ended by the module");
            call.ended = Some(why.to_string());
            call.down.clear();
            let (session, cid) = (call.session, call.cid);
            m.net(NetAction::PppStop { session });
            m.pdp.get_mut(cid).active = false;
        }
        return true;
    }
    let call = m.ppp.take().expect("checked above");
    info!(session = call.session, why, "PPP call ended by the module");
    m.net(NetAction::PppStop { session: call.session });
    finish(m, call, why, no_carrier);
    true
}

fn finish(m: &mut Modem, call: PppCall, why: &str, no_carrier: bool) {
    m.event(Event::Ppp { session: call.session, what: "down".into(), detail: why.to_string() });
    m.pdp.get_mut(call.cid).active = false;
    if matches!(m.port, Port::Ppp { .. }) {
        m.enter_command();
        if no_carrier {
            m.final_result(ResultCode::NoCarrier);
        }
    }
}

/// The context `ctx` went down (`AT+CGACT=0`, `AT+CFUN=0`, fault `pdp_lost`): a call on it
/// ends with `NO CARRIER`.
pub fn pdp_down(m: &mut Modem, ctx: PdpCtxId) {
    if m.ppp.as_ref().is_some_and(|c| c.cid == ctx) {
        hang_up(m, "the PDP context was deactivated", true);
    }
}

/// An event for the session.
pub fn on_event(m: &mut Modem, ev: NetEvent) {
    let current = |m: &Modem, s: u64| m.ppp.as_ref().is_some_and(|c| c.session == s && c.ended.is_none());
    match ev {
        NetEvent::PppData { session, data } if current(m, session) => {
            m.ppp.as_mut().expect("current").down.extend(data);
        }
        NetEvent::PppFlow { session, detail } if m.ppp.as_ref().is_some_and(|c| c.session == session) => {
            m.event(Event::Ppp { session, what: "flow".into(), detail });
        }
        NetEvent::PppEnded { session, why } if current(m, session) => {
            info!(session, %why, "PPP session ended");
            m.ppp.as_mut().expect("current").ended = Some(why);
        }
        // Bytes in flight when the call ended.
        other => debug!(?other, "stale PPP event ignored"),
    }
    release(m);
}

/// Write waiting downlink while the host has room, granting the daemon as much again; once
/// the session ended and everything is out, `NO CARRIER` (in PPP mode) and the context down.
pub fn release(m: &mut Modem) {
    let Some(call) = m.ppp.as_mut() else { return };
    let mut written = 0;
    if call.online {
        let room = crate::policy::HOST_QUEUE_BYTES.saturating_sub(m.out.backlog());
        let n = room.min(call.down.len());
        if n > 0 {
            let bytes: Vec<u8> = call.down.drain(..n).collect();
            written = n;
            m.out.push_write(bytes);
        }
    }
    let call = m.ppp.as_ref().expect("still there");
    let (session, ended) = (call.session, call.ended.is_some());
    let drained = call.down.is_empty() || !call.online;
    if written > 0 && !ended {
        m.net(NetAction::PppGrant { session, bytes: written });
    }
    if ended && drained {
        let call = m.ppp.take().expect("still there");
        let why = call.ended.clone().unwrap_or_default();
        finish(m, call, &why, true);
    }
}

/// Why a dial is refused for context `cid`, if it is: the code is what the log names.
pub fn check_dial(m: &Modem, cid: PdpCtxId) -> Result<(), (ErrorCode, String)> {
    if m.ppp.is_some() {
        return Err((
            ErrorCode::NotAllowed,
            "a PPP call is already up (ATO returns to it, ATH ends it)".into(),
        ));
    }
    if !m.pdp.get(cid).defined {
        return Err((ErrorCode::InvalidParam, format!("PDP context {cid} is not defined (AT+CGDCONT)")));
    }
    if m.pdp.is_active(cid) {
        return Err((
            ErrorCode::NotAllowed,
            format!("PDP context {cid} is already active (AT+QIACT/AT+CGACT): deactivate it first (policy ppp-dial)"),
        ));
    }
    Ok(())
}
