//! What [`crate::ContextTls::prepare`] hands to the network for one open: the client
//! configuration of the engine chosen for the context. rustls takes every context it can
//! honour; a context that needs what rustls refuses by design (TLS 1.0/1.1, CBC, static RSA,
//! renegotiation) goes to the second engine, OpenSSL, when the crate is built with the
//! `legacy-tls` feature and [`crate::TlsPolicy::legacy`] is on.

use std::fmt;
use std::sync::Arc;

use rustls::ClientConfig;

pub use crate::legacy::LegacySpec;

/// The engine and its configuration for one open.
#[derive(Clone)]
pub enum TlsClient {
    /// rustls with this configuration (certificate verification in the configuration).
    Rustls(Arc<ClientConfig>),
    /// The second engine (OpenSSL): everything one handshake needs, certificate verification
    /// included. Without the `legacy-tls` feature this variant is never built.
    Legacy(Arc<LegacySpec>),
}

impl TlsClient {
    /// `"rustls"` or `"openssl"`, for log lines.
    pub fn engine(&self) -> &'static str {
        match self {
            TlsClient::Rustls(_) => "rustls",
            TlsClient::Legacy(_) => "openssl",
        }
    }

    /// Whether the handshake sends Server Name Indication.
    pub fn sends_sni(&self) -> bool {
        match self {
            TlsClient::Rustls(c) => c.enable_sni,
            TlsClient::Legacy(spec) => spec.sends_sni(),
        }
    }

    /// The ALPN protocol names offered (empty: no ALPN extension).
    pub fn alpn_protocols(&self) -> Vec<Vec<u8>> {
        match self {
            TlsClient::Rustls(c) => c.alpn_protocols.clone(),
            TlsClient::Legacy(spec) => spec.alpn_protocols(),
        }
    }
}

impl fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsClient::Rustls(c) => f.debug_tuple("Rustls").field(c).finish(),
            TlsClient::Legacy(spec) => f.debug_tuple("Legacy").field(spec).finish(),
        }
    }
}
