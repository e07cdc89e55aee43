//! The key log (`--keylog`, `SSLKEYLOGFILE`): every handshake of either engine appends the
//! NSS key-log lines of its session to the installed file. The rustls test server logs its
//! own view of the same secrets; the client's file must hold exactly those lines (same client
//! random, same secrets), which is what lets Wireshark decrypt the capture.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::{b, handshake, module_time, rustls_server_with, server_config, settings, ServerOpts, TestFiles};
use qsslsim_at::Param;
use qsslsim_tls::keylog::{self, KeyLogWriter};
use qsslsim_tls::{ContextTls, Prepared, SslSettings, TlsClient, TlsPolicy};

/// The TLS 1.3 labels a full handshake logs (NSS key-log format).
const TLS13_LABELS: [&str; 5] = [
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
    "EXPORTER_SECRET",
];

/// The process-wide key log of this test binary, installed once (tests in one process share
/// it; each test looks only for its own handshake's client random).
fn keylog_file() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("keylog-test-{}.log", std::process::id()));
        let _ = std::fs::remove_file(&path);
        keylog::install(KeyLogWriter::open(&path).unwrap()).unwrap();
        path
    })
}

/// The server's own key log: the lines it derived, for comparison with the client's file.
#[derive(Debug, Default)]
struct Capture(Mutex<Vec<String>>);

impl rustls::KeyLog for Capture {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.0.lock().unwrap().push(keylog::format_line(label, client_random, secret));
    }
}

/// A rustls server (`server-rsa`, TLS 1.3 too if `tls13`) that records its secrets.
async fn capturing_server(tls13: bool) -> (common::RustlsServer, Arc<Capture>) {
    let capture = Arc::new(Capture::default());
    let mut config = server_config(&ServerOpts { tls13, ..ServerOpts::new("server-rsa") });
    config.key_log = capture.clone();
    (rustls_server_with(config).await, capture)
}

/// Waits for the server to finish its side of the handshake, then checks that every line it
/// logged is in the client's key log, and returns those lines.
async fn server_lines_in_file(server: &mut common::RustlsServer, capture: &Capture) -> Vec<String> {
    let view = tokio::time::timeout(Duration::from_secs(5), server.seen.recv()).await.unwrap().unwrap();
    assert_eq!(view.error, None);
    let lines = capture.0.lock().unwrap().clone();
    assert!(!lines.is_empty(), "the server logged no secrets");
    let file = std::fs::read_to_string(keylog_file()).unwrap();
    let written: BTreeSet<&str> = file.lines().collect();
    for line in &lines {
        assert!(written.contains(line.as_str()), "key log lacks {line}\nfile:\n{file}");
    }
    // Every line of the file has the shape `<LABEL> <64 hex> <hex>`.
    for line in file.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts.len(), 3, "{line}");
        assert!(
            parts[0].bytes().all(|c| c.is_ascii_uppercase() || c == b'_' || c.is_ascii_digit()),
            "{line}"
        );
        assert_eq!(parts[1].len(), 64, "client random of {line}");
        assert!(
            parts[1..].iter().all(|p| p.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))),
            "{line}"
        );
    }
    lines
}

fn labels(lines: &[String]) -> BTreeSet<&str> {
    lines.iter().map(|l| l.split(' ').next().unwrap()).collect()
}

fn client_randoms(lines: &[String]) -> BTreeSet<&str> {
    lines.iter().map(|l| l.split(' ').nth(1).unwrap()).collect()
}

fn prepare(s: &SslSettings, policy: &TlsPolicy) -> Prepared {
    ContextTls::new().prepare(s, &TestFiles::default(), module_time(), "localhost", policy).unwrap()
}

/// `sslversion` 4 with the one suite rustls shares with the module (0XC02F).
fn c02f() -> SslSettings {
    settings(&[("sslversion", &[b("4")] as &[Param]), ("ciphersuite", &[b("0XC02F")])])
}

