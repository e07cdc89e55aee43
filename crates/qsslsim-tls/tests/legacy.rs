//! The second TLS engine (feature `legacy-tls`): which contexts go to OpenSSL, what their
//! ClientHello offers, and handshakes against `openssl s_server` on 127.0.0.1 restricted to
//! TLS 1.0 / TLS 1.1 / single CBC and static-RSA suites. Certificates are judged by the same
//! verifier as on the rustls path, so the causes are the same words.
#![cfg(feature = "legacy-tls")]

mod common;

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use common::*;
use qsslsim_at::Param;
use qsslsim_tls::{rustls_can_honour, ContextTls, OpenRefusal, Prepared, SslSettings, TlsClient, TlsPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LEGACY: TlsPolicy = TlsPolicy { allow_tls13: false, strict: false, legacy: true };
const LEGACY_STRICT: TlsPolicy = TlsPolicy { allow_tls13: false, strict: true, legacy: true };

/// Example 3.2 of the maker's note: TLS 1.0 and TLS_RSA_WITH_AES_256_CBC_SHA.
fn example_3_2() -> SslSettings {
    settings(&[("sslversion", &[b("1")]), ("ciphersuite", &[b("0X0035")])])
}

fn with(writes: &[(&str, &[Param])]) -> SslSettings {
    settings(writes)
}

fn prepare(s: &SslSettings, policy: &TlsPolicy) -> Result<Prepared, OpenRefusal> {
    ContextTls::new().prepare(s, &TestFiles::default(), module_time(), "localhost", policy)
}

/// What the client saw of a finished OpenSSL handshake.
#[derive(Debug)]
struct View {
    version: String,
    cipher: String,
    reused: bool,
    /// What the server sent back to `GET /` (`-www` pages describe the connection).
    page: String,
}

/// Handshakes with `addr` on the second engine, as the daemon does, then sends `GET /` and
/// reads the answer until the server closes (or `wait` passes).
async fn legacy_open(prepared: &Prepared, addr: SocketAddr, wait: Duration) -> Result<View, String> {
    let TlsClient::Legacy(spec) = &prepared.config else {
        return Err(format!("not the second engine: {:?}", prepared.config));
    };
    let ssl = spec.ssl()?;
    let tcp = TcpStream::connect(addr).await.map_err(|e| format!("tcp: {e}"))?;
    let mut tls = tokio_openssl::SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
    match tokio::time::timeout(prepared.handshake_timeout, Pin::new(&mut tls).connect()).await {
        Err(_) => return Err("handshake timed out".into()),
        Ok(Err(e)) => return Err(spec.describe_failure(tls.ssl(), &e)),
        Ok(Ok(())) => {}
    }
    let ssl = tls.ssl();
    let mut view = View {
        version: ssl.version_str().to_string(),
        cipher: ssl.current_cipher().map(|c| c.name().to_string()).unwrap_or_default(),
        reused: ssl.session_reused(),
        page: String::new(),
    };
    let _ = tls.write_all(b"GET / HTTP/1.0\r\n\r\n").await;
    let mut page = Vec::new();
    let _ = tokio::time::timeout(wait, tls.read_to_end(&mut page)).await;
    view.page = String::from_utf8_lossy(&page).into_owned();
    let _ = tls.shutdown().await;
    Ok(view)
}

async fn open_www(prepared: &Prepared, server: &OpensslServer) -> Result<View, String> {
    legacy_open(prepared, server.addr, Duration::from_secs(5)).await
}

/// `openssl s_server -www` on the RSA certificate with `extra` restrictions.
fn www(extra: &[&str]) -> OpensslServer {
    let mut args = vec!["-www"];
    args.extend_from_slice(extra);
    OpensslServer::start("server-rsa", &args)
}

#[test]
fn only_c02f_with_tls12_and_no_renegotiation_stays_on_rustls() {
    let c02f = [("ciphersuite", &[b("0XC02F")] as &[Param])];
    for (writes, rustls) in [
        (vec![], false),
        (vec![("sslversion", &[b("3")] as &[Param])], false),
        (c02f.to_vec(), true),
        (vec![c02f[0], ("sslversion", &[b("3")])], true),
        (vec![c02f[0], ("renegotiation", &[b("1")])], false),
        (vec![("sslversion", &[b("1")]), ("ciphersuite", &[b("0X0035")])], false),
    ] {
        let s = with(&writes);
        assert_eq!(rustls_can_honour(&s), rustls, "{writes:?}");
        let p = prepare(&s, &LEGACY).unwrap();
        assert_eq!(p.config.engine(), if rustls { "rustls" } else { "openssl" }, "{writes:?}");
        // The legacy switch off: rustls whatever the settings (compat as before).
        let p = prepare(&s, &TlsPolicy::RUSTLS_ONLY).unwrap();
        assert_eq!(p.config.engine(), "rustls", "{writes:?}");
    }
    assert!(TlsPolicy::default().legacy, "the feature turns the second engine on by default");
}

#[test]
fn example_3_2_offers_exactly_tls10_and_aes256_sha() {
    let p = prepare(&example_3_2(), &LEGACY).unwrap();
    let TlsClient::Legacy(spec) = &p.config else { panic!("{:?}", p.config) };
    assert_eq!(spec.offer(), "TLS 1.0, AES256-SHA");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    // Strict changes nothing: the second engine honours the context.
    assert!(prepare(&example_3_2(), &LEGACY_STRICT).is_ok());
    // 0XFFFF with "all versions": TLS 1.0 to 1.2, the table's suites OpenSSL has, AEAD first.
    let p = prepare(&SslSettings::default(), &LEGACY).unwrap();
    let TlsClient::Legacy(spec) = &p.config else { panic!("{:?}", p.config) };
    let (versions, suites) = spec.offer().split_once(", ").unwrap();
    assert_eq!(versions, "TLS 1.0 to TLS 1.2");
    let suites: Vec<&str> = suites.split(':').collect();
    assert_eq!(suites.first(), Some(&"ECDHE-RSA-AES128-GCM-SHA256"), "{suites:?}");
    for name in
        ["AES256-SHA", "AES128-SHA", "AES256-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES256-SHA384"]
    {
        assert!(suites.contains(&name), "{name} missing from {suites:?}");
    }
    // Nothing outside the module's table.
    let table: Vec<&str> = qsslsim_tls::suites::SUITES.iter().map(|s| s.openssl).collect();
    assert!(suites.iter().all(|s| table.contains(s)), "{suites:?}");
    // --tls13 with "all versions" reaches up to TLS 1.3.
    let tls13 = TlsPolicy { allow_tls13: true, ..LEGACY };
    let p = prepare(&SslSettings::default(), &tls13).unwrap();
    let TlsClient::Legacy(spec) = &p.config else { panic!("{:?}", p.config) };
    assert!(spec.offer().starts_with("TLS 1.0 to TLS 1.3, "), "{}", spec.offer());
}

#[test]
fn what_no_engine_has_fails_before_connecting() {
    // Every suite the table names and this OpenSSL lacks (RC4, 3DES, static ECDH on
    // Debian's OpenSSL 3) refuses the open, in compat and strict alike.
    let missing: Vec<_> =
        qsslsim_tls::suites::SUITES.iter().filter(|s| !qsslsim_tls::legacy::suite_available(s)).collect();
    for spec in &missing {
        let s = with(&[("ciphersuite", &[b(&qsslsim_tls::suites::format_id(spec.id))])]);
        for policy in [LEGACY, LEGACY_STRICT] {
            match prepare(&s, &policy) {
                Err(OpenRefusal::Failed(why)) => {
                    assert!(
                        why.contains(spec.name) && why.contains("available neither in rustls nor"),
                        "{why}"
                    )
                }
                other => panic!("{}: {other:?}", spec.name),
            }
        }
    }
    // Static ECDH left OpenSSL in 1.1.0: at least those are missing everywhere.
    assert!(missing.iter().any(|s| s.id == 0xC004), "{missing:?}");
    // 0XFFFF names what it leaves out in a warning.
    let p = prepare(&SslSettings::default(), &LEGACY).unwrap();
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert!(p.warnings[0]
        .starts_with(&format!("ciphersuite 0XFFFF: {} of the module's 31 suites", missing.len())));
    assert!(p.warnings[0].contains("0XC004"), "{}", p.warnings[0]);

    // SSL 3.0: OpenSSL 3 is built without it; the open fails before any connection.
    let ssl3 = with(&[("sslversion", &[b("0")])]);
    match prepare(&ssl3, &LEGACY) {
        Err(OpenRefusal::Failed(why)) => {
            assert!(why.starts_with("sslversion 0 (SSL 3.0): "), "{why}");
            assert!(why.contains("no protocols available"), "{why}");
        }
        Ok(p) => eprintln!("this OpenSSL still has SSL 3.0: {:?}", p.config),
        other => panic!("{other:?}"),
    }
    // Versions and suite that exclude each other: 0XC02F exists only in TLS 1.2.
    let s = with(&[("sslversion", &[b("1")]), ("ciphersuite", &[b("0XC02F")])]);
    match prepare(&s, &LEGACY) {
        Err(OpenRefusal::Failed(why)) => assert!(why.contains("no ciphers available"), "{why}"),
        other => panic!("{other:?}"),
    }
    // PSK and DTLS stay refused with 555.
    let s = with(&[("dtls", &[b("1")]), ("sslversion", &[b("1")])]);
    assert!(matches!(prepare(&s, &LEGACY), Err(OpenRefusal::NotSupported(_))));
}

#[tokio::test]
async fn example_3_2_reaches_a_tls10_aes256_sha_server() {
    if !have_openssl("example_3_2_reaches_a_tls10_aes256_sha_server") {
        return;
    }
    let server = www(&["-tls1", "-cipher", "AES256-SHA:@SECLEVEL=0"]);
    let p = prepare(&example_3_2(), &LEGACY).unwrap();
    let view = open_www(&p, &server).await.unwrap();
    assert_eq!((view.version.as_str(), view.cipher.as_str()), ("TLSv1", "AES256-SHA"));
    // As the server saw it.
    assert!(view.page.contains("Protocol  : TLSv1\n"), "{}", view.page);
    assert!(view.page.contains("Cipher    : AES256-SHA\n"), "{}", view.page);
}

#[tokio::test]
async fn tls11_and_static_rsa_suites_are_honoured() {
    if !have_openssl("tls11_and_static_rsa_suites_are_honoured") {
        return;
    }
    let cases = [
        ("2", "0X002F", "-tls1_1", "AES128-SHA", "TLSv1.1"),
        ("3", "0X003D", "-tls1_2", "AES256-SHA256", "TLSv1.2"),
        ("3", "0X0035", "-tls1_2", "AES256-SHA", "TLSv1.2"),
        ("1", "0XC014", "-tls1", "ECDHE-RSA-AES256-SHA", "TLSv1"),
    ];
    for (version, suite, flag, name, protocol) in cases {
        let server = www(&[flag, "-cipher", &format!("{name}:@SECLEVEL=0")]);
        let s = with(&[("sslversion", &[b(version)]), ("ciphersuite", &[b(suite)])]);
        let view = open_www(&prepare(&s, &LEGACY).unwrap(), &server).await.unwrap();
        assert_eq!((view.version.as_str(), view.cipher.as_str()), (protocol, name), "{suite}");
    }
}

#[tokio::test]
async fn example_3_2_fails_against_a_modern_server() {
    if !have_openssl("example_3_2_fails_against_a_modern_server") {
        return;
    }
    // TLS 1.2 and 1.3 with AEAD suites only (OpenSSL's defaults on Debian).
    let tls12 = www(&["-tls1_2"]);
    let p = prepare(&example_3_2(), &LEGACY).unwrap();
    let err = open_www(&p, &tls12).await.unwrap_err();
    assert_eq!(
        err,
        "the server does not accept the offered TLS version(s) (alert protocol_version received)"
    );
    // Debian's defaults (TLS 1.2 at security level 2): the server gives up on its side.
    let modern = www(&[]);
    let err = open_www(&p, &modern).await.unwrap_err();
    assert!(err.starts_with("the server"), "{err}");
    // TLS 1.2 server without the suite.
    let aead = www(&["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]);
    let s = with(&[("sslversion", &[b("3")]), ("ciphersuite", &[b("0X0035")])]);
    let err = open_www(&prepare(&s, &LEGACY).unwrap(), &aead).await.unwrap_err();
    assert!(err.contains("alert handshake_failure received"), "{err}");
}

#[tokio::test]
async fn all_versions_and_all_suites_reach_a_tls10_only_server() {
    if !have_openssl("all_versions_and_all_suites_reach_a_tls10_only_server") {
        return;
    }
    let tls10 = www(&["-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    let p = prepare(&SslSettings::default(), &LEGACY).unwrap();
    let view = open_www(&p, &tls10).await.unwrap();
    assert_eq!(view.version, "TLSv1");
    // The same context picks TLS 1.2 against a modern server, and an ECDSA one too.
    let modern = www(&[]);
    assert_eq!(open_www(&p, &modern).await.unwrap().version, "TLSv1.2");
    let ecdsa = OpensslServer::start("server-ecdsa", &["-www"]);
    let view = legacy_open(&p, ecdsa.addr, Duration::from_secs(5)).await.unwrap();
    assert_eq!(view.version, "TLSv1.2");
    assert!(view.cipher.starts_with("ECDHE-ECDSA-"), "{}", view.cipher);
}

#[tokio::test]
async fn certificates_are_judged_as_on_the_rustls_path() {
    if !have_openssl("certificates_are_judged_as_on_the_rustls_path") {
        return;
    }
    let verifying = |ignorecertitem: u32| SslSettings {
        sslversion: 1,
        seclevel: 1,
        ignorelocaltime: false,
        ignorecertitem,
        cacert: Some("UFS:ca.pem".into()),
        ..SslSettings::default()
    };
    let tls10 = |cert: &str| OpensslServer::start(cert, &["-www", "-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    let cases: [(&str, &str, u32, Result<(), &str>); 6] = [
        ("server-ecdsa", "localhost", 0, Ok(())),
        ("server-rsa", "127.0.0.1", 0, Ok(())),
        (
            "expired",
            "localhost",
            0,
            Err("certificate expired: notAfter 2020-01-01T00:00:00Z is before module time 2026-08-07T13:54:02Z"),
        ),
        ("expired", "localhost", 1, Ok(())),
        (
            "wronghost",
            "localhost",
            0,
            Err("name mismatch: expected \"localhost\", certificate is for [DNS:wrong.qsslsim.test]"),
        ),
        ("selfsigned", "localhost", 0, Err("unknown issuer: self-signed certificate")),
    ];
    for (cert, host, ignore, want) in cases {
        let server = tls10(cert);
        let s = verifying(ignore);
        let p = ContextTls::new().prepare(&s, &TestFiles::default(), module_time(), host, &LEGACY).unwrap();
        assert_eq!(p.config.engine(), "openssl");
        let got = legacy_open(&p, server.addr, Duration::from_secs(5)).await.map(|v| v.version);
        match want {
            Ok(()) => assert_eq!(got, Ok("TLSv1".to_string()), "{cert}"),
            Err(cause) => {
                let err = got.unwrap_err();
                assert!(err.starts_with(cause), "{cert}: {err}");
                // The same words as rustls (TLS 1.2 server, rustls-only context).
                let modern = OpensslServer::start(cert, &[]);
                let mut s12 = s.clone();
                s12.sslversion = 4;
                let rustls = open(&s12, module_time(), host, modern.addr, &TlsPolicy::RUSTLS_ONLY).await;
                assert_eq!(rustls.unwrap_err(), err, "{cert}: the engines disagree");
            }
        }
    }
}

#[tokio::test]
async fn client_certificate_on_seclevel_2() {
    if !have_openssl("client_certificate_on_seclevel_2") {
        return;
    }
    let ca = certs_dir().join("ca.pem");
    let ca = ca.to_str().unwrap();
    let server = www(&["-tls1", "-cipher", "AES256-SHA:@SECLEVEL=0", "-Verify", "1", "-CAfile", ca]);
    let mut s = example_3_2();
    s.seclevel = 2;
    s.cacert = Some("UFS:ca.pem".into());
    // Without credentials the server refuses.
    let p = prepare(&s, &LEGACY).unwrap();
    assert!(p.warnings.iter().any(|w| w.starts_with("seclevel 2 without clientcert")), "{:?}", p.warnings);
    assert!(open_www(&p, &server).await.is_err());
    // With the encrypted key and its password, and with the RSA key in PKCS#1.
    for (cert, key, pwd) in [
        ("UFS:client.pem", "UFS:client-enc.key", Some("qsslsim")),
        ("UFS:client-rsa.pem", "UFS:client-pkcs1.key", None),
        ("UFS:client.pem", "UFS:client-sec1.key", None),
    ] {
        s.clientcert = Some(cert.into());
        s.clientkey = Some(key.into());
        s.clientkey_pwd = pwd.map(str::to_string);
        let view = open_www(&prepare(&s, &LEGACY).unwrap(), &server).await.unwrap();
        assert_eq!(view.version, "TLSv1", "{key}");
        assert!(view.page.contains("Cipher    : AES256-SHA"), "{key}: {}", view.page);
    }
    // A key that does not belong to the certificate.
    s.clientcert = Some("UFS:client-rsa.pem".into());
    s.clientkey = Some("UFS:client.key".into());
    s.clientkey_pwd = None;
    assert_eq!(
        prepare(&s, &LEGACY).unwrap_err(),
        OpenRefusal::Failed(
            "client key UFS:client.key does not match client certificate UFS:client-rsa.pem".into()
        )
    );
}

#[tokio::test]
async fn session_cache_resumes_on_the_second_engine() {
    if !have_openssl("session_cache_resumes_on_the_second_engine") {
        return;
    }
    let server = www(&["-tls1", "-cipher", "AES256-SHA:@SECLEVEL=0"]);
    let mut s = example_3_2();
    s.session_cache = true;
    let mut ctx = ContextTls::new();
    let mut reused = Vec::new();
    for _ in 0..3 {
        let p = ctx.prepare(&s, &TestFiles::default(), module_time(), "localhost", &LEGACY).unwrap();
        reused.push(open_www(&p, &server).await.unwrap().reused);
    }
    assert_eq!(reused, [false, true, true]);
    // Without the cache, never.
    s.session_cache = false;
    let mut reused = Vec::new();
    for _ in 0..2 {
        let p = ctx.prepare(&s, &TestFiles::default(), module_time(), "localhost", &LEGACY).unwrap();
        reused.push(open_www(&p, &server).await.unwrap().reused);
    }
    assert_eq!(reused, [false, false]);
    // TLS 1.2 with an ECDSA server and a verifying context, as the daemon's tests do.
    let ecdsa = OpensslServer::start("server-ecdsa", &["-www"]);
    let s = SslSettings {
        session_cache: true,
        seclevel: 1,
        cacert: Some("UFS:ca.pem".into()),
        ..SslSettings::default()
    };
    let mut reused = Vec::new();
    for _ in 0..2 {
        let p = ctx.prepare(&s, &TestFiles::default(), module_time(), "localhost", &LEGACY).unwrap();
        let view = legacy_open(&p, ecdsa.addr, Duration::from_secs(5)).await.unwrap();
        assert_eq!(view.version, "TLSv1.2");
        reused.push(view.reused);
    }
    assert_eq!(reused, [false, true]);
}

#[tokio::test]
async fn sni_and_alpn_on_the_second_engine() {
    // A rustls server sees the ClientHello: it serves TLS 1.2 with ECDHE-RSA-AES128-GCM,
    // which the default context offers.
    let mut server =
        rustls_server(ServerOpts { alpn: vec![b"mqtt".to_vec()], ..ServerOpts::new("server-rsa") }).await;
    for (sni, alpn, host, want_sni, want_alpn) in [
        ("0", "", "localhost", None, None),
        ("1", "mqtt", "localhost", Some("localhost"), Some(b"mqtt".to_vec())),
        ("1", "", "127.0.0.1", None, None),
    ] {
        let s = with(&[("sni", &[b(sni)]), ("alpn", &[q(alpn)])]);
        let p = ContextTls::new().prepare(&s, &TestFiles::default(), module_time(), host, &LEGACY).unwrap();
        assert_eq!(p.config.engine(), "openssl");
        assert_eq!(p.config.sends_sni(), want_sni.is_some());
        legacy_open(&p, server.addr, Duration::from_millis(200)).await.unwrap();
        let seen = server.seen.recv().await.unwrap();
        assert_eq!(seen.error, None);
        assert_eq!(seen.sni.as_deref(), want_sni, "sni {sni} {host}");
        assert_eq!(seen.alpn, want_alpn, "alpn {alpn:?}");
    }
}
