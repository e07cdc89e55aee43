//! Turns one SSL context's settings into the client configuration for one open: the engine
//! (rustls, or OpenSSL for what rustls refuses by design, see [`rustls_can_honour`]),
//! protocol versions, cipher suites, the verifier with its CA files, client authentication,
//! SNI, ALPN, session resumption and the key log ([`crate::keylog`]). [`ContextTls`] is the
//! per-context runtime object that outlives a single open, so that `session_cache` 1 can
//! resume sessions across opens.

use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::{ClientSessionMemoryCache, ResolvesClientCert, Resumption, Tls12Resumption};
use rustls::crypto::CryptoProvider;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{
    ClientConfig, InconsistentKeys, SignatureScheme, SupportedCipherSuite, SupportedProtocolVersion,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, TrustAnchor, UnixTime};

use crate::client::TlsClient;
use crate::errors::OpenRefusal;
use crate::files::{self, FileSource};
use crate::keys;
use crate::settings::SslSettings;
use crate::suites::{self, Selection};
use crate::verifier::{ModuleVerifier, Relaxations};

/// How closely the emulator sticks to what its TLS engines can really do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TlsPolicy {
    /// Offer TLS 1.3 too when `sslversion` is 4 (the module itself tops out at TLS 1.2).
    pub allow_tls13: bool,
    /// `--strict-tls`: a context asking for something the engines lack fails to open instead
    /// of connecting with what rustls has.
    pub strict: bool,
    /// Hand the contexts rustls cannot honour ([`rustls_can_honour`]) to the second engine,
    /// OpenSSL, which offers exactly what the module offers. On by default when the crate is
    /// built with the `legacy-tls` feature; without the feature it has no effect and such
    /// contexts are degraded (compat) or refused (strict) as before.
    pub legacy: bool,
}

// Derivable only when the legacy engine is compiled out.
#[allow(clippy::derivable_impls)]
impl Default for TlsPolicy {
    fn default() -> Self {
        TlsPolicy { allow_tls13: false, strict: false, legacy: cfg!(feature = "legacy-tls") }
    }
}

impl TlsPolicy {
    /// rustls only, whatever the build: compat/strict as without the second engine.
    pub const RUSTLS_ONLY: TlsPolicy = TlsPolicy { allow_tls13: false, strict: false, legacy: false };

    /// Whether an open with `settings` goes to the second engine (OpenSSL).
    pub fn uses_legacy(&self, settings: &SslSettings) -> bool {
        cfg!(feature = "legacy-tls") && self.legacy && !rustls_can_honour(settings)
    }
}

/// Whether rustls can make the ClientHello the module makes for these settings: only for
/// `ciphersuite` 0XC02F (the one suite of the module's table that rustls has) with
/// `sslversion` 3 or 4 (0XC02F exists only in TLS 1.2, so "all versions" ends in TLS 1.2
/// or in a refusal either way), and without `renegotiation`. Everything else (TLS 1.0/1.1,
/// SSL 3.0, CBC, RC4, 3DES, static RSA/ECDH, the whole table of `0XFFFF`, renegotiation)
/// is refused by rustls by design.
pub fn rustls_can_honour(settings: &SslSettings) -> bool {
    matches!(settings.sslversion, 3 | 4) && settings.ciphersuite == 0xC02F && !settings.renegotiation
}

/// Everything the connection task needs for one handshake.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The engine and its configuration.
    pub config: TlsClient,
    /// The name certificates are checked against (an IP address for IP literals, which never
    /// produces SNI).
    pub server_name: ServerName<'static>,
    /// One line per setting that could not be honoured exactly (compat mode; with the second
    /// engine also suites of `0XFFFF` that this system's OpenSSL lacks).
    pub warnings: Vec<String>,
    /// `negotiatetime`.
    pub handshake_timeout: Duration,
}

/// Sessions remembered per context (rustls keys them by server name).
const SESSION_CACHE_SIZE: usize = 32;

