//! The short message service as far as sending goes: the message format (`AT+CMGF`, kept across
//! restarts as the maker saves it), the TE character set (`AT+CSCS`) and the text-mode parameters
//! (`AT+CSMP`), both forgotten on restart, the next message reference, and the messages sent, which nobody receives: the module keeps the
//! last ones for `ctl state` (policy `sms-sent`). The PDU and UCS2 decoding a sent message needs
//! is here too; the commands are [`crate::cmd::sms`].

use serde::Serialize;

/// Most messages `ctl state` lists (the oldest go first; the log and trace keep all).
pub const SENT_KEPT: usize = 100;
/// Longest text-mode message in the GSM and IRA character sets, in characters.
pub const MAX_TEXT_CHARS: usize = 160;
/// Longest UCS2 message, in characters (four hex digits each at the prompt).
pub const MAX_UCS2_CHARS: usize = 70;
/// Longest TPDU of `AT+CMGS=<length>` in octets (SMS-SUBMIT header and 140 octets of user data).
pub const MAX_TPDU_OCTETS: i64 = 164;
/// Longest destination number, in digits.
pub const MAX_NUMBER_DIGITS: usize = 20;

/// `AT+CSCS`: how strings cross the TE-TA interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charset {
    #[default]
    Gsm,
    Ira,
    /// Every character as four hex digits.
    Ucs2,
}

/// Every character set, as `AT+CSCS` names them (one table).
pub const CHARSETS: [(Charset, &str); 3] =
    [(Charset::Gsm, "GSM"), (Charset::Ira, "IRA"), (Charset::Ucs2, "UCS2")];

impl Charset {
    pub fn name(self) -> &'static str {
        CHARSETS.iter().find(|(c, _)| *c == self).map_or("GSM", |(_, n)| n)
    }

    /// The set named `name` (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        CHARSETS.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(c, _)| *c)
    }
}

/// `AT+CSMP`: the SMS-SUBMIT first octet, validity period (relative), protocol identifier and
/// data coding scheme of text-mode messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextParams {
    pub fo: u8,
    pub vp: u8,
    pub pid: u8,
    pub dcs: u8,
}

impl Default for TextParams {
    /// 27.005's and the maker's defaults: SUBMIT with a relative validity period of one day.
    fn default() -> Self {
        TextParams { fo: 17, vp: 167, pid: 0, dcs: 0 }
    }
}

impl TextParams {
    /// Whether `<dcs>` names the UCS2 alphabet (general coding group): the text is then typed
    /// as hex, four digits a character, whatever `AT+CSCS` says (27.005).
    pub fn ucs2(&self) -> bool {
        self.dcs & 0xC0 == 0 && self.dcs & 0x0C == 0x08
    }
}

/// A message being typed at the `>` prompt of `AT+CMGS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Draft {
    /// Text mode: the destination as typed (decoded from UCS2 when that is the set), its type
    /// of address and the character set the text comes in (UCS2 also when `AT+CSMP`'s `<dcs>`
    /// says so).
    Text { to: String, toda: u8, charset: Charset },
    /// PDU mode: the TPDU's length in octets (the SMSC address before it is not counted).
    Pdu { length: usize },
}

/// One message the module sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentSms {
    /// The message reference `+CMGS:` reported.
    pub mr: u8,
    /// The destination number (from the TPDU in PDU mode).
    pub to: String,
    /// `"text"` or `"pdu"`.
    pub format: &'static str,
    /// The text (UCS2 decoded); in PDU mode, the PDU as hex, SMSC address included.
    pub body: String,
    /// The module clock when it went (`AT+CCLK` format).
    pub time: String,
}

#[derive(Debug, Clone, Default)]
pub struct Sms {
    /// `AT+CMGF=1`; the factory value is PDU mode (0).
    pub text_mode: bool,
    pub charset: Charset,
    pub params: TextParams,
    next_mr: u8,
    pub sent: Vec<SentSms>,
}

impl Sms {
    /// The reference of the next message; counts up from 0 and wraps after 255.
    pub fn take_mr(&mut self) -> u8 {
        let mr = self.next_mr;
        self.next_mr = self.next_mr.wrapping_add(1);
        mr
    }

    pub fn record(&mut self, sms: SentSms) {
        if self.sent.len() == SENT_KEPT {
            self.sent.remove(0);
        }
        self.sent.push(sms);
    }

    /// After a restart: the format (saved by the maker), the message reference (kept on the
    /// card) and the record of what was sent stay; the character set returns to GSM and the
    /// text-mode parameters to their defaults.
    pub fn after_restart(&self) -> Self {
        Sms { charset: Charset::Gsm, params: TextParams::default(), ..self.clone() }
    }
}

