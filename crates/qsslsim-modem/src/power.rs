//! Power and reset: `AT+CFUN=<fun>,1` restarts the module after a delay, `AT+QPOWD` powers it
//! down after `POWERED DOWN`, and the module stays silent, discarding host bytes, until it is
//! powered on again (fault `power_on`, the control socket's `power` verb, or
//! `ModemConfig::power_on_after`). Every way back up goes through [`boot`], which starts a
//! fresh module (the `module_restart` path) and writes the boot output.

use std::time::{Duration, Instant};

use tracing::info;

use crate::event::Event;
use crate::modem::Modem;
use crate::urc::Urc;

/// Where the module's power is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Power {
    #[default]
    On,
    /// `AT+CFUN=...,1` answered; the module restarts at `at`.
    Resetting { at: Instant },
    /// `AT+QPOWD` answered; `POWERED DOWN` at `at`.
    PoweringDown { at: Instant },
    /// Off: host bytes are discarded. Back on at `on_at` if set.
    Off { on_at: Option<Instant> },
}

impl Power {
    /// The state's name for `ctl state`.
    pub fn name(&self) -> &'static str {
        match self {
            Power::On => "on",
            Power::Resetting { .. } => "restarting",
            Power::PoweringDown { .. } => "powering_down",
            Power::Off { .. } => "off",
        }
    }

    /// When something happens next.
    pub fn deadline(&self) -> Option<Instant> {
        match *self {
            Power::On => None,
            Power::Resetting { at } | Power::PoweringDown { at } => Some(at),
            Power::Off { on_at } => on_at,
        }
    }
}

/// The boot output after a restart or power-on, in the order a BG96 log shows it, `APP RDY`
/// included (policy `boot-output`).
pub const BOOT_LINES: &[&str] =
    &["RDY", "+CFUN: 1", "APP RDY", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE"];

/// Queue the boot output.
pub fn boot_output(m: &mut Modem) {
    match m.sim.status() {
        crate::sim::SimStatus::Ready => {
            for line in BOOT_LINES {
                m.urc(if *line == "RDY" { Urc::Ready } else { Urc::Boot(line) });
            }
        }
        // Without a usable SIM the module stops at the SIM's state (policy `boot-output`).
        other => {
            m.urc(Urc::Ready);
            m.urc(Urc::Boot("+CFUN: 1"));
            // The application core is ready whatever the card says.
            m.urc(Urc::Boot("APP RDY"));
            m.urc(Urc::Boot(crate::sim::cpin_text(other)));
        }
    }
}

/// Restart now: connections drop, a fresh module with factory settings, boot output.
pub fn boot(m: &mut Modem) {
    crate::faults::drop_connections(m);
    m.reboot();
    boot_output(m);
}

/// Ask for a restart `delay` from now (`AT+CFUN=<fun>,1`).
pub fn request_reset(m: &mut Modem, delay: Duration) {
    info!(?delay, "module restart requested");
    m.power = Power::Resetting { at: m.now + delay };
}

/// Ask for a power-down `delay` from now (`AT+QPOWD`, fault `power_off`).
pub fn request_power_down(m: &mut Modem, delay: Duration) {
    info!(?delay, "power-down requested");
    m.power = Power::PoweringDown { at: m.now + delay };
}

/// Power on (fault `power_on`): a fresh module and the boot output. Nothing if already on.
pub fn power_on(m: &mut Modem) {
    if matches!(m.power, Power::Off { .. } | Power::PoweringDown { .. }) {
        info!("powered on");
        m.power = Power::On;
        boot(m);
    }
}

/// Time passed: act on a due reset, power-down or power-on.
pub fn on_time(m: &mut Modem) {
    let Some(at) = m.power.deadline() else { return };
    if m.now < at {
        return;
    }
    match m.power {
        Power::Resetting { .. } => {
            m.power = Power::On;
            boot(m);
        }
        Power::PoweringDown { .. } => {
            crate::faults::drop_connections(m);
            let on_at = m.cfg.power_on_after.map(|d| m.now + d);
            // Nothing queued goes out any more; `POWERED DOWN` is the last line. In mux mode it
            // is the last frame, on the URC channel (policy `cmux-channels`).
            if m.channels.muxed() {
                m.switch_to(m.urc_dlci());
                let text = Urc::Boot("POWERED DOWN").encode(&m.out.framing);
                m.out.push_write(text);
                m.out.finish_write();
                m.reboot();
            } else {
                m.reboot();
                m.out.push_write(Urc::Boot("POWERED DOWN").encode(&m.out.framing));
            }
            info!("POWERED DOWN");
            m.power = Power::Off { on_at };
        }
        Power::Off { .. } => power_on(m),
        Power::On => {}
    }
}

/// Host bytes while the module is not on: discarded, counted, traced (policy
/// `powered-down-input`).
pub fn discard_input(m: &mut Modem, bytes: &[u8]) {
    m.discarded_input += bytes.len() as u64;
    info!(bytes = bytes.len(), total = m.discarded_input, state = ?m.power, "host bytes discarded: the module is not powered on");
    m.event(Event::Failure {
        id: None,
        code: 0,
        cause: format!(
            "{} host bytes discarded ({} in all): the module is {}",
            bytes.len(),
            m.discarded_input,
            match m.power {
                Power::Resetting { .. } => "restarting",
                _ => "powered down",
            }
        ),
    });
}
