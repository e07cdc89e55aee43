//! The second TLS engine: OpenSSL, for the contexts rustls refuses by design (TLS 1.0/1.1,
//! CBC, static RSA, the whole table of `0XFFFF`, renegotiation; see
//! [`crate::rustls_can_honour`]). The ClientHello offers exactly what the module offers: the
//! versions `sslversion` allows and the suites `ciphersuite` names, at OpenSSL security level
//! 0 so that legacy suites and signatures are allowed. Certificates are *not* judged by
//! OpenSSL: its verify callback hands the presented chain to the same [`ModuleVerifier`] the
//! rustls path uses (webpki at the module clock, with the module's relaxations), so both
//! engines accept and refuse the same certificates with the same causes.
//!
//! [`LegacyContext`] is built once per security fingerprint of an SSL context (like the
//! rustls verifier, so that `session_cache` 1 can resume); [`LegacySpec`] is what one open
//! needs, and [`LegacySpec::ssl`] makes the `Ssl` for one connection. The async handshake
//! itself runs in the daemon (tokio-openssl).

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, OnceLock};

use openssl::ex_data::Index;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{
    ErrorCode, HandshakeError, Ssl, SslContext, SslContextBuilder, SslMethod, SslMode, SslOptions, SslRef,
    SslSession, SslSessionCacheMode, SslVerifyMode, SslVersion,
};
use openssl::x509::{X509StoreContext, X509StoreContextRef, X509VerifyResult, X509};
use rustls::client::danger::ServerCertVerifier;
use rustls::{CertificateError, Error as TlsError};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::config::{ClientMaterial, CtxLabel, TlsPolicy};
use crate::errors::{alert_from_name, describe_alert, describe_error, server_name_text, OpenRefusal};
use crate::settings::SslSettings;
use crate::suites::{self, SuiteSpec};
use crate::verifier::ModuleVerifier;

/// The OpenSSL version in use, for messages (`OpenSSL 3.0.19 27 Jan 2026`).
pub fn openssl_version() -> &'static str {
    openssl::version::version()
}

/// Whether this system's OpenSSL can negotiate `suite` at all (a cipher string of that one
/// name is accepted at security level 0). Distributions build OpenSSL 3 without RC4 and 3DES,
/// and no OpenSSL since 1.1.0 has static ECDH suites.
pub fn suite_available(suite: &SuiteSpec) -> bool {
    static AVAILABLE: OnceLock<Vec<u16>> = OnceLock::new();
    AVAILABLE
        .get_or_init(|| {
            suites::SUITES
                .iter()
                .filter(|s| {
                    SslContextBuilder::new(SslMethod::tls_client())
                        .and_then(|mut b| b.set_cipher_list(&format!("{}:@SECLEVEL=0", s.openssl)))
                        .is_ok()
                })
                .map(|s| s.id)
                .collect()
        })
        .contains(&suite.id)
}

/// Preference rank of a suite in the `0XFFFF` offer, strongest first as mbedTLS orders its
/// default list: AEAD, then AES-CBC with SHA-2, AES-CBC with SHA-1, 3DES, RC4; within each,
/// ephemeral ECDH before static ECDH before static RSA, and 256-bit keys first.
fn preference(suite: &SuiteSpec) -> (u8, u8, u8) {
    let n = suite.name;
    let cipher = if n.contains("_GCM_") {
        0
    } else if n.contains("_AES_") && (n.ends_with("SHA256") || n.ends_with("SHA384")) {
        1
    } else if n.contains("_AES_") {
        2
    } else if n.contains("_3DES_") {
        3
    } else {
        4
    };
    let kx = if n.starts_with("TLS_ECDHE_") {
        0
    } else if n.starts_with("TLS_ECDH_") {
        1
    } else {
        2
    };
    let bits = if n.contains("_256_") { 0 } else { 1 };
    (cipher, kx, bits)
}

