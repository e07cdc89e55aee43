//! Applying faults to the module: open-time faults are armed for the next open, connection
//! faults go to the network layer, and module-level faults (PDP loss, send buffer full, URC
//! delay, restart) act here. [`ArmedFaults`] is what waits to act later.

use std::collections::VecDeque;
use std::time::Duration;

use tracing::{info, warn};

use crate::errors::ErrorCode;
use crate::event::Event;
use crate::fault::{Fault, LinkFault, OpenFault};
use crate::ids::{PdpCtxId, SocketId};
use crate::modem::Modem;
use crate::net::NetAction;
use crate::urc::Urc;

/// Faults waiting for something to happen.
#[derive(Debug, Default)]
pub struct ArmedFaults {
    /// Open-time faults for the next opens, in order.
    pub open: VecDeque<OpenFault>,
    /// Sends on any socket that must answer `SEND FAIL`.
    pub send_fail_any: u32,
    /// Link shaping every new connection starts with (`latency`/`bandwidth` without a socket).
    pub link_defaults: Vec<LinkFault>,
    /// Commands that must fail with a code (fault `command_error`): table name, code, runs left.
    pub command_errors: Vec<(&'static str, ErrorCode, u32)>,
}

impl ArmedFaults {
    /// The open-time fault the next open to `host` suffers: the first armed one that applies.
    /// A name lookup fault does not apply to an IP literal (no lookup happens), nor a handshake
    /// fault to a plain TCP/UDP open (`tls` false: no handshake happens); each stays armed for
    /// the next open it can act on.
    pub fn take_open_fault(&mut self, host: &str, tls: bool) -> Option<OpenFault> {
        let literal = host.parse::<std::net::IpAddr>().is_ok();
        let applies = |f: &OpenFault| match f {
            OpenFault::DnsFailure | OpenFault::DnsBusy => !literal,
            OpenFault::HandshakeStall | OpenFault::HandshakeAlert => tls,
            OpenFault::RefuseConnect | OpenFault::ConnectStall => true,
        };
        let i = self.open.iter().position(applies)?;
        self.open.remove(i)
    }

    /// The code the next run of command `name` (table name) must fail with, if any; counts it.
    pub fn take_command_error(&mut self, name: &str) -> Option<ErrorCode> {
        let i = self.command_errors.iter().position(|(n, _, _)| *n == name)?;
        let (_, code, left) = &mut self.command_errors[i];
        let code = *code;
        *left -= 1;
        if *left == 0 {
            self.command_errors.remove(i);
        }
        Some(code)
    }

