//! The power saving mode (PSM) settings `AT+CPSMS` writes and reads back: the mode and the
//! requested T3412 (periodic TAU) and T3324 (active time) values, each one byte written as
//! eight binary digits (3GPP TS 24.008 GPRS Timer 3 / Timer 2). The module keeps them with the
//! other non-volatile settings; PSM itself (the sleep) is not simulated (policy `cpsms`).

/// The factory values: PSM off, T3412 40 minutes, T3324 30 seconds (policy `cpsms`).
pub const DEFAULT_MODE: u8 = 0;
pub const DEFAULT_PERIODIC_TAU: &str = "00000100";
pub const DEFAULT_ACTIVE_TIME: &str = "00001111";

/// What `AT+CPSMS?` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsmSettings {
    /// 0 PSM off, 1 PSM on (2 is a write that resets and reads back as 0).
    pub mode: u8,
    /// Requested extended periodic TAU (T3412), eight binary digits.
    pub periodic_tau: String,
    /// Requested active time (T3324), eight binary digits.
    pub active_time: String,
}

impl Default for PsmSettings {
    fn default() -> Self {
        PsmSettings {
            mode: DEFAULT_MODE,
            periodic_tau: DEFAULT_PERIODIC_TAU.into(),
            active_time: DEFAULT_ACTIVE_TIME.into(),
        }
    }
}

impl PsmSettings {
    /// The read form's line: the GERAN timers (RAU, READY) are left empty.
    pub fn line(&self) -> String {
        format!("+CPSMS: {},,,\"{}\",\"{}\"", self.mode, self.periodic_tau, self.active_time)
    }
}

/// Whether `text` is one timer byte as the commands write it: exactly eight `0`/`1` digits.
pub fn is_timer_byte(text: &str) -> bool {
    text.len() == 8 && text.bytes().all(|b| b == b'0' || b == b'1')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read_back_in_the_module_format() {
        assert_eq!(PsmSettings::default().line(), "+CPSMS: 0,,,\"00000100\",\"00001111\"");
        assert!(is_timer_byte("10100011"));
        assert!(!is_timer_byte("1010001"));
        assert!(!is_timer_byte("10100012"));
    }
}
