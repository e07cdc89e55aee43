//! The server-certificate verifier of an SSL context. It runs webpki against the context's CA
//! files at the *module* clock, and honours the context's relaxations the way the module
//! does: `seclevel` 0, `ignorelocaltime`, the `ignorecertitem` bits,
//! `ignoreinvalidcertsign` and `ignoremulticertchainverify`. webpki stops at the first
//! problem it finds, so a failure is classified, and if its class is ignored the check is
//! repeated with that one aspect relaxed (another time, extra anchors, or no chain at all);
//! any class that is not ignored fails the handshake with a precise cause. Handshake
//! signatures are always verified with the provider's algorithms, whatever the settings.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::{CertificateError, DigitallySignedStruct, Error, OtherError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter, KeyUsage};

use crate::certinfo::{self, CertFacts};
use crate::config::CtxLabel;
use crate::errors::{describe_error, server_name_text, VerifyFailure};
use crate::settings::SslSettings;

/// `<ignore_check_item>` bits (they are mbedTLS's `MBEDTLS_X509_BADCERT_*` flags).
pub mod ignore_bits {
    /// Certificate expired.
    pub const EXPIRED: u32 = 0x1;
    /// Common name / subject alternative name does not match the server.
    pub const CN_MISMATCH: u32 = 0x4;
    /// Not correctly signed by a trusted CA.
    pub const NOT_TRUSTED: u32 = 0x8;
    /// Any other reason.
    pub const OTHER: u32 = 0x100;
    /// Certificate not yet valid (mbedTLS "future"; not in the maker's list, honoured too).
    pub const FUTURE: u32 = 0x200;
    /// keyUsage does not allow the use.
    pub const KEY_USAGE: u32 = 0x800;
    /// extendedKeyUsage does not allow the use.
    pub const EXT_KEY_USAGE: u32 = 0x1000;
    /// Netscape certificate type does not allow the use.
    pub const NS_CERT_TYPE: u32 = 0x2000;
    /// Signed with an unacceptable hash (mbedTLS "bad MD"; honoured with the next two).
    pub const BAD_MD: u32 = 0x4000;
    /// Signed with an unacceptable public-key algorithm.
    pub const BAD_PK: u32 = 0x8000;
    /// Signed with an unacceptable key.
    pub const BAD_KEY: u32 = 0x10000;
    /// Every check: the certificate is not examined at all.
    pub const ALL: u32 = 0xFFFFF;
}

/// Which failure classes the context tolerates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Relaxations {
    /// Nothing about the certificate is checked (`seclevel` 0 or `ignorecertitem` 1048575).
    pub everything: bool,
    /// Validity period (`ignorelocaltime` 1, or bit 1 / 512).
    pub validity: bool,
    /// Name mismatch (bit 4).
    pub name: bool,
    /// Unknown issuer / untrusted root (bit 8).
    pub trust: bool,
    /// Certificate signature that does not verify (`ignoreinvalidcertsign`, or bit 8).
    pub signature: bool,
    /// Verify only the first level of a presented chain (`ignoremulticertchainverify`).
    pub multi_level: bool,
    /// extendedKeyUsage without serverAuth (bit 4096).
    pub eku: bool,
    /// Unsupported signature algorithm or key (bits 16384 / 32768 / 65536).
    pub algorithm: bool,
    /// Everything else webpki rejects (bit 256).
    pub other: bool,
}

impl Relaxations {
    pub fn from_settings(s: &SslSettings) -> Self {
        use ignore_bits::*;
        let bits = s.ignorecertitem;
        let has = |mask: u32| bits & mask != 0;
        Relaxations {
            everything: s.seclevel == 0 || bits & ALL == ALL,
            validity: s.ignorelocaltime || has(EXPIRED | FUTURE),
            name: has(CN_MISMATCH),
            trust: has(NOT_TRUSTED),
            signature: s.ignoreinvalidcertsign || has(NOT_TRUSTED),
            multi_level: s.ignoremulticertchainverify,
            eku: has(EXT_KEY_USAGE),
            algorithm: has(BAD_MD | BAD_PK | BAD_KEY),
            other: has(OTHER),
        }
    }

    fn tolerates(&self, class: Class) -> bool {
        match class {
            Class::Validity => self.validity,
            Class::NotTrusted => self.trust,
            Class::BadSignature => self.signature,
            Class::Eku => self.eku,
            Class::Algorithm => self.algorithm,
            Class::Other => self.other,
        }
    }
}

/// How a webpki chain failure is classified against the ignore settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Validity,
    NotTrusted,
    BadSignature,
    Eku,
    Algorithm,
    Other,
}

