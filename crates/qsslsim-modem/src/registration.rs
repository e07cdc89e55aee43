//! The radio side as state: registration status, serving cell, operator, signal. Commands
//! (`AT+CREG`/`CGREG`/`CEREG`, `AT+COPS`, `AT+CSQ`, `AT+QCSQ`, `AT+QNWINFO`, `AT+QSPN`,
//! `AT+QENG`) read
//! it; faults (`deregister`, `register`, `roam`, `signal`) and `AT+COPS` change it through
//! [`set_stat`], the one place registration changes, which writes the URCs a module writes.

use crate::modem::Modem;
use crate::urc::{RegKind, Urc};

/// 27.007 registration status values.
pub const NOT_REGISTERED: u8 = 0;
pub const HOME: u8 = 1;
pub const SEARCHING: u8 = 2;
pub const DENIED: u8 = 3;
pub const ROAMING: u8 = 5;

/// An operator as `AT+COPS` names it in its three formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub long: &'static str,
    pub short: &'static str,
    pub numeric: &'static str,
}

impl Operator {
    /// The name in `AT+COPS` format 0 (long), 1 (short) or 2 (numeric).
    pub fn name(&self, format: u8) -> &'static str {
        match format {
            1 => self.short,
            2 => self.numeric,
            _ => self.long,
        }
    }
}

/// The networks the module sees (`AT+COPS=?`); the first is the SIM's home network (its MCC
/// and MNC begin the default IMSI).
pub const OPERATORS: &[Operator] = &[
    Operator { long: "CHINA MOBILE", short: "CMCC", numeric: "46000" },
    Operator { long: "CHN-UNICOM", short: "UNICOM", numeric: "46001" },
    Operator { long: "CHN-CT", short: "CT", numeric: "46011" },
];

/// Where the module is registered and how well it hears the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// Registration status while the radio is on (`AT+CFUN=1`).
    pub stat: u8,
    /// Index into [`OPERATORS`] of the serving network.
    pub operator: usize,
    /// `AT+COPS` mode (0 automatic, 1 manual, 2 deregistered, 4 manual/automatic) and format.
    pub cops_mode: u8,
    pub cops_format: u8,
    /// Tracking area code and cell id, shown in hex by the `n=2` forms.
    pub tac: u16,
    pub ci: u32,
    /// `AT+CSQ` `<rssi>` (0–31, 99 unknown) and `<ber>`.
    pub rssi: u8,
    pub ber: u8,
    /// Packet domain attached (`AT+CGATT`); activating a context attaches.
    pub attached: bool,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            stat: HOME,
            operator: 0,
            cops_mode: 0,
            cops_format: 0,
            tac: 0x1A2B,
            ci: 0xB3C4D11,
            rssi: 24,
            ber: 99,
            attached: true,
        }
    }
}

/// Access technology reported with location: 7 (E-UTRAN).
pub const ACT_LTE: u8 = 7;

/// The serving LTE cell's fixed radio facts (`AT+QNWINFO`, `AT+QENG`): FDD band 3 at
/// EARFCN 1650, 20 MHz both ways, physical cell id 301 (policies `qcsq-values`, `qeng`).
pub const LTE_BAND: u16 = 3;
pub const LTE_EARFCN: u32 = 1650;
pub const LTE_PCI: u16 = 301;
/// `AT+QENG` bandwidth code 5: 20 MHz.
pub const LTE_BANDWIDTH_CODE: u8 = 5;
/// Minimum RX level of the cell (dBm), from which `AT+QENG` derives `<srxlev>`.
pub const QRXLEVMIN_DBM: i32 = -140;

/// The serving cell's signal, derived from the `+CSQ` level (policy `qcsq-values`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LteSignal {
    /// RSSI in dBm: -113 + 2 x level.
    pub rssi: i32,
    /// RSRP in dBm: 30 dB below the RSSI.
    pub rsrp: i32,
    /// SINR in the maker's `AT+QCSQ` units (dB = value / 5 - 20): 2 x level + 40.
    pub sinr_raw: i32,
    /// RSRQ in dB, fixed.
    pub rsrq: i32,
}