/// `sslversion` as OpenSSL protocol bounds (min, max).
fn version_bounds(sslversion: u8, policy: &TlsPolicy) -> (SslVersion, SslVersion) {
    match sslversion {
        0 => (SslVersion::SSL3, SslVersion::SSL3),
        1 => (SslVersion::TLS1, SslVersion::TLS1),
        2 => (SslVersion::TLS1_1, SslVersion::TLS1_1),
        3 => (SslVersion::TLS1_2, SslVersion::TLS1_2),
        _ if policy.allow_tls13 => (SslVersion::TLS1, SslVersion::TLS1_3),
        _ => (SslVersion::TLS1, SslVersion::TLS1_2),
    }
}

fn version_text(v: SslVersion) -> &'static str {
    match v {
        SslVersion::SSL3 => "SSL 3.0",
        SslVersion::TLS1 => "TLS 1.0",
        SslVersion::TLS1_1 => "TLS 1.1",
        SslVersion::TLS1_2 => "TLS 1.2",
        SslVersion::TLS1_3 => "TLS 1.3",
        _ => "?",
    }
}

/// The OpenSSL cipher string for `ciphersuite`, and warnings about suites left out.
fn cipher_list(settings: &SslSettings, policy: &TlsPolicy) -> Result<(String, Vec<String>), OpenRefusal> {
    let id = settings.ciphersuite;
    if id != suites::ALL_SUITES {
        let spec = suites::find(id).ok_or_else(|| {
            OpenRefusal::Failed(format!("ciphersuite {} is not in the module's table", suites::format_id(id)))
        })?;
        if !suite_available(spec) {
            let mut why = spec.missing_features();
            why.retain(|w| !w.contains("CBC") && !w.contains("static RSA"));
            let why = if why.is_empty() { String::new() } else { format!(" ({})", why.join(", ")) };
            let strict = if policy.strict { " (strict TLS)" } else { "" };
            return Err(OpenRefusal::Failed(format!(
                "ciphersuite {} ({}) is available neither in rustls nor in this system's {}{why}: \
                 the open fails as against a server that refuses the suite{strict}",
                suites::format_id(id),
                spec.name,
                openssl_version()
            )));
        }
        return Ok((format!("{}:@SECLEVEL=0", spec.openssl), Vec::new()));
    }
    let mut offered: Vec<&SuiteSpec> = suites::SUITES.iter().filter(|s| suite_available(s)).collect();
    offered.sort_by_key(|s| preference(s));
    let missing: Vec<String> =
        suites::SUITES.iter().filter(|s| !suite_available(s)).map(|s| suites::format_id(s.id)).collect();
    let mut warnings = Vec::new();
    if !missing.is_empty() {
        warnings.push(format!(
            "ciphersuite 0XFFFF: {} of the module's {} suites are not in this system's {} ({}); \
             offering the other {}",
            missing.len(),
            suites::SUITES.len(),
            openssl_version(),
            missing.join(" "),
            offered.len()
        ));
    }
    let names: Vec<&str> = offered.iter().map(|s| s.openssl).collect();
    Ok((format!("{}:@SECLEVEL=0", names.join(":")), warnings))
}

/// A client private key as OpenSSL wants it.
fn private_key(key: &PrivateKeyDer<'_>) -> Result<PKey<Private>, openssl::error::ErrorStack> {
    match key {
        PrivateKeyDer::Pkcs1(k) => {
            PKey::from_rsa(openssl::rsa::Rsa::private_key_from_der(k.secret_pkcs1_der())?)
        }
        PrivateKeyDer::Sec1(k) => {
            PKey::from_ec_key(openssl::ec::EcKey::private_key_from_der(k.secret_sec1_der())?)
        }
        PrivateKeyDer::Pkcs8(k) => PKey::private_key_from_pkcs8(k.secret_pkcs8_der()),
        other => PKey::private_key_from_der(other.secret_der()),
    }
}

/// Sessions remembered by one context, by the server address the host typed, as DER. A copy
/// rather than the live `SSL_SESSION`: OpenSSL marks a connection's session unresumable when
/// the connection is dropped without a close_notify of its own (as the daemon does when the
/// server closed first, or on an abort), which neither the module nor rustls does.
type SessionStore = Mutex<HashMap<String, Vec<u8>>>;

/// The OpenSSL side of one SSL context, kept while its security settings stay the same.
pub struct LegacyContext {
    ctx: SslContext,
    sessions: Arc<SessionStore>,
    /// What the ClientHello offers, for log lines.
    offer: String,
    warnings: Vec<String>,
}

