//! `AT+QSSLCLOSE=<id>[,<close_timeout>]`: graceful close (close_notify, linger up to the
//! timeout, in seconds or milliseconds per the context's `closetimemode`), then Initial.

use std::time::Duration;

use qsslsim_at::{Command, Kind};

use super::args::params;
use super::{AtCommand, Family, Refusal};
use crate::ids::{count, opt_int_param, SocketId};
use crate::modem::{Busy, Flow, Modem};
use crate::net::NetAction;
use crate::socket::SocketState;

/// `<close_timeout>` when omitted, and its largest value.
pub const DEFAULT_CLOSE_TIMEOUT: i64 = 10;
const MAX_CLOSE_TIMEOUT: i64 = 65535;

pub enum Qsslclose {
    Test,
    Close { id: SocketId, timeout: u64 },
}

impl AtCommand for Qsslclose {
    const FAMILY: Family = Family::Socket;
    fn parse(cmd: &Command) -> Result<Self, Refusal> {
        if cmd.kind == Kind::Test {
            return Ok(Qsslclose::Test);
        }
        let p = params(cmd);
        let id = SocketId::param(p.first())?;
        let timeout =
            opt_int_param(p.get(1), "<close_timeout>", 0, MAX_CLOSE_TIMEOUT, DEFAULT_CLOSE_TIMEOUT)?;
        count(p, 1, 2, "1 or 2")?;
        Ok(Qsslclose::Close { id, timeout: timeout as u64 })
    }
    fn apply(self, m: &mut Modem) -> Result<Flow, Refusal> {
        let (id, timeout) = match self {
            Qsslclose::Test => {
                m.info(&format!("+QSSLCLOSE: {},(0-{MAX_CLOSE_TIMEOUT})", SocketId::test_form()));
                return Ok(Flow::Done);
            }
            Qsslclose::Close { id, timeout } => (id, timeout),
        };
        super::own_family(m, id, true)?;
        let sock = m.sockets.get(id);
        let millis = m.ssl[sock.ssl_ctx.index()].settings.closetimemode;
        let linger = if millis { Duration::from_millis(timeout) } else { Duration::from_secs(timeout) };
        Ok(close(m, id, linger, "AT+QSSLCLOSE"))
    }
}

/// Close socket `id` of either family: a connection lingers up to `linger` for the peer's
/// close (the command answers when it ends); anything else is released at once.
pub(crate) fn close(m: &mut Modem, id: SocketId, linger: Duration, command: &str) -> Flow {
    let sock = m.sockets.get(id);
    let (state, conn, stream) = (sock.state(), sock.conn, !sock.service.is_datagram());
    tracing::info!(%id, state = ?state, ?linger, command, "close");
    match state {
        // Only a stream has a peer's close to wait for: UDP sockets and listeners go at once.
        SocketState::Connected if stream && !linger.is_zero() => {
            m.sockets.host_close(id);
            m.net(NetAction::Close { id: id.get(), conn, linger });
            // The module's own deadline: the close answers by then whatever the network does
            // (a write blocked by a server that never reads cannot hold the port).
            m.busy = Some(Busy::Closing { id, conn, deadline: m.now + linger });
            Flow::Suspend
        }
        SocketState::Initial => Flow::Done,
        _ => {
            m.net(NetAction::Abort { id: id.get(), conn });
            m.release_socket(id, command);
            Flow::Done
        }
    }
}