impl LteSignal {
    /// From a `+CSQ` level 0-31.
    pub fn from_level(level: u8) -> Self {
        let rssi = -113 + 2 * i32::from(level);
        LteSignal { rssi, rsrp: rssi - 30, sinr_raw: 2 * i32::from(level) + 40, rsrq: -10 }
    }

    /// SINR in whole dB (`AT+QENG`), rounded down.
    pub fn sinr_db(&self) -> i32 {
        self.sinr_raw.div_euclid(5) - 20
    }

    /// Cell selection RX level (`AT+QENG` `<srxlev>`): RSRP above the cell's minimum.
    pub fn srxlev(&self) -> i32 {
        self.rsrp - QRXLEVMIN_DBM
    }
}

impl Modem {
    /// The registration status hosts see: not registered while the radio is off or the SIM is
    /// not ready.
    pub(crate) fn reg_stat(&self) -> u8 {
        if self.settings.cfun == 1 && self.sim.status() == crate::sim::SimStatus::Ready {
            self.network.stat
        } else {
            NOT_REGISTERED
        }
    }

    /// Whether the module has service (registered at home or roaming).
    pub(crate) fn registered(&self) -> bool {
        matches!(self.reg_stat(), HOME | ROAMING)
    }

    /// `"<tac>","<ci>",<AcT>` for the `n=2` forms, when registered.
    pub(crate) fn location(&self) -> Option<String> {
        self.registered()
            .then(|| format!("\"{:04X}\",\"{:07X}\",{ACT_LTE}", self.network.tac, self.network.ci))
    }

    pub(crate) fn serving(&self) -> Operator {
        OPERATORS[self.network.operator.min(OPERATORS.len() - 1)]
    }

    /// The serving cell's signal, when registered and the level is known (not 99).
    pub(crate) fn lte_signal(&self) -> Option<LteSignal> {
        match self.csq() {
            (99, _) => None,
            (level, _) => Some(LteSignal::from_level(level)),
        }
    }

    /// The `+CSQ` pair: unknown (99,99) without service.
    pub(crate) fn csq(&self) -> (u8, u8) {
        if self.registered() {
            (self.network.rssi, self.network.ber)
        } else {
            (99, 99)
        }
    }
}

/// Change what the module reports, after `change` edits the state: if the status hosts see
/// (or the cell, for `n=2`) changed, the registration URCs the host asked for go out, and
/// losing service takes the active PDP contexts down as the network does.
pub(crate) fn update(m: &mut Modem, change: impl FnOnce(&mut Modem)) {
    let (stat0, loc0) = (m.reg_stat(), m.location());
    change(m);
    let (stat, loc) = (m.reg_stat(), m.location());
    if stat == stat0 && loc == loc0 {
        return;
    }
    tracing::info!(from = stat0, to = stat, "registration changed");
    for (kind, n) in [
        (RegKind::Creg, m.settings.creg_n),
        (RegKind::Cgreg, m.settings.cgreg_n),
        (RegKind::Cereg, m.settings.cereg_n),
    ] {
        let changed = stat != stat0 || (n == 2 && loc != loc0);
        if n > 0 && changed {
            let location = if n == 2 { loc.clone() } else { None };
            m.urc(Urc::Registration { kind, stat, location });
        }
    }
    if !m.registered() {
        let active: Vec<_> = m.pdp.active().map(|(ctx, _)| ctx).collect();
        for ctx in active {
            crate::net_events::deactivate_pdp(m, ctx, true);
        }
        if m.settings.cgerep.0 != 0 && stat0 != stat && matches!(stat0, HOME | ROAMING) {
            m.urc(Urc::Cgev("NW DETACH".into()));
        }
    }
}
