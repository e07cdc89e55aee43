//! SNI, ALPN, session resumption, server names, timeouts and the opens refused before any
//! byte is sent (DTLS, PSK, CA files), against a rustls server on 127.0.0.1 that reports what
//! it saw.

mod common;

use common::*;
use qsslsim_at::Param;
use qsslsim_tls::{ContextTls, OpenRefusal, SslSettings, TlsPolicy};
use rustls::pki_types::{IpAddr as PkiIp, ServerName};
use rustls::HandshakeKind;

fn prepare(s: &SslSettings, server: &str) -> Result<qsslsim_tls::Prepared, OpenRefusal> {
    ContextTls::new().prepare(s, &TestFiles::default(), module_time(), server, &TlsPolicy::RUSTLS_ONLY)
}

#[tokio::test]
async fn sni_is_sent_only_when_enabled_and_only_for_host_names() {
    let mut server = rustls_server(ServerOpts::new("server-ecdsa")).await;
    let cases: [(&str, &str, Option<&str>); 4] = [
        ("1", "qsslsim.test", Some("qsslsim.test")),
        ("0", "qsslsim.test", None),
        ("1", "127.0.0.1", None),
        ("1", "peer.qsslsim.test", Some("peer.qsslsim.test")),
    ];
    for (sni, host, expected) in cases {
        let s = settings(&[("sni", &[b(sni)]), ("seclevel", &[b("1")]), ("cacert", &[q("UFS:ca.pem")])]);
        let view = handshake(&prepare(&s, host).unwrap(), server.addr, true).await.unwrap();
        assert_eq!(view.greeting, b"hello");
        assert_eq!(server.seen.recv().await.unwrap().sni.as_deref(), expected, "sni={sni} host={host}");
    }
}

#[tokio::test]
async fn alpn_is_offered_when_configured() {
    let mut server = rustls_server(ServerOpts {
        alpn: vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        ..ServerOpts::new("server-ecdsa")
    })
    .await;
    let s = settings(&[("alpn", &[q("http/1.1")])]);
    let view = handshake(&prepare(&s, "localhost").unwrap(), server.addr, true).await.unwrap();
    assert_eq!(view.alpn, Some(b"http/1.1".to_vec()));
    assert_eq!(server.seen.recv().await.unwrap().alpn, Some(b"http/1.1".to_vec()));

    let view =
        handshake(&prepare(&SslSettings::default(), "localhost").unwrap(), server.addr, true).await.unwrap();
    assert_eq!(view.alpn, None);
    assert_eq!(server.seen.recv().await.unwrap().alpn, None);

    let only_h2 =
        rustls_server(ServerOpts { alpn: vec![b"h2".to_vec()], ..ServerOpts::new("server-ecdsa") }).await;
    assert_eq!(
        handshake(&prepare(&s, "localhost").unwrap(), only_h2.addr, true).await.map(|_| ()),
        Err(
            "the server supports none of the offered ALPN protocols (alert no_application_protocol received)"
                .into()
        )
    );
}

async fn two_opens(
    ctx: &mut ContextTls,
    s: &SslSettings,
    policy: &TlsPolicy,
    server: &RustlsServer,
) -> [Option<HandshakeKind>; 2] {
    let mut kinds = [None, None];
    for kind in &mut kinds {
        let prepared = ctx.prepare(s, &TestFiles::default(), module_time(), "localhost", policy).unwrap();
        *kind = handshake(&prepared, server.addr, true).await.unwrap().kind;
    }
    kinds
}

