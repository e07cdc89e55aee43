//! seclevel 2: client certificates and keys in every encoding (PKCS#8 plain and encrypted,
//! SEC1, PKCS#1) against a rustls server and an `openssl s_server` that require a client
//! certificate, and the refusals for missing, mismatched or locked keys.

mod common;

use common::*;
use qsslsim_at::Param;
use qsslsim_tls::{ContextTls, OpenRefusal, SslSettings, TlsPolicy};

fn level2(cert: &str, key: &[Param]) -> SslSettings {
    settings(&[
        ("seclevel", &[b("2")]),
        ("cacert", &[q("UFS:ca.pem")]),
        ("clientcert", &[q(cert)]),
        ("clientkey", key),
    ])
}

fn prepare(s: &SslSettings) -> Result<qsslsim_tls::Prepared, OpenRefusal> {
    ContextTls::new().prepare(s, &TestFiles::default(), module_time(), "localhost", &TlsPolicy::RUSTLS_ONLY)
}

#[tokio::test]
async fn every_key_encoding_authenticates() {
    let mut server =
        rustls_server(ServerOpts { client_auth: Some(true), ..ServerOpts::new("server-ecdsa") }).await;
    let cases: [(&str, Vec<Param>); 5] = [
        ("UFS:client.pem", vec![q("UFS:client-enc.key"), q("qsslsim")]),
        ("UFS:client.pem", vec![q("UFS:client.key")]),
        ("client.pem", vec![q("RAM:client-sec1.key")]),
        ("UFS:client-rsa.pem", vec![q("UFS:client-pkcs1.key")]),
        // A password given for a plain key is not an error.
        ("UFS:client-rsa.pem", vec![q("UFS:client-rsa.key"), q("unused")]),
    ];
    for (cert, key) in cases {
        let prepared = prepare(&level2(cert, &key)).unwrap();
        assert_eq!(prepared.warnings, Vec::<String>::new());
        let view = handshake(&prepared, server.addr, true).await;
        assert_eq!(view.map(|v| v.greeting), Ok(b"hello".to_vec()), "{cert} {key:?}");
        let seen = server.seen.recv().await.unwrap();
        assert_eq!(seen.client_cert_subject_len, Some(1), "{cert} {key:?}");
        assert_eq!(seen.error, None);
    }
}

#[tokio::test]
async fn without_a_client_certificate_the_server_refuses() {
    let mut server =
        rustls_server(ServerOpts { client_auth: Some(true), ..ServerOpts::new("server-ecdsa") }).await;
    // seclevel 1 never sends the client certificate, even when configured.
    let mut s = level2("UFS:client.pem", &[q("UFS:client.key")]);
    s.set("seclevel", &[b("1")]).unwrap();
    let result = handshake(&prepare(&s).unwrap(), server.addr, true).await;
    assert_eq!(
        result.map(|_| ()),
        Err("the server requires a client certificate (alert certificate_required received)".to_string())
    );
    let seen = server.seen.recv().await.unwrap();
    assert_eq!(seen.error, Some("the server presented no certificate".to_string()));

    // seclevel 2 with neither clientcert nor clientkey: a warning, then the same refusal.
    let s = settings(&[("seclevel", &[b("2")]), ("cacert", &[q("UFS:ca.pem")])]);
    let prepared = prepare(&s).unwrap();
    assert_eq!(
        prepared.warnings,
        vec!["seclevel 2 without clientcert/clientkey: no client certificate will be sent if the server asks for one"
            .to_string()]
    );
    assert_eq!(
        handshake(&prepared, server.addr, true).await.map(|_| ()),
        Err("the server requires a client certificate (alert certificate_required received)".to_string())
    );
}

#[tokio::test]
async fn optional_client_auth_and_no_request() {
    // The server asks but does not insist: seclevel 2 without a certificate still connects.
    let mut server =
        rustls_server(ServerOpts { client_auth: Some(false), ..ServerOpts::new("server-ecdsa") }).await;
    let s = settings(&[("seclevel", &[b("2")]), ("cacert", &[q("UFS:ca.pem")])]);
    assert_eq!(
        handshake(&prepare(&s).unwrap(), server.addr, true).await.map(|v| v.greeting),
        Ok(b"hello".to_vec())
    );
    assert_eq!(server.seen.recv().await.unwrap().client_cert_subject_len, None);

    // The server does not ask: nothing is sent although one is configured.
    let mut plain = rustls_server(ServerOpts::new("server-ecdsa")).await;
    let s = level2("UFS:client.pem", &[q("UFS:client.key")]);
    assert_eq!(
        handshake(&prepare(&s).unwrap(), plain.addr, true).await.map(|v| v.greeting),
        Ok(b"hello".to_vec())
    );
    assert_eq!(plain.seen.recv().await.unwrap().client_cert_subject_len, None);
}

