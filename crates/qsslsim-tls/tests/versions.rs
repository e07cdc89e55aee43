//! Protocol versions and cipher suites against `openssl s_server` on 127.0.0.1: TLS 1.2 only
//! unless TLS 1.3 is allowed, legacy versions and suites degraded with a warning (compat) or
//! refused (strict), `<cs_id>` restricting rustls's suites, and the causes reported when the
//! server refuses.

mod common;

use common::*;
use qsslsim_at::Param;
use qsslsim_tls::{ContextTls, OpenRefusal, SslSettings, TlsPolicy};
use rustls::{CipherSuite, ProtocolVersion};

const COMPAT: TlsPolicy = TlsPolicy { allow_tls13: false, strict: false, legacy: false };
const TLS13: TlsPolicy = TlsPolicy { allow_tls13: true, strict: false, legacy: false };
const STRICT: TlsPolicy = TlsPolicy { allow_tls13: false, strict: true, legacy: false };

fn with(writes: &[(&str, &[Param])]) -> SslSettings {
    settings(writes)
}

async fn negotiated(
    server: &OpensslServer,
    s: &SslSettings,
    policy: &TlsPolicy,
) -> Result<(ProtocolVersion, CipherSuite), String> {
    open(s, module_time(), "localhost", server.addr, policy)
        .await
        .map(|v| (v.version.unwrap(), v.suite.unwrap()))
}