#[tokio::test]
async fn session_cache_resumes_across_opens_of_one_context() {
    let server = rustls_server(ServerOpts { tls13: true, ..ServerOpts::new("server-ecdsa") }).await;
    let on = settings(&[("session_cache", &[b("1")])]);
    let off = SslSettings::default();
    let tls12 = TlsPolicy::RUSTLS_ONLY;
    let tls13 = TlsPolicy { allow_tls13: true, strict: false, legacy: false };

    let mut ctx = ContextTls::new();
    assert_eq!(
        two_opens(&mut ctx, &on, &tls12, &server).await,
        [Some(HandshakeKind::Full), Some(HandshakeKind::Resumed)]
    );
    assert_eq!(
        two_opens(&mut ContextTls::new(), &off, &tls12, &server).await,
        [Some(HandshakeKind::Full); 2]
    );
    assert_eq!(
        two_opens(&mut ContextTls::new(), &on, &tls13, &server).await,
        [Some(HandshakeKind::Full), Some(HandshakeKind::Resumed)]
    );

    // Another context does not share sessions; changing the security settings forgets them.
    let mut other = ContextTls::new();
    let prepared = other.prepare(&on, &TestFiles::default(), module_time(), "localhost", &tls12).unwrap();
    assert_eq!(handshake(&prepared, server.addr, true).await.unwrap().kind, Some(HandshakeKind::Full));
    let mut verified = on.clone();
    verified.set("seclevel", &[b("1")]).unwrap();
    verified.set("cacert", &[q("UFS:ca.pem")]).unwrap();
    assert_eq!(
        two_opens(&mut ctx, &verified, &tls12, &server).await,
        [Some(HandshakeKind::Full), Some(HandshakeKind::Resumed)]
    );
    ctx.clear_sessions();
    assert_eq!(
        two_opens(&mut ctx, &verified, &tls12, &server).await,
        [Some(HandshakeKind::Full), Some(HandshakeKind::Resumed)]
    );
}

#[tokio::test]
async fn tolerating_the_issuer_still_checks_the_dates() {
    // An expired self-signed certificate made on the spot.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let server = rustls_server_with(config).await;
    let base: [(&str, &[Param]); 3] =
        [("seclevel", &[b("1")]), ("cacert", &[q("UFS:ca.pem")]), ("ignorelocaltime", &[b("0")])];
    let mut s = settings(&base);
    s.set("ignorecertitem", &[b("8")]).unwrap();
    assert_eq!(
        handshake(&prepare(&s, "localhost").unwrap(), server.addr, true).await.map(|_| ()),
        Err("certificate expired: notAfter 2021-01-01T00:00:00Z is before module time 2026-08-07T13:54:02Z"
            .into())
    );
    s.set("ignorecertitem", &[b("9")]).unwrap();
    assert_eq!(
        handshake(&prepare(&s, "localhost").unwrap(), server.addr, true).await.map(|v| v.greeting),
        Ok(b"hello".to_vec())
    );
    // ignorelocaltime 1 (the factory default) with bit 8 is enough too.
    s.set("ignorecertitem", &[b("8")]).unwrap();
    s.set("ignorelocaltime", &[b("1")]).unwrap();
    assert_eq!(handshake(&prepare(&s, "localhost").unwrap(), server.addr, true).await.map(|_| ()), Ok(()));
}

#[tokio::test]
async fn ip_literals_and_the_documentation_address_verify_against_ip_names() {
    let server = rustls_server(ServerOpts::new("server-rsa")).await;
    let s = settings(&[("seclevel", &[b("1")]), ("cacert", &[q("UFS:ca.pem")])]);
    for host in
        ["127.0.0.1", "192.0.2.2", "::1", "[::1]", "localhost", "qsslsim.test", "anything.qsslsim.test"]
    {
        let result = handshake(&prepare(&s, host).unwrap(), server.addr, true).await;
        assert_eq!(result.map(|v| v.greeting), Ok(b"hello".to_vec()), "{host}");
    }
    assert_eq!(
        handshake(&prepare(&s, "192.0.2.3").unwrap(), server.addr, true).await.map(|_| ()),
        Err("name mismatch: expected \"192.0.2.3\", certificate is for [DNS:localhost, DNS:qsslsim.test, \
             DNS:peer.qsslsim.test, DNS:*.qsslsim.test, IP:127.0.0.1, IP:::1, IP:192.0.2.2]"
            .into())
    );
}

#[test]
fn prepared_fields_follow_the_settings() {
    let s = settings(&[("negotiatetime", &[b("10")]), ("sni", &[b("1")]), ("alpn", &[q("mqtt")])]);
    let p = prepare(&s, "192.0.2.2").unwrap();
    assert_eq!(p.handshake_timeout, std::time::Duration::from_secs(10));
    assert_eq!(p.server_name, ServerName::IpAddress(PkiIp::from(std::net::IpAddr::from([192, 0, 2, 2]))));
    assert!(p.config.sends_sni());
    assert_eq!(p.config.alpn_protocols(), vec![b"mqtt".to_vec()]);
    let p = prepare(&SslSettings::default(), "Peer.QSSLSIM.test").unwrap();
    assert_eq!(p.handshake_timeout, std::time::Duration::from_secs(300));
    assert_eq!(p.server_name, ServerName::try_from("Peer.QSSLSIM.test").unwrap());
    assert!(!p.config.sends_sni());
    assert!(p.config.alpn_protocols().is_empty());
}

