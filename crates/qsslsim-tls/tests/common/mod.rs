//! Shared test helpers: the test PKI as a module file system, settings shorthands, a
//! configurable rustls server and an `openssl s_server` wrapper on 127.0.0.1, and a client
//! handshake driven by a `Prepared` configuration.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qsslsim_at::Param;
use qsslsim_tls::{
    describe_io_error, ContextTls, FileSource, OpenRefusal, Prepared, SslSettings, TlsClient, TlsPolicy,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{HandshakeKind, ProtocolVersion, RootCertStore, ServerConfig, SupportedCipherSuite};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// `certs/` at the repository root (the committed test PKI).
pub fn certs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../certs")
}

pub fn cert_bytes(name: &str) -> Vec<u8> {
    std::fs::read(certs_dir().join(name)).unwrap_or_else(|e| panic!("certs/{name}: {e}"))
}

/// The module file system for tests: `UFS:x`, `RAM:x` and bare `x` all read `certs/x`,
/// unless an in-memory file of that exact name was added.
#[derive(Default, Clone)]
pub struct TestFiles {
    pub extra: HashMap<String, Vec<u8>>,
}

impl TestFiles {
    pub fn with(mut self, name: &str, bytes: Vec<u8>) -> Self {
        self.extra.insert(name.to_string(), bytes);
        self
    }
}

impl FileSource for TestFiles {
    fn read_file(&self, name: &str) -> Option<Vec<u8>> {
        if let Some(b) = self.extra.get(name) {
            return Some(b.clone());
        }
        let bare = name.strip_prefix("UFS:").or_else(|| name.strip_prefix("RAM:")).unwrap_or(name);
        std::fs::read(certs_dir().join(bare)).ok()
    }
}

pub fn q(s: &str) -> Param {
    Param::Quoted(s.to_string())
}

pub fn b(s: &str) -> Param {
    Param::Bare(s.to_string())
}

/// Applies `AT+QSSLCFG` writes given as (item, values) pairs, panicking on refusal.
pub fn settings(writes: &[(&str, &[Param])]) -> SslSettings {
    let mut s = SslSettings::default();
    for (item, values) in writes {
        s.set(item, values).unwrap_or_else(|e| panic!("set {item}: {e:?}"));
    }
    s
}

/// 2026-08-07T13:54:02Z, the module clock of the maker's hardware example.
pub fn module_time() -> UnixTime {
    at(1_786_110_842)
}

pub fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

/// What the client saw of a completed handshake.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientView {
    pub version: Option<ProtocolVersion>,
    pub suite: Option<rustls::CipherSuite>,
    pub alpn: Option<Vec<u8>>,
    pub kind: Option<HandshakeKind>,
    /// Bytes the server sent right after the handshake (the rustls test server says "hello").
    pub greeting: Vec<u8>,
}

/// Prepares `settings` for `server` on a fresh context and handshakes with `addr`.
pub async fn open(
    settings: &SslSettings,
    time: UnixTime,
    server: &str,
    addr: SocketAddr,
    policy: &TlsPolicy,
) -> Result<ClientView, String> {
    let mut ctx = ContextTls::new();
    let prepared = ctx
        .prepare(settings, &TestFiles::default(), time, server, policy)
        .map_err(|r: OpenRefusal| format!("refused: {r}"))?;
    handshake(&prepared, addr, false).await
}

/// Handshakes with `addr` using `prepared`; with `read_greeting`, also reads the server's
/// five-byte greeting (which also processes TLS 1.3 session tickets).
pub async fn handshake(
    prepared: &Prepared,
    addr: SocketAddr,
    read_greeting: bool,
) -> Result<ClientView, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| format!("tcp: {e}"))?;
    let TlsClient::Rustls(config) = &prepared.config else {
        return Err(format!("not a rustls configuration: {:?}", prepared.config));
    };
    let connector = tokio_rustls::TlsConnector::from(config.clone());
    let mut tls = tokio::time::timeout(
        prepared.handshake_timeout,
        connector.connect(prepared.server_name.clone(), tcp),
    )
    .await
    .map_err(|_| "handshake timed out".to_string())?
    .map_err(|e| describe_io_error(&e))?;
    let mut greeting = Vec::new();
    if read_greeting {
        let mut buf = [0u8; 5];
        tokio::time::timeout(Duration::from_secs(5), tls.read_exact(&mut buf))
            .await
            .map_err(|_| "greeting timed out".to_string())?
            .map_err(|e| describe_io_error(&e))?;
        greeting.extend_from_slice(&buf);
    }
    let (_, conn) = tls.get_ref();
    let view = ClientView {
        version: conn.protocol_version(),
        suite: conn.negotiated_cipher_suite().map(|s| s.suite()),
        alpn: conn.alpn_protocol().map(|p| p.to_vec()),
        kind: conn.handshake_kind(),
        greeting,
    };
    let _ = tls.shutdown().await;
    Ok(view)
}

// ---------------------------------------------------------------------------------------
// rustls test server

/// Knobs of the rustls test server.
#[derive(Clone)]
pub struct ServerOpts {
    /// Stem of the certificate/key pair in `certs/` (e.g. `server-ecdsa`).
    pub cert: &'static str,
    /// Request a client certificate (signed by the test CA); `Some(true)` requires it.
    pub client_auth: Option<bool>,
    pub tls13: bool,
    pub suites: Option<Vec<SupportedCipherSuite>>,
    pub alpn: Vec<Vec<u8>>,
}

