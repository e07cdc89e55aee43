//! One parameter of an extended command as the host typed it, and the conversions the command
//! handlers need from it: decimal integers, `0X`-prefixed hex values and quoted strings. This
//! module only interprets a parameter that has already been split out of a line; splitting is
//! the job of [`crate::command`].

/// A parameter value exactly as typed: quoted string, bare token, or omitted (`AT+X=1,,3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// Nothing between the commas (or a trailing omitted parameter).
    Omitted,
    /// A double-quoted string, quotes removed, contents verbatim.
    Quoted(String),
    /// An unquoted token with surrounding spaces trimmed, e.g. `12`, `0X0035`.
    Bare(String),
}

/// Most hex digits [`Param::hex`] accepts after the prefix (enough for any `u32`).
const MAX_HEX_DIGITS: usize = 8;

impl Param {
    /// Decimal integer (optional leading `-`/`+`), only from a bare token. Rejects hex, empty,
    /// overflow, and any stray characters.
    pub fn int(&self) -> Option<i64> {
        let Param::Bare(token) = self else {
            return None;
        };
        let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // The token is now exactly `[+-]?[0-9]+`; `parse` only fails on overflow.
        token.parse().ok()
    }

    /// Hex integer from a bare token written `0X1F`/`0x1f` (prefix required), up to u32.
    pub fn hex(&self) -> Option<u32> {
        let Param::Bare(token) = self else {
            return None;
        };
        let digits = token.strip_prefix("0x").or_else(|| token.strip_prefix("0X"))?;
        let well_formed =
            (1..=MAX_HEX_DIGITS).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_hexdigit());
        if !well_formed {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }

    /// The contents of a quoted string; `None` for bare or omitted.
    pub fn string(&self) -> Option<&str> {
        match self {
            Param::Quoted(s) => Some(s),
            Param::Bare(_) | Param::Omitted => None,
        }
    }

    pub fn is_omitted(&self) -> bool {
        matches!(self, Param::Omitted)
    }
}

#[cfg(test)]
mod tests {
    use super::Param;

    fn bare(s: &str) -> Param {
        Param::Bare(s.to_string())
    }

    fn quoted(s: &str) -> Param {
        Param::Quoted(s.to_string())
    }

    #[test]
    fn int_accepts_plain_and_signed_decimal() {
        assert_eq!(bare("12").int(), Some(12));
        assert_eq!(bare("0").int(), Some(0));
        assert_eq!(bare("007").int(), Some(7));
        assert_eq!(bare("-3").int(), Some(-3));
        assert_eq!(bare("+5").int(), Some(5));
        assert_eq!(bare("-0").int(), Some(0));
    }

    #[test]
    fn int_accepts_the_i64_extremes() {
        assert_eq!(bare("9223372036854775807").int(), Some(i64::MAX));
        assert_eq!(bare("-9223372036854775808").int(), Some(i64::MIN));
    }

    #[test]
    fn int_rejects_overflow() {
        assert_eq!(bare("9223372036854775808").int(), None);
        assert_eq!(bare("-9223372036854775809").int(), None);
        assert_eq!(bare("99999999999999999999999999").int(), None);
    }

    #[test]
    fn int_rejects_non_bare_params() {
        assert_eq!(quoted("12").int(), None);
        assert_eq!(Param::Omitted.int(), None);
    }

    #[test]
    fn int_rejects_malformed_tokens() {
        for token in [
            "", "+", "-", "+-1", "--1", "++1", "0x10", "0X10", "1a", "a1", "1.5", " 1", "1 ", "1_000", "1e3",
            "１", "١",
        ] {
            assert_eq!(bare(token).int(), None, "token {token:?}");
        }
    }

    #[test]
    fn hex_accepts_either_prefix_and_digit_case() {
        assert_eq!(bare("0X0035").hex(), Some(0x35));
        assert_eq!(bare("0x0035").hex(), Some(0x35));
        assert_eq!(bare("0x1f").hex(), Some(0x1F));
        assert_eq!(bare("0X1F").hex(), Some(0x1F));
        assert_eq!(bare("0xC02F").hex(), Some(0xC02F));
        assert_eq!(bare("0x0").hex(), Some(0));
        assert_eq!(bare("0xFFFFFFFF").hex(), Some(u32::MAX));
        assert_eq!(bare("0x00000001").hex(), Some(1));
    }

    #[test]
    fn hex_rejects_malformed_tokens() {
        for token in [
            "",
            "0x",
            "0X",
            "35",
            "0035",
            "x35",
            "0x+35",
            "0x-1",
            "0xG1",
            "0x1 ",
            "0x 1",
            "0x123456789",
            "0x000000001",
            "00x35",
            "0h35",
            "+0x35",
        ] {
            assert_eq!(bare(token).hex(), None, "token {token:?}");
        }
    }

    #[test]
    fn hex_rejects_non_bare_params() {
        assert_eq!(quoted("0x35").hex(), None);
        assert_eq!(Param::Omitted.hex(), None);
    }

    #[test]
    fn string_only_from_quoted() {
        assert_eq!(quoted("Hello").string(), Some("Hello"));
        assert_eq!(quoted("").string(), Some(""));
        assert_eq!(bare("Hello").string(), None);
        assert_eq!(Param::Omitted.string(), None);
    }

    #[test]
    fn is_omitted_only_for_omitted() {
        assert!(Param::Omitted.is_omitted());
        assert!(!bare("").is_omitted());
        assert!(!quoted("").is_omitted());
    }
}
