//! Events that move the port out of transparent mode without a command: the `+++` escape
//! and the DTR pin (per `AT&D`).

use qsslsim_at::ResultCode;
use tracing::info;

use crate::ids::SocketId;
use crate::modem::{Modem, Port};
use crate::net::NetAction;
use crate::settings::{DTR_CLOSE, DTR_LEAVE_DATA_MODE};

/// `+++` or DTR: back to command mode, the connection kept, now in buffer mode. Data that
/// had not reached the host yet stays readable with `AT+QSSLRECV` and is announced.
pub fn leave_transparent(m: &mut Modem, id: SocketId) {
    info!(%id, buffered = m.sockets.get(id).rx.len(), "left transparent mode");
    m.enter_command();
    m.final_result(ResultCode::Ok);
    crate::cmd::data_mode::switch_to_buffer(m, id);
}

/// The host dropped DTR (pin low→high): per `AT&D`, ignore, leave data mode, or close.
pub fn on_dtr_drop(m: &mut Modem) {
    if matches!(m.port, Port::Ppp { .. }) {
        return on_dtr_drop_ppp(m);
    }
    let Port::Transparent { id, .. } = m.port else { return };
    match m.settings.dtr_mode {
        DTR_LEAVE_DATA_MODE => {
            info!(%id, "DTR dropped: leaving transparent mode (AT&D1)");
            leave_transparent(m, id)
        }
        DTR_CLOSE => {
            info!(%id, "DTR dropped: closing the connection (AT&D2)");
            let conn = m.sockets.get(id).conn;
            m.net(NetAction::Abort { id: id.get(), conn });
            m.release_socket(id, "DTR dropped with AT&D2");
            m.enter_command();
            m.final_result(ResultCode::NoCarrier);
        }
        _ => info!(%id, "DTR dropped: ignored (AT&D0)"),
    }
}

/// DTR dropped in PPP mode: per `AT&D`, ignore, command mode with the call kept, or hang up.
fn on_dtr_drop_ppp(m: &mut Modem) {
    match m.settings.dtr_mode {
        DTR_LEAVE_DATA_MODE => {
            info!("DTR dropped: leaving PPP mode (AT&D1)");
            crate::ppp::escape(m);
        }
        DTR_CLOSE => {
            info!("DTR dropped: hanging up the PPP call (AT&D2)");
            crate::ppp::hang_up(m, "DTR dropped with AT&D2", true);
        }
        _ => info!("DTR dropped in PPP mode: ignored (AT&D0)"),
    }
}
