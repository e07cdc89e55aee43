//! The port and radio settings a host changes with basic and general commands: echo (`ATE`),
//! DTR handling (`AT&D`) and the pin's level, the functionality level (`AT+CFUN`) and the
//! registration report settings (`AT+CREG`, `AT+CEREG`). `ATV`/`AT+CMEE` live with the output
//! framing they change.

/// `AT&D` values.
pub const DTR_IGNORE: u8 = 0;
pub const DTR_LEAVE_DATA_MODE: u8 = 1;
pub const DTR_CLOSE: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub echo: bool,
    /// `AT&D` setting.
    pub dtr_mode: u8,
    pub dtr_high: bool,
    pub cfun: u8,
    /// `AT+CEREG` / `AT+CREG` report settings.
    pub cereg_n: u8,
    pub creg_n: u8,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            echo: true,
            dtr_mode: DTR_LEAVE_DATA_MODE,
            dtr_high: false,
            cfun: 1,
            cereg_n: 0,
            creg_n: 0,
        }
    }
}