/// A destination number as `AT+CMGS` takes it: an optional `+` and 1 to 20 digits (also `*`
/// and `#`).
pub fn valid_number(n: &str) -> bool {
    let digits = n.strip_prefix('+').unwrap_or(n);
    (1..=MAX_NUMBER_DIGITS).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
}

/// UCS2 text written as hex (four digits per character); `None` if it is not that.
pub fn decode_ucs2(hex: &str) -> Option<String> {
    let bytes = crate::hex::decode(hex)?;
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units: Vec<u16> = bytes.chunks(2).map(|u| u16::from_be_bytes([u[0], u[1]])).collect();
    String::from_utf16(&units).ok()
}

/// The destination of a PDU-mode message: the hex is the SMSC address (its length octet
/// first) and then a TPDU of exactly `tpdu_len` octets that is an SMS-SUBMIT. Returns the
/// number, or why the PDU is not one.
pub fn pdu_destination(hex: &str, tpdu_len: usize) -> Result<String, String> {
    let pdu = crate::hex::decode(hex).ok_or("the PDU is not pairs of hex digits")?;
    let smsc_len = *pdu.first().ok_or("the PDU is empty")? as usize;
    let tpdu = pdu.get(1 + smsc_len..).ok_or("the SMSC address is longer than the PDU")?;
    if tpdu.len() != tpdu_len {
        return Err(format!("the TPDU has {} octets, AT+CMGS said {tpdu_len}", tpdu.len()));
    }
    // First octet: TP-MTI 01 is SMS-SUBMIT; then TP-MR, then TP-DA (digit count, type, BCD).
    if tpdu.first().map(|fo| fo & 0x03) != Some(0x01) {
        return Err("the TPDU is not an SMS-SUBMIT".into());
    }
    let digits = *tpdu.get(2).ok_or("the TPDU ends before its destination")? as usize;
    let toa = *tpdu.get(3).ok_or("the TPDU ends before its destination")?;
    let bcd = tpdu.get(4..4 + digits.div_ceil(2)).ok_or("the destination runs past the TPDU")?;
    let mut number = String::from(if toa & 0x70 == 0x10 { "+" } else { "" });
    for (i, nibble) in bcd.iter().flat_map(|b| [b & 0x0F, b >> 4]).enumerate().take(digits) {
        number.push(match nibble {
            0..=9 => char::from(b'0' + nibble),
            0x0A => '*',
            0x0B => '#',
            _ => return Err(format!("destination digit {i} is not a digit")),
        });
    }
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdu_destination_reads_an_sms_submit() {
        // SMSC from the card (00), SUBMIT with VP, MR 0, 11 digits international, "hellohello".
        let pdu = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37";
        assert_eq!(pdu_destination(pdu, 23).as_deref(), Ok("+46708251358"));
        assert!(pdu_destination(pdu, 22).unwrap_err().contains("23 octets"));
        assert!(pdu_destination("0001", 1).is_err());
        assert!(pdu_destination("0G", 0).is_err());
        // An SMS-DELIVER (MTI 00) is not sent.
        assert!(pdu_destination("0004", 1).unwrap_err().contains("SMS-SUBMIT"));
    }

    #[test]
    fn dcs_of_the_ucs2_alphabet() {
        let ucs2 = |dcs| TextParams { dcs, ..TextParams::default() }.ucs2();
        assert!(ucs2(8) && ucs2(0x18) && ucs2(0x28));
        assert!(!ucs2(0) && !ucs2(4) && !ucs2(0xF8) && !ucs2(0x48));
    }

    #[test]
    fn ucs2_and_numbers() {
        assert_eq!(decode_ucs2("00480069").as_deref(), Some("Hi"));
        assert_eq!(decode_ucs2("004"), None);
        assert_eq!(decode_ucs2("zz00"), None);
        assert!(valid_number("+15551234567"));
        assert!(valid_number("*100#"));
        assert!(!valid_number("+"));
        assert!(!valid_number("12a"));
        assert!(!valid_number(&"1".repeat(21)));
    }

    #[test]
    fn references_count_up_and_wrap_and_the_record_is_bounded() {
        let mut s = Sms::default();
        assert_eq!(s.take_mr(), 0);
        assert_eq!(s.take_mr(), 1);
        s.next_mr = 255;
        assert_eq!(s.take_mr(), 255);
        assert_eq!(s.take_mr(), 0);
        for mr in 0..=SENT_KEPT as u8 {
            let body = String::new();
            s.record(SentSms { mr, to: "1".into(), format: "text", body, time: String::new() });
        }
        assert_eq!(s.sent.len(), SENT_KEPT);
        assert_eq!(s.sent[0].mr, 1);
    }
}
