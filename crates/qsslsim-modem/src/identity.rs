//! The module's and the SIM's identity, one table the daemon fills from its command line
//! (`--imei`, `--imsi`, `--iccid`): what `AT+CGSN`/`AT+GSN`, `AT+CIMI`, `AT+QCCID`, `AT+CNUM`
//! and `AT+QGMR` print.

/// Identity values; defaults are fixed test values (the IMEI's check digit is valid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// 15 digits, the last a Luhn check digit.
    pub imei: String,
    /// 15 digits: MCC, MNC, MSIN.
    pub imsi: String,
    /// 19 or 20 digits, starting 89.
    pub iccid: String,
    /// The subscriber's number `AT+CNUM` shows; empty: none stored on the SIM.
    pub number: String,
    /// The full firmware revision `AT+QGMR` shows.
    pub full_revision: String,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            imei: "861536030196001".into(),
            imsi: "460001234567890".into(),
            iccid: "89860012345678901234".into(),
            number: String::new(),
            full_revision: "EG915QGLR01A01M08_01.001.01.001".into(),
        }
    }
}

/// Whether `digits` ends in a valid Luhn check digit.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 {
                    dd - 9
                } else {
                    dd
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Check values given on the command line: the reason if one is not what a module reports.
pub fn check_imei(imei: &str) -> Result<(), String> {
    if imei.len() != 15 || !luhn_valid(imei) {
        return Err(format!("IMEI {imei:?} is not 15 digits with a valid check digit"));
    }
    Ok(())
}

/// An IMSI is 6 to 15 digits.
pub fn check_imsi(imsi: &str) -> Result<(), String> {
    if !(6..=15).contains(&imsi.len()) || !imsi.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("IMSI {imsi:?} is not 6 to 15 digits"));
    }
    Ok(())
}

/// An ICCID is 19 or 20 digits (a trailing `F` pads odd lengths on some SIMs).
pub fn check_iccid(iccid: &str) -> Result<(), String> {
    let body = iccid.strip_suffix(['F', 'f']).unwrap_or(iccid);
    if !(18..=20).contains(&body.len()) || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("ICCID {iccid:?} is not 19 or 20 digits"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_imei_has_a_valid_check_digit() {
        let id = Identity::default();
        assert!(check_imei(&id.imei).is_ok());
        assert!(check_imsi(&id.imsi).is_ok());
        assert!(check_iccid(&id.iccid).is_ok());
        assert!(luhn_valid("490154203237518"));
        assert!(!luhn_valid("490154203237519"));
        assert!(check_imei("86153603019600").is_err());
        assert!(check_imsi("46000abc").is_err());
    }
}