impl fmt::Debug for LegacyContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegacyContext").field("offer", &self.offer).finish_non_exhaustive()
    }
}

fn openssl_failure(what: &str, e: impl fmt::Display) -> OpenRefusal {
    OpenRefusal::Failed(format!("{what}: {e}"))
}

/// Per-connection state, reachable from OpenSSL's callbacks through the `Ssl`'s ex data.
struct Conn {
    /// The address the host typed: the session-store key.
    host: String,
    server_name: ServerName<'static>,
    verifier: Arc<ModuleVerifier>,
    /// The certificate verdict, decided at the first verify callback.
    verdict: Mutex<Option<Result<(), TlsError>>>,
}

fn conn_index() -> Index<Ssl, Arc<Conn>> {
    static INDEX: OnceLock<Index<Ssl, Arc<Conn>>> = OnceLock::new();
    *INDEX.get_or_init(|| Ssl::new_ex_index().expect("OpenSSL ex-data index"))
}

// X509_V_ERR_* codes (x509_vfy.h): stable across OpenSSL versions.
const X509_V_ERR_CERT_NOT_YET_VALID: i32 = 9;
const X509_V_ERR_CERT_HAS_EXPIRED: i32 = 10;
const X509_V_ERR_CERT_REJECTED: i32 = 28;

/// An X509 verify error for a verdict, so that OpenSSL sends a fitting alert.
fn verify_code(e: &TlsError) -> X509VerifyResult {
    let raw = match e {
        TlsError::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => {
            X509_V_ERR_CERT_HAS_EXPIRED
        }
        TlsError::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => X509_V_ERR_CERT_NOT_YET_VALID,
        _ => X509_V_ERR_CERT_REJECTED,
    };
    // SAFETY: `raw` is one of the valid X509_V_ERR_* numbers above.
    unsafe { X509VerifyResult::from_raw(raw) }
}

impl Conn {
    /// The chain the server presented, end entity first.
    fn presented_chain(store: &X509StoreContextRef) -> Vec<CertificateDer<'static>> {
        let from_ssl = X509StoreContext::ssl_idx()
            .ok()
            .and_then(|idx| store.ex_data(idx))
            .and_then(|ssl| ssl.peer_cert_chain())
            .map(|chain| chain.iter().filter_map(|c| c.to_der().ok()).collect::<Vec<_>>());
        let chain = match from_ssl {
            Some(c) if !c.is_empty() => c,
            _ => {
                store.chain().map(|c| c.iter().filter_map(|c| c.to_der().ok()).collect()).unwrap_or_default()
            }
        };
        chain.into_iter().map(CertificateDer::from).collect()
    }

    /// OpenSSL's verify callback: the module's verdict on the whole chain, once.
    fn judge(&self, store: &mut X509StoreContextRef) -> bool {
        let mut verdict = self.verdict.lock().unwrap_or_else(|p| p.into_inner());
        let verdict = verdict.get_or_insert_with(|| {
            let chain = Self::presented_chain(store);
            match chain.split_first() {
                None => Err(TlsError::NoCertificatesPresented),
                Some((ee, intermediates)) => self
                    .verifier
                    .verify_server_cert(ee, intermediates, &self.server_name, &[], UnixTime::now())
                    .map(|_| ()),
            }
        });
        match verdict {
            Ok(()) => true,
            Err(e) => {
                store.set_error(verify_code(e));
                false
            }
        }
    }
}

/// Swallows what OpenSSL writes and never has anything to read: enough to let OpenSSL build
/// a ClientHello, which tells whether the configuration can be offered at all.
struct Probe;