/// The runtime TLS state of one SSL context, kept across opens.
pub struct ContextTls {
    label: CtxLabel,
    sessions: Arc<ClientSessionMemoryCache>,
    /// What the remembered sessions were made with. rustls resumes a session only under the
    /// very same verifier and client-certificate resolver objects, so they are reused as long
    /// as the security-relevant settings and files are unchanged.
    current: Option<Current>,
    /// Warnings already logged for this context: each is logged once, not at every open.
    warned: std::collections::HashSet<String>,
}

struct Current {
    /// Digest of the security-relevant settings and file contents.
    fingerprint: u64,
    verifier: Arc<ModuleVerifier>,
    engine: Engine,
}

/// The engine-specific part of [`Current`].
enum Engine {
    Rustls(Arc<dyn ResolvesClientCert>),
    /// The OpenSSL context (versions, suites, client certificate, session store).
    #[cfg(feature = "legacy-tls")]
    Legacy(Arc<crate::legacy::LegacyContext>),
}

/// The client certificate chain and key of a seclevel-2 context, decoded but not yet
/// handed to an engine.
pub(crate) struct ClientMaterial {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub cert_path: String,
    pub key_path: String,
}

/// The client-certificate resolver when no certificate is configured: nothing is sent.
#[derive(Debug)]
struct NoClientCert;

impl ResolvesClientCert for NoClientCert {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// The SSL context id in log lines (`?` when the context was made with [`ContextTls::new`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CtxLabel(pub Option<u8>);

impl fmt::Display for CtxLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, "{id}"),
            None => f.write_str("?"),
        }
    }
}

impl Default for ContextTls {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ContextTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextTls")
            .field("ssl_ctx", &self.label.0)
            .field("fingerprint", &self.current.as_ref().map(|c| c.fingerprint))
            .finish()
    }
}

/// Either a compat warning (recorded, open goes on) or, under `strict`, a refusal.
fn degrade(
    policy: &TlsPolicy,
    warnings: &mut Vec<String>,
    problem: String,
    fallback: &str,
) -> Result<(), OpenRefusal> {
    if policy.strict {
        let reason = format!("{problem} (strict TLS: the open fails as against a server that refuses it)");
        return Err(OpenRefusal::Failed(reason));
    }
    let warning = format!("{problem}; {fallback}");
    warnings.push(warning);
    Ok(())
}

/// The name to verify against: IP literals (optionally in brackets) become IP addresses.
fn parse_server_name(server: &str) -> Result<ServerName<'static>, OpenRefusal> {
    let bare = server.trim();
    let unbracketed = bare.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(bare);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(bare.to_string()).map_err(|e| {
        OpenRefusal::Failed(format!("server address \"{server}\" is not a valid host name: {e}"))
    })
}

fn version_name(v: u8) -> &'static str {
    match v {
        0 => "SSL 3.0",
        1 => "TLS 1.0",
        2 => "TLS 1.1",
        3 => "TLS 1.2",
        _ => "all versions",
    }
}

/// The protocol versions to offer for `sslversion`.
fn versions(
    settings: &SslSettings,
    policy: &TlsPolicy,
    warnings: &mut Vec<String>,
) -> Result<Vec<&'static SupportedProtocolVersion>, OpenRefusal> {
    match settings.sslversion {
        v @ 0..=2 => {
            degrade(
                policy,
                warnings,
                format!("sslversion {v} ({}) is not available in rustls", version_name(v)),
                "connecting with TLS 1.2 instead",
            )?;
            Ok(vec![&rustls::version::TLS12])
        }
        4 if policy.allow_tls13 => Ok(vec![&rustls::version::TLS12, &rustls::version::TLS13]),
        _ => Ok(vec![&rustls::version::TLS12]),
    }
}