impl Class {
    fn of(e: &webpki::Error) -> Class {
        use webpki::Error as E;
        #[allow(deprecated)]
        match e {
            E::CertExpired { .. } | E::CertNotValidYet { .. } => Class::Validity,
            E::UnknownIssuer => Class::NotTrusted,
            E::InvalidSignatureForPublicKey => Class::BadSignature,
            E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => Class::Eku,
            E::UnsupportedSignatureAlgorithm
            | E::UnsupportedSignatureAlgorithmContext(_)
            | E::UnsupportedSignatureAlgorithmForPublicKey
            | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            | E::SignatureAlgorithmMismatch => Class::Algorithm,
            _ => Class::Other,
        }
    }

    /// The setting that, when set, tolerates this class (for log lines).
    fn setting(self) -> &'static str {
        match self {
            Class::Validity => "ignorelocaltime=1 or ignorecertitem bit 1",
            Class::NotTrusted => "ignorecertitem bit 8",
            Class::BadSignature => "ignoreinvalidcertsign=1 or ignorecertitem bit 8",
            Class::Eku => "ignorecertitem bit 4096",
            Class::Algorithm => "ignorecertitem bit 32768/65536",
            Class::Other => "ignorecertitem bit 256",
        }
    }
}

/// serverAuth is required if the certificate lists extended key usages, unless ignored.
struct ServerEku {
    ignore: bool,
}

impl ExtendedKeyUsageValidator for ServerEku {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        if self.ignore {
            return Ok(());
        }
        KeyUsage::server_auth().validate(iter)
    }
}

/// webpki is asked again at most this often (each retry relaxes one more aspect).
const MAX_ATTEMPTS: usize = 8;

fn failure(message: String) -> Error {
    Error::InvalidCertificate(CertificateError::Other(OtherError(std::sync::Arc::new(VerifyFailure(
        message,
    )))))
}

/// The verifier installed in every `ClientConfig` this crate builds.
pub(crate) struct ModuleVerifier {
    label: CtxLabel,
    relax: Relaxations,
    anchors: Vec<TrustAnchor<'static>>,
    /// The CA files the anchors came from, for messages.
    ca_files: String,
    /// The module clock (seconds since the epoch) as of the latest open; shared by every
    /// connection of the context, like the module's one clock.
    module_time: AtomicU64,
    algs: WebPkiSupportedAlgorithms,
}

impl fmt::Debug for ModuleVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModuleVerifier")
            .field("ssl_ctx", &self.label.0)
            .field("relax", &self.relax)
            .field("anchors", &self.anchors.len())
            .field("ca_files", &self.ca_files)
            .field("module_time", &self.module_time())
            .finish()
    }
}

impl ModuleVerifier {
    pub fn new(
        label: CtxLabel,
        relax: Relaxations,
        anchors: Vec<TrustAnchor<'static>>,
        ca_files: String,
        module_time: UnixTime,
        algs: WebPkiSupportedAlgorithms,
    ) -> Self {
        ModuleVerifier {
            label,
            relax,
            anchors,
            ca_files,
            module_time: AtomicU64::new(module_time.as_secs()),
            algs,
        }
    }

    /// Sets the module clock used by later handshakes.
    pub fn set_module_time(&self, t: UnixTime) {
        self.module_time.store(t.as_secs(), Ordering::Relaxed);
    }

