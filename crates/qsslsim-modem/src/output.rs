//! Everything the module hands to the daemon, in order: host writes (a command's response is
//! assembled into one write; echo, URCs and data are writes of their own), network actions and
//! trace events. It also keeps the count of host output the daemon has not yet delivered, which
//! decides when bulk data may flow.

use std::collections::VecDeque;

use qsslsim_at::{Framing, ResultCode};

use crate::errors;
use crate::event::Event;
use crate::net::NetAction;

/// Something the daemon must do for the module.
#[derive(Debug)]
pub enum Output {
    /// One write to the host, kept separate from its neighbours.
    Host(Vec<u8>),
    Net(NetAction),
    /// Something to trace.
    Event(Event),
}

#[derive(Debug, Default)]
pub struct HostOutput {
    /// `ATV`/`AT+CMEE` framing.
    pub framing: Framing,
    /// The write being assembled for the current command.
    write: Vec<u8>,
    /// Whether the current command has begun an information block.
    info_open: bool,
    queue: VecDeque<Output>,
    /// Host bytes in `queue` (kept as writes are queued and taken, not summed on each look).
    queued: usize,
    /// Host bytes produced and not yet delivered: the daemon's last report plus what was
    /// produced since.
    backlog: usize,
    /// In mux mode (`AT+CMUX`): the DLCI host writes go to and N1; each write leaves as UIH
    /// frames of that DLCI.
    mux: Option<(u8, u16)>,
}

impl HostOutput {
    /// An information line of the current response. The first line of a command's response
    /// is framed `<CR><LF>text<CR><LF>`; lines after it only end with `<CR><LF>`.
    pub fn info(&mut self, text: &str) {
        if self.info_open {
            self.write.extend_from_slice(text.as_bytes());
            self.write.extend_from_slice(b"\r\n");
        } else {
            self.framing.info(text, &mut self.write);
            self.info_open = true;
        }
    }

    /// An information line holding bytes that need not be text (`+QIRD: <n>,<data>`).
    pub fn info_bytes(&mut self, line: &[u8]) {
        if !self.info_open {
            if self.framing.verbose {
                self.write.extend_from_slice(b"\r\n");
            }
            self.info_open = true;
        }
        self.write.extend_from_slice(line);
        self.write.extend_from_slice(b"\r\n");
    }

    /// Raw bytes inside the current response (e.g. the data of `+QSSLRECV`).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.write.extend_from_slice(bytes);
    }

    /// A result code inside the current response; the next information line starts a block.
    pub fn result(&mut self, code: ResultCode) {
        self.framing.result(code, errors::ERROR_TEXTS, &mut self.write);
        self.info_open = false;
    }

    /// A new command starts: its first information line opens a block.
    pub fn begin_command(&mut self) {
        self.info_open = false;
    }

    /// Close the write being assembled as one host write.
    pub fn finish_write(&mut self) {
        if !self.write.is_empty() {
            let w = std::mem::take(&mut self.write);
            self.queue_host(w);
        }
    }

    /// A separate host write (echo, transparent data, URCs, ACKs).
    pub fn push_write(&mut self, bytes: Vec<u8>) {
        self.finish_write();
        if !bytes.is_empty() {
            self.queue_host(bytes);
        }
    }

    /// Bytes for the port as they are, outside any channel (27.010 frames the multiplexer
    /// writes itself: UA, DM, control channel answers).
    pub fn push_raw_write(&mut self, bytes: Vec<u8>) {
        self.finish_write();
        self.backlog += bytes.len();
        self.queued += bytes.len();
        self.queue.push_back(Output::Host(bytes));
    }

    /// Mux mode on (the DLCI of the channel that writes now, and N1) or off.
    pub fn set_channel(&mut self, mux: Option<(u8, u16)>) {
        self.finish_write();
        self.mux = mux;
    }

    fn queue_host(&mut self, w: Vec<u8>) {
        let w = match self.mux {
            None => w,
            Some((0, _)) => {
                // No AT channel is active (its DLC was released while it had a command
                // running): DLCI 0 carries only control messages, so the write has nowhere to go.
                tracing::warn!(bytes = w.len(), "host write for a released channel dropped");
                return;
            }
            Some((dlci, n1)) => crate::mux::session::data_frames(dlci, n1, &w),
        };
        self.backlog += w.len();
        self.queued += w.len();
        self.queue.push_back(Output::Host(w));
    }

    pub fn net(&mut self, action: NetAction) {
        self.finish_write();
        self.queue.push_back(Output::Net(action));
    }

    pub fn event(&mut self, event: Event) {
        self.queue.push_back(Output::Event(event));
    }

    pub fn pop(&mut self) -> Option<Output> {
        let out = self.queue.pop_front();
        if let Some(Output::Host(b)) = &out {
            self.queued -= b.len();
        }
        out
    }

    /// The daemon's count of host bytes it holds undelivered (its queue and the port's).
    pub fn set_backlog(&mut self, bytes: usize) {
        self.backlog = bytes + self.queued_host_bytes();
    }

    /// Host bytes produced and not yet delivered.
    pub fn backlog(&self) -> usize {
        self.backlog
    }

    /// Host bytes produced and not yet taken by the daemon.
    pub fn queued_host_bytes(&self) -> usize {
        self.write.len() + self.queued
    }

    /// Keep pending output across a restart (framing goes back to defaults).
    pub fn take_pending(&mut self) -> HostOutput {
        self.finish_write();
        HostOutput {
            queue: std::mem::take(&mut self.queue),
            queued: std::mem::take(&mut self.queued),
            backlog: self.backlog,
            ..HostOutput::default()
        }
    }
}