/// The cipher suites to offer for `ciphersuite` (plus every TLS 1.3 suite if 1.3 is on).
fn cipher_suites(
    settings: &SslSettings,
    provider: &CryptoProvider,
    tls13: bool,
    policy: &TlsPolicy,
    warnings: &mut Vec<String>,
) -> Result<Vec<SupportedCipherSuite>, OpenRefusal> {
    let mut chosen = match suites::select_tls12(settings.ciphersuite, &provider.cipher_suites) {
        Selection::Suites(s) => s,
        Selection::Unavailable(spec) => {
            degrade(
                policy,
                warnings,
                format!(
                    "ciphersuite {} ({}) is not available in rustls ({})",
                    suites::format_id(spec.id),
                    spec.name,
                    spec.missing_features().join(", ")
                ),
                "offering rustls's TLS 1.2 AEAD suites instead",
            )?;
            match suites::select_tls12(suites::ALL_SUITES, &provider.cipher_suites) {
                Selection::Suites(s) => s,
                Selection::Unavailable(_) => Vec::new(),
            }
        }
    };
    if tls13 {
        chosen.extend(
            provider.cipher_suites.iter().copied().filter(|s| matches!(s, SupportedCipherSuite::Tls13(_))),
        );
    }
    Ok(chosen)
}

/// Trust anchors from every configured CA file (seclevel 1 and 2).
fn load_anchors(
    settings: &SslSettings,
    files: &dyn FileSource,
    digest: &mut DefaultHasher,
) -> Result<Vec<TrustAnchor<'static>>, OpenRefusal> {
    let paths = settings.ca_paths();
    if paths.is_empty() {
        return Err(OpenRefusal::Failed(format!(
            "no CA file configured for seclevel {} (set \"cacert\" or \"cacertex\")",
            settings.seclevel
        )));
    }
    let mut anchors = Vec::new();
    for path in paths {
        let bytes = files::read(files, "CA", path)?;
        bytes.hash(digest);
        for (i, cert) in files::parse_certs(&bytes, "CA", path)?.iter().enumerate() {
            let anchor = webpki::anchor_from_trusted_cert(cert).map_err(|e| {
                OpenRefusal::Failed(format!(
                    "CA file {path}: certificate #{} cannot be used as a trust anchor ({e:?})",
                    i + 1
                ))
            })?;
            anchors.push(anchor.to_owned());
        }
    }
    Ok(anchors)
}

/// Client certificate chain and key for seclevel 2, read and decoded (decrypted with
/// `<key_pwd>` if need be).
fn load_client_material(
    settings: &SslSettings,
    files: &dyn FileSource,
    warnings: &mut Vec<String>,
    digest: &mut DefaultHasher,
) -> Result<Option<ClientMaterial>, OpenRefusal> {
    let (cert_path, key_path) = match (&settings.clientcert, &settings.clientkey) {
        (None, None) => {
            let note = "seclevel 2 without clientcert/clientkey: no client certificate will be sent \
                        if the server asks for one"
                .to_string();
            warnings.push(note);
            return Ok(None);
        }
        (Some(_), None) => {
            return Err(OpenRefusal::Failed("clientcert is set but clientkey is not (seclevel 2)".into()))
        }
        (None, Some(_)) => {
            return Err(OpenRefusal::Failed("clientkey is set but clientcert is not (seclevel 2)".into()))
        }
        (Some(c), Some(k)) => (c.as_str(), k.as_str()),
    };
    let cert_bytes = files::read(files, "client certificate", cert_path)?;
    cert_bytes.hash(digest);
    let chain = files::parse_certs(&cert_bytes, "client certificate", cert_path)?;
    let key_bytes = files::read(files, "client key", key_path)?;
    key_bytes.hash(digest);
    let key = keys::parse_private_key(&key_bytes, settings.clientkey_pwd.as_deref(), key_path)?;
    (cert_path, key_path, &settings.clientkey_pwd).hash(digest);
    Ok(Some(ClientMaterial { chain, key, cert_path: cert_path.to_string(), key_path: key_path.to_string() }))
}

