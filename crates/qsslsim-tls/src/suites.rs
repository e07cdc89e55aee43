//! The cipher-suite table: every `<cs_id>` the module accepts in `AT+QSSLCFG="ciphersuite"`,
//! its name, and how it maps onto the suites rustls actually has. The ids are the IANA code
//! points, so a rustls suite matches an entry when their numbers are equal.

use rustls::SupportedCipherSuite;

/// `<cs_id>` meaning "every suite in the table".
pub const ALL_SUITES: u16 = 0xFFFF;

/// One row of the module's cipher-suite list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuiteSpec {
    /// IANA id, as written after `0X` on the command line.
    pub id: u16,
    /// Full IANA name.
    pub name: &'static str,
    /// The name OpenSSL gives the suite (cipher strings, `openssl ciphers -v`), for the
    /// second TLS engine.
    pub openssl: &'static str,
}

macro_rules! suites {
    ($($id:literal $name:literal $openssl:literal,)*) => {
        /// The module's cipher suites, in the maker's order (`0XFFFF` is not a row).
        pub const SUITES: &[SuiteSpec] = &[$(SuiteSpec { id: $id, name: $name, openssl: $openssl },)*];
    };
}

suites! {
    0x0035 "TLS_RSA_WITH_AES_256_CBC_SHA" "AES256-SHA",
    0x002F "TLS_RSA_WITH_AES_128_CBC_SHA" "AES128-SHA",
    0x0005 "TLS_RSA_WITH_RC4_128_SHA" "RC4-SHA",
    0x0004 "TLS_RSA_WITH_RC4_128_MD5" "RC4-MD5",
    0x000A "TLS_RSA_WITH_3DES_EDE_CBC_SHA" "DES-CBC3-SHA",
    0x003D "TLS_RSA_WITH_AES_256_CBC_SHA256" "AES256-SHA256",
    0xC002 "TLS_ECDH_ECDSA_WITH_RC4_128_SHA" "ECDH-ECDSA-RC4-SHA",
    0xC003 "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA" "ECDH-ECDSA-DES-CBC3-SHA",
    0xC004 "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA" "ECDH-ECDSA-AES128-SHA",
    0xC005 "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA" "ECDH-ECDSA-AES256-SHA",
    0xC007 "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA" "ECDHE-ECDSA-RC4-SHA",
    0xC008 "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA" "ECDHE-ECDSA-DES-CBC3-SHA",
    0xC009 "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" "ECDHE-ECDSA-AES128-SHA",
    0xC00A "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" "ECDHE-ECDSA-AES256-SHA",
    0xC011 "TLS_ECDHE_RSA_WITH_RC4_128_SHA" "ECDHE-RSA-RC4-SHA",
    0xC012 "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" "ECDHE-RSA-DES-CBC3-SHA",
    0xC013 "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" "ECDHE-RSA-AES128-SHA",
    0xC014 "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" "ECDHE-RSA-AES256-SHA",
    0xC00C "TLS_ECDH_RSA_WITH_RC4_128_SHA" "ECDH-RSA-RC4-SHA",
    0xC00D "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA" "ECDH-RSA-DES-CBC3-SHA",
    0xC00E "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA" "ECDH-RSA-AES128-SHA",
    0xC00F "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA" "ECDH-RSA-AES256-SHA",
    0xC023 "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" "ECDHE-ECDSA-AES128-SHA256",
    0xC024 "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" "ECDHE-ECDSA-AES256-SHA384",
    0xC025 "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256" "ECDH-ECDSA-AES128-SHA256",
    0xC026 "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384" "ECDH-ECDSA-AES256-SHA384",
    0xC027 "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" "ECDHE-RSA-AES128-SHA256",
    0xC028 "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" "ECDHE-RSA-AES256-SHA384",
    0xC029 "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256" "ECDH-RSA-AES128-SHA256",
    0xC02A "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384" "ECDH-RSA-AES256-SHA384",
    0xC02F "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" "ECDHE-RSA-AES128-GCM-SHA256",
}

