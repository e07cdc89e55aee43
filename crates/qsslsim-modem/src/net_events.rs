//! What network events do to sockets: open results, received data (buffer, push and
//! transparent delivery), send completions, and connections that end.

use qsslsim_at::ResultCode;
use tracing::{info, warn};

use crate::event::Event;
use crate::modem::{Busy, Modem, Port};
use crate::net::NetEvent;
use crate::scenario::EventKind;
use crate::socket::{AccessMode, Socket, SocketState};

pub fn on_event(m: &mut Modem, ev: NetEvent) {
    match ev {
        NetEvent::Opened { id, remote, local_port, .. } => {
            let sock = &mut m.sockets[id as usize];
            if sock.state != SocketState::Opening {
                return;
            }
            sock.state = SocketState::Connected;
            sock.remote_ip = Some(remote.ip());
            sock.local_port = local_port;
            info!(id, %remote, local_port, "connected");
            let conn = sock.conn;
            m.event(Event::Socket {
                id,
                what: "connected".into(),
                detail: format!("{remote} from local port {local_port}"),
            });
            if m.busy == Some(Busy::OpenTransparent { id, conn }) {
                m.clear_busy();
                m.last_error = crate::errors::OK;
                m.enter_transparent(id);
            } else {
                m.urc(&format!("+QSSLOPEN: {id},0"));
            }
            // Last: a fault the scenario fires now must find the open already reported.
            m.scenario_event(EventKind::Connected, id);
        }
        NetEvent::OpenFailed { id, failure, cause, .. } => {
            if m.sockets[id as usize].state == SocketState::Opening {
                open_failed(m, id, failure.code(), &cause);
            }
        }
        NetEvent::Data { id, data, .. } => on_data(m, id, data),
        NetEvent::Sent { id, bytes, .. } => {
            let sock = &mut m.sockets[id as usize];
            sock.tx_in_flight = sock.tx_in_flight.saturating_sub(bytes);
        }
        NetEvent::RemoteClosed { id, cause, .. } => match m.sockets[id as usize].state {
            // The peer answered our close: the close completes.
            SocketState::HostClosing => close_done(m, id),
            SocketState::Connected => connection_lost(m, id, &cause),
            _ => {}
        },
        NetEvent::Closed { id, .. } => close_done(m, id),
    }
}

fn on_data(m: &mut Modem, id: u8, data: Vec<u8>) {
    let transparent_now = matches!(m.port, Port::Transparent { id: t, .. } if t == id);
    let sock = &mut m.sockets[id as usize];
    if !matches!(sock.state, SocketState::Connected | SocketState::HostClosing) {
        warn!(id, bytes = data.len(), state = ?sock.state, "data for a socket that is not connected");
        return;
    }
    if data.len() > sock.granted {
        warn!(id, bytes = data.len(), granted = sock.granted, "network delivered more than granted");
    }
    sock.granted = sock.granted.saturating_sub(data.len());
    sock.rx_total += data.len() as u64;
    if transparent_now {
        m.push_write(data);
    } else {
        buffer(m, id, data);
    }
    m.scenario_bytes(id);
    m.scenario_event(EventKind::Recv, id);
}

/// Keep received data for the host per the socket's access mode.
fn buffer(m: &mut Modem, id: u8, data: Vec<u8>) {
    let sock = &mut m.sockets[id as usize];
    let was_empty = sock.rx.is_empty();
    sock.rx.extend(data);
    match sock.mode {
        AccessMode::Buffer => {
            if was_empty && sock.recv_urc_armed {
                sock.recv_urc_armed = false;
                m.urc(&format!("+QSSLURC: \"recv\",{id}"));
            }
        }
        AccessMode::Push => m.urc_push(id),
        // Held until the port returns to this socket (ATO / AT+QISWTMD).
        AccessMode::Transparent => {}
    }
}

/// The connection ended without the host asking: in transparent mode `NO CARRIER`,
/// otherwise `+QSSLURC: "closed"`. Buffered data stays readable.
pub fn connection_lost(m: &mut Modem, id: u8, cause: &str) {
    info!(id, %cause, "connection lost");
    m.event(Event::Socket { id, what: "closed".into(), detail: cause.to_string() });
    m.sockets[id as usize].state = SocketState::Closing;
    if matches!(m.port, Port::Transparent { id: t, .. } if t == id) {
        m.enter_command();
        m.final_result(ResultCode::NoCarrier);
    } else if host_closing(m, id) {
        close_done(m, id);
    } else {
        m.urc(&format!("+QSSLURC: \"closed\",{id}"));
    }
    // Last, once the socket is Closing: a fault the scenario fires now (pdp_lost,
    // module_restart) must not find it still connected and lose it again, recursively.
    m.scenario_event(EventKind::Closed, id);
}

/// An open that did not succeed.
pub fn open_failed(m: &mut Modem, id: u8, code: u16, cause: &str) {
    warn!(id, code, %cause, "open failed");
    m.event(Event::Failure { id: Some(id), code, cause: cause.to_string() });
    let conn = m.sockets[id as usize].conn;
    m.sockets[id as usize] = Socket::default();
    m.last_error = code;
    if m.busy == Some(Busy::OpenTransparent { id, conn }) {
        m.clear_busy();
        m.final_result(ResultCode::Error);
    } else {
        m.urc(&format!("+QSSLOPEN: {id},{code}"));
    }
    // Last, once the socket is released: a fault the scenario fires now (pdp_lost) must not
    // find it still opening and fail it again, recursively.
    m.scenario_event(EventKind::OpenFailed, id);
}

/// Whether `AT+QSSLCLOSE` is lingering on socket `id`'s current connection.
fn host_closing(m: &Modem, id: u8) -> bool {
    let conn = m.sockets[id as usize].conn;
    matches!(m.busy, Some(Busy::Closing { id: b, conn: c, .. }) if b == id && c == conn)
}

/// `AT+QSSLCLOSE` finished lingering.
pub fn close_done(m: &mut Modem, id: u8) {
    if host_closing(m, id) {
        super::ssl_close::release(m, id);
        m.clear_busy();
        m.final_result(ResultCode::Ok);
    }
}
