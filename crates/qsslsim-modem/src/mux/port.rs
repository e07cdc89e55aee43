//! The module's side of mux mode: starting and ending it, cutting host bytes into frames and
//! acting on them (answers, channel data, DLC changes), and swapping the active channel
//! ([`Modem::switch_to`]; see `crate::channels` for why the state is swapped).

use tracing::{info, warn};

use super::frame::Decoded;
use super::{Mux, MuxEvent, MuxParams};
use crate::channels::{urc_dlci, Channel};
use crate::event::Event;
use crate::modem::{Busy, Modem, Port};
use crate::net::NetAction;
use crate::socket::AccessMode;

impl Modem {
    /// Make channel `dlci` the active one: park the active channel's state and load
    /// `dlci`'s. Nothing happens without mux mode or for a channel that is not open.
    pub(crate) fn switch_to(&mut self, dlci: u8) {
        if self.channels.active == dlci || !self.channels.parked.contains_key(&dlci) {
            return;
        }
        self.out.finish_write();
        let active = Channel {
            port: std::mem::replace(&mut self.port, Port::Command),
            busy: self.busy.take(),
            input: std::mem::take(&mut self.input),
            framing: self.out.framing,
            echo: self.settings.echo,
            last_transparent: self.last_transparent.take(),
        };
        self.channels.parked.insert(self.channels.active, active);
        let next = self.channels.parked.remove(&dlci).expect("checked above");
        self.port = next.port;
        self.busy = next.busy;
        self.input = next.input;
        self.out.framing = next.framing;
        self.settings.echo = next.echo;
        self.last_transparent = next.last_transparent;
        self.channels.active = dlci;
        let n1 = self.channels.mux.as_ref().map(|m| m.params.n1).unwrap_or(0);
        self.out.set_channel(self.channels.mux.is_some().then_some((dlci, n1)));
    }

    /// Mux mode: the other channel in transparent mode on socket `id`, if one is (no second
    /// channel may take the socket over; policy `cmux-channels`).
    pub(crate) fn transparent_elsewhere(&self, id: crate::ids::SocketId) -> Option<u8> {
        self.channels.parked_open().find(|(_, c)| c.port.transparent_socket() == Some(id)).map(|(d, _)| *d)
    }

    /// The DLCI URCs go to in mux mode.
    pub(crate) fn urc_dlci(&self) -> u8 {
        urc_dlci(self.module_cfg.cmux_urcport)
    }

    /// `AT+CMUX` was answered: from now on the port carries 27.010 frames. The plain port's
    /// state is parked as DLCI 0, and its echo and framing are what new channels start with.
    pub(crate) fn start_mux(&mut self, params: MuxParams) {
        self.out.finish_write();
        info!(?params, "mux mode on");
        self.event(Event::Mux { on: true, detail: format!("{params:?}") });
        self.channels.mux = Some(Mux::new(params));
        self.channels.active = 0;
    }

    /// Leave mux mode (CLD, DISC on DLCI 0): the plain port's state comes back and every
    /// channel's state is dropped (their sockets stay as they are).
    pub(crate) fn end_mux(&mut self, why: &str) {
        if self.channels.mux.is_none() {
            return;
        }
        self.out.finish_write();
        self.hang_up_call_on_closed_channel(None);
        let mut gone: Vec<u8> = self.channels.parked_open().map(|(d, _)| *d).collect();
        gone.extend((self.channels.active != 0).then_some(self.channels.active));
        for dlci in gone {
            self.abandon_channel(dlci, why);
        }
        self.switch_to(0);
        self.channels.parked.clear();
        self.channels.flow_stopped.clear();
        self.channels.mux = None;
        self.out.set_channel(None);
        info!(why, "mux mode off");
        self.event(Event::Mux { on: false, detail: why.into() });
    }

    /// Channel `dlci` goes away (its DLC released, or mux mode ended) with whatever it was
    /// doing (policy `cmux-release`): nobody can type `+++` on it or wait for its answers any
    /// more. A transparent socket goes to buffer mode (held `+` bytes were data and are sent;
    /// buffered data is announced), an open in transparent mode ends as a buffer-mode open
    /// (with `+QSSLOPEN`/`+QIOPEN` as a URC), a lingering close ends at once as at the end of
    /// its linger. No answer is written: the channel is gone.
    fn abandon_channel(&mut self, dlci: u8, why: &str) {
        self.switch_to(dlci);
        if let Port::Transparent { id, escape } = &mut self.port {
            let id = *id;
            let mut held = Vec::new();
            escape.release(&mut held);
            info!(dlci, %id, why, "channel gone in transparent mode: its socket goes to buffer mode");
            self.event(Event::Failure {
                id: Some(id.get()),
                code: 0,
                cause: format!(
                    "CMUX channel {dlci} gone in transparent mode ({why}): the socket is in buffer mode now"
                ),
            });
            self.send_transparent(id, held);
            self.enter_command();
            crate::cmd::data_mode::switch_to_buffer(self, id);
        }
        match self.busy.take() {
            Some(Busy::OpenTransparent { id, .. }) => {
                info!(dlci, %id, why, "channel gone during a transparent open: it ends in buffer mode");
                self.sockets.get_mut(id).mode = AccessMode::Buffer;
            }
            Some(Busy::Closing { id, conn, .. }) => {
                info!(dlci, %id, why, "channel gone during a lingering close: the close ends now");
                self.net(NetAction::Abort { id: id.get(), conn });
                self.release_socket(id, "its CMUX channel was closed during the close");
            }
            other => self.busy = other,
        }
        if !matches!(self.port, Port::Command) || !self.input.held.is_empty() {
            // A prompt, an upload or typed-ahead input: nobody is there to finish it.
            let (mode, held) = (self.port.name(), self.input.held.len());
            info!(dlci, mode, held, why, "channel gone: its mode and held input are dropped");
            self.event(Event::Failure {
                id: None,
                code: 0,
                cause: format!(
                    "CMUX channel {dlci} gone ({why}) in {mode} mode with {held} bytes held: dropped"
                ),
            });
        }
    }

