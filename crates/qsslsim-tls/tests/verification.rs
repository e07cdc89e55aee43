//! Server-certificate verification against real `openssl s_server` peers on 127.0.0.1: the
//! matrix {valid, expired, not yet valid, wrong host, self-signed, untrusted root, forged
//! signature} x {seclevel 0, seclevel 1 with the test CA} at a fixed module clock with
//! `ignorelocaltime` 0, then each failure flipped to success by the setting that tolerates it.

mod common;

use common::*;
use qsslsim_at::Param;
use qsslsim_tls::{SslSettings, TlsPolicy};

const EXPIRED: &str =
    "certificate expired: notAfter 2020-01-01T00:00:00Z is before module time 2026-08-07T13:54:02Z";
const NOT_YET_VALID: &str =
    "certificate not yet valid: notBefore 2090-01-01T00:00:00Z is after module time 2026-08-07T13:54:02Z";
const WRONG_HOST: &str = "name mismatch: expected \"localhost\", certificate is for [DNS:wrong.qsslsim.test]";
const SELF_SIGNED: &str =
    "unknown issuer: self-signed certificate \"CN=qsslsim self-signed server,O=qsslsim test PKI\" \
     is not among the trusted CAs (UFS:ca.pem)";
const UNTRUSTED: &str = "unknown issuer: \"CN=qsslsim Untrusted CA,O=qsslsim test PKI\" (issuer of \
     \"CN=qsslsim untrusted server,O=qsslsim test PKI\") is not among the trusted CAs (UFS:ca.pem)";
const BAD_SIG: &str = "bad certificate signature: \"CN=qsslsim forged server,O=qsslsim test PKI\" names \
     \"CN=qsslsim Test CA,O=qsslsim test PKI\" as its issuer, but the signature does not verify with that CA's key";

/// seclevel 0 or 1 (with `UFS:ca.pem`), ignorelocaltime 0, plus `more` writes.
fn ctx(seclevel: &str, more: &[(&str, &[Param])]) -> SslSettings {
    let mut s = settings(&[("seclevel", &[b(seclevel)]), ("ignorelocaltime", &[b("0")])]);
    if seclevel != "0" {
        s.set("cacert", &[q("UFS:ca.pem")]).unwrap();
    }
    for (item, values) in more {
        s.set(item, values).unwrap();
    }
    s
}

async fn verdict(
    server: &OpensslServer,
    s: &SslSettings,
    time: rustls::pki_types::UnixTime,
) -> Result<(), String> {
    open(s, time, "localhost", server.addr, &TlsPolicy::RUSTLS_ONLY).await.map(|_| ())
}

#[tokio::test]
async fn matrix_seclevel_0_accepts_everything_and_seclevel_1_only_the_valid_certificate() {
    if !have_openssl("matrix") {
        return;
    }
    let cases: [(&str, Result<(), &str>); 7] = [
        ("server-ecdsa", Ok(())),
        ("expired", Err(EXPIRED)),
        ("notyetvalid", Err(NOT_YET_VALID)),
        ("wronghost", Err(WRONG_HOST)),
        ("selfsigned", Err(SELF_SIGNED)),
        ("untrusted", Err(UNTRUSTED)),
        ("badsig", Err(BAD_SIG)),
    ];
    for (cert, expected) in cases {
        let server = OpensslServer::start(cert, &[]);
        assert_eq!(verdict(&server, &ctx("0", &[]), module_time()).await, Ok(()), "{cert} at seclevel 0");
        assert_eq!(
            verdict(&server, &ctx("1", &[]), module_time()).await,
            expected.map_err(str::to_string),
            "{cert} at seclevel 1"
        );
    }
}

