//! The module's AT channels. Without `AT+CMUX` there is one, the plain port. In mux mode each
//! open DLCI 1-4 is an AT port of its own: its mode (command, prompt, transparent, upload),
//! the command it is busy with, its line assembler and held input, its `ATE`/`ATV`/`AT+CMEE`
//! framing and its last transparent socket. Sockets, PDP contexts, module-wide settings and
//! the URC queue stay shared.
//!
//! The [`crate::modem::Modem`] keeps the state of ONE channel, the active one, in its own
//! fields (`port`, `busy`, `input`, `out.framing`, `settings.echo`, `last_transparent`), so
//! command handlers and network event handlers need not know channels exist. This module
//! parks the other channels' state and swaps one in ([`crate::modem::Modem::switch_to`]);
//! whoever acts for a channel (its host bytes, a network event that completes its command,
//! its timers) switches to it first. Host writes of the active channel leave as UIH frames
//! of its DLCI (see `HostOutput::set_channel`).

use std::collections::BTreeMap;
use std::time::Instant;

use qsslsim_at::{Framing, LineAssembler};

use crate::ids::SocketId;
use crate::mux::{Mux, MuxParams};
use crate::port::{Busy, Port};

/// Host input the module is not ready for, and the line assembler (one per channel).
#[derive(Default)]
pub(crate) struct Input {
    pub assembler: LineAssembler,
    pub last_line: Option<String>,
    /// Bytes that arrived while a command executes (or output is backed up).
    pub held: Vec<u8>,
    /// Input waits until the daemon reports its output backlog drained.
    pub output_pressure: bool,
}

/// One channel's state while another is active.
pub(crate) struct Channel {
    pub port: Port,
    pub busy: Option<Busy>,
    pub input: Input,
    pub framing: Framing,
    pub echo: bool,
    pub last_transparent: Option<SocketId>,
}

impl Channel {
    /// A fresh channel in command mode with the given echo and framing.
    pub fn fresh(framing: Framing, echo: bool) -> Self {
        Channel {
            port: Port::Command,
            busy: None,
            input: Input::default(),
            framing,
            echo,
            last_transparent: None,
        }
    }

    /// Whether a URC may be written on this channel now.
    pub fn free_for_urcs(&self) -> bool {
        matches!(self.port, Port::Command) && self.busy.is_none()
    }
}

/// The parked channels and the multiplexer.
#[derive(Default)]
pub(crate) struct Channels {
    /// The running multiplexer, if `AT+CMUX` started one.
    pub mux: Option<Mux>,
    /// `AT+CMUX` answered: mux mode starts once its `OK` is out.
    pub pending: Option<MuxParams>,
    /// The DLCI whose state the modem's fields hold; 0 is the plain port.
    pub active: u8,
    /// Every other channel's state (the plain port's, DLCI 0, while mux mode is on).
    pub parked: BTreeMap<u8, Channel>,
    /// Host bytes that followed the `AT+CMUX` line in the same read: they are frames.
    pub leftover: Vec<u8>,
    /// The DLCs the module has asked the host to stop sending on (MSC with FC set).
    pub flow_stopped: std::collections::BTreeSet<u8>,
}

impl Channels {
    /// Whether mux mode is on.
    pub fn muxed(&self) -> bool {
        self.mux.is_some()
    }

    /// The open AT channels (none without mux mode).
    pub fn open(&self) -> Vec<u8> {
        self.mux.as_ref().map(|m| m.session.open_channels().collect()).unwrap_or_default()
    }

    /// Whether AT channel `dlci` is open (never without mux mode).
    pub fn is_open(&self, dlci: u8) -> bool {
        dlci != 0 && self.mux.as_ref().is_some_and(|m| m.session.is_open(dlci))
    }

    /// The parked channels that are open AT channels.
    pub fn parked_open(&self) -> impl Iterator<Item = (&u8, &Channel)> {
        self.parked.iter().filter(|(d, _)| **d != 0)
    }

    /// The earliest deadline of a parked channel's mode or command.
    pub fn parked_deadline(&self) -> Option<Instant> {
        self.parked_open().filter_map(|(_, c)| deadline(&c.port, c.busy.as_ref())).min()
    }
}

/// When a channel's mode or command next needs [`crate::modem::Modem::on_time`].
pub(crate) fn deadline(port: &Port, busy: Option<&Busy>) -> Option<Instant> {
    let port = match port {
        Port::Transparent { escape, .. } | Port::Ppp { escape, .. } => escape.deadline(),
        Port::Upload(up) => up.next_deadline(),
        _ => None,
    };
    let busy = match busy {
        Some(Busy::Closing { deadline, .. }) | Some(Busy::HttpRead { deadline, .. }) => Some(*deadline),
        _ => None,
    };
    port.into_iter().chain(busy).min()
}

/// The DLCI `AT+QCFG="cmux/urcport",<n>` names: 0 (the factory value) and 1 are DLCI 1
/// (policy `cmux-urcport`).
pub(crate) fn urc_dlci(urcport: u8) -> u8 {
    urcport.max(1)
}