impl ServerOpts {
    pub fn new(cert: &'static str) -> Self {
        ServerOpts { cert, client_auth: None, tls13: false, suites: None, alpn: Vec::new() }
    }
}

/// What the server saw of one connection.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerView {
    pub sni: Option<String>,
    pub alpn: Option<Vec<u8>>,
    pub client_cert_subject_len: Option<usize>,
    pub kind: Option<HandshakeKind>,
    pub error: Option<String>,
}

pub struct RustlsServer {
    pub addr: SocketAddr,
    pub seen: mpsc::UnboundedReceiver<ServerView>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RustlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn load_chain(name: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(certs_dir().join(name)).unwrap().collect::<Result<_, _>>().unwrap()
}

pub fn load_key(name: &str) -> PrivateKeyDer<'static> {
    PrivateKeyDer::from_pem_file(certs_dir().join(name)).unwrap()
}

pub fn server_config(opts: &ServerOpts) -> ServerConfig {
    let mut provider = rustls::crypto::ring::default_provider();
    if let Some(s) = &opts.suites {
        provider.cipher_suites = s.clone();
    }
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = if opts.tls13 {
        vec![&rustls::version::TLS12, &rustls::version::TLS13]
    } else {
        vec![&rustls::version::TLS12]
    };
    let provider = Arc::new(provider);
    let builder =
        ServerConfig::builder_with_provider(provider.clone()).with_protocol_versions(&versions).unwrap();
    let builder = match opts.client_auth {
        None => builder.with_no_client_auth(),
        Some(required) => {
            let mut roots = RootCertStore::empty();
            for c in load_chain("ca.pem") {
                roots.add(c).unwrap();
            }
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let v = if required { v } else { v.allow_unauthenticated() };
            builder.with_client_cert_verifier(v.build().unwrap())
        }
    };
    let mut config = builder
        .with_single_cert(load_chain(&format!("{}.pem", opts.cert)), load_key(&format!("{}.key", opts.cert)))
        .unwrap();
    config.alpn_protocols = opts.alpn.clone();
    config
}

/// Starts a rustls server on 127.0.0.1 that accepts any number of connections, reports each
/// one, greets the client with `hello` and then waits for it to close.
pub async fn rustls_server(opts: ServerOpts) -> RustlsServer {
    rustls_server_with(server_config(&opts)).await
}

pub async fn rustls_server_with(config: ServerConfig) -> RustlsServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (tx, seen) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(mut tls) => {
                        let (_, conn) = tls.get_ref();
                        let view = ServerView {
                            sni: conn.server_name().map(str::to_string),
                            alpn: conn.alpn_protocol().map(|p| p.to_vec()),
                            client_cert_subject_len: conn.peer_certificates().map(|c| c.len()),
                            kind: conn.handshake_kind(),
                            error: None,
                        };
                        let _ = tx.send(view);
                        let _ = tls.write_all(b"hello").await;
                        let _ = tls.flush().await;
                        let mut sink = [0u8; 64];
                        let _ = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut sink)).await;
                    }
                    Err(e) => {
                        let _ = tx.send(ServerView {
                            sni: None,
                            alpn: None,
                            client_cert_subject_len: None,
                            kind: None,
                            error: Some(describe_io_error(&e)),
                        });
                    }
                }
            });
        }
    });
    RustlsServer { addr, seen, task }
}

// ---------------------------------------------------------------------------------------
// openssl s_server

/// Whether the `openssl` tool is there; prints why a test is skipped when it is not.
pub fn have_openssl(test: &str) -> bool {
    let ok = Command::new("openssl").arg("version").output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        eprintln!("SKIP {test}: the `openssl` command is not installed, so no s_server peer can run");
    }
    ok
}

/// An `openssl s_server` on 127.0.0.1 with an ephemeral port, killed on drop.
pub struct OpensslServer {
    pub addr: SocketAddr,
    child: Child,
    pub output: Arc<Mutex<String>>,
}

impl OpensslServer {
    /// Starts `openssl s_server -cert certs/<cert>.pem -key certs/<cert>.key <extra...>`.
    pub fn start(cert: &str, extra: &[&str]) -> OpensslServer {
        let dir = certs_dir();
        let mut child = Command::new("openssl")
            .arg("s_server")
            .args(["-accept", "127.0.0.1:0"])
            .arg("-cert")
            .arg(dir.join(format!("{cert}.pem")))
            .arg("-key")
            .arg(dir.join(format!("{cert}.key")))
            .args(extra)
            // s_server quits when its stdin closes: keep a pipe open for its lifetime.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn openssl s_server");
        let stdout = child.stdout.take().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let out = output.clone();
        std::thread::spawn(move || {
            let mut port_tx = Some(port_tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = line.strip_prefix("ACCEPT 127.0.0.1:") {
                    if let Some(tx) = port_tx.take() {
                        let _ = tx.send(port.trim().parse::<u16>().unwrap());
                    }
                }
                out.lock().unwrap().push_str(&line);
                out.lock().unwrap().push('\n');
            }
        });
        let port = port_rx.recv_timeout(Duration::from_secs(10)).expect("openssl s_server did not start");
        OpensslServer { addr: SocketAddr::from(([127, 0, 0, 1], port)), child, output }
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
