//! The serial port's modes as one machine: the command line, the `>` send prompt (variable
//! length ended by Ctrl+Z or cancelled by ESC, or fixed length, binary-safe; for a socket send
//! or a short message, [`PromptFor`]), transparent data
//! for one socket, and a file upload. The prompt's byte rules are a small pure machine
//! ([`Prompt`]) tested on its own, like the `+++` detector and the upload machine.

use std::time::Instant;

use crate::escape::EscapeDetector;
use crate::files::Upload;
use crate::ids::SocketId;

/// Longest payload of one `AT+QSSLSEND` or `AT+QISEND` (both forms).
pub const MAX_SEND: usize = 1460;
const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;

/// What the port is doing with host bytes.
pub enum Port {
    /// Command lines.
    Command,
    /// After a `>` prompt (`AT+QSSLSEND`, `AT+QISEND`, `AT+CMGS`): collecting data for one
    /// socket or a short message.
    SendPrompt(Prompt),
    /// Raw data to and from one socket.
    Transparent { id: SocketId, escape: EscapeDetector },
    /// `AT+QFUPL` after `CONNECT`.
    Upload(Box<Upload>),
    /// A PPP data call (`ATD*99#`): host bytes are HDLC frames for session `session`.
    Ppp { session: u64, escape: EscapeDetector },
}

