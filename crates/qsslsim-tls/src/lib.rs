//! The SSL side of the emulated module: what `AT+QSSLCFG` stores for each SSL context
//! ([`SslSettings`], driven by the item table in [`items`]), and how such a context becomes a
//! TLS client configuration for `AT+QSSLOPEN` ([`ContextTls::prepare`]): the engine (rustls,
//! or with the `legacy-tls` feature OpenSSL for what rustls refuses by design, see
//! [`legacy`]), versions, cipher suites ([`suites`]), certificate verification against the
//! module clock with the module's relaxations, client keys in every common encoding, SNI,
//! ALPN and session resumption, and the key log of every session ([`keylog`]). Whatever no
//! engine can do is either degraded with a warning (compat) or refused
//! ([`TlsPolicy::strict`]); every failure carries a precise cause ([`describe_error`]) even
//! though the module reports only a number.

mod certinfo;
mod client;
pub mod clock;
mod config;
pub mod errors;
mod files;
pub mod items;
pub mod keylog;
mod keys;
#[cfg(feature = "legacy-tls")]
pub mod legacy;
#[cfg(not(feature = "legacy-tls"))]
#[path = "legacy_off.rs"]
pub mod legacy;
pub mod settings;
pub mod suites;
mod verifier;

pub use client::{LegacySpec, TlsClient};
pub use clock::{format_time, module_time_from};
pub use config::{rustls_can_honour, ContextTls, Prepared, TlsPolicy};
pub use errors::{describe_certificate_error, describe_error, describe_io_error, OpenRefusal, VerifyFailure};
pub use files::FileSource;
pub use items::{ItemId, ItemSpec, Shape, ITEMS};
pub use settings::{is_query, test_lines, CfgError, Psk, SslSettings};
pub use verifier::ignore_bits;