    /// Whether the next send on a socket with `socket_pending` injected failures must fail;
    /// consumes one failure (the socket's own first).
    pub fn take_send_fail(&mut self, socket_pending: &mut u32) -> bool {
        if *socket_pending > 0 {
            *socket_pending -= 1;
            true
        } else if self.send_fail_any > 0 {
            self.send_fail_any -= 1;
            true
        } else {
            false
        }
    }
}

/// Whether `fault` can act on this module now: its values are in bounds, and the socket it
/// names (if any) exists and has a connection. The control socket refuses it otherwise.
pub fn check(m: &Modem, fault: &Fault) -> Result<(), String> {
    fault.validate()?;
    let socket = match fault {
        Fault::SendBufferFull { socket, .. } => *socket,
        other => other.as_link_fault().and_then(|(socket, _)| socket),
    };
    if let Some(n) = socket {
        let id = SocketId::new(n).ok_or_else(|| format!("{} socket {n} is outside 0-11", fault.name()))?;
        if !m.sockets.state(id).is_live() {
            return Err(format!(
                "{} socket {n} has no connection (state {})",
                fault.name(),
                m.sockets.state(id).code()
            ));
        }
        let datagrams_only = fault.as_link_fault().is_some_and(|(_, l)| l.datagrams_only());
        if datagrams_only && !m.sockets.get(id).service.is_datagram() {
            let kind = m.sockets.get(id).service.name();
            return Err(format!("{} socket {n} is a {kind} socket, not UDP", fault.name()));
        }
    }
    Ok(())
}

pub fn inject(m: &mut Modem, fault: Fault) {
    if let Err(why) = fault.validate() {
        warn!(fault = fault.name(), %why, "fault refused");
        m.event(Event::Failure {
            id: None,
            code: ErrorCode::InvalidParam.number(),
            cause: format!("fault refused: {why}"),
        });
        return;
    }
    info!(fault = fault.name(), detail = ?fault, "fault injected");
    m.event(Event::Fault { fault: fault.name().to_string(), detail: format!("{fault:?}") });
    if let Some(open) = fault.as_open_fault() {
        m.faults.open.push_back(open);
        return;
    }
    if let Some((socket, link)) = fault.as_link_fault() {
        if socket.is_none() && link == LinkFault::Reset {
            // The link drops under every connection, a PPP call's too (policy `ppp-mode`).
            crate::ppp::hang_up(m, "fault connection_reset: the link dropped", true);
        }
        // Link shaping without a socket is a property of the network: new connections get it too.
        if socket.is_none() && matches!(link, LinkFault::Latency(_) | LinkFault::Bandwidth(_)) {
            m.faults.link_defaults.retain(|l| std::mem::discriminant(l) != std::mem::discriminant(&link));
            m.faults.link_defaults.push(link);
        }
        let targets: Vec<(SocketId, u64)> = m
            .sockets
            .iter()
            .filter(|(id, s)| socket.is_none_or(|want| want == id.get()) && s.state().is_live())
            .filter(|(_, s)| !link.datagrams_only() || s.service.is_datagram())
            .map(|(id, s)| (id, s.conn))
            .collect();
        if targets.is_empty() && socket.is_some() {
            warn!(fault = fault.name(), ?socket, "no connected socket for this fault");
        }
        for (id, conn) in targets {
            m.net(NetAction::Fault { id: id.get(), conn, fault: link });
        }
        return;
    }
    match fault {
        Fault::PdpLost { ctx } => {
            if let Some(ctx) = PdpCtxId::new(ctx) {
                crate::net_events::deactivate_pdp(m, ctx, true)
            }
        }
        Fault::CommandError { command, code, count } => {
            if let (Some(name), Some(code)) =
                (crate::cmd::socket_command(&command), ErrorCode::from_number(code))
            {
                m.faults.command_errors.push((name, code, count.unwrap_or(1).max(1)));
            }
        }
        Fault::SendBufferFull { socket, count } => {
            // Saturating: `count` is anyone's u32, and two large ones must not wrap to a few.
            let count = count.unwrap_or(1);
            match socket.map(|n| (n, SocketId::new(n))) {
                Some((_, Some(id))) => {
                    let sock = m.sockets.get_mut(id);
                    sock.send_fail = sock.send_fail.saturating_add(count);
                }
                Some((n, None)) => warn!(id = n, "send_buffer_full names no socket"),
                None => m.faults.send_fail_any = m.faults.send_fail_any.saturating_add(count),
            }
        }
        Fault::UrcDelay { ms } => m.urcs.set_extra_delay(Duration::from_millis(ms)),
        Fault::ModuleRestart => restart(m),
        Fault::Deregister { stat } => crate::registration::update(m, |m| {
            m.network.stat = stat.unwrap_or(crate::registration::NOT_REGISTERED)
        }),
        Fault::Register => crate::registration::update(m, |m| {
            m.network.stat = crate::registration::HOME;
            m.network.operator = 0;
        }),
        Fault::Roam => crate::registration::update(m, |m| {
            m.network.stat = crate::registration::ROAMING;
            m.network.operator = 1;
        }),
        Fault::Signal { rssi } => m.network.rssi = rssi,
        Fault::PowerOff => {
            let delay = m.cfg.timing.power_down;
            crate::power::request_power_down(m, delay)
        }
        Fault::PowerOn => crate::power::power_on(m),
        Fault::SimRemoved => crate::sim::remove(m),
        Fault::SimInserted => crate::sim::insert(m),
        other => warn!(fault = other.name(), "fault kind not handled by the module"),
    }
}

/// The module reboots: every connection drops, settings and the RAM drive are lost, UFS files
/// and the clock survive; `RDY` when it is back.
fn restart(m: &mut Modem) {
    drop_connections(m);
    m.reboot();
    m.urc(Urc::Ready);
}

/// Abort every connection the module has (restart, power-down).
pub(crate) fn drop_connections(m: &mut Modem) {
    for (id, s) in
        m.sockets.iter().filter(|(_, s)| s.conn != 0).map(|(id, s)| (id, s.conn)).collect::<Vec<_>>()
    {
        m.net(NetAction::Abort { id: id.get(), conn: s });
    }
}