#[tokio::test]
async fn rustls_tls12_logs_the_client_random_and_master_secret() {
    keylog_file();
    let (mut server, capture) = capturing_server(false).await;
    let p = prepare(&c02f(), &TlsPolicy::RUSTLS_ONLY);
    assert!(matches!(p.config, TlsClient::Rustls(_)));
    handshake(&p, server.addr, true).await.unwrap();
    let lines = server_lines_in_file(&mut server, &capture).await;
    assert_eq!(labels(&lines), BTreeSet::from(["CLIENT_RANDOM"]), "{lines:?}");
}

#[tokio::test]
async fn rustls_tls13_logs_the_five_traffic_secrets() {
    keylog_file();
    let (mut server, capture) = capturing_server(true).await;
    let policy = TlsPolicy { allow_tls13: true, ..TlsPolicy::RUSTLS_ONLY };
    let p = prepare(&c02f(), &policy);
    let view = handshake(&p, server.addr, true).await.unwrap();
    assert_eq!(view.version, Some(rustls::ProtocolVersion::TLSv1_3));
    let lines = server_lines_in_file(&mut server, &capture).await;
    assert_eq!(labels(&lines), BTreeSet::from(TLS13_LABELS), "{lines:?}");
    assert_eq!(client_randoms(&lines).len(), 1, "one handshake, one client random: {lines:?}");
}

/// Handshakes on the second engine as the daemon does and reads the server's greeting.
#[cfg(feature = "legacy-tls")]
async fn legacy_handshake(p: &Prepared, addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    let TlsClient::Legacy(spec) = &p.config else { panic!("not the second engine: {:?}", p.config) };
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = tokio_openssl::SslStream::new(spec.ssl().unwrap(), tcp).unwrap();
    std::pin::Pin::new(&mut tls).connect().await.unwrap();
    let mut hello = [0u8; 5];
    tls.read_exact(&mut hello).await.unwrap();
    let version = tls.ssl().version_str().to_string();
    let _ = tls.shutdown().await;
    version
}

#[cfg(feature = "legacy-tls")]
#[tokio::test]
async fn openssl_engine_tls12_logs_the_client_random_and_master_secret() {
    keylog_file();
    let (mut server, capture) = capturing_server(false).await;
    let legacy = TlsPolicy { allow_tls13: false, strict: false, legacy: true };
    // The factory context: all versions, all of the module's suites (0XFFFF): OpenSSL.
    let p = prepare(&SslSettings::default(), &legacy);
    assert_eq!(legacy_handshake(&p, server.addr).await, "TLSv1.2");
    let lines = server_lines_in_file(&mut server, &capture).await;
    assert_eq!(labels(&lines), BTreeSet::from(["CLIENT_RANDOM"]), "{lines:?}");
}

#[cfg(feature = "legacy-tls")]
#[tokio::test]
async fn openssl_engine_tls13_logs_the_five_traffic_secrets() {
    keylog_file();
    let (mut server, capture) = capturing_server(true).await;
    let legacy13 = TlsPolicy { allow_tls13: true, strict: false, legacy: true };
    let p = prepare(&SslSettings::default(), &legacy13);
    assert_eq!(legacy_handshake(&p, server.addr).await, "TLSv1.3");
    let lines = server_lines_in_file(&mut server, &capture).await;
    assert_eq!(labels(&lines), BTreeSet::from(TLS13_LABELS), "{lines:?}");
}

#[test]
fn the_key_log_is_installed_once() {
    let path = keylog_file();
    assert_eq!(keylog::installed().unwrap().path(), path);
    let other =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("keylog-other-{}.log", std::process::id()));
    let again = keylog::install(KeyLogWriter::open(&other).unwrap());
    assert_eq!(again.unwrap_err().path(), path, "the first key log stays");
    let _ = std::fs::remove_file(other);
}