#[test]
fn opens_refused_before_connecting() {
    let strict = TlsPolicy { allow_tls13: false, strict: true, legacy: false };
    let files = TestFiles::default()
        .with("UFS:junk.pem", b"hello".to_vec())
        .with("UFS:junk.der", vec![0x30, 0x03, 0x02, 0x01, 0x00]);
    let cases: [(SslSettings, TlsPolicy, OpenRefusal); 9] = [
        (
            settings(&[("dtls", &[b("1")])]),
            TlsPolicy::RUSTLS_ONLY,
            OpenRefusal::NotSupported(
                "dtls=1: DTLS is not available (the emulator speaks TLS over TCP only)".into(),
            ),
        ),
        (
            settings(&[("psk", &[q("id"), q("secret")])]),
            TlsPolicy::RUSTLS_ONLY,
            OpenRefusal::NotSupported(
                "psk is configured: TLS-PSK is not available (rustls has no pre-shared-key suites)".into(),
            ),
        ),
        (
            settings(&[
                ("psk", &[q("id"), q("secret")]),
                ("seclevel", &[b("1")]),
                ("cacert", &[q("ca.pem")]),
            ]),
            strict,
            OpenRefusal::NotSupported(
                "psk is configured: TLS-PSK is not available (rustls has no pre-shared-key suites)".into(),
            ),
        ),
        (
            settings(&[("seclevel", &[b("1")])]),
            TlsPolicy::RUSTLS_ONLY,
            OpenRefusal::Failed(
                "no CA file configured for seclevel 1 (set \"cacert\" or \"cacertex\")".into(),
            ),
        ),
        (
            settings(&[("seclevel", &[b("2")])]),
            TlsPolicy::RUSTLS_ONLY,
            OpenRefusal::Failed(
                "no CA file configured for seclevel 2 (set \"cacert\" or \"cacertex\")".into(),
            ),
        ),
        (
            settings(&[("seclevel", &[b("1")]), ("cacert", &[q("UFS:x.pem")])]),
            TlsPolicy::RUSTLS_ONLY,
            OpenRefusal::Failed("CA file UFS:x.pem not found".into()),
        ),
        (
            settings(&[
                ("seclevel", &[b("1")]),
                ("cacert", &[q("UFS:ca.pem")]),
                ("cacertex", &[b("2"), q("RAM:y.pem")]),
            ]),
            TlsPolicy::RUSTLS_ONLY,
            OpenRefusal::Failed("CA file RAM:y.pem not found".into()),
        ),
        (
            settings(&[("seclevel", &[b("1")]), ("cacert", &[q("UFS:junk.pem")])]),
            TlsPolicy::RUSTLS_ONLY,
            OpenRefusal::Failed("CA file UFS:junk.pem contains no certificate".into()),
        ),
        (
            settings(&[("seclevel", &[b("1")]), ("cacert", &[q("UFS:junk.der")])]),
            TlsPolicy::RUSTLS_ONLY,
            OpenRefusal::Failed(
                "CA file UFS:junk.der: certificate #1 cannot be used as a trust anchor (BadDer)".into(),
            ),
        ),
    ];
    for (s, policy, expected) in cases {
        let got = ContextTls::new().prepare(&s, &files, module_time(), "localhost", &policy).unwrap_err();
        assert_eq!(got, expected);
    }
    assert_eq!(OpenRefusal::NotSupported(String::new()).module_error(), 555);
    assert_eq!(OpenRefusal::Failed(String::new()).module_error(), 566);

    // PSK next to a certificate setup: compat goes on with a warning.
    let s =
        settings(&[("psk", &[q("id"), q("secret")]), ("seclevel", &[b("1")]), ("cacert", &[q("ca.pem")])]);
    let p =
        ContextTls::new().prepare(&s, &files, module_time(), "localhost", &TlsPolicy::RUSTLS_ONLY).unwrap();
    assert_eq!(
        p.warnings,
        vec!["psk is configured but TLS-PSK is not available; the handshake uses certificates only"
            .to_string()]
    );
    // A host name rustls cannot represent.
    assert_eq!(
        prepare(&SslSettings::default(), "bad host").unwrap_err(),
        OpenRefusal::Failed("server address \"bad host\" is not a valid host name: invalid dns name".into())
    );
}
