//! Assembling command lines from host bytes that arrive in arbitrary chunks. This module owns
//! the byte-level rules of command mode: the S3 terminator and S5 backspace, echo of what the
//! host typed, ignoring `<LF>` after a terminator and NUL bytes, the `A/` repeat shortcut, and
//! the bound on line length (memory never grows past [`MAX_LINE_LEN`]).

/// Longest command line accepted (characters after `AT`... up to the `<CR>`); longer ones are
/// answered with `ERROR` and never stored beyond this bound.
pub const MAX_LINE_LEN: usize = 1024;

const NUL: u8 = 0;
const LF: u8 = b'\n';
const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineEvent {
    /// A complete line (terminator excluded), bytes converted lossily to a String.
    Line(String),
    /// `A/` (or `a/`) was typed: repeat the previous line.
    Repeat,
    /// The line exceeded [`MAX_LINE_LEN`] before its terminator arrived; it has been discarded.
    TooLong,
}

/// Byte-at-a-time line assembler. Owns S3 (terminator, default 13) and S5 (backspace, default 8).
#[derive(Debug)]
pub struct LineAssembler {
    pub s3: u8,
    pub s5: u8,
    /// The line so far; never longer than [`MAX_LINE_LEN`].
    buf: Vec<u8>,
    /// A byte was dropped because the line was full; the line ends as `TooLong`.
    overflowed: bool,
    /// The previous byte (NULs aside) was the terminator, so an `<LF>` now is ignored.
    after_terminator: bool,
}

impl Default for LineAssembler {
    fn default() -> Self {
        LineAssembler { s3: 13, s5: 8, buf: Vec::new(), overflowed: false, after_terminator: false }
    }
}

impl LineAssembler {
    /// Feed one byte. If `echo` is true, the bytes the module should echo back for this byte are
    /// appended to `out` (the byte itself, including the terminating `<CR>`; backspace echoes
    /// as BS; an `<LF>` directly after a `<CR>` is ignored and not echoed).
    /// Returns an event when a line is complete.
    pub fn push(&mut self, byte: u8, echo: bool, out: &mut Vec<u8>) -> Option<LineEvent> {
        if byte == NUL && byte != self.s3 && byte != self.s5 {
            return None;
        }
        let skip_lf = byte == LF && self.after_terminator && byte != self.s3;
        self.after_terminator = false;
        if skip_lf {
            return None;
        }
        let stray = matches!(byte, CTRL_Z | ESC) && byte != self.s3 && byte != self.s5;
        if stray && self.buf.is_empty() && !self.overflowed {
            // A send's terminator arriving after the send already ended (hosts that write
            // Ctrl+Z after a fixed-length payload): no line starts with it, so it is dropped
            // unechoed instead of spoiling the next command (policy `stray-ctrl-z`).
            return None;
        }
        if echo {
            out.push(byte);
        }
        if byte == self.s3 {
            self.after_terminator = true;
            return Some(self.finish_line());
        }
        if byte == self.s5 {
            self.buf.pop();
            return None;
        }
        if byte == b'/' && !self.overflowed && matches!(self.buf.as_slice(), [b'A' | b'a']) {
            self.buf.clear();
            return Some(LineEvent::Repeat);
        }
        if self.buf.len() < MAX_LINE_LEN {
            self.buf.push(byte);
        } else {
            self.overflowed = true;
        }
        None
    }

    /// Whether no line is in progress (nothing typed since the last terminator).
    pub fn is_idle(&self) -> bool {
        self.buf.is_empty() && !self.overflowed
    }

    /// Forget any partial line (used when the port leaves command mode).
    pub fn reset(&mut self) {
        self.buf = Vec::new();
        self.overflowed = false;
        self.after_terminator = false;
    }

    /// Hand over the assembled line and start an empty one.
    fn finish_line(&mut self) -> LineEvent {
        let bytes = std::mem::take(&mut self.buf);
        if std::mem::take(&mut self.overflowed) {
            LineEvent::TooLong
        } else {
            LineEvent::Line(String::from_utf8_lossy(&bytes).into_owned())
        }
    }
}

#[cfg(test)]
mod tests;