#[tokio::test]
async fn each_failure_flips_with_the_setting_that_tolerates_it() {
    if !have_openssl("flips") {
        return;
    }
    let t = module_time();
    let expired = OpensslServer::start("expired", &[]);
    assert_eq!(verdict(&expired, &ctx("1", &[("ignorecertitem", &[b("1")])]), t).await, Ok(()));
    assert_eq!(verdict(&expired, &ctx("1", &[("ignorelocaltime", &[b("1")])]), t).await, Ok(()));
    // Module clock set back into 2019: valid.
    assert_eq!(verdict(&expired, &ctx("1", &[]), at(1_560_000_000)).await, Ok(()));
    // Other bits do not help.
    assert_eq!(
        verdict(&expired, &ctx("1", &[("ignorecertitem", &[b("12")])]), t).await,
        Err(EXPIRED.to_string())
    );

    let future = OpensslServer::start("notyetvalid", &[]);
    assert_eq!(verdict(&future, &ctx("1", &[("ignorecertitem", &[b("1")])]), t).await, Ok(()));
    assert_eq!(verdict(&future, &ctx("1", &[("ignorecertitem", &[b("512")])]), t).await, Ok(()));
    assert_eq!(verdict(&future, &ctx("1", &[("ignorelocaltime", &[b("1")])]), t).await, Ok(()));
    // 2095-01-01: inside 2090..2099.
    assert_eq!(verdict(&future, &ctx("1", &[]), at(3_944_678_400)).await, Ok(()));

    let wrong = OpensslServer::start("wronghost", &[]);
    assert_eq!(verdict(&wrong, &ctx("1", &[("ignorecertitem", &[b("4")])]), t).await, Ok(()));
    assert_eq!(
        verdict(&wrong, &ctx("1", &[("ignorecertitem", &[b("8")])]), t).await,
        Err(WRONG_HOST.to_string())
    );

    let selfsigned = OpensslServer::start("selfsigned", &[]);
    assert_eq!(verdict(&selfsigned, &ctx("1", &[("ignorecertitem", &[b("8")])]), t).await, Ok(()));
    // Trusting the certificate itself also works.
    let mut own = ctx("1", &[]);
    own.set("cacert", &[q("UFS:selfsigned.pem")]).unwrap();
    assert_eq!(verdict(&selfsigned, &own, t).await, Ok(()));

    let untrusted = OpensslServer::start("untrusted", &[]);
    assert_eq!(verdict(&untrusted, &ctx("1", &[("ignorecertitem", &[b("8")])]), t).await, Ok(()));
    // The untrusted CA in a cacertex slot makes it trusted.
    assert_eq!(
        verdict(&untrusted, &ctx("1", &[("cacertex", &[b("3"), q("RAM:untrusted-ca.pem")])]), t).await,
        Ok(())
    );
    // ignoremulticertchainverify alone does not help when the server sends no issuer.
    assert_eq!(
        verdict(&untrusted, &ctx("1", &[("ignoremulticertchainverify", &[b("1")])]), t).await,
        Err(UNTRUSTED.to_string())
    );

    let forged = OpensslServer::start("badsig", &[]);
    assert_eq!(verdict(&forged, &ctx("1", &[("ignoreinvalidcertsign", &[b("1")])]), t).await, Ok(()));
    assert_eq!(verdict(&forged, &ctx("1", &[("ignorecertitem", &[b("8")])]), t).await, Ok(()));

    // 1048575 ignores every check.
    for server in [&expired, &future, &wrong, &selfsigned, &untrusted, &forged] {
        assert_eq!(verdict(server, &ctx("1", &[("ignorecertitem", &[b("1048575")])]), t).await, Ok(()));
    }
}

#[tokio::test]
async fn chains_through_intermediates_and_multi_level_relaxation() {
    if !have_openssl("chains") {
        return;
    }
    let t = module_time();
    // The server sends leaf + intermediate; the root alone is trusted.
    let int_arg = certs_dir().join("intermediate-ca.pem");
    let chained = OpensslServer::start("server-chain", &["-cert_chain", int_arg.to_str().unwrap()]);
    assert_eq!(verdict(&chained, &ctx("1", &[]), t).await, Ok(()));
    // The intermediate alone as CA file is enough: any configured certificate is an anchor.
    let mut int_only = ctx("1", &[]);
    int_only.set("cacert", &[q("UFS:intermediate-ca.pem")]).unwrap();
    assert_eq!(verdict(&chained, &int_only, t).await, Ok(()));

    // An untrusted server that sends its (untrusted) issuer along.
    let chain_arg = certs_dir().join("untrusted-ca.pem");
    let untrusted_chain = OpensslServer::start("untrusted", &["-cert_chain", chain_arg.to_str().unwrap()]);
    assert_eq!(verdict(&untrusted_chain, &ctx("1", &[]), t).await, Err(UNTRUSTED.to_string()));
    assert_eq!(
        verdict(&untrusted_chain, &ctx("1", &[("ignoremulticertchainverify", &[b("1")])]), t).await,
        Ok(())
    );
}

#[tokio::test]
async fn ca_files_with_several_certificates_and_der() {
    if !have_openssl("bundles") {
        return;
    }
    let t = module_time();
    let server = OpensslServer::start("server-rsa", &[]);
    // A bundle: the untrusted CA first, then the test CA.
    let mut bundle = cert_bytes("untrusted-ca.pem");
    bundle.extend(cert_bytes("ca.pem"));
    let files = TestFiles::default().with("UFS:bundle.pem", bundle);
    let s = ctx("1", &[("cacert", &[q("UFS:bundle.pem")])]);
    let mut context = qsslsim_tls::ContextTls::new();
    let prepared = context.prepare(&s, &files, t, "qsslsim.test", &TlsPolicy::RUSTLS_ONLY).unwrap();
    assert_eq!(handshake(&prepared, server.addr, false).await.map(|_| ()), Ok(()));

    // The CA as a DER file.
    let der = load_chain("ca.pem").remove(0).to_vec();
    let files = TestFiles::default().with("RAM:ca.der", der);
    let s = ctx("1", &[("cacert", &[q("RAM:ca.der")])]);
    let prepared = context.prepare(&s, &files, t, "192.0.2.2", &TlsPolicy::RUSTLS_ONLY).unwrap();
    assert_eq!(handshake(&prepared, server.addr, false).await.map(|_| ()), Ok(()));
}

#[tokio::test]
async fn the_module_clock_of_each_open_counts() {
    if !have_openssl("clock") {
        return;
    }
    // One context, opened twice: first with the clock in 2019, then in 2026.
    let server = OpensslServer::start("expired", &[]);
    let s = ctx("1", &[]);
    let mut context = qsslsim_tls::ContextTls::new();
    let files = TestFiles::default();
    let policy = TlsPolicy::RUSTLS_ONLY;
    let early = context.prepare(&s, &files, at(1_560_000_000), "localhost", &policy).unwrap();
    assert_eq!(handshake(&early, server.addr, false).await.map(|_| ()), Ok(()));
    let late = context.prepare(&s, &files, module_time(), "localhost", &policy).unwrap();
    assert_eq!(handshake(&late, server.addr, false).await.map(|_| ()), Err(EXPIRED.to_string()));
}
