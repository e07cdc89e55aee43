//! What the module reports about itself that a pty has no source for, in one table: the
//! battery (`AT+CBC`), the temperatures (`AT+QTEMP`) and the release cause `AT+CEER` reports
//! (policies `cbc-qtemp` and `ceer`).

/// Fixed readings: a module on a steady supply, at room temperature, with no failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readings {
    /// `<bcs>`: 0 not charging, 1 charging, 2 charging finished.
    pub charge_status: u8,
    /// `<bcl>`: battery level in percent, 0 to 100.
    pub charge_level: u8,
    /// `<voltage>`: the supply voltage in mV.
    pub voltage_mv: u16,
    /// `AT+QTEMP`: PMIC, crystal oscillator and power amplifier, in °C.
    pub temperatures: [i16; 3],
    /// `AT+CEER`'s text: the maker's default release cause.
    pub release_cause: &'static str,
}

/// The one table.
pub const READINGS: Readings = Readings {
    charge_status: 0,
    charge_level: 75,
    voltage_mv: 3800,
    temperatures: [32, 30, 31],
    release_cause: "No cause information available",
};

/// `AT+CBC=?`: the ranges of `<bcs>`, `<bcl>` and `<voltage>` (mV).
pub const CBC_RANGES: &str = "+CBC: (0-2),(0-100),(3300-4300)";