impl Read for Probe {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl Write for Probe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl LegacyContext {
    /// The OpenSSL context for `settings`: versions, suites, options, client certificate and
    /// session store. Fails (566) when OpenSSL cannot offer what the context asks for: a
    /// suite it lacks, SSL 3.0 on an OpenSSL without it, or versions and suites that exclude
    /// each other.
    pub(crate) fn build(
        settings: &SslSettings,
        policy: &TlsPolicy,
        client: Option<ClientMaterial>,
    ) -> Result<LegacyContext, OpenRefusal> {
        let (ciphers, warnings) = cipher_list(settings, policy)?;
        let (min, max) = version_bounds(settings.sslversion, policy);
        let mut b = SslContextBuilder::new(SslMethod::tls_client())
            .map_err(|e| openssl_failure("OpenSSL context", e))?;
        // Set explicitly: Debian's system configuration otherwise imposes TLS 1.2 and
        // security level 2, which exclude what the module offers.
        b.set_security_level(0);
        b.set_min_proto_version(Some(min)).map_err(|e| openssl_failure("OpenSSL minimum version", e))?;
        b.set_max_proto_version(Some(max)).map_err(|e| openssl_failure("OpenSSL maximum version", e))?;
        b.set_cipher_list(&ciphers).map_err(|e| openssl_failure("OpenSSL cipher list", e))?;
        // SSL_OP_ALL holds the interoperability work-arounds, LEGACY_SERVER_CONNECT among
        // them: like mbedTLS, connect to servers that lack RFC 5746 (old TLS 1.0 servers).
        let mut options = SslOptions::ALL | SslOptions::NO_COMPRESSION;
        if !settings.renegotiation {
            options |= SslOptions::NO_RENEGOTIATION;
        }
        b.set_options(options);
        // As openssl's SslConnector does, for non-blocking use: partial writes make progress
        // like rustls's, and a retried write may come from another buffer address.
        b.set_mode(SslMode::AUTO_RETRY | SslMode::ACCEPT_MOVING_WRITE_BUFFER | SslMode::ENABLE_PARTIAL_WRITE);
        // Certificates are judged in the per-connection verify callback (see `LegacySpec::ssl`).
        b.set_verify(SslVerifyMode::PEER);
        if let Some(m) = client {
            let leaf = m.chain.first().ok_or_else(|| {
                OpenRefusal::Failed(format!(
                    "client certificate file {} contains no certificate",
                    m.cert_path
                ))
            })?;
            let leaf = X509::from_der(leaf).map_err(|e| {
                openssl_failure(&format!("client certificate {} is not usable", m.cert_path), e)
            })?;
            b.set_certificate(&leaf).map_err(|e| {
                openssl_failure(&format!("client certificate {} is not usable", m.cert_path), e)
            })?;
            for extra in &m.chain[1..] {
                let cert = X509::from_der(extra).map_err(|e| {
                    openssl_failure(&format!("client certificate chain {} is not usable", m.cert_path), e)
                })?;
                b.add_extra_chain_cert(cert).map_err(|e| openssl_failure("client certificate chain", e))?;
            }
            let key = private_key(&m.key)
                .map_err(|e| openssl_failure(&format!("client key {} is not usable", m.key_path), e))?;
            b.set_private_key(&key)
                .map_err(|e| openssl_failure(&format!("client key {} is not usable", m.key_path), e))?;
            b.check_private_key().map_err(|_| {
                OpenRefusal::Failed(format!(
                    "client key {} does not match client certificate {}",
                    m.key_path, m.cert_path
                ))
            })?;
        }
        let sessions: Arc<SessionStore> = Arc::default();
        if settings.session_cache {
            b.set_session_cache_mode(SslSessionCacheMode::CLIENT | SslSessionCacheMode::NO_INTERNAL);
            let store = sessions.clone();
            b.set_new_session_callback(move |ssl, session| {
                if let (Some(conn), Ok(der)) = (ssl.ex_data(conn_index()), session.to_der()) {
                    store.lock().unwrap_or_else(|p| p.into_inner()).insert(conn.host.clone(), der);
                }
            });
        } else {
            b.set_session_cache_mode(SslSessionCacheMode::OFF);
            b.set_options(SslOptions::NO_TICKET);
        }
        if let Some(key_log) = crate::keylog::installed() {
            b.set_keylog_callback(move |_, line| key_log.write_line(line));
        }
        let ctx = b.build();
        probe(&ctx, settings)?;
        let offer = format!(
            "{}{}, {}",
            version_text(min),
            if min == max { String::new() } else { format!(" to {}", version_text(max)) },
            ciphers.trim_end_matches(":@SECLEVEL=0")
        );
        Ok(LegacyContext { ctx, sessions, offer, warnings })
    }