impl Port {
    /// The port's mode as `ctl state` names it.
    pub fn name(&self) -> &'static str {
        match self {
            Port::Command => "command",
            Port::SendPrompt(p) if matches!(p.purpose, PromptFor::Sms(_)) => "sms_prompt",
            Port::SendPrompt(_) => "send_prompt",
            Port::Transparent { .. } => "transparent",
            Port::Upload(up) if up.target() != crate::files::DataFor::File => "http_input",
            Port::Upload(_) => "file_upload",
            Port::Ppp { .. } => "ppp",
        }
    }

    /// The socket in transparent mode, if any.
    pub fn transparent_socket(&self) -> Option<SocketId> {
        match self {
            Port::Transparent { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// A command that has started but not yet produced its final result. While one is set, host
/// input waits and URCs are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// `AT+QSSLOPEN` in transparent mode waiting for `CONNECT`.
    OpenTransparent { id: SocketId, conn: u64 },
    /// `AT+QSSLCLOSE` lingering, at most until `deadline`.
    Closing { id: SocketId, conn: u64, deadline: Instant },
    /// `AT+QHTTPREAD` after `CONNECT`, waiting for request `job`'s body until `deadline`.
    HttpRead { job: u64, deadline: Instant },
}

/// The send prompt's collection of payload bytes.
#[derive(Debug)]
pub struct Prompt {
    pub id: SocketId,
    /// `Some(n)`: exactly `n` bytes, any values. `None`: until Ctrl+Z (send) or ESC (cancel).
    pub fixed: Option<usize>,
    /// The command that opened the prompt (`AT+QSSLSEND`, `AT+QISEND`), for its answers.
    pub command: &'static str,
    /// Where a `"UDP SERVICE"` datagram goes (`AT+QISEND=<id>,<len>,"<ip>",<port>`).
    pub dest: Option<(String, u16)>,
    /// Whether typed data is echoed (with `ATE1`; `AT+QISDE` for `AT+QISEND`).
    pub echo: bool,
    /// What the typed bytes become.
    pub purpose: PromptFor,
    buf: Vec<u8>,
}

/// What a prompt's payload is for.
#[derive(Debug, Default)]
pub enum PromptFor {
    /// Data for socket [`Prompt::id`] (`AT+QSSLSEND`, `AT+QISEND`).
    #[default]
    Socket,
    /// A short message (`AT+CMGS`); [`Prompt::id`] means nothing.
    Sms(crate::sms::Draft),
}

/// How a prompt ended.
#[derive(Debug, PartialEq, Eq)]
pub enum PromptEnd {
    /// Send these bytes.
    Send(Vec<u8>),
    /// ESC: nothing is sent.
    Cancel,
    /// A variable-length payload reached [`MAX_SEND`] without Ctrl+Z: nothing is sent.
    TooLong,
}

/// What one call to [`Prompt::feed`] did.
#[derive(Debug, PartialEq, Eq)]
pub struct PromptFeed {
    /// Bytes consumed; the rest belong to command mode.
    pub used: usize,
    /// How many of the consumed bytes are payload to echo (the terminator is not echoed).
    pub echo: usize,
    pub end: Option<PromptEnd>,
}

impl Prompt {
    pub fn new(id: SocketId, fixed: Option<usize>) -> Self {
        Prompt {
            id,
            fixed,
            command: "AT+QSSLSEND",
            dest: None,
            echo: true,
            purpose: PromptFor::Socket,
            buf: Vec::new(),
        }
    }

    /// The prompt of `AT+CMGS`: until Ctrl+Z (send) or ESC (cancel).
    pub fn sms(draft: crate::sms::Draft) -> Self {
        let unused = SocketId::all().next().expect("socket ids exist");
        Prompt { command: "AT+CMGS", purpose: PromptFor::Sms(draft), ..Prompt::new(unused, None) }
    }

    /// Bytes typed so far.
    pub fn typed(&self) -> usize {
        self.buf.len()
    }

    /// Take bytes typed at the prompt.
    pub fn feed(&mut self, bytes: &[u8]) -> PromptFeed {
        if let Some(n) = self.fixed {
            let take = (n - self.buf.len()).min(bytes.len());
            self.buf.extend_from_slice(&bytes[..take]);
            let end = (self.buf.len() == n).then(|| PromptEnd::Send(std::mem::take(&mut self.buf)));
            return PromptFeed { used: take, echo: take, end };
        }
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                CTRL_Z => {
                    let data = std::mem::take(&mut self.buf);
                    return PromptFeed { used: i + 1, echo: i, end: Some(PromptEnd::Send(data)) };
                }
                ESC => return PromptFeed { used: i + 1, echo: i, end: Some(PromptEnd::Cancel) },
                // The byte that does not fit is left for command mode.
                _ if self.buf.len() == MAX_SEND => {
                    return PromptFeed { used: i, echo: i, end: Some(PromptEnd::TooLong) }
                }
                _ => self.buf.push(b),
            }
        }
        PromptFeed { used: bytes.len(), echo: bytes.len(), end: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> SocketId {
        SocketId::new(4).unwrap()
    }

    #[test]
    fn ctrl_z_sends_what_came_before_it_across_reads() {
        let mut p = Prompt::new(id(), None);
        assert_eq!(p.feed(b"Test "), PromptFeed { used: 5, echo: 5, end: None });
        let f = p.feed(b"data\x1aAT\r");
        assert_eq!(f, PromptFeed { used: 5, echo: 4, end: Some(PromptEnd::Send(b"Test data".to_vec())) });
    }

    #[test]
    fn esc_cancels() {
        let mut p = Prompt::new(id(), None);
        assert_eq!(p.feed(b"ab\x1b").end, Some(PromptEnd::Cancel));
    }

    #[test]
    fn fixed_length_is_binary_safe_and_stops_at_n() {
        let mut p = Prompt::new(id(), Some(4));
        assert_eq!(p.feed(b"\x1a\x1b"), PromptFeed { used: 2, echo: 2, end: None });
        let f = p.feed(b"\r\nAT\r");
        assert_eq!(f, PromptFeed { used: 2, echo: 2, end: Some(PromptEnd::Send(b"\x1a\x1b\r\n".to_vec())) });
    }

    #[test]
    fn variable_length_overflow_leaves_the_extra_byte() {
        let mut p = Prompt::new(id(), None);
        let data = vec![b'x'; MAX_SEND + 3];
        let f = p.feed(&data);
        assert_eq!(f, PromptFeed { used: MAX_SEND, echo: MAX_SEND, end: Some(PromptEnd::TooLong) });
    }

    #[test]
    fn exactly_max_then_ctrl_z_sends() {
        let mut p = Prompt::new(id(), None);
        let mut data = vec![b'y'; MAX_SEND];
        data.push(CTRL_Z);
        let f = p.feed(&data);
        assert_eq!(f.used, MAX_SEND + 1);
        assert!(matches!(f.end, Some(PromptEnd::Send(d)) if d.len() == MAX_SEND));
    }
}