#[tokio::test]
async fn openssl_server_requiring_a_client_certificate() {
    if !have_openssl("client auth") {
        return;
    }
    let ca = certs_dir().join("ca.pem");
    let server =
        OpensslServer::start("server-rsa", &["-Verify", "1", "-CAfile", ca.to_str().unwrap(), "-tls1_2"]);
    let s = level2("UFS:client.pem", &[q("UFS:client-enc.key"), q("qsslsim")]);
    assert_eq!(handshake(&prepare(&s).unwrap(), server.addr, false).await.map(|_| ()), Ok(()));
    let s = settings(&[("seclevel", &[b("1")]), ("cacert", &[q("UFS:ca.pem")])]);
    let err = handshake(&prepare(&s).unwrap(), server.addr, false).await.unwrap_err();
    assert_eq!(
        err,
        "the server refused the handshake: no cipher suite or TLS version in common, \
         or it requires a client certificate (alert handshake_failure received)"
    );
}

#[test]
fn key_problems_refuse_the_open() {
    let cases: [(SslSettings, &str); 7] = [
        (
            level2("UFS:client.pem", &[q("UFS:client-enc.key"), q("wrong")]),
            "client key UFS:client-enc.key: wrong key_pwd (the key does not decrypt)",
        ),
        (
            level2("UFS:client.pem", &[q("UFS:client-enc.key")]),
            "client key UFS:client-enc.key: the key is encrypted but no key_pwd is configured",
        ),
        (
            level2("UFS:client.pem", &[q("UFS:server-ecdsa.key")]),
            "client key UFS:server-ecdsa.key does not match client certificate UFS:client.pem",
        ),
        (level2("UFS:client.pem", &[q("UFS:missing.key")]), "client key file UFS:missing.key not found"),
        (
            level2("UFS:missing.pem", &[q("UFS:client.key")]),
            "client certificate file UFS:missing.pem not found",
        ),
        (
            level2("UFS:client.pem", &[q("UFS:ca.pem")]),
            "client key UFS:ca.pem: no usable private key in the PEM file (no items found)",
        ),
        (
            settings(&[
                ("seclevel", &[b("2")]),
                ("cacert", &[q("UFS:ca.pem")]),
                ("clientcert", &[q("UFS:client.pem")]),
            ]),
            "clientcert is set but clientkey is not (seclevel 2)",
        ),
    ];
    for (s, reason) in cases {
        assert_eq!(prepare(&s).unwrap_err(), OpenRefusal::Failed(reason.to_string()));
    }
    let s = settings(&[
        ("seclevel", &[b("2")]),
        ("cacert", &[q("UFS:ca.pem")]),
        ("clientkey", &[q("UFS:client.key")]),
    ]);
    assert_eq!(
        prepare(&s).unwrap_err(),
        OpenRefusal::Failed("clientkey is set but clientcert is not (seclevel 2)".to_string())
    );
}

#[tokio::test]
async fn sessions_with_a_client_certificate_resume() {
    let server =
        rustls_server(ServerOpts { client_auth: Some(true), ..ServerOpts::new("server-ecdsa") }).await;
    let mut s = level2("UFS:client.pem", &[q("UFS:client-enc.key"), q("qsslsim")]);
    s.set("session_cache", &[b("1")]).unwrap();
    let mut ctx = ContextTls::new();
    let mut kinds = Vec::new();
    for _ in 0..3 {
        let prepared = ctx
            .prepare(&s, &TestFiles::default(), module_time(), "localhost", &TlsPolicy::RUSTLS_ONLY)
            .unwrap();
        kinds.push(handshake(&prepared, server.addr, true).await.unwrap().kind);
    }
    use rustls::HandshakeKind::{Full, Resumed};
    assert_eq!(kinds, vec![Some(Full), Some(Resumed), Some(Resumed)]);
}
