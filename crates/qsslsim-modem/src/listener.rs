//! What a `"TCP LISTENER"` does with a connection the network accepted: it gives it the
//! highest free connect id (as modules were seen to do, policy `incoming-id`), the listener's
//! context and access mode (buffer instead of transparent, policy `incoming-mode`), and
//! reports `+QIURC: "incoming"`; with no id free it reports `+QIURC: "incoming full"` and the
//! connection is closed.

use std::net::SocketAddr;

use tracing::{info, warn};

use crate::errors::ErrorCode;
use crate::event::Event;
use crate::ids::{SocketId, SslCtxId};
use crate::modem::Modem;
use crate::net::NetAction;
use crate::scenario::EventKind;
use crate::socket::{AccessMode, OpenSpec, Service, SocketState};
use crate::urc::Urc;

pub fn on_incoming(m: &mut Modem, server: SocketId, ticket: u64, remote: SocketAddr) {
    let refuse = |m: &mut Modem, cause: String| {
        warn!(%server, %remote, %cause, "incoming connection refused");
        m.event(Event::Failure { id: Some(server.get()), code: ErrorCode::AcceptFailed.number(), cause });
        m.net(NetAction::Reject { ticket });
    };
    if m.sockets.state(server) != SocketState::Listening {
        return refuse(m, format!("connection from {remote} arrived after listener {server} stopped"));
    }
    if !m.ip_cfg.accepts_incoming() {
        return refuse(m, format!("connection from {remote} refused: AT+QICFG=\"tcp/accept\",0"));
    }
    let Some(id) = m.sockets.highest_free() else {
        m.urc(Urc::IncomingFull);
        return refuse(m, format!("connection from {remote}: all connect ids are in use"));
    };
    let listener = m.sockets.get(server);
    let mode = match listener.mode {
        AccessMode::Transparent => AccessMode::Buffer,
        other => other,
    };
    let spec = OpenSpec {
        service: Service::TcpIncoming { server },
        pdp: listener.pdp,
        ssl_ctx: SslCtxId::new(SslCtxId::FIRST).expect("first id is in range"),
        host: remote.ip().to_string(),
        port: remote.port(),
        local_port: listener.local_port,
        mode,
    };
    let conn = m.next_conn();
    m.sockets.accepted(id, conn, spec, remote);
    info!(%id, %server, %remote, "incoming connection accepted");
    let link = m.faults.link_defaults.clone();
    m.net(NetAction::Accept { ticket, id: id.get(), conn, link });
    m.urc(Urc::Incoming { id, server, remote });
    m.scenario_event(EventKind::Connected, id);
}
