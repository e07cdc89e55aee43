//! What the module reports about itself for traces and `ctl events`: faults fired, URCs,
//! socket transitions, refused commands, and the precise cause of every failure (which the AT
//! interface, like the hardware, reduces to a number).

use serde::Serialize;

use crate::socket::SocketState;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A fault was injected (control socket, scenario, test).
    Fault { fault: String, detail: String },
    /// A URC was queued for the host.
    Urc { text: String },
    /// A socket changed state.
    Socket { id: u8, from: SocketState, to: SocketState, detail: String },
    /// Something failed; `code` is what the host sees, `cause` is why.
    Failure { id: Option<u8>, code: u16, cause: String },
    /// A command answered `ERROR` or `+CME ERROR`: which command, what the host saw, the
    /// code `AT+QIGETERROR` reports (if the command records one), and the rule it broke.
    Refused { command: String, result: String, code: Option<u16>, why: String },
    /// A short message went out (`AT+CMGS`): its reference, destination, `"text"` or `"pdu"`,
    /// and the text (or the PDU in hex).
    SmsSent { mr: u8, to: String, format: String, body: String },
    /// Mux mode (`AT+CMUX`) started (`on`) or ended, and the parameters or the reason.
    Mux { on: bool, detail: String },
    /// A DLC of the multiplexer was established or released.
    Dlc { dlci: u8, open: bool, detail: String },
    /// A PPP data call started or ended (`what`: `"up"` or `"down"`), with why.
    Ppp { session: u64, what: String, detail: String },
}
