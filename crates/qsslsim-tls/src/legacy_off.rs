//! Stand-in for the second TLS engine when the crate is built without `legacy-tls`: the
//! type exists so that [`crate::TlsClient`] has the same shape, but no value of it can be
//! made, so every context goes to rustls (compat or strict, as `TlsPolicy` says).

use std::fmt;

/// Never constructed without the `legacy-tls` feature.
pub enum LegacySpec {}

impl LegacySpec {
    pub fn sends_sni(&self) -> bool {
        match *self {}
    }

    pub fn alpn_protocols(&self) -> Vec<Vec<u8>> {
        match *self {}
    }
}

impl fmt::Debug for LegacySpec {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}