/// The table row for `id`, if the module accepts it (`0XFFFF` has no row).
pub fn find(id: u16) -> Option<&'static SuiteSpec> {
    SUITES.iter().find(|s| s.id == id)
}

/// Whether `id` is accepted by `AT+QSSLCFG="ciphersuite"`.
pub fn is_valid_id(id: u16) -> bool {
    id == ALL_SUITES || find(id).is_some()
}

/// `id` as the module writes it: `0X` and four upper-case hex digits.
pub fn format_id(id: u16) -> String {
    format!("0X{id:04X}")
}

impl SuiteSpec {
    /// Why rustls cannot negotiate this suite, derived from its name; empty when it can
    /// (only AEAD suites with ephemeral ECDH key exchange are available).
    pub fn missing_features(&self) -> Vec<&'static str> {
        let mut why = Vec::new();
        if self.name.starts_with("TLS_RSA_") {
            why.push("static RSA key exchange");
        } else if self.name.starts_with("TLS_ECDH_") {
            why.push("static ECDH key exchange");
        }
        if self.name.contains("_CBC_") {
            why.push("CBC mode");
        }
        if self.name.contains("_RC4_") {
            why.push("RC4");
        }
        if self.name.contains("_3DES_") {
            why.push("3DES");
        }
        why
    }
}

/// What `<cs_id>` selects among the provider's TLS 1.2 suites.
#[derive(Clone, Debug)]
pub enum Selection {
    /// These rustls suites (TLS 1.2 only; TLS 1.3 suites are added separately).
    Suites(Vec<SupportedCipherSuite>),
    /// The module suite exists but rustls has no implementation of it.
    Unavailable(&'static SuiteSpec),
}

/// Selects the TLS 1.2 suites that `id` allows from `available` (the provider's list).
/// `0XFFFF` selects all of rustls's TLS 1.2 suites. Unknown ids select nothing.
pub fn select_tls12(id: u16, available: &[SupportedCipherSuite]) -> Selection {
    let tls12 = available.iter().copied().filter(|s| matches!(s, SupportedCipherSuite::Tls12(_)));
    if id == ALL_SUITES {
        return Selection::Suites(tls12.collect());
    }
    let chosen: Vec<_> = tls12.filter(|s| u16::from(s.suite()) == id).collect();
    match find(id) {
        Some(spec) if chosen.is_empty() => Selection::Unavailable(spec),
        _ => Selection::Suites(chosen),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_thirty_one_distinct_rows() {
        assert_eq!(SUITES.len(), 31);
        let mut ids: Vec<u16> = SUITES.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 31);
    }

    #[test]
    fn only_c02f_is_available_in_rustls() {
        let provider = rustls::crypto::ring::default_provider();
        let available: Vec<u16> = SUITES
            .iter()
            .filter(|s| matches!(select_tls12(s.id, &provider.cipher_suites), Selection::Suites(_)))
            .map(|s| s.id)
            .collect();
        assert_eq!(available, vec![0xC02F]);
        match select_tls12(0xC02F, &provider.cipher_suites) {
            Selection::Suites(s) => {
                assert_eq!(s.len(), 1);
                assert_eq!(s[0].suite(), rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
            }
            other => panic!("unexpected {other:?}"),
        }
        match select_tls12(ALL_SUITES, &provider.cipher_suites) {
            Selection::Suites(s) => assert_eq!(s.len(), 6),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn reasons_and_formatting() {
        assert_eq!(find(0x0035).unwrap().missing_features(), vec!["static RSA key exchange", "CBC mode"]);
        assert_eq!(find(0xC011).unwrap().missing_features(), vec!["RC4"]);
        assert_eq!(
            find(0xC003).unwrap().missing_features(),
            vec!["static ECDH key exchange", "CBC mode", "3DES"]
        );
        assert!(find(0xC02F).unwrap().missing_features().is_empty());
        assert_eq!(format_id(0x35), "0X0035");
        assert_eq!(format_id(0xFFFF), "0XFFFF");
        assert!(is_valid_id(0xFFFF));
        assert!(!is_valid_id(0x1301));
    }
}
