//! The one table of choices the emulator makes where the maker's documentation is silent.
//! Each choice is a typed constant used by the handlers, and a row of [`POLICIES`], which
//! `docs/policies.md` mirrors (a test checks every row is documented there).

use std::time::Duration;

/// Bytes a socket buffers from the server before the emulator stops reading (backpressure).
pub const RX_BUFFER_BYTES: usize = 64 * 1024;
/// Bytes a socket's send buffer holds; a send that does not fit answers `SEND FAIL`.
pub const TX_BUFFER_BYTES: usize = 64 * 1024;
/// Most bytes one push-mode `+QSSLURC: "recv",<id>,<len>` carries.
pub const PUSH_CHUNK_BYTES: usize = 1500;
/// Host bytes held while a command is still executing (e.g. a transparent open); beyond this
/// the daemon stops reading the pty until the command finishes.
pub const HELD_INPUT_BYTES: usize = 4096;
/// Output one host read may produce before the module holds the rest of that read until the
/// daemon has written it (a single `AT+QFDWL` may exceed it; the next line waits).
pub const OUTPUT_BUDGET_BYTES: usize = 64 * 1024;
/// Host output the module lets queue ahead of the port before it holds bulk downlink
/// (transparent data, push frames) in the socket's receive buffer, where backpressure reaches
/// the server. A real module has only a UART FIFO there, so an answer (`OK` after `+++`, a
/// close) never waits behind more than this.
pub const HOST_QUEUE_BYTES: usize = 4 * 1024;
/// Least time between a final result and a URC that follows the network (`+QSSLOPEN`,
/// `+QSSLURC`, `+QIURC`) in the `fast` profile: on the module the network takes far longer,
/// so a host that reads up to `OK` and drops the rest of that read must not lose the URC.
pub const FAST_NETWORK_URC_GAP: Duration = Duration::from_millis(0);
/// Default guard time of the `+++` escape (the maker's figure: one second).
pub const DEFAULT_GUARD_TIME: Duration = Duration::from_millis(1000);
/// Gap between a final result and a URC that follows it, so that they arrive in separate
/// writes as on hardware (timing profile `fast`).
pub const FAST_URC_GAP: Duration = Duration::from_millis(5);
/// The same gap in the `realistic` profile.
pub const REALISTIC_URC_GAP: Duration = Duration::from_millis(100);
/// Delay before `+QSSLOPEN: <id>,<err>` in the `realistic` profile (hardware: about 2 s).
pub const REALISTIC_OPEN_DELAY: Duration = Duration::from_millis(2000);

/// Every policy, named, with its value and reason, as documented in `docs/policies.md`.
pub const POLICIES: &[(&str, &str, &str)] = &[
    ("echo-lf", "not echoed, never data", "An <LF> right after <CR> is ignored, so it is not echoed either: a host sending CRLF sees the same bytes as one sending CR. When the command enters a data mode (prompt, CONNECT), an <LF> that came in the same write as its <CR> is still the line ending; one sent after the prompt is data."),
    ("non-at-line", "ERROR", "A line that does not start with AT answers ERROR; an empty line answers nothing."),
    ("too-long-line", "ERROR", "A line over 1024 characters answers ERROR and is never stored past the limit."),
    ("error-style", "ERROR for AT/SSL/TCP; +CME ERROR for files", "SSL/TCP commands answer plain ERROR and record the code for AT+QIGETERROR; file commands answer +CME ERROR per AT+CMEE."),
    ("cmee-default", "1", "AT+CMEE starts at 1 as on the maker's modules."),
    ("send-echo", "echoed", "With ATE1, bytes typed after the > prompt are echoed."),
    ("send-cancel", "OK, error 571", "ESC in the send prompt sends nothing, answers OK and records 571."),
    ("send-overflow", "ERROR, rest is commands", "A variable-length send that reaches 1460 bytes without Ctrl+Z answers ERROR (552) and sends nothing; the byte that did not fit and what follows are read as commands."),
    ("send-buffer", "64 KiB per socket", "A send that does not fit into the socket's unsent bytes answers SEND FAIL."),
    ("recv-buffer", "64 KiB per socket", "When full, the emulator stops reading from the server (backpressure); nothing is dropped."),
    ("recv-urc", "on data into an empty buffer", "No further \"recv\" URC until the host has drained the buffer, as on the maker's TCP stack."),
    ("push-chunk", "1500 bytes", "At most 1500 bytes per push-mode URC."),
    ("recv-after-close", "readable, then +QSSLRECV: 0", "After the server closes (state 4) buffered data stays readable; an empty buffer reads 0 until AT+QSSLCLOSE."),
    ("open-checks", "OK + URC for id in use / PDP inactive", "In modes 0/1 an open whose id is in use or whose PDP context is inactive answers OK, then +QSSLOPEN: <id>,563 or 561; mode 2 answers ERROR."),
    ("negotiate-timeout", "569", "A handshake that exceeds negotiatetime reports 569 (operation timeout)."),
    ("close-idle-socket", "OK", "AT+QSSLCLOSE on a socket that is not open answers OK."),
    ("transparent-close", "NO CARRIER, state 4", "A server close in transparent mode answers NO CARRIER; the socket stays Closing until AT+QSSLCLOSE."),
    ("urc-hold", "held outside command mode", "URCs wait while a command executes, in the send prompt, during uploads and in transparent mode."),
    ("urc-gap", "5 ms (fast), 100 ms (realistic)", "A URC following a final result is written separately after this gap."),
    ("switch-to-push", "buffered data pushed", "AT+QISWTMD=<id>,1 pushes whatever is buffered right after OK; ,2 writes it raw after CONNECT."),
    ("escape-mode", "buffer mode", "After +++ or DTR the connection stays open in buffer mode."),
    ("guard-after-stall", "not silence", "When the daemon had stopped reading the pty (output backlog, full send buffer, a command executing), bytes already waiting when it resumes arrived at unknown times: their gaps do not count as +++ guard silence. Transparent input is read even while the host is not reading output."),
    ("dtr-levels", "pin levels", "DTR levels are the pin's: a low-to-high transition is the host dropping DTR; AT&D1 leaves data mode, AT&D2 closes."),
    ("qiact-twice", "ERROR", "Activating an active PDP context answers ERROR."),
    ("pdp-address", "10.7.157.<ctx>", "The address AT+QIACT? shows for an active context (display only; nothing dials it)."),
    ("qfupl-timeout", "ends the upload", "QFUPL inactivity ends the upload and keeps what came, answering +QFUPL as for a complete one."),
    ("port-closed-output", "kept for the next client", "Output written while no client has the pty open waits in the pty (and the daemon stops reading past 256 KiB of backlog); the next client reads it, so nothing is lost between clients."),
    ("output-budget", "64 KiB per read", "Once the commands of one host read have produced 64 KiB of output, the rest of the read waits until the daemon has written that output, so repeated large answers (A/ after AT+QFDWL) cannot grow memory while the host is not reading."),
    ("session-cache", "kept across closes", "The TLS session cache of an SSL context survives the release of its runtime state, so session_cache=1 resumes across opens."),
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_policy_is_documented() {
        let doc = include_str!("../../../docs/policies.md");
        for (name, _, _) in super::POLICIES {
            assert!(doc.contains(&format!("`{name}`")), "docs/policies.md lacks `{name}`");
        }
    }
}
