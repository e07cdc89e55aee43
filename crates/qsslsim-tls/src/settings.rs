//! One SSL context's configuration as `AT+QSSLCFG` sets and reports it: strict value checking
//! on write, the information lines of the query form, and the test-form lines. Everything is
//! driven by the item table in [`crate::items`]; this file only stores and formats values.

use std::fmt;

use qsslsim_at::Param;

use crate::items::{self, ItemId, Shape, CA_SLOTS, MAX_ALPN_LEN, MAX_PSK_LEN};
use crate::suites;

/// Why an `AT+QSSLCFG` write or query was refused. The modem answers both with `ERROR`
/// (error code 552, invalid parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CfgError {
    /// The item name is not one of the twenty items.
    UnknownItem,
    /// Wrong number of values, wrong type (quoted vs bare, decimal vs hex), or out of range.
    BadValue,
}

impl fmt::Display for CfgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CfgError::UnknownItem => "unknown AT+QSSLCFG item",
            CfgError::BadValue => "invalid AT+QSSLCFG value",
        })
    }
}

impl std::error::Error for CfgError {}

/// A pre-shared key as configured by `AT+QSSLCFG="psk"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Psk {
    pub identity: String,
    pub key: String,
}

/// The settings of one SSL context. `Default` gives the factory defaults of the item table.
/// File paths are kept exactly as the host typed them (`UFS:`/`RAM:` prefix or none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SslSettings {
    /// 0 SSL3.0, 1 TLS1.0, 2 TLS1.1, 3 TLS1.2, 4 all.
    pub sslversion: u8,
    /// `<cs_id>`, `0xFFFF` for all.
    pub ciphersuite: u16,
    /// 0 no authentication, 1 server, 2 server + client.
    pub seclevel: u8,
    /// Handshake timeout in seconds (10–300).
    pub negotiatetime: u16,
    pub sni: bool,
    pub cacert: Option<String>,
    pub cacertex: [Option<String>; CA_SLOTS],
    pub clientcert: Option<String>,
    pub clientkey: Option<String>,
    pub clientkey_pwd: Option<String>,
    pub dtls: bool,
    /// 0 DTLS1.0, 1 DTLS1.2, 2 all.
    pub dtlsversion: u8,
    pub psk: Option<Psk>,
    pub ignoremulticertchainverify: bool,
    pub ignoreinvalidcertsign: bool,
    /// Bit mask of certificate checks to skip (0–1048575).
    pub ignorecertitem: u32,
    pub ignorelocaltime: bool,
    pub session_cache: bool,
    /// Unit of the close linger time: false seconds, true milliseconds.
    pub closetimemode: bool,
    pub renegotiation: bool,
    /// ALPN protocol name; empty means no ALPN extension.
    pub alpn: String,
}

impl Default for SslSettings {
    fn default() -> Self {
        let mut s = SslSettings {
            sslversion: 0,
            ciphersuite: 0,
            seclevel: 0,
            negotiatetime: 0,
            sni: false,
            cacert: None,
            cacertex: Default::default(),
            clientcert: None,
            clientkey: None,
            clientkey_pwd: None,
            dtls: false,
            dtlsversion: 0,
            psk: None,
            ignoremulticertchainverify: false,
            ignoreinvalidcertsign: false,
            ignorecertitem: 0,
            ignorelocaltime: false,
            session_cache: false,
            closetimemode: false,
            renegotiation: false,
            alpn: String::new(),
        };
        for item in &items::ITEMS {
            match item.shape {
                Shape::Int { default, .. } => s.set_int(item.id, default),
                Shape::CipherSuite { default } => s.ciphersuite = default,
                _ => {}
            }
        }
        s
    }
}

/// A bare, unsigned decimal token.
fn decimal(p: &Param) -> Result<u32, CfgError> {
    match p {
        Param::Bare(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().map_err(|_| CfgError::BadValue)
        }
        _ => Err(CfgError::BadValue),
    }
}

/// A bare hex token with a `0X`/`0x` prefix and one to four digits.
fn hex16(p: &Param) -> Result<u16, CfgError> {
    let Param::Bare(s) = p else {
        return Err(CfgError::BadValue);
    };
    let digits = s.strip_prefix("0X").or_else(|| s.strip_prefix("0x")).ok_or(CfgError::BadValue)?;
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CfgError::BadValue);
    }
    u16::from_str_radix(digits, 16).map_err(|_| CfgError::BadValue)
}

