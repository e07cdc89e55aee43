//! What network events do to sockets of both families (SSL and TCP/IP): open results, received
//! data and datagrams (buffer, push and transparent delivery), connections a listener accepted,
//! connections that end, and the sockets that fall with a PDP context.
//! State changes go through the socket table's transitions.

use qsslsim_at::ResultCode;
use tracing::{info, warn};

use crate::errors::ErrorCode;
use crate::event::Event;
use crate::ids::{PdpCtxId, SocketId};
use crate::modem::{Busy, Modem};
use crate::net::{NetAction, NetEvent};
use crate::scenario::EventKind;
use crate::socket::{AccessMode, Service, SocketState};
use crate::urc::Urc;

pub fn on_event(m: &mut Modem, id: SocketId, ev: NetEvent) {
    match ev {
        NetEvent::Opened { remote, local_port, .. } => {
            if m.sockets.state(id) != SocketState::Opening {
                return;
            }
            if m.sockets.get(id).service == Service::TcpListener {
                m.sockets.listening(id, local_port);
                info!(%id, local_port, "listening");
                m.urc(Urc::IpOpen { id, err: ErrorCode::Ok });
                return m.scenario_event(EventKind::Connected, id);
            }
            m.sockets.opened(id, remote, local_port);
            info!(%id, %remote, local_port, "connected");
            let conn = m.sockets.get(id).conn;
            if m.busy == Some(Busy::OpenTransparent { id, conn }) {
                m.busy = None;
                m.last_error = ErrorCode::Ok;
                m.enter_transparent(id);
            } else {
                m.urc(Urc::open_result(m.sockets.get(id).service, id, ErrorCode::Ok));
            }
            // Last: a fault the scenario fires now must find the open already reported.
            m.scenario_event(EventKind::Connected, id);
        }
        NetEvent::OpenFailed { failure, cause, .. } => {
            if m.sockets.state(id) == SocketState::Opening {
                open_failed(m, id, failure.code(), &cause);
            }
        }
        NetEvent::Data { data, .. } => on_data(m, id, data, None),
        NetEvent::Datagram { from, data, .. } => on_data(m, id, data, Some(from)),
        NetEvent::Incoming { ticket, remote, .. } => crate::listener::on_incoming(m, id, ticket, remote),
        NetEvent::Sent { bytes, .. } => {
            let sock = m.sockets.get_mut(id);
            sock.tx_in_flight = sock.tx_in_flight.saturating_sub(bytes);
        }
        NetEvent::RemoteClosed { cause, .. } => match m.sockets.state(id) {
            // The peer answered our close: the close completes.
            SocketState::HostClosing => close_done(m, id),
            SocketState::Connected => connection_lost(m, id, &cause),
            _ => {}
        },
        NetEvent::Closed { .. } => close_done(m, id),
        ev @ NetEvent::Service(_) => crate::ip_services::on_event(m, ev),
        ev @ NetEvent::Http(_) => crate::http::on_event(m, ev),
        ev @ (NetEvent::PppData { .. } | NetEvent::PppFlow { .. } | NetEvent::PppEnded { .. }) => {
            crate::ppp::on_event(m, ev)
        }
    }
}

fn on_data(m: &mut Modem, id: SocketId, data: Vec<u8>, from: Option<std::net::SocketAddr>) {
    let sock = m.sockets.get_mut(id);
    if !sock.state().is_live() {
        warn!(%id, bytes = data.len(), state = ?sock.state(), "data for a socket that is not connected");
        let cause =
            format!("{} bytes arrived for a socket in state {:?}; not delivered", data.len(), sock.state());
        m.event(Event::Failure { id: Some(id.get()), code: ErrorCode::SocketClosed.number(), cause });
        return;
    }
    if data.len() > sock.granted {
        warn!(%id, bytes = data.len(), granted = sock.granted, "network delivered more than granted");
    }
    sock.granted = sock.granted.saturating_sub(data.len());
    let was_empty = sock.rx.is_empty();
    let len = data.len();
    sock.receive(data, from);
    match sock.mode {
        AccessMode::Buffer => {
            if was_empty && sock.recv_urc_armed {
                sock.recv_urc_armed = false;
                let service = sock.service;
                let len = m.ip_cfg.recvind().then_some(len);
                m.urc(Urc::recv(service, id, len));
            }
        }
        AccessMode::Push => m.urc_push(id),
        // Flows to the host while the port is in transparent mode on this socket and the host
        // has room; otherwise held until the port returns to it (ATO / AT+QISWTMD).
        AccessMode::Transparent => {}
    }
    m.scenario_bytes(id);
    m.scenario_event(EventKind::Recv, id);
}