    /// A PPP call on channel `dlci` (any DLC when `None`) that is going away ends: nothing can
    /// reach it any more (policy `cmux-channels`).
    fn hang_up_call_on_closed_channel(&mut self, dlci: Option<u8>) {
        let Some(call_dlci) = self.ppp.as_ref().map(|c| c.dlci).filter(|d| *d != 0) else { return };
        if dlci.is_some_and(|d| d != call_dlci) {
            return;
        }
        self.switch_to(call_dlci);
        crate::ppp::hang_up(self, "its CMUX channel was closed", false);
    }

    /// Flow control per DLC (policy `cmux-flow`): while the active channel's transparent
    /// socket has a full send buffer, or the channel holds as much input as a busy command
    /// may leave waiting, the module tells the host to stop sending on that DLC with MSC (FC
    /// set), and to go on once there is room again or the data mode ended.
    pub(crate) fn signal_flow(&mut self, dlci: u8) {
        let full = self
            .port
            .transparent_socket()
            .is_some_and(|id| self.sockets.get(id).tx_in_flight >= crate::policy::TX_BUFFER_BYTES)
            || self.input.held.len() >= crate::policy::HELD_INPUT_BYTES;
        if full == self.channels.flow_stopped.contains(&dlci) {
            return;
        }
        if full {
            self.channels.flow_stopped.insert(dlci);
        } else {
            self.channels.flow_stopped.remove(&dlci);
        }
        let what = if full { "stop" } else { "go on" };
        info!(dlci, what, "mux: MSC flow control");
        self.event(Event::Dlc {
            dlci,
            open: true,
            detail: format!("MSC: the host is asked to {what} sending"),
        });
        self.out.push_raw_write(super::session::msc_command(dlci, full));
    }

    /// Host bytes in mux mode. Bytes after a frame that closes the multiplexer (CLD, DISC
    /// of DLCI 0) are the plain port's again, even in the same read.
    pub(crate) fn mux_input(&mut self, bytes: &[u8]) {
        let Some(mux) = self.channels.mux.as_mut() else { return };
        mux.decoder.push(bytes);
        let mut rest = Vec::new();
        while let Some(mux) = self.channels.mux.as_mut() {
            let Some(d) = mux.decoder.next_item() else { break };
            let frame = match d {
                Decoded::Frame(f) => f,
                Decoded::Skipped { bytes, why } => {
                    mux.skipped += bytes as u64;
                    let total = mux.skipped;
                    warn!(bytes, why, total, "mux: bytes skipped");
                    self.event(Event::Failure {
                        id: None,
                        code: 0,
                        cause: format!("mux: {bytes} bytes skipped: {why}"),
                    });
                    continue;
                }
            };
            let events = mux.session.on_frame(frame);
            if events.contains(&MuxEvent::CloseDown) {
                rest = mux.decoder.take_rest();
            }
            for ev in events {
                self.mux_event(ev);
            }
        }
        if !rest.is_empty() && !self.channels.muxed() {
            self.host_bytes(&rest);
        }
    }

    fn mux_event(&mut self, ev: MuxEvent) {
        match ev {
            MuxEvent::Reply(bytes) => self.out.push_raw_write(bytes),
            MuxEvent::Data { dlci, data } => {
                self.switch_to(dlci);
                self.consume_host(&data);
            }
            MuxEvent::Opened(0) => {
                info!("mux: control channel established");
                self.event(Event::Dlc { dlci: 0, open: true, detail: "control channel".into() });
            }
            MuxEvent::Opened(dlci) => {
                let plain = self.channels.parked.get(&0);
                let (framing, echo) = match (self.channels.active, plain) {
                    (0, _) | (_, None) => (self.out.framing, self.settings.echo),
                    (_, Some(p)) => (p.framing, p.echo),
                };
                self.channels.parked.insert(dlci, Channel::fresh(framing, echo));
                let urcs = if dlci == self.urc_dlci() { ", the URC channel" } else { "" };
                info!(dlci, "mux: AT channel established");
                self.event(Event::Dlc { dlci, open: true, detail: format!("AT channel{urcs}") });
            }
            MuxEvent::Closed(dlci) => {
                self.hang_up_call_on_closed_channel(Some(dlci));
                self.abandon_channel(dlci, "DISC");
                self.switch_to(0);
                self.channels.parked.remove(&dlci);
                // A DLC opened again starts with no flow control pending.
                self.channels.flow_stopped.remove(&dlci);
                info!(dlci, "mux: DLC released");
                self.event(Event::Dlc { dlci, open: false, detail: "DISC".into() });
            }
            MuxEvent::CloseDown => self.end_mux("the host closed the multiplexer"),
            MuxEvent::Refused(why) => {
                info!(why, "mux: frame refused");
                self.event(Event::Failure { id: None, code: 0, cause: format!("mux: {why}") });
            }
        }
    }
}