/// The client material as rustls needs it, checked to belong together.
fn rustls_client_auth(
    material: ClientMaterial,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, OpenRefusal> {
    let ClientMaterial { chain, key, cert_path, key_path } = material;
    match CertifiedKey::from_der(chain, key, provider) {
        Ok(certified) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => Err(OpenRefusal::Failed(
            format!("client key {key_path} does not match client certificate {cert_path}"),
        )),
        Err(e) => Err(OpenRefusal::Failed(format!("client key {key_path} is not usable: {e}"))),
    }
}

impl ContextTls {
    pub fn new() -> Self {
        ContextTls {
            label: CtxLabel(None),
            sessions: Arc::new(ClientSessionMemoryCache::new(SESSION_CACHE_SIZE)),
            current: None,
            warned: Default::default(),
        }
    }

    /// Like [`ContextTls::new`], with the SSL context id put on every log line (warnings,
    /// refusals, certificate verdicts) so they name the context.
    pub fn for_context(ssl_ctx_id: u8) -> Self {
        ContextTls { label: CtxLabel(Some(ssl_ctx_id)), ..Self::new() }
    }

    /// Forgets every remembered session.
    pub fn clear_sessions(&mut self) {
        self.sessions = Arc::new(ClientSessionMemoryCache::new(SESSION_CACHE_SIZE));
        self.current = None;
    }

    /// Builds the client configuration for one open of this context to `server` (host name
    /// or IP literal as the host typed it), checking certificates against `module_time`.
    /// Warnings and refusals are also logged (target `qsslsim_tls`, field `ssl_ctx`).
    pub fn prepare(
        &mut self,
        settings: &SslSettings,
        files: &dyn FileSource,
        module_time: UnixTime,
        server: &str,
        policy: &TlsPolicy,
    ) -> Result<Prepared, OpenRefusal> {
        let result = self.prepare_inner(settings, files, module_time, server, policy);
        match &result {
            Ok(prepared) => {
                for warning in &prepared.warnings {
                    if self.warned.insert(warning.clone()) {
                        tracing::warn!(ssl_ctx = %self.label, %server, "{warning}");
                    }
                }
            }
            Err(refusal) => {
                tracing::warn!(ssl_ctx = %self.label, %server, "open refused: {refusal}");
            }
        }
        result
    }

    fn prepare_inner(
        &mut self,
        settings: &SslSettings,
        files: &dyn FileSource,
        module_time: UnixTime,
        server: &str,
        policy: &TlsPolicy,
    ) -> Result<Prepared, OpenRefusal> {
        let mut warnings = Vec::new();

        if settings.dtls {
            return Err(OpenRefusal::NotSupported(
                "dtls=1: DTLS is not available (the emulator speaks TLS over TCP only)".into(),
            ));
        }
        if settings.psk.is_some() {
            let certificates =
                settings.seclevel > 0 || !settings.ca_paths().is_empty() || settings.clientcert.is_some();
            if !certificates || policy.strict {
                return Err(OpenRefusal::NotSupported(
                    "psk is configured: TLS-PSK is not available (rustls has no pre-shared-key suites)"
                        .into(),
                ));
            }
            let note = "psk is configured but TLS-PSK is not available; the handshake uses certificates only";
            warnings.push(note.to_string());
        }

        let server_name = parse_server_name(server)?;
        let legacy = policy.uses_legacy(settings);
        let mut provider = rustls::crypto::ring::default_provider();
        let versions = if legacy {
            Vec::new()
        } else {
            let versions = versions(settings, policy, &mut warnings)?;
            let tls13 = versions.contains(&&rustls::version::TLS13);
            provider.cipher_suites = cipher_suites(settings, &provider, tls13, policy, &mut warnings)?;
            if settings.renegotiation {
                degrade(
                    policy,
                    &mut warnings,
                    "renegotiation=1: rustls never renegotiates".into(),
                    "a server's renegotiation request will be declined",
                )?;
            }
            versions
        };

        let mut digest = DefaultHasher::new();
        (
            settings.sslversion,
            settings.ciphersuite,
            settings.seclevel,
            settings.ignorecertitem,
            settings.ignorelocaltime,
            settings.ignoreinvalidcertsign,
            settings.ignoremulticertchainverify,
            settings.session_cache,
            settings.renegotiation,
            legacy,
            policy,
            settings.ca_paths(),
        )
            .hash(&mut digest);
        let anchors =
            if settings.seclevel >= 1 { load_anchors(settings, files, &mut digest)? } else { Vec::new() };
        let client_material = if settings.seclevel >= 2 {
            load_client_material(settings, files, &mut warnings, &mut digest)?
        } else {
            None
        };

        let fingerprint = digest.finish();
        let current = match &self.current {
            Some(c) if c.fingerprint == fingerprint => {
                c.verifier.set_module_time(module_time);
                c
            }
            _ => {
                if self.current.is_some() {
                    tracing::debug!(
                        ssl_ctx = %self.label,
                        "security settings changed: remembered TLS sessions dropped"
                    );
                }
                self.clear_sessions();
                let verifier = Arc::new(ModuleVerifier::new(
                    self.label,
                    Relaxations::from_settings(settings),
                    anchors,
                    settings.ca_paths().join(", "),
                    module_time,
                    provider.signature_verification_algorithms,
                ));
                let engine = if legacy {
                    self.legacy_engine(settings, policy, client_material)?
                } else {
                    let resolver: Arc<dyn ResolvesClientCert> = match client_material {
                        Some(m) => Arc::new(SingleCertAndKey::from(rustls_client_auth(m, &provider)?)),
                        None => Arc::new(NoClientCert),
                    };
                    Engine::Rustls(resolver)
                };
                self.current.insert(Current { fingerprint, verifier, engine })
            }
        };
        let config = match &current.engine {
            Engine::Rustls(resolver) => {
                let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
                    .with_protocol_versions(&versions)
                    .map_err(|e| OpenRefusal::Failed(format!("no usable TLS configuration: {e}")))?
                    .dangerous()
                    .with_custom_certificate_verifier(current.verifier.clone())
                    .with_client_cert_resolver(resolver.clone());
                config.enable_sni = settings.sni;
                if let Some(key_log) = crate::keylog::for_rustls() {
                    config.key_log = key_log;
                }
                if !settings.alpn.is_empty() {
                    config.alpn_protocols = vec![settings.alpn.as_bytes().to_vec()];
                }
                config.resumption = if settings.session_cache {
                    Resumption::store(self.sessions.clone())
                        .tls12_resumption(Tls12Resumption::SessionIdOrTickets)
                } else {
                    Resumption::disabled()
                };
                TlsClient::Rustls(Arc::new(config))
            }
            #[cfg(feature = "legacy-tls")]
            Engine::Legacy(context) => {
                warnings.extend(context.warnings().iter().cloned());
                TlsClient::Legacy(Arc::new(crate::legacy::LegacySpec::new(
                    context.clone(),
                    current.verifier.clone(),
                    server_name.clone(),
                    server,
                    settings,
                    self.label,
                )))
            }
        };

        Ok(Prepared {
            config,
            server_name,
            warnings,
            handshake_timeout: Duration::from_secs(settings.negotiatetime.into()),
        })
    }

    /// Builds the OpenSSL context for a context that goes to the second engine.
    #[cfg(feature = "legacy-tls")]
    fn legacy_engine(
        &self,
        settings: &SslSettings,
        policy: &TlsPolicy,
        client: Option<ClientMaterial>,
    ) -> Result<Engine, OpenRefusal> {
        let context = crate::legacy::LegacyContext::build(settings, policy, client)?;
        Ok(Engine::Legacy(Arc::new(context)))
    }

    /// Never called: without the feature no open goes to the second engine.
    #[cfg(not(feature = "legacy-tls"))]
    fn legacy_engine(
        &self,
        _settings: &SslSettings,
        _policy: &TlsPolicy,
        _client: Option<ClientMaterial>,
    ) -> Result<Engine, OpenRefusal> {
        Err(OpenRefusal::Failed("the second TLS engine is not built in (feature legacy-tls)".into()))
    }
}