/// The connection ended without the host asking: in transparent mode `NO CARRIER` once the
/// data before the end has reached the host, otherwise `+QSSLURC: "closed"` or
/// `+QIURC: "closed"`. Buffered data stays readable.
pub fn connection_lost(m: &mut Modem, id: SocketId, cause: &str) {
    info!(%id, %cause, "connection lost");
    let unsent = m.sockets.get(id).tx_in_flight;
    if unsent > 0 {
        warn!(%id, unsent, "bytes that got SEND OK were never written to the network");
        m.event(Event::Failure {
            id: Some(id.get()),
            code: ErrorCode::Ok.number(),
            cause: format!("{unsent} bytes that got SEND OK were lost when the connection ended ({cause})"),
        });
    }
    let lingering = host_closing(m, id);
    m.sockets.remote_closed(id, cause);
    if m.port.transparent_socket() == Some(id) {
        // The module's pump writes NO CARRIER after the last byte (see `release_transparent`).
    } else if lingering {
        close_done(m, id);
    } else {
        m.urc(Urc::closed(m.sockets.get(id).service, id));
    }
    // Last, once the socket is Closing: a fault the scenario fires now (pdp_lost,
    // module_restart) must not find it still connected and lose it again, recursively.
    m.scenario_event(EventKind::Closed, id);
}

/// An open that did not succeed.
pub fn open_failed(m: &mut Modem, id: SocketId, code: ErrorCode, cause: &str) {
    warn!(%id, code = code.number(), %cause, "open failed");
    m.event(Event::Failure { id: Some(id.get()), code: code.number(), cause: cause.to_string() });
    let (conn, service) = (m.sockets.get(id).conn, m.sockets.get(id).service);
    m.release_socket(id, cause);
    m.last_error = code;
    if m.busy == Some(Busy::OpenTransparent { id, conn }) {
        m.busy = None;
        m.final_result(ResultCode::Error);
    } else {
        m.urc(Urc::open_result(service, id, code));
    }
    // Last, once the socket is released: a fault the scenario fires now (pdp_lost) must not
    // find it still opening and fail it again, recursively.
    m.scenario_event(EventKind::OpenFailed, id);
}

/// Whether `AT+QSSLCLOSE` is lingering on socket `id`'s current connection.
fn host_closing(m: &Modem, id: SocketId) -> bool {
    let conn = m.sockets.get(id).conn;
    matches!(m.busy, Some(Busy::Closing { id: b, conn: c, .. }) if b == id && c == conn)
}

/// `AT+QSSLCLOSE` / `AT+QICLOSE` finished lingering.
pub fn close_done(m: &mut Modem, id: SocketId) {
    if host_closing(m, id) {
        m.release_socket(id, "close finished");
        m.busy = None;
        m.final_result(ResultCode::Ok);
    }
}

/// Deactivate `ctx` and drop its sockets: open ones report `"closed"`, opening ones fail with
/// 570. With `network_lost` the module also reports `+QIURC: "pdpdeact",<ctx>`.
pub fn deactivate_pdp(m: &mut Modem, ctx: PdpCtxId, network_lost: bool) {
    m.pdp.get_mut(ctx).active = false;
    info!(%ctx, network_lost, "PDP context deactivated");
    for id in SocketId::all() {
        let sock = m.sockets.get(id);
        if sock.pdp != ctx {
            continue;
        }
        let (state, conn) = (sock.state(), sock.conn);
        // Mux mode: the socket's own channel answers (its open's ERROR, its NO CARRIER).
        let back = m.switch_to_socket_owner(id);
        match state {
            SocketState::Connected | SocketState::HostClosing => {
                m.net(NetAction::Abort { id: id.get(), conn });
                connection_lost(m, id, "PDP context deactivated");
            }
            SocketState::Opening => {
                m.net(NetAction::Abort { id: id.get(), conn });
                open_failed(m, id, ErrorCode::PdpBroken, "PDP context deactivated");
            }
            SocketState::Listening => {
                // A listener has no connection to lose: it is gone with the context and the
                // host learns it from "pdpdeact" (policy `listener-pdp`).
                m.net(NetAction::Abort { id: id.get(), conn });
                m.release_socket(id, "PDP context deactivated");
            }
            // After "pdpdeact" the host deactivates the context to reset what it left
            // behind: sockets already closed are released (policy `qideact-resets`).
            SocketState::Closing if !network_lost => m.release_socket(id, "the host deactivated the context"),
            SocketState::Initial | SocketState::Closing => {}
        }
        m.switch_to(back);
    }
    crate::ip_services::pdp_down(m, ctx);
    crate::http::pdp_down(m, ctx);
    crate::ppp::pdp_down(m, ctx);
    if network_lost {
        m.urc(Urc::PdpDeact { ctx });
        if m.settings.cgerep.0 != 0 {
            m.urc(Urc::Cgev(format!("NW PDN DEACT {ctx}")));
        }
    }
}
