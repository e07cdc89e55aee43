//! The SIM card: inserted or not, PIN lock, wrong tries. It survives a restart (it is a card,
//! not a setting), but a PIN-locked card locks again. Registration needs a ready SIM
//! ([`Modem::reg_stat`]); faults `sim_removed`, `sim_inserted` and the configuration
//! (`--no-sim`, `--sim-pin`) change it.

use crate::modem::Modem;
use crate::urc::Urc;

/// PIN tries before the card wants its PUK.
pub const PIN_TRIES: u8 = 3;

/// The SIM as the daemon starts it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimConfig {
    /// No card in the holder.
    pub absent: bool,
    /// The card is locked with this PIN at every start.
    pub pin: Option<String>,
}

/// What `AT+CPIN?` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimStatus {
    Ready,
    Pin,
    Puk,
    Absent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sim {
    pub inserted: bool,
    pub pin: Option<String>,
    pub unlocked: bool,
    pub tries_left: u8,
}

impl Sim {
    pub fn new(cfg: &SimConfig) -> Self {
        Sim { inserted: !cfg.absent, pin: cfg.pin.clone(), unlocked: false, tries_left: PIN_TRIES }
    }

    pub fn status(&self) -> SimStatus {
        if !self.inserted {
            SimStatus::Absent
        } else if self.tries_left == 0 {
            SimStatus::Puk
        } else if self.pin.is_some() && !self.unlocked {
            SimStatus::Pin
        } else {
            SimStatus::Ready
        }
    }

    /// After a restart: the same card, locked again if it has a PIN.
    pub fn after_restart(&self) -> Self {
        Sim { unlocked: false, ..self.clone() }
    }
}

/// The `+CPIN: <code>` text for a status (boot output and URCs; policy `sim-states`).
pub fn cpin_text(status: SimStatus) -> &'static str {
    match status {
        SimStatus::Ready => "+CPIN: READY",
        SimStatus::Pin => "+CPIN: SIM PIN",
        SimStatus::Puk => "+CPIN: SIM PUK",
        SimStatus::Absent => "+CPIN: NOT INSERTED",
    }
}

/// The `+CME ERROR` a command that needs the SIM answers when it is not ready.
pub fn not_ready_error(status: SimStatus) -> Option<(u16, &'static str)> {
    match status {
        SimStatus::Ready => None,
        SimStatus::Pin => Some((11, "the SIM wants its PIN")),
        SimStatus::Puk => Some((12, "the SIM wants its PUK")),
        SimStatus::Absent => Some((10, "no SIM is inserted")),
    }
}

/// The lines the module writes once the SIM is ready (after the PIN, an insertion, a boot).
pub fn ready_urcs(m: &mut Modem) {
    m.urc(Urc::Boot("+CPIN: READY"));
    m.urc(Urc::Boot("+QUSIM: 1"));
    m.urc(Urc::Boot("+QIND: SMS DONE"));
}

/// Fault `sim_removed`: `+CPIN: NOT READY`, then registration is lost.
pub fn remove(m: &mut Modem) {
    if !m.sim.inserted {
        return;
    }
    m.urc(Urc::Boot("+CPIN: NOT READY"));
    crate::registration::update(m, |m| {
        m.sim.inserted = false;
        m.sim.unlocked = false;
    });
}

/// Fault `sim_inserted`: the card is read; `+CPIN: READY` and the rest, or `+CPIN: SIM PIN`.
pub fn insert(m: &mut Modem) {
    if m.sim.inserted {
        return;
    }
    let mut card = m.sim.clone();
    card.inserted = true;
    card.tries_left = PIN_TRIES;
    match card.status() {
        SimStatus::Ready => ready_urcs(m),
        other => m.urc(Urc::Boot(cpin_text(other))),
    }
    crate::registration::update(m, |m| m.sim = card);
}
