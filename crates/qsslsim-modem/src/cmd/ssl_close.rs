//! `AT+QSSLCLOSE=<id>[,<close_timeout>]`: graceful close (close_notify, linger up to the
//! timeout, in seconds or milliseconds per the context's `closetimemode`), then Initial.

use std::time::Duration;

use qsslsim_at::{Command, Kind};
use tracing::info;

use super::args::{int_in, invalid, opt_int_in, params};
use crate::errors;
use crate::modem::{Busy, Flow, Modem, Reply};
use crate::net::NetAction;
use crate::socket::{Socket, SocketState};

pub const DEFAULT_CLOSE_TIMEOUT: i64 = 10;

pub fn qsslclose(m: &mut Modem, cmd: &Command) -> Reply {
    if cmd.kind == Kind::Test {
        m.info("+QSSLCLOSE: (0-11),(0-65535)");
        return Ok(Flow::Done);
    }
    let p = params(cmd);
    let id = int_in(p.first(), 0, 11);
    let timeout = opt_int_in(p.get(1), 0, 65535, DEFAULT_CLOSE_TIMEOUT);
    let (Some(id), Some(timeout), true) = (id, timeout, (1..=2).contains(&p.len())) else {
        return Err(invalid(m));
    };
    let id = id as u8;
    let sock = &m.sockets[id as usize];
    let millis = m.ssl[sock.ssl_ctx as usize].settings.closetimemode;
    let linger =
        if millis { Duration::from_millis(timeout as u64) } else { Duration::from_secs(timeout as u64) };
    let (state, conn) = (sock.state, sock.conn);
    m.last_error = errors::OK;
    match state {
        SocketState::Connected if !linger.is_zero() => {
            m.sockets[id as usize].state = SocketState::HostClosing;
            m.net(NetAction::Close { id, conn, linger });
            // The module's own deadline: the close answers by then whatever the network does
            // (a write blocked by a server that never reads cannot hold the port).
            m.busy = Some(Busy::Closing { id, conn, deadline: m.now + linger });
            Ok(Flow::Suspend)
        }
        SocketState::Initial => Ok(Flow::Done),
        _ => {
            m.net(NetAction::Abort { id, conn });
            release(m, id);
            Ok(Flow::Done)
        }
    }
}

/// The socket returns to Initial; unread data is discarded at the host's request.
pub fn release(m: &mut Modem, id: u8) {
    let sock = &mut m.sockets[id as usize];
    if !sock.rx.is_empty() {
        info!(id, unread = sock.rx.len(), "closed by the host with unread data");
    }
    // Serial 0 belongs to no connection: late events for the old one are ignored.
    *sock = Socket::default();
    if m.last_transparent == Some(id) {
        m.last_transparent = None;
    }
}
