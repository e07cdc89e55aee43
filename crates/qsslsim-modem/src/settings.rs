//! The port and radio settings a host changes with basic and general commands: echo (`ATE`),
//! DTR handling (`AT&D`) and the pin's level, the functionality level (`AT+CFUN`) and the
//! registration report settings (`AT+CREG`, `AT+CEREG`), flow control (`AT+IFC`) and the
//! baud rate (`AT+IPR`). `ATV`/`AT+CMEE` live with the output
//! framing they change.

/// `AT&D` values.
pub const DTR_IGNORE: u8 = 0;
pub const DTR_LEAVE_DATA_MODE: u8 = 1;
pub const DTR_CLOSE: u8 = 2;

/// Rates `AT+IPR` accepts besides 0 (automatic).
pub const BAUD_RATES: &[u32] = &[4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 3000000];
/// The factory rate.
pub const DEFAULT_BAUD_RATE: u32 = 115200;

/// One direction of `AT+IFC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowControl {
    None,
    RtsCts,
}

impl FlowControl {
    pub fn from_code(n: i64) -> Option<Self> {
        match n {
            0 => Some(FlowControl::None),
            2 => Some(FlowControl::RtsCts),
            _ => None,
        }
    }
    pub fn code(self) -> u8 {
        match self {
            FlowControl::None => 0,
            FlowControl::RtsCts => 2,
        }
    }
}

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
    pub cgreg_n: u8,
    /// `AT+CTZR` (time zone reports: 0 off, 1 `+CTZV`, 2 `+CTZE`) and `AT+CTZU` (update
    /// the clock from the network: 0, 1, 3).
    pub ctzr: u8,
    pub ctzu: u8,
    /// `AT+CGEREP` `<mode>` and `<bfr>`: `+CGEV` reports when mode is not 0.
    pub cgerep: (u8, u8),
    /// `AT+QSCLK`: sleep allowed (stored only).
    pub sclk: u8,
    /// `AT+IFC`: (how the host stops the module, how the module stops the host).
    pub flow_control: (FlowControl, FlowControl),
    /// `AT+IPR`.
    pub baud_rate: u32,
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
            cgreg_n: 0,
            ctzr: 0,
            ctzu: 0,
            cgerep: (0, 0),
            sclk: 0,
            flow_control: (FlowControl::None, FlowControl::None),
            baud_rate: DEFAULT_BAUD_RATE,
        }
    }
}