    /// Notes for every open of this context (suites of `0XFFFF` that OpenSSL lacks).
    pub(crate) fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// Lets OpenSSL write a ClientHello into nowhere: a configuration it cannot offer fails here,
/// before any connection, with OpenSSL's reason.
fn probe(ctx: &SslContext, settings: &SslSettings) -> Result<(), OpenRefusal> {
    let ssl = Ssl::new(ctx).map_err(|e| openssl_failure("OpenSSL connection", e))?;
    let reason = match ssl.connect(Probe) {
        Ok(_) | Err(HandshakeError::WouldBlock(_)) => return Ok(()),
        Err(HandshakeError::SetupFailure(e)) => first_reason(&e).unwrap_or("setup failure").to_string(),
        Err(HandshakeError::Failure(mid)) => {
            mid.error().ssl_error().and_then(first_reason).unwrap_or("handshake failure").to_string()
        }
    };
    let v = settings.sslversion;
    let what = match v {
        0 => "sslversion 0 (SSL 3.0)".to_string(),
        _ => format!("sslversion {v} with ciphersuite {}", suites::format_id(settings.ciphersuite)),
    };
    let why = match reason.as_str() {
        "no protocols available" => format!("{} cannot offer it (no protocols available)", openssl_version()),
        "no ciphers available" => {
            "none of the suites exists in the allowed versions (no ciphers available)".into()
        }
        other => format!("{} refuses it ({other})", openssl_version()),
    };
    Err(OpenRefusal::Failed(format!(
        "{what}: {why}; the open fails as against a server that refuses the handshake"
    )))
}

fn first_reason(stack: &openssl::error::ErrorStack) -> Option<&'static str> {
    stack.errors().iter().find_map(|e| e.reason())
}

/// Everything one open on the second engine needs.
pub struct LegacySpec {
    context: Arc<LegacyContext>,
    verifier: Arc<ModuleVerifier>,
    server_name: ServerName<'static>,
    host: String,
    sni: Option<String>,
    alpn: Option<Vec<u8>>,
    session_cache: bool,
    label: CtxLabel,
}

impl fmt::Debug for LegacySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegacySpec")
            .field("ssl_ctx", &self.label.0)
            .field("host", &self.host)
            .field("offer", &self.context.offer)
            .field("sni", &self.sni)
            .field("session_cache", &self.session_cache)
            .finish_non_exhaustive()
    }
}

impl LegacySpec {
    pub(crate) fn new(
        context: Arc<LegacyContext>,
        verifier: Arc<ModuleVerifier>,
        server_name: ServerName<'static>,
        host: &str,
        settings: &SslSettings,
        label: CtxLabel,
    ) -> LegacySpec {
        // Never SNI for an IP literal (RFC 6066), as on the rustls path.
        let sni = match (&server_name, settings.sni) {
            (ServerName::DnsName(d), true) => Some(d.as_ref().to_string()),
            _ => None,
        };
        let alpn = (!settings.alpn.is_empty()).then(|| settings.alpn.as_bytes().to_vec());
        LegacySpec {
            context,
            verifier,
            server_name,
            host: host.to_string(),
            sni,
            alpn,
            session_cache: settings.session_cache,
            label,
        }
    }

    pub fn sends_sni(&self) -> bool {
        self.sni.is_some()
    }

    pub fn alpn_protocols(&self) -> Vec<Vec<u8>> {
        self.alpn.iter().cloned().collect()
    }

    /// What the ClientHello offers, e.g. `TLS 1.0, AES256-SHA`.
    pub fn offer(&self) -> &str {
        &self.context.offer
    }

