//! What the module reports about itself for traces and `ctl events`: faults fired, URCs,
//! socket transitions, and the precise cause of every failure (which the AT interface, like
//! the hardware, reduces to a number).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A fault was injected (control socket, scenario, test).
    Fault { fault: String, detail: String },
    /// A URC was queued for the host.
    Urc { text: String },
    /// A socket changed state.
    Socket { id: u8, what: String, detail: String },
    /// Something failed; `code` is what the host sees, `cause` is why.
    Failure { id: Option<u8>, code: u16, cause: String },
}
