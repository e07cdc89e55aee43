//! Errors of the TLS layer and the words for them. The module reports nearly every TLS
//! failure as one number (566); these types and [`describe_error`] keep the exact cause so
//! the emulator's log and trace can say what the hardware would not.

use std::fmt;
use std::net::IpAddr;

use rustls::{AlertDescription, CertificateError, Error, PeerIncompatible};
use rustls_pki_types::ServerName;

use crate::clock::format_time;

/// Why an open was refused before any byte went to the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenRefusal {
    /// The context asks for something the emulator cannot do at all (DTLS, TLS-PSK): the
    /// modem reports 555 (operation not supported).
    NotSupported(String),
    /// The context cannot be turned into a working TLS client (missing or unusable CA file,
    /// bad client key, wrong password, or a legacy setting under `--strict-tls`): the modem
    /// reports 566 (socket connect failed), as the module does.
    Failed(String),
}

impl OpenRefusal {
    /// The human-readable cause.
    pub fn reason(&self) -> &str {
        match self {
            OpenRefusal::NotSupported(s) | OpenRefusal::Failed(s) => s,
        }
    }

    /// The module result code the modem should report: 555 or 566.
    pub fn module_error(&self) -> u16 {
        match self {
            OpenRefusal::NotSupported(_) => 555,
            OpenRefusal::Failed(_) => 566,
        }
    }
}

impl fmt::Display for OpenRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for OpenRefusal {}

/// A server-certificate rejection with a precise cause; carried inside
/// `rustls::Error::InvalidCertificate(CertificateError::Other(..))` so that it survives the
/// trip through rustls and tokio-rustls to whoever reports the failed open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyFailure(pub String);

impl fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VerifyFailure {}

/// A server name for messages: the host name, or the IP address in its usual notation.
pub fn server_name_text(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(d) => d.as_ref().to_string(),
        ServerName::IpAddress(ip) => IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

/// An alert's name as TLS writes it (`handshake_failure`), for the common ones.
fn alert_name(a: AlertDescription) -> String {
    let name = match a {
        AlertDescription::CloseNotify => "close_notify",
        AlertDescription::UnexpectedMessage => "unexpected_message",
        AlertDescription::BadRecordMac => "bad_record_mac",
        AlertDescription::HandshakeFailure => "handshake_failure",
        AlertDescription::BadCertificate => "bad_certificate",
        AlertDescription::UnsupportedCertificate => "unsupported_certificate",
        AlertDescription::CertificateRevoked => "certificate_revoked",
        AlertDescription::CertificateExpired => "certificate_expired",
        AlertDescription::CertificateUnknown => "certificate_unknown",
        AlertDescription::IllegalParameter => "illegal_parameter",
        AlertDescription::UnknownCA => "unknown_ca",
        AlertDescription::AccessDenied => "access_denied",
        AlertDescription::DecodeError => "decode_error",
        AlertDescription::DecryptError => "decrypt_error",
        AlertDescription::ProtocolVersion => "protocol_version",
        AlertDescription::InsufficientSecurity => "insufficient_security",
        AlertDescription::InternalError => "internal_error",
        AlertDescription::UserCanceled => "user_canceled",
        AlertDescription::NoRenegotiation => "no_renegotiation",
        AlertDescription::MissingExtension => "missing_extension",
        AlertDescription::UnsupportedExtension => "unsupported_extension",
        AlertDescription::UnrecognisedName => "unrecognized_name",
        AlertDescription::CertificateRequired => "certificate_required",
        AlertDescription::NoApplicationProtocol => "no_application_protocol",
        other => return format!("{other:?}"),
    };
    name.to_string()
}

/// The alert whose TLS name (`handshake_failure`) is `name`, among those [`alert_name`] knows.
#[cfg(feature = "legacy-tls")]
pub(crate) fn alert_from_name(name: &str) -> Option<AlertDescription> {
    (0..=u8::MAX).map(AlertDescription::from).find(|a| alert_name(*a) == name)
}

/// What an alert from the server most likely means for a module-style client.
pub(crate) fn describe_alert(a: AlertDescription) -> String {
    let name = alert_name(a);
    let meaning = match a {
        AlertDescription::HandshakeFailure => {
            "the server refused the handshake: no cipher suite or TLS version in common, \
             or it requires a client certificate"
        }
        AlertDescription::ProtocolVersion => "the server does not accept the offered TLS version(s)",
        AlertDescription::InsufficientSecurity => "the server requires stronger cipher suites",
        AlertDescription::CertificateRequired => "the server requires a client certificate",
        AlertDescription::BadCertificate
        | AlertDescription::UnsupportedCertificate
        | AlertDescription::CertificateUnknown => "the server rejected the client certificate",
        AlertDescription::UnknownCA => "the server does not trust the client certificate's issuer",
        AlertDescription::CertificateExpired => "the server considers the client certificate expired",
        AlertDescription::DecryptError => "the server could not verify the handshake (decrypt_error)",
        AlertDescription::UnrecognisedName => "the server does not know the SNI host name",
        AlertDescription::NoApplicationProtocol => "the server supports none of the offered ALPN protocols",
        AlertDescription::AccessDenied => "the server denied access",
        AlertDescription::InternalError => "the server hit an internal error",
        _ => "the server aborted the handshake",
    };
    format!("{meaning} (alert {name} received)")
}

/// A precise cause for a certificate problem found by this crate's verifier or by rustls.
pub fn describe_certificate_error(e: &CertificateError) -> String {
    match e {
        CertificateError::ExpiredContext { time, not_after } => format!(
            "certificate expired: notAfter {} is before module time {}",
            format_time(*not_after),
            format_time(*time)
        ),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "certificate not yet valid: notBefore {} is after module time {}",
            format_time(*not_before),
            format_time(*time)
        ),
        CertificateError::NotValidForNameContext { expected, presented } => format!(
            "name mismatch: expected \"{}\", certificate is for [{}]",
            server_name_text(expected),
            presented.join(", ")
        ),
        CertificateError::Expired => "certificate expired".to_string(),
        CertificateError::NotValidYet => "certificate not yet valid".to_string(),
        CertificateError::NotValidForName => "name mismatch".to_string(),
        CertificateError::UnknownIssuer => "unknown issuer".to_string(),
        CertificateError::BadSignature => "bad certificate signature".to_string(),
        CertificateError::BadEncoding => "certificate is not valid DER".to_string(),
        CertificateError::Revoked => "certificate revoked".to_string(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "certificate not valid for TLS server authentication (extendedKeyUsage)".to_string()
        }
        CertificateError::Other(other) => match other.0.downcast_ref::<VerifyFailure>() {
            Some(v) => v.0.clone(),
            None => other.to_string(),
        },
        other => format!("certificate rejected: {other:?}"),
    }
}