    /// The `Ssl` for one connection: SNI, ALPN, the module's certificate verdict in the
    /// verify callback, and a remembered session when `session_cache` is 1.
    pub fn ssl(&self) -> Result<Ssl, String> {
        let fail = |e: openssl::error::ErrorStack| format!("OpenSSL connection setup failed: {e}");
        let mut ssl = Ssl::new(&self.context.ctx).map_err(fail)?;
        if let Some(name) = &self.sni {
            ssl.set_hostname(name).map_err(fail)?;
        }
        if let Some(proto) = &self.alpn {
            let mut wire = Vec::with_capacity(proto.len() + 1);
            wire.push(proto.len() as u8);
            wire.extend_from_slice(proto);
            ssl.set_alpn_protos(&wire).map_err(fail)?;
        }
        let conn = Arc::new(Conn {
            host: self.host.clone(),
            server_name: self.server_name.clone(),
            verifier: self.verifier.clone(),
            verdict: Mutex::new(None),
        });
        let judge = conn.clone();
        ssl.set_verify_callback(SslVerifyMode::PEER, move |_openssl_ok, store| judge.judge(store));
        ssl.set_ex_data(conn_index(), conn);
        if self.session_cache {
            let mut store = self.context.sessions.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(session) = store.get(&self.host).and_then(|der| SslSession::from_der(der).ok()) {
                // A TLS 1.3 ticket is for one use; a TLS 1.2 session may be resumed again.
                if session.protocol_version() == SslVersion::TLS1_3 {
                    store.remove(&self.host);
                }
                // SAFETY: the session was made by a connection of this very context (the
                // store lives and dies with `self.context`), as `set_session` requires.
                unsafe { ssl.set_session(&session).map_err(fail)? };
            }
        }
        Ok(ssl)
    }

    /// Logs what a finished handshake settled on.
    pub fn connected(&self, ssl: &SslRef) {
        tracing::debug!(
            ssl_ctx = %self.label,
            server = %self.host,
            engine = "openssl",
            version = ssl.version_str(),
            suite = ssl.current_cipher().map(|c| c.name()).unwrap_or("?"),
            resumed = ssl.session_reused(),
            "TLS handshake done"
        );
    }

    /// A precise cause for a failed handshake on `ssl`: the certificate verdict if that was
    /// it, else the server's alert or OpenSSL's reason in the words the rustls path uses.
    pub fn describe_failure(&self, ssl: &SslRef, err: &openssl::ssl::Error) -> String {
        let cause = describe_failure(ssl, err);
        tracing::debug!(ssl_ctx = %self.label, server = %self.host, offer = %self.context.offer, "handshake failed: {cause}");
        cause
    }

    /// The name certificates are checked against, for messages.
    pub fn server(&self) -> String {
        server_name_text(&self.server_name)
    }
}

/// See [`LegacySpec::describe_failure`].
pub fn describe_failure(ssl: &SslRef, err: &openssl::ssl::Error) -> String {
    if let Some(conn) = ssl.ex_data(conn_index()) {
        if let Some(Err(e)) = &*conn.verdict.lock().unwrap_or_else(|p| p.into_inner()) {
            return describe_error(e);
        }
    }
    if let Some(reason) = err.ssl_error().and_then(first_reason) {
        return describe_reason(reason);
    }
    if let Some(io) = err.io_error() {
        return crate::errors::describe_io_error(io);
    }
    match err.code() {
        ErrorCode::SYSCALL | ErrorCode::ZERO_RETURN => {
            "the server closed the connection during the handshake".to_string()
        }
        _ => format!("the handshake failed: {err}"),
    }
}

/// OpenSSL's reason text in the words of [`describe_error`].
pub fn describe_reason(reason: &str) -> String {
    let alert = reason
        .split_once("alert ")
        .map(|(_, a)| a)
        .or_else(|| reason.strip_prefix("tlsv1 "))
        .map(|a| a.replace(' ', "_"))
        .and_then(|name| alert_from_name(&name));
    if let Some(a) = alert {
        return describe_alert(a);
    }
    match reason {
        "unsupported protocol" => {
            "the server chose a TLS version this context does not offer (unsupported protocol)".into()
        }
        "wrong version number" => {
            "the server answered in a TLS version this context does not offer (wrong version number)".into()
        }
        "unexpected eof while reading" => "the server closed the connection during the handshake".into(),
        "no protocols available" => {
            format!(
                "{} cannot offer the versions this context allows (no protocols available)",
                openssl_version()
            )
        }
        "no ciphers available" | "no cipher match" => {
            "none of the context's suites can be offered in its versions (no ciphers available)".into()
        }
        "wrong cipher returned" => "the server chose a cipher suite this context does not offer".into(),
        other => format!("the handshake failed (OpenSSL: {other})"),
    }
}
