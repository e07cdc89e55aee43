//! Facts read out of a certificate with `x509-cert`: subject, issuer, validity period and
//! subject alternative names. webpki answers "valid or not"; these facts let the verifier say
//! which certificate failed and why, and check an end-entity certificate's dates on its own
//! when chain verification has been switched off.

use std::net::IpAddr;

use rustls_pki_types::UnixTime;
use x509_cert::der::oid::AssociatedOid;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

/// What messages and validity checks need to know about a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CertFacts {
    /// Subject distinguished name, RFC 4514 text.
    pub subject: String,
    /// Issuer distinguished name, RFC 4514 text.
    pub issuer: String,
    pub not_before: UnixTime,
    pub not_after: UnixTime,
    /// Subject alternative names as `DNS:<name>` / `IP:<address>`.
    pub names: Vec<String>,
}

fn unix(t: &x509_cert::time::Time) -> UnixTime {
    UnixTime::since_unix_epoch(t.to_unix_duration())
}

fn san_text(name: &GeneralName) -> Option<String> {
    match name {
        GeneralName::DnsName(d) => Some(format!("DNS:{}", d.as_str())),
        GeneralName::IpAddress(ip) => {
            let bytes = ip.as_bytes();
            let addr = match bytes.len() {
                4 => IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?),
                16 => IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?),
                _ => return None,
            };
            Some(format!("IP:{addr}"))
        }
        _ => None,
    }
}

/// Parses `der`; `None` if it is not a readable X.509 certificate.
pub(crate) fn facts(der: &[u8]) -> Option<CertFacts> {
    let cert = Certificate::from_der(der).ok()?;
    let tbs = &cert.tbs_certificate;
    let names = tbs
        .extensions
        .iter()
        .flatten()
        .filter(|ext| ext.extn_id == SubjectAltName::OID)
        .filter_map(|ext| SubjectAltName::from_der(ext.extn_value.as_bytes()).ok())
        .flat_map(|san| san.0.into_iter())
        .filter_map(|n| san_text(&n))
        .collect();
    Some(CertFacts {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        not_before: unix(&tbs.validity.not_before),
        not_after: unix(&tbs.validity.not_after),
        names,
    })
}

impl CertFacts {
    /// Whether the certificate is self-issued (subject equals issuer).
    pub fn self_issued(&self) -> bool {
        self.subject == self.issuer
    }
}
