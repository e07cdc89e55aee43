//! The SIM card: inserted or not, PIN lock, wrong tries, the PUK that unblocks it, and the
//! `AT+QSIMSTAT` report setting. It survives a restart (it is a card, not a setting; the
//! maker saves `AT+QSIMSTAT` at once, so it stays too), but a PIN-locked card locks again.
//! Registration needs a ready SIM ([`Modem::reg_stat`]); faults `sim_removed`, `sim_inserted`
//! and the configuration (`--no-sim`, `--sim-pin`, `--sim-puk`) change it.

use crate::modem::Modem;
use crate::urc::Urc;

/// PIN tries before the card wants its PUK.
pub const PIN_TRIES: u8 = 3;
/// PUK tries before the card is blocked for good (the maker's `AT+QPINC` maximum).
pub const PUK_TRIES: u8 = 10;
/// The PUK a card has unless `--sim-puk` names another (a fixed test value).
pub const DEFAULT_PUK: &str = "12345678";

/// The SIM as the daemon starts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// No card in the holder.
    pub absent: bool,
    /// The card is locked with this PIN at every start.
    pub pin: Option<String>,
    /// The PUK that unblocks the card after three wrong PINs.
    pub puk: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig { absent: false, pin: None, puk: DEFAULT_PUK.into() }
    }
}

/// What `AT+CPIN?` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimStatus {
    Ready,
    Pin,
    Puk,
    /// Every PUK try used: the card is blocked for good.
    Blocked,
    Absent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sim {
    pub inserted: bool,
    pub pin: Option<String>,
    pub unlocked: bool,
    pub tries_left: u8,
    pub puk: String,
    pub puk_tries_left: u8,
    /// `AT+QSIMSTAT=1`: report insertion and removal with `+QSIMSTAT: 1,<inserted>`.
    pub report_insertion: bool,
}

impl Sim {
    pub fn new(cfg: &SimConfig) -> Self {
        Sim {
            inserted: !cfg.absent,
            pin: cfg.pin.clone(),
            unlocked: false,
            tries_left: PIN_TRIES,
            puk: cfg.puk.clone(),
            puk_tries_left: PUK_TRIES,
            report_insertion: false,
        }
    }

    pub fn status(&self) -> SimStatus {
        if !self.inserted {
            SimStatus::Absent
        } else if self.puk_tries_left == 0 {
            SimStatus::Blocked
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
        // A blocked card cannot be used; the boot output stops as for a card not ready
        // (policy `sim-puk`).
        SimStatus::Blocked => "+CPIN: NOT READY",
        SimStatus::Absent => "+CPIN: NOT INSERTED",
    }
}

/// The `+CME ERROR` a command that needs the SIM answers when it is not ready.
pub fn not_ready_error(status: SimStatus) -> Option<(u16, &'static str)> {
    match status {
        SimStatus::Ready => None,
        SimStatus::Pin => Some((11, "the SIM wants its PIN")),
        SimStatus::Puk => Some((12, "the SIM wants its PUK")),
        SimStatus::Blocked => Some((13, "the SIM is blocked: every PUK try is used")),
        SimStatus::Absent => Some((10, "no SIM is inserted")),
    }
}

/// The lines the module writes once the SIM is ready (after the PIN, an insertion, a boot).
pub fn ready_urcs(m: &mut Modem) {
    m.urc(Urc::Boot("+CPIN: READY"));
    m.urc(Urc::Boot("+QUSIM: 1"));
    m.urc(Urc::Boot("+QIND: SMS DONE"));
}

/// `+QSIMSTAT: 1,<inserted>` when `AT+QSIMSTAT=1` asked for it (insertion or removal).
fn report_insertion(m: &mut Modem, inserted: bool) {
    if m.sim.report_insertion {
        m.urc(Urc::Boot(if inserted { "+QSIMSTAT: 1,1" } else { "+QSIMSTAT: 1,0" }));
    }
}

/// Fault `sim_removed`: `+QSIMSTAT: 1,0` if reported, `+CPIN: NOT READY`, then registration
/// is lost.
pub fn remove(m: &mut Modem) {
    if !m.sim.inserted {
        return;
    }
    report_insertion(m, false);
    m.urc(Urc::Boot("+CPIN: NOT READY"));
    crate::registration::update(m, |m| {
        m.sim.inserted = false;
        m.sim.unlocked = false;
    });
}

/// Fault `sim_inserted`: the card is read; `+QSIMSTAT: 1,1` if reported, then `+CPIN: READY`
/// and the rest, or `+CPIN: SIM PIN`.
pub fn insert(m: &mut Modem) {
    if m.sim.inserted {
        return;
    }
    report_insertion(m, true);
    let mut card = m.sim.clone();
    card.inserted = true;
    card.tries_left = PIN_TRIES;
    card.puk_tries_left = PUK_TRIES;
    match card.status() {
        SimStatus::Ready => ready_urcs(m),
        other => m.urc(Urc::Boot(cpin_text(other))),
    }
    crate::registration::update(m, |m| m.sim = card);
}
