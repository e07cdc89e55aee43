//! The one table of `AT+QSSLCFG` items: each item's name, the shape and range of its
//! value(s), its factory default, and the text of its `AT+QSSLCFG=?` line. Parsing, querying,
//! defaults and the test response are all driven from here, so a profile for another module
//! family changes this file only.

/// Highest `<SSL_ctxID>` (contexts are 0–5).
pub const MAX_CONTEXT_ID: u8 = 5;
/// Number of `cacertex` slots per context (`<ca_id>` 0–5).
pub const CA_SLOTS: usize = 6;
/// Longest PSK identity or key, in characters.
pub const MAX_PSK_LEN: usize = 255;
/// Longest ALPN protocol name, in bytes (the TLS limit).
pub const MAX_ALPN_LEN: usize = 255;

/// Identifies one item; the order is the maker's order in the test response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemId {
    SslVersion,
    SecLevel,
    CipherSuite,
    NegotiateTime,
    Sni,
    CaCert,
    CaCertEx,
    ClientCert,
    ClientKey,
    Dtls,
    DtlsVersion,
    Psk,
    IgnoreMultiCertChainVerify,
    IgnoreInvalidCertSign,
    IgnoreCertItem,
    IgnoreLocalTime,
    SessionCache,
    CloseTimeMode,
    Renegotiation,
    Alpn,
}

/// What values an item takes after `<SSL_ctxID>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One bare decimal integer in `min..=max`.
    Int { min: u32, max: u32, default: u32 },
    /// One bare hex `<cs_id>` (`0X0035`/`0x0035`) from the suite table, or `0XFFFF`.
    CipherSuite { default: u16 },
    /// One quoted file path; unset by default.
    Path { placeholder: &'static str },
    /// `<ca_id>,<path>`: a bare `<ca_id>` (0–5) and a quoted path.
    CaCertEx,
    /// A quoted path and an optional quoted password.
    ClientKey,
    /// A quoted identity and a quoted key, each 0–255 characters.
    Psk,
    /// One quoted protocol name; `""` means no ALPN extension.
    Alpn,
}

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemSpec {
    pub id: ItemId,
    /// The item name as the module writes it (matched case-insensitively on input).
    pub name: &'static str,
    pub shape: Shape,
}

const fn flag(id: ItemId, name: &'static str, default: u32) -> ItemSpec {
    ItemSpec { id, name, shape: Shape::Int { min: 0, max: 1, default } }
}

const fn int(id: ItemId, name: &'static str, min: u32, max: u32, default: u32) -> ItemSpec {
    ItemSpec { id, name, shape: Shape::Int { min, max, default } }
}

/// The twenty items, in the order of the maker's test response.
pub const ITEMS: [ItemSpec; 20] = [
    int(ItemId::SslVersion, "sslversion", 0, 4, 4),
    int(ItemId::SecLevel, "seclevel", 0, 2, 0),
    ItemSpec {
        id: ItemId::CipherSuite,
        name: "ciphersuite",
        shape: Shape::CipherSuite { default: crate::suites::ALL_SUITES },
    },
    int(ItemId::NegotiateTime, "negotiatetime", 10, 300, 300),
    flag(ItemId::Sni, "sni", 0),
    ItemSpec { id: ItemId::CaCert, name: "cacert", shape: Shape::Path { placeholder: "<cacertpath>" } },
    ItemSpec { id: ItemId::CaCertEx, name: "cacertex", shape: Shape::CaCertEx },
    ItemSpec {
        id: ItemId::ClientCert,
        name: "clientcert",
        shape: Shape::Path { placeholder: "<client_cert_path>" },
    },
    ItemSpec { id: ItemId::ClientKey, name: "clientkey", shape: Shape::ClientKey },
    flag(ItemId::Dtls, "dtls", 0),
    int(ItemId::DtlsVersion, "dtlsversion", 0, 2, 2),
    ItemSpec { id: ItemId::Psk, name: "psk", shape: Shape::Psk },
    flag(ItemId::IgnoreMultiCertChainVerify, "ignoremulticertchainverify", 0),
    flag(ItemId::IgnoreInvalidCertSign, "ignoreinvalidcertsign", 0),
    int(ItemId::IgnoreCertItem, "ignorecertitem", 0, 1_048_575, 0),
    flag(ItemId::IgnoreLocalTime, "ignorelocaltime", 1),
    flag(ItemId::SessionCache, "session_cache", 0),
    flag(ItemId::CloseTimeMode, "closetimemode", 0),
    flag(ItemId::Renegotiation, "renegotiation", 0),
    ItemSpec { id: ItemId::Alpn, name: "alpn", shape: Shape::Alpn },
];

/// The row for an item name, matched case-insensitively.
pub fn find(name: &str) -> Option<&'static ItemSpec> {
    ITEMS.iter().find(|i| i.name.eq_ignore_ascii_case(name))
}

/// The row for an item id.
pub fn spec(id: ItemId) -> &'static ItemSpec {
    ITEMS.iter().find(|i| i.id == id).expect("every ItemId has a row")
}

/// A value range as the module lists it: `(0,1)` for two values, `(min-max)` otherwise.
fn range_text(min: u32, max: u32) -> String {
    if max == min + 1 {
        format!("({min},{max})")
    } else {
        format!("({min}-{max})")
    }
}

impl ItemSpec {
    /// This item's line in the `AT+QSSLCFG=?` response, e.g.
    /// `+QSSLCFG: "seclevel",(0-5),(0-2)`. Integer items list their range; items whose
    /// value is free text show the maker's placeholder, as the note does.
    pub fn test_line(&self) -> String {
        let values = match self.shape {
            Shape::Int { min, max, .. } => range_text(min, max),
            Shape::CipherSuite { .. } => "<cs_id>".to_string(),
            Shape::Path { placeholder } => placeholder.to_string(),
            // Module-wide: the maker's form has no <SSL_ctxID>, only the <ca_id>.
            Shape::CaCertEx => {
                return format!(
                    "+QSSLCFG: \"{}\",{},<cacertexpath>",
                    self.name,
                    range_text(0, CA_SLOTS as u32 - 1)
                )
            }
            Shape::ClientKey => "<client_key_path>,<key_pwd>".to_string(),
            Shape::Psk => "<identity>,<key>".to_string(),
            Shape::Alpn => "<ALPN_name>".to_string(),
        };
        format!("+QSSLCFG: \"{}\",{},{}", self.name, range_text(0, u32::from(MAX_CONTEXT_ID)), values)
    }
}
