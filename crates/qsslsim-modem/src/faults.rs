//! Applying faults to the module: open-time faults are armed for the next open,
//! connection faults go to the network layer, and module-level faults (PDP loss, send buffer
//! full, URC delay, restart) act here.

use std::time::Duration;

use tracing::{info, warn};

use crate::fault::{Fault, LinkFault};
use crate::modem::Modem;
use crate::net::NetAction;
use crate::socket::SocketState;

pub fn inject(m: &mut Modem, fault: Fault) {
    info!(fault = fault.name(), detail = ?fault, "fault injected");
    m.record_fault(&fault);
    if let Some(open) = fault.as_open_fault() {
        m.armed_open_faults.push_back(open);
        return;
    }
    if let Some((socket, link)) = fault.as_link_fault() {
        // Link shaping without a socket is a property of the network: new connections get it too.
        if socket.is_none() && matches!(link, LinkFault::Latency(_) | LinkFault::Bandwidth(_)) {
            m.link_defaults.retain(|l| std::mem::discriminant(l) != std::mem::discriminant(&link));
            m.link_defaults.push(link);
        }
        let targets: Vec<(u8, u64)> = m
            .sockets
            .iter()
            .enumerate()
            .filter(|(id, s)| {
                socket.is_none_or(|want| want as usize == *id)
                    && matches!(s.state, SocketState::Connected | SocketState::HostClosing)
            })
            .map(|(id, s)| (id as u8, s.conn))
            .collect();
        if targets.is_empty() && socket.is_some() {
            warn!(fault = fault.name(), ?socket, "no connected socket for this fault");
        }
        for (id, conn) in targets {
            m.net(NetAction::Fault { id, conn, fault: link });
        }
        return;
    }
    match fault {
        Fault::PdpLost { ctx } if m.pdp.get(ctx).is_some() => super::pdp::deactivate(m, ctx, true),
        Fault::PdpLost { ctx } => warn!(ctx, "pdp_lost names no PDP context (1-15)"),
        Fault::SendBufferFull { socket, count } => {
            // Saturating: `count` is anyone's u32, and two large ones must not wrap to a few.
            let count = count.unwrap_or(1);
            match socket {
                Some(id) if (id as usize) < m.sockets.len() => {
                    let sock = &mut m.sockets[id as usize];
                    sock.send_fail = sock.send_fail.saturating_add(count);
                }
                Some(id) => warn!(id, "send_buffer_full names no socket"),
                None => m.send_fail_any = m.send_fail_any.saturating_add(count),
            }
        }
        Fault::UrcDelay { ms } => m.urc_delay = Duration::from_millis(ms),
        Fault::ModuleRestart => restart(m),
        _ => unreachable!("open and link faults handled above"),
    }
}

/// The module reboots: every connection drops, settings and the RAM drive are lost, UFS files
/// and the clock survive; `RDY` when it is back.
fn restart(m: &mut Modem) {
    for id in 0..m.sockets.len() as u8 {
        let s = &m.sockets[id as usize];
        if s.state != SocketState::Initial {
            let conn = s.conn;
            m.net(NetAction::Abort { id, conn });
        }
    }
    m.reboot();
    m.urc("RDY");
}
