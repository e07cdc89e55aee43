//! Hex text as the module's commands take and print it: `AT+QISENDEX` and the `dataformat`
//! send path, SMS PDUs and UCS2 text read it; `AT+QIRD` in hex and `AT+CRSM` print it. One
//! strict reader (pairs of hex digits, nothing else: no signs, no spaces) and one writer
//! (upper case).

/// Bytes from pairs of hex digits (either case); `None` on anything else.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    digits.chunks(2).map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}

/// Bytes as upper-case hex digits.
pub fn upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_decode_and_anything_else_is_refused() {
        assert_eq!(decode("3132aBff00"), Some(vec![0x31, 0x32, 0xab, 0xff, 0x00]));
        assert_eq!(decode("313"), None);
        assert_eq!(decode("3g"), None);
        assert_eq!(decode("+1"), None);
        assert_eq!(decode("é1"), None);
        assert_eq!(upper(&[0x00, 0xab, 0x7f]), "00AB7F");
    }
}