#[tokio::test]
async fn tls12_by_default_and_tls13_only_on_request() {
    if !have_openssl("versions") {
        return;
    }
    let server = OpensslServer::start("server-ecdsa", &[]);
    let default = SslSettings::default();
    assert_eq!(
        negotiated(&server, &default, &COMPAT).await,
        Ok((ProtocolVersion::TLSv1_2, CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384))
    );
    assert_eq!(
        negotiated(&server, &default, &TLS13).await,
        Ok((ProtocolVersion::TLSv1_3, CipherSuite::TLS13_AES_256_GCM_SHA384))
    );
    // sslversion 3 pins TLS 1.2 even when 1.3 is allowed.
    let tls12 = with(&[("sslversion", &[b("3")])]);
    assert_eq!(negotiated(&server, &tls12, &TLS13).await.map(|v| v.0), Ok(ProtocolVersion::TLSv1_2));

    let tls13_only = OpensslServer::start("server-ecdsa", &["-tls1_3"]);
    let refused = "the server does not accept the offered TLS version(s) (alert protocol_version received)";
    assert_eq!(negotiated(&tls13_only, &default, &COMPAT).await, Err(refused.to_string()));
    assert_eq!(negotiated(&tls13_only, &default, &TLS13).await.map(|v| v.0), Ok(ProtocolVersion::TLSv1_3));

    let tls11_only = OpensslServer::start("server-rsa", &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    assert_eq!(negotiated(&tls11_only, &default, &COMPAT).await, Err(refused.to_string()));
}

#[tokio::test]
async fn legacy_versions_warn_in_compat_and_fail_in_strict() {
    if !have_openssl("legacy versions") {
        return;
    }
    let server = OpensslServer::start("server-rsa", &["-tls1_2"]);
    for (v, name) in [("0", "SSL 3.0"), ("1", "TLS 1.0"), ("2", "TLS 1.1")] {
        let s = with(&[("sslversion", &[b(v)])]);
        let prepared = ContextTls::new()
            .prepare(&s, &TestFiles::default(), module_time(), "localhost", &COMPAT)
            .unwrap();
        assert_eq!(
            prepared.warnings,
            vec![format!(
                "sslversion {v} ({name}) is not available in rustls; connecting with TLS 1.2 instead"
            )]
        );
        let view = handshake(&prepared, server.addr, false).await.unwrap();
        assert_eq!(view.version, Some(ProtocolVersion::TLSv1_2));
        assert_eq!(
            ContextTls::new()
                .prepare(&s, &TestFiles::default(), module_time(), "localhost", &STRICT)
                .unwrap_err(),
            OpenRefusal::Failed(format!(
                "sslversion {v} ({name}) is not available in rustls \
                 (strict TLS: the open fails as against a server that refuses it)"
            ))
        );
    }
}

#[tokio::test]
async fn cipher_suite_restricts_and_legacy_suites_degrade() {
    if !have_openssl("suites") {
        return;
    }
    let rsa = OpensslServer::start("server-rsa", &[]);
    let c02f = with(&[("ciphersuite", &[b("0XC02F")])]);
    assert_eq!(
        negotiated(&rsa, &c02f, &COMPAT).await,
        Ok((ProtocolVersion::TLSv1_2, CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256))
    );
    assert_eq!(
        negotiated(&rsa, &SslSettings::default(), &COMPAT).await,
        Ok((ProtocolVersion::TLSv1_2, CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384))
    );

    // The server only has another suite; the same with an ECDSA certificate.
    let refused = "the server refused the handshake: no cipher suite or TLS version in common, \
                   or it requires a client certificate (alert handshake_failure received)";
    let other_suite =
        OpensslServer::start("server-rsa", &["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"]);
    assert_eq!(negotiated(&other_suite, &c02f, &COMPAT).await, Err(refused.to_string()));
    let ecdsa = OpensslServer::start("server-ecdsa", &[]);
    assert_eq!(negotiated(&ecdsa, &c02f, &COMPAT).await, Err(refused.to_string()));

    // A CBC suite: compat connects with rustls's suites and says so; strict refuses.
    let cbc = with(&[("ciphersuite", &[b("0x0035")])]);
    let prepared =
        ContextTls::new().prepare(&cbc, &TestFiles::default(), module_time(), "localhost", &COMPAT).unwrap();
    assert_eq!(
        prepared.warnings,
        vec!["ciphersuite 0X0035 (TLS_RSA_WITH_AES_256_CBC_SHA) is not available in rustls \
              (static RSA key exchange, CBC mode); offering rustls's TLS 1.2 AEAD suites instead"
            .to_string()]
    );
    assert_eq!(handshake(&prepared, rsa.addr, false).await.unwrap().version, Some(ProtocolVersion::TLSv1_2));
    assert_eq!(
        ContextTls::new().prepare(&cbc, &TestFiles::default(), module_time(), "localhost", &STRICT).unwrap_err(),
        OpenRefusal::Failed(
            "ciphersuite 0X0035 (TLS_RSA_WITH_AES_256_CBC_SHA) is not available in rustls \
             (static RSA key exchange, CBC mode) (strict TLS: the open fails as against a server that refuses it)"
                .into()
        )
    );
    let rc4 = with(&[("ciphersuite", &[b("0XC011")])]);
    assert_eq!(
        ContextTls::new()
            .prepare(&rc4, &TestFiles::default(), module_time(), "localhost", &COMPAT)
            .unwrap()
            .warnings,
        vec!["ciphersuite 0XC011 (TLS_ECDHE_RSA_WITH_RC4_128_SHA) is not available in rustls (RC4); \
              offering rustls's TLS 1.2 AEAD suites instead"
            .to_string()]
    );
}

#[tokio::test]
async fn renegotiation_warns_in_compat_and_fails_in_strict() {
    let s = with(&[("renegotiation", &[b("1")])]);
    let prepared =
        ContextTls::new().prepare(&s, &TestFiles::default(), module_time(), "localhost", &COMPAT).unwrap();
    assert_eq!(
        prepared.warnings,
        vec!["renegotiation=1: rustls never renegotiates; a server's renegotiation request will be declined"
            .to_string()]
    );
    assert_eq!(
        ContextTls::new().prepare(&s, &TestFiles::default(), module_time(), "localhost", &STRICT).unwrap_err(),
        OpenRefusal::Failed(
            "renegotiation=1: rustls never renegotiates (strict TLS: the open fails as against a server that refuses it)"
                .into()
        )
    );
    // Defaults raise no warning at all.
    let prepared = ContextTls::new()
        .prepare(&SslSettings::default(), &TestFiles::default(), module_time(), "localhost", &STRICT)
        .unwrap();
    assert!(prepared.warnings.is_empty());
}