/// The contents of a quoted string.
fn quoted(p: &Param) -> Result<&str, CfgError> {
    match p {
        Param::Quoted(s) => Ok(s),
        _ => Err(CfgError::BadValue),
    }
}

/// `""` unsets a path.
fn path_value(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn one(values: &[Param]) -> Result<&Param, CfgError> {
    match values {
        [v] => Ok(v),
        _ => Err(CfgError::BadValue),
    }
}

/// Whether `values` (everything after `<SSL_ctxID>`) make `AT+QSSLCFG="<item>",<ctx>...` a
/// query: no values, or for `cacertex` at most a `<ca_id>`.
pub fn is_query(item: &str, values: &[Param]) -> bool {
    match items::find(item) {
        Some(spec) if spec.shape == Shape::CaCertEx => values.len() <= 1,
        _ => values.is_empty(),
    }
}

/// The information lines of `AT+QSSLCFG=?`, one per item, in the maker's order.
pub fn test_lines() -> Vec<String> {
    items::ITEMS.iter().map(|i| i.test_line()).collect()
}

impl SslSettings {
    /// See [`is_query`].
    pub fn is_query(item: &str, values: &[Param]) -> bool {
        is_query(item, values)
    }

    /// See [`test_lines`].
    pub fn test_lines() -> Vec<String> {
        test_lines()
    }

    /// The current value of an integer item (flags read as 0/1); `None` for other items.
    pub fn int(&self, id: ItemId) -> Option<u32> {
        Some(match id {
            ItemId::SslVersion => self.sslversion.into(),
            ItemId::SecLevel => self.seclevel.into(),
            ItemId::NegotiateTime => self.negotiatetime.into(),
            ItemId::Sni => self.sni.into(),
            ItemId::Dtls => self.dtls.into(),
            ItemId::DtlsVersion => self.dtlsversion.into(),
            ItemId::IgnoreMultiCertChainVerify => self.ignoremulticertchainverify.into(),
            ItemId::IgnoreInvalidCertSign => self.ignoreinvalidcertsign.into(),
            ItemId::IgnoreCertItem => self.ignorecertitem,
            ItemId::IgnoreLocalTime => self.ignorelocaltime.into(),
            ItemId::SessionCache => self.session_cache.into(),
            ItemId::CloseTimeMode => self.closetimemode.into(),
            ItemId::Renegotiation => self.renegotiation.into(),
            _ => return None,
        })
    }

    /// Stores an integer item already checked against the table's range.
    fn set_int(&mut self, id: ItemId, v: u32) {
        // Ranges come from the table, so the narrowing conversions cannot truncate.
        let small = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
        match id {
            ItemId::SslVersion => self.sslversion = small(v),
            ItemId::SecLevel => self.seclevel = small(v),
            ItemId::NegotiateTime => self.negotiatetime = u16::try_from(v).unwrap_or(u16::MAX),
            ItemId::Sni => self.sni = v != 0,
            ItemId::Dtls => self.dtls = v != 0,
            ItemId::DtlsVersion => self.dtlsversion = small(v),
            ItemId::IgnoreMultiCertChainVerify => self.ignoremulticertchainverify = v != 0,
            ItemId::IgnoreInvalidCertSign => self.ignoreinvalidcertsign = v != 0,
            ItemId::IgnoreCertItem => self.ignorecertitem = v,
            ItemId::IgnoreLocalTime => self.ignorelocaltime = v != 0,
            ItemId::SessionCache => self.session_cache = v != 0,
            ItemId::CloseTimeMode => self.closetimemode = v != 0,
            ItemId::Renegotiation => self.renegotiation = v != 0,
            _ => unreachable!("{id:?} is not an integer item"),
        }
    }

    /// Applies `AT+QSSLCFG="<item>",<ctx>,<values...>`; `values` excludes `<SSL_ctxID>`.
    /// Nothing changes when an error is returned.
    pub fn set(&mut self, item: &str, values: &[Param]) -> Result<(), CfgError> {
        let spec = items::find(item).ok_or(CfgError::UnknownItem)?;
        match spec.shape {
            Shape::Int { min, max, .. } => {
                let v = decimal(one(values)?)?;
                if !(min..=max).contains(&v) {
                    return Err(CfgError::BadValue);
                }
                self.set_int(spec.id, v);
            }
            Shape::CipherSuite { .. } => {
                let id = hex16(one(values)?)?;
                if !suites::is_valid_id(id) {
                    return Err(CfgError::BadValue);
                }
                self.ciphersuite = id;
            }
            Shape::Path { .. } => {
                let path = path_value(quoted(one(values)?)?);
                match spec.id {
                    ItemId::CaCert => self.cacert = path,
                    ItemId::ClientCert => self.clientcert = path,
                    other => unreachable!("{other:?} is not a path item"),
                }
            }
            Shape::CaCertEx => {
                let [id, path] = values else {
                    return Err(CfgError::BadValue);
                };
                let slot = decimal(id)? as usize;
                if slot >= CA_SLOTS {
                    return Err(CfgError::BadValue);
                }
                self.cacertex[slot] = path_value(quoted(path)?);
            }
            Shape::ClientKey => {
                let (path, pwd) = match values {
                    [path] => (quoted(path)?, None),
                    [path, pwd] => (quoted(path)?, Some(quoted(pwd)?.to_string())),
                    _ => return Err(CfgError::BadValue),
                };
                self.clientkey = path_value(path);
                self.clientkey_pwd = pwd;
            }
            Shape::Psk => {
                let [identity, key] = values else {
                    return Err(CfgError::BadValue);
                };
                let (identity, key) = (quoted(identity)?, quoted(key)?);
                if identity.chars().count() > MAX_PSK_LEN || key.chars().count() > MAX_PSK_LEN {
                    return Err(CfgError::BadValue);
                }
                self.psk = (!identity.is_empty() || !key.is_empty())
                    .then(|| Psk { identity: identity.to_string(), key: key.to_string() });
            }
            Shape::Alpn => {
                let name = quoted(one(values)?)?;
                if name.len() > MAX_ALPN_LEN {
                    return Err(CfgError::BadValue);
                }
                self.alpn = name.to_string();
            }
        }
        Ok(())
    }

    /// The information lines answering the query form `AT+QSSLCFG="<item>",<ctx>[,<ca_id>]`,
    /// without framing. `values` is empty, or holds the `<ca_id>` for `cacertex`.
    pub fn query(&self, item: &str, ctx: u8, values: &[Param]) -> Result<Vec<String>, CfgError> {
        let spec = items::find(item).ok_or(CfgError::UnknownItem)?;
        let head = format!("+QSSLCFG: \"{}\",{ctx}", spec.name);
        let text = |s: Option<&str>| format!("\"{}\"", s.unwrap_or(""));
        if spec.shape == Shape::CaCertEx {
            // Module-wide in the maker's note: the lines carry the <ca_id>, no <SSL_ctxID>.
            let slot_line = |slot: usize| {
                format!("+QSSLCFG: \"{}\",{slot},{}", spec.name, text(self.cacertex[slot].as_deref()))
            };
            return match values {
                [] => Ok((0..CA_SLOTS).map(slot_line).collect()),
                [id] => {
                    let slot = decimal(id)? as usize;
                    if slot >= CA_SLOTS {
                        return Err(CfgError::BadValue);
                    }
                    Ok(vec![slot_line(slot)])
                }
                _ => Err(CfgError::BadValue),
            };
        }
        if !values.is_empty() {
            return Err(CfgError::BadValue);
        }
        let value = match spec.shape {
            Shape::Int { .. } => self.int(spec.id).unwrap_or_default().to_string(),
            Shape::CipherSuite { .. } => suites::format_id(self.ciphersuite),
            Shape::Path { .. } => text(match spec.id {
                ItemId::CaCert => self.cacert.as_deref(),
                _ => self.clientcert.as_deref(),
            }),
            Shape::ClientKey => {
                format!("{},{}", text(self.clientkey.as_deref()), text(self.clientkey_pwd.as_deref()))
            }
            Shape::Psk => format!(
                "{},{}",
                text(self.psk.as_ref().map(|p| p.identity.as_str())),
                text(self.psk.as_ref().map(|p| p.key.as_str()))
            ),
            Shape::Alpn => text(Some(&self.alpn)),
            Shape::CaCertEx => unreachable!("handled above"),
        };
        Ok(vec![format!("{head},{value}")])
    }

    /// Every configured CA file: `cacert` first, then the `cacertex` slots in order.
    pub fn ca_paths(&self) -> Vec<&str> {
        self.cacert.iter().chain(self.cacertex.iter().flatten()).map(String::as_str).collect()
    }
}