/// A precise, human-readable cause for a failed TLS handshake or session, for logs and
/// traces (the module itself only reports 566).
pub fn describe_error(err: &Error) -> String {
    match err {
        Error::AlertReceived(a) => describe_alert(*a),
        Error::InvalidCertificate(c) => describe_certificate_error(c),
        Error::PeerIncompatible(p) => match p {
            PeerIncompatible::NoCipherSuitesInCommon => {
                "no cipher suite in common with the server".to_string()
            }
            PeerIncompatible::ServerDoesNotSupportTls12Or13 => {
                "the server does not support TLS 1.2 or 1.3".to_string()
            }
            PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig => {
                "the server chose a TLS version this context does not offer".to_string()
            }
            PeerIncompatible::NoKxGroupsInCommon => {
                "no key-exchange group in common with the server".to_string()
            }
            PeerIncompatible::NoSignatureSchemesInCommon => {
                "no signature scheme in common with the server".to_string()
            }
            other => format!("the server is incompatible: {other:?}"),
        },
        Error::NoCertificatesPresented => "the server presented no certificate".to_string(),
        Error::NoApplicationProtocol => {
            "the server selected an ALPN protocol that was not offered".to_string()
        }
        Error::DecryptError => "a record failed to decrypt (corrupted or tampered data)".to_string(),
        Error::PeerMisbehaved(m) => format!("the server violated the TLS protocol: {m:?}"),
        Error::InvalidMessage(m) => format!("the server sent an invalid TLS message: {m:?}"),
        Error::InappropriateMessage { .. } | Error::InappropriateHandshakeMessage { .. } => {
            format!("the server sent an unexpected TLS message: {err}")
        }
        Error::General(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Like [`describe_error`] for the `io::Error` that tokio-rustls returns: TLS errors are
/// described precisely, transport errors plainly.
pub fn describe_io_error(err: &std::io::Error) -> String {
    if let Some(tls) = err.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
        return describe_error(tls);
    }
    match err.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            "the server closed the connection during the handshake".to_string()
        }
        std::io::ErrorKind::ConnectionReset => "the server reset the connection".to_string(),
        std::io::ErrorKind::TimedOut => "the handshake timed out".to_string(),
        _ => format!("transport error: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    use rustls::OtherError;
    use rustls_pki_types::UnixTime;

    fn t(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    #[test]
    fn alerts_and_incompatibilities() {
        assert_eq!(
            describe_error(&Error::AlertReceived(AlertDescription::CertificateRequired)),
            "the server requires a client certificate (alert certificate_required received)"
        );
        assert_eq!(
            describe_error(&Error::AlertReceived(AlertDescription::UnrecognisedName)),
            "the server does not know the SNI host name (alert unrecognized_name received)"
        );
        assert_eq!(
            describe_error(&Error::PeerIncompatible(PeerIncompatible::NoCipherSuitesInCommon)),
            "no cipher suite in common with the server"
        );
        assert_eq!(describe_error(&Error::NoCertificatesPresented), "the server presented no certificate");
    }

    #[test]
    fn certificate_errors() {
        let expired =
            CertificateError::ExpiredContext { time: t(1_786_110_842), not_after: t(1_577_836_800) };
        assert_eq!(
            describe_error(&Error::InvalidCertificate(expired)),
            "certificate expired: notAfter 2020-01-01T00:00:00Z is before module time 2026-08-07T13:54:02Z"
        );
        let ours = CertificateError::Other(OtherError(Arc::new(VerifyFailure("unknown issuer: x".into()))));
        assert_eq!(describe_error(&Error::InvalidCertificate(ours)), "unknown issuer: x");
        let name = CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("foo.test").unwrap(),
            presented: vec!["DNS:bar.test".into(), "IP:127.0.0.1".into()],
        };
        assert_eq!(
            describe_certificate_error(&name),
            "name mismatch: expected \"foo.test\", certificate is for [DNS:bar.test, IP:127.0.0.1]"
        );
    }

    #[test]
    fn io_errors() {
        let tls = std::io::Error::new(std::io::ErrorKind::InvalidData, Error::DecryptError);
        assert_eq!(describe_io_error(&tls), "a record failed to decrypt (corrupted or tampered data)");
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert_eq!(describe_io_error(&eof), "the server closed the connection during the handshake");
    }
}
