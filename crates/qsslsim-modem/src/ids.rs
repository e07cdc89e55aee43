//! Typed identifiers with one range each: the socket (client/connect) id, the SSL context id
//! and the PDP context id. Each type owns its range, its conversion from a command parameter
//! (with an error that names the rule broken) and the test-form text `(lo-hi)` derived from
//! the range, so no handler writes `0`, `5`, `11` or `15` as literals.

use std::fmt;

use qsslsim_at::Param;

/// Why a parameter was refused: which parameter, and the rule it broke. Its `Display` is the
/// sentence the log and the trace show ("client id 12 is outside 0-11").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamError {
    /// A required parameter is absent or omitted.
    Missing { name: &'static str },
    /// The parameter is not a decimal number (quoted, hex, garbage).
    NotNumber { name: &'static str },
    /// The number is outside the allowed range.
    OutOfRange { name: &'static str, value: i64, lo: i64, hi: i64 },
    /// The parameter is not a quoted string.
    NotString { name: &'static str },
    /// A string parameter breaks a rule (length, syntax).
    BadString { name: &'static str, rule: &'static str },
    /// The command has the wrong number of parameters.
    Count { got: usize, allowed: &'static str },
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::Missing { name } => write!(f, "{name} is missing"),
            ParamError::NotNumber { name } => write!(f, "{name} is not a decimal number"),
            ParamError::OutOfRange { name, value, lo, hi } => {
                write!(f, "{name} {value} is outside {lo}-{hi}")
            }
            ParamError::NotString { name } => write!(f, "{name} must be a quoted string"),
            ParamError::BadString { name, rule } => write!(f, "{name} {rule}"),
            ParamError::Count { got, allowed } => write!(f, "{got} parameters given, {allowed} allowed"),
        }
    }
}

impl std::error::Error for ParamError {}

/// A decimal parameter within `lo..=hi`, named for error messages.
pub fn int_param(p: Option<&Param>, name: &'static str, lo: i64, hi: i64) -> Result<i64, ParamError> {
    let p = match p {
        None | Some(Param::Omitted) => return Err(ParamError::Missing { name }),
        Some(p) => p,
    };
    let value = p.int().ok_or(ParamError::NotNumber { name })?;
    if (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        Err(ParamError::OutOfRange { name, value, lo, hi })
    }
}

/// An optional decimal parameter: absent or omitted gives `default`.
pub fn opt_int_param(
    p: Option<&Param>,
    name: &'static str,
    lo: i64,
    hi: i64,
    default: i64,
) -> Result<i64, ParamError> {
    match p {
        None | Some(Param::Omitted) => Ok(default),
        some => int_param(some, name, lo, hi),
    }
}

/// A quoted string parameter.
pub fn string_param<'a>(p: Option<&'a Param>, name: &'static str) -> Result<&'a str, ParamError> {
    match p {
        None | Some(Param::Omitted) => Err(ParamError::Missing { name }),
        Some(p) => p.string().ok_or(ParamError::NotString { name }),
    }
}

/// Check a parameter count against `lo..=hi`.
pub fn count(params: &[Param], lo: usize, hi: usize, allowed: &'static str) -> Result<(), ParamError> {
    if (lo..=hi).contains(&params.len()) {
        Ok(())
    } else {
        Err(ParamError::Count { got: params.len(), allowed })
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $lo:literal, $hi:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(u8);

        impl $name {
            /// The lowest valid id.
            pub const FIRST: u8 = $lo;
            /// The highest valid id.
            pub const LAST: u8 = $hi;
            /// How many ids there are.
            pub const COUNT: usize = ($hi - $lo + 1) as usize;
            /// What the id is called in messages.
            pub const WHAT: &'static str = $what;

            /// The id `n`, if it is in range.
            pub fn new(n: u8) -> Option<Self> {
                (Self::FIRST..=Self::LAST).contains(&n).then_some($name(n))
            }

            /// Every id, in ascending order.
            pub fn all() -> impl Iterator<Item = Self> {
                (Self::FIRST..=Self::LAST).map($name)
            }

            pub fn get(self) -> u8 {
                self.0
            }

            /// Position in a table of [`Self::COUNT`] entries.
            pub fn index(self) -> usize {
                (self.0 - Self::FIRST) as usize
            }

            /// The range as a command's test form prints it, e.g. `(0-11)`.
            pub fn test_form() -> String {
                format!("({}-{})", Self::FIRST, Self::LAST)
            }

            /// Read a required id parameter.
            pub fn param(p: Option<&Param>) -> Result<Self, ParamError> {
                let n = int_param(p, Self::WHAT, Self::FIRST as i64, Self::LAST as i64)?;
                Ok($name(n as u8))
            }
        }

        impl TryFrom<&Param> for $name {
            type Error = ParamError;
            fn try_from(p: &Param) -> Result<Self, ParamError> {
                Self::param(Some(p))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl From<$name> for u8 {
            fn from(id: $name) -> u8 {
                id.0
            }
        }
    };
}

id_type!(
    /// A socket: the SSL client id of `AT+QSSLOPEN` (and the connect id of the TCP/IP family).
    SocketId, "client id", 0, 11
);
id_type!(
    /// An SSL context of `AT+QSSLCFG`.
    SslCtxId, "SSL context id", 0, 5
);
id_type!(
    /// A PDP context of `AT+QICSGP` / `AT+QIACT`.
    PdpCtxId, "PDP context id", 1, 15
);

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(s: &str) -> Param {
        Param::Bare(s.into())
    }

    #[test]
    fn ranges_and_test_forms_come_from_one_place() {
        assert_eq!(SocketId::test_form(), "(0-11)");
        assert_eq!(SslCtxId::test_form(), "(0-5)");
        assert_eq!(PdpCtxId::test_form(), "(1-15)");
        assert_eq!(SocketId::COUNT, 12);
        assert_eq!(PdpCtxId::COUNT, 15);
        assert_eq!(PdpCtxId::new(1).unwrap().index(), 0);
        assert_eq!(SocketId::all().count(), 12);
    }

    #[test]
    fn conversion_names_the_rule_broken() {
        assert_eq!(SocketId::try_from(&bare("11")).unwrap().get(), 11);
        let e = SocketId::try_from(&bare("12")).unwrap_err();
        assert_eq!(e.to_string(), "client id 12 is outside 0-11");
        let e = PdpCtxId::try_from(&bare("0")).unwrap_err();
        assert_eq!(e.to_string(), "PDP context id 0 is outside 1-15");
        let e = SslCtxId::try_from(&Param::Quoted("1".into())).unwrap_err();
        assert_eq!(e.to_string(), "SSL context id is not a decimal number");
        assert_eq!(SocketId::param(None).unwrap_err().to_string(), "client id is missing");
        assert_eq!(
            SocketId::param(Some(&Param::Omitted)).unwrap_err(),
            ParamError::Missing { name: "client id" }
        );
    }

    #[test]
    fn optional_ints_default_only_when_absent() {
        assert_eq!(opt_int_param(None, "mode", 0, 2, 0), Ok(0));
        assert_eq!(opt_int_param(Some(&Param::Omitted), "mode", 0, 2, 1), Ok(1));
        assert!(opt_int_param(Some(&bare("3")), "mode", 0, 2, 0).is_err());
    }
}