    fn module_time(&self) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(self.module_time.load(Ordering::Relaxed)))
    }

    /// The error for a chain failure that is not tolerated.
    fn chain_error(&self, e: webpki::Error, facts: Option<&CertFacts>) -> Error {
        let subject = facts.map(|f| f.subject.clone()).unwrap_or_else(|| "?".into());
        let issuer = facts.map(|f| f.issuer.clone()).unwrap_or_else(|| "?".into());
        match e {
            webpki::Error::CertExpired { time, not_after } => {
                Error::InvalidCertificate(CertificateError::ExpiredContext { time, not_after })
            }
            webpki::Error::CertNotValidYet { time, not_before } => {
                Error::InvalidCertificate(CertificateError::NotValidYetContext { time, not_before })
            }
            webpki::Error::UnknownIssuer if facts.is_some_and(CertFacts::self_issued) => failure(format!(
                "unknown issuer: self-signed certificate \"{subject}\" is not among the trusted CAs ({})",
                self.ca_files
            )),
            webpki::Error::UnknownIssuer => failure(format!(
                "unknown issuer: \"{issuer}\" (issuer of \"{subject}\") is not among the trusted CAs ({})",
                self.ca_files
            )),
            webpki::Error::InvalidSignatureForPublicKey => failure(format!(
                "bad certificate signature: \"{subject}\" names \"{issuer}\" as its issuer, \
                 but the signature does not verify with that CA's key"
            )),
            e => match Class::of(&e) {
                Class::Eku => failure(format!(
                    "certificate \"{subject}\" is not for TLS server authentication \
                     (extendedKeyUsage lacks serverAuth: {e:?})"
                )),
                Class::Algorithm => failure(format!(
                    "certificate chain of \"{subject}\" uses an unsupported signature algorithm or key ({e:?})"
                )),
                _ => failure(format!("certificate chain of \"{subject}\" rejected: {e:?}")),
            },
        }
    }

    /// Full check of the presented chain and name; returns notes on what was tolerated.
    fn check(
        &self,
        ee_der: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
    ) -> Result<Vec<String>, Error> {
        let facts = certinfo::facts(ee_der);
        let ee = EndEntityCert::try_from(ee_der)
            .map_err(|e| failure(format!("the server certificate cannot be parsed: {e:?}")))?;
        let eku = ServerEku { ignore: self.relax.eku };
        let mut notes = Vec::new();
        let module_time = self.module_time();
        let mut time = module_time;
        let mut anchors = self.anchors.clone();
        let mut extra_anchors = false;
        let mut chain_skipped = false;

        let mut attempts = 0;
        loop {
            attempts += 1;
            if attempts > MAX_ATTEMPTS {
                return Err(failure(
                    "certificate chain has no moment at which all its certificates are valid".into(),
                ));
            }
            let err =
                match ee.verify_for_usage(self.algs.all, &anchors, intermediates, time, &eku, None, None) {
                    Ok(_) => break,
                    Err(e) => e,
                };
            let class = Class::of(&err);
            match err {
                webpki::Error::CertExpired { not_after, .. } if self.relax.validity => {
                    notes.push(format!(
                        "validity not checked ({}): a certificate expired at {}",
                        class.setting(),
                        crate::clock::format_time(not_after)
                    ));
                    time = not_after;
                }
                webpki::Error::CertNotValidYet { not_before, .. } if self.relax.validity => {
                    notes.push(format!(
                        "validity not checked ({}): a certificate is valid only from {}",
                        class.setting(),
                        crate::clock::format_time(not_before)
                    ));
                    time = not_before;
                }
                webpki::Error::UnknownIssuer
                    if self.relax.multi_level && !extra_anchors && !intermediates.is_empty() =>
                {
                    for cert in intermediates {
                        if let Ok(anchor) = webpki::anchor_from_trusted_cert(cert) {
                            anchors.push(anchor.to_owned());
                        }
                    }
                    extra_anchors = true;
                    notes.push(
                        "only the first chain level verified (ignoremulticertchainverify=1): \
                         the server's intermediate certificates are taken as trusted"
                            .into(),
                    );
                }
                e if self.relax.tolerates(class) => {
                    notes.push(format!(
                        "chain not verified ({}): {}",
                        class.setting(),
                        describe_error(&self.chain_error(e, facts.as_ref()))
                    ));
                    chain_skipped = true;
                    break;
                }
                e => return Err(self.chain_error(e, facts.as_ref())),
            }
        }

        // Without a verified chain webpki has not looked at the certificate's own dates.
        if chain_skipped && !self.relax.validity {
            if let Some(f) = &facts {
                let now = module_time;
                if now < f.not_before {
                    return Err(Error::InvalidCertificate(CertificateError::NotValidYetContext {
                        time: now,
                        not_before: f.not_before,
                    }));
                }
                if now > f.not_after {
                    return Err(Error::InvalidCertificate(CertificateError::ExpiredContext {
                        time: now,
                        not_after: f.not_after,
                    }));
                }
            }
        }

        if let Err(e) = ee.verify_is_valid_for_subject_name(server_name) {
            let presented = match (&e, &facts) {
                (_, Some(f)) => f.names.clone(),
                (webpki::Error::CertNotValidForName(ctx), None) => ctx.presented.clone(),
                _ => Vec::new(),
            };
            let err = Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                expected: server_name.to_owned(),
                presented,
            });
            if !self.relax.name {
                return Err(err);
            }
            notes.push(format!("name not checked (ignorecertitem bit 4): {}", describe_error(&err)));
        }
        Ok(notes)
    }
}

impl ServerCertVerifier for ModuleVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let server = server_name_text(server_name);
        if self.relax.everything {
            tracing::debug!(ssl_ctx = %self.label, %server, "server certificate not examined (seclevel 0 or ignorecertitem 1048575)");
            return Ok(ServerCertVerified::assertion());
        }
        match self.check(end_entity, intermediates, server_name) {
            Ok(notes) => {
                for note in notes {
                    tracing::info!(ssl_ctx = %self.label, %server, "server certificate accepted with relaxation: {note}");
                }
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => {
                tracing::warn!(ssl_ctx = %self.label, %server, "server certificate rejected: {}", describe_error(&e));
                Err(e)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}
