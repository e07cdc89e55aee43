//! The extended idle-mode DRX (eDRX) settings `AT+CEDRXS` writes and reads back: whether the
//! host asked for eDRX and the requested E-UTRAN cycle length, half a byte written as four
//! binary digits (3GPP TS 24.008 extended DRX parameters). The module keeps them with the other
//! non-volatile settings; eDRX itself is not simulated (policy `cedrxs`).

/// The only access technology this module has: E-UTRAN (WB-S1 mode) in 27.007's numbering.
pub const ACT_EUTRAN: u8 = 4;
/// The factory values: eDRX off, 20.48 s requested (policy `cedrxs`).
pub const DEFAULT_MODE: u8 = 0;
pub const DEFAULT_VALUE: &str = "0010";

/// What `AT+CEDRXS?` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdrxSettings {
    /// 0 off, 1 on, 2 on with the `+CEDRXP` report (3 is a write that resets and reads back as 0).
    pub mode: u8,
    /// Requested eDRX cycle, four binary digits.
    pub value: String,
}

impl Default for EdrxSettings {
    fn default() -> Self {
        EdrxSettings { mode: DEFAULT_MODE, value: DEFAULT_VALUE.into() }
    }
}

impl EdrxSettings {
    /// The read form's line, when eDRX is on: none while it is off (27.007 lists only the
    /// access technologies using it).
    pub fn line(&self) -> Option<String> {
        (self.mode != 0).then(|| format!("+CEDRXS: {ACT_EUTRAN},\"{}\"", self.value))
    }
}

/// Whether `text` is one eDRX value as the command writes it: exactly four `0`/`1` digits.
pub fn is_edrx_value(text: &str) -> bool {
    text.len() == 4 && text.bytes().all(|b| b == b'0' || b == b'1')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_line_only_while_on() {
        assert_eq!(EdrxSettings::default().line(), None);
        let on = EdrxSettings { mode: 1, value: "0101".into() };
        assert_eq!(on.line().as_deref(), Some("+CEDRXS: 4,\"0101\""));
        assert!(is_edrx_value("1111"));
        assert!(!is_edrx_value("111"));
        assert!(!is_edrx_value("0012"));
    }
}
