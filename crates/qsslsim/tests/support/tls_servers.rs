//! Real TLS servers on 127.0.0.1 for the open tests: `openssl s_server` as a child process
//! (an independent TLS implementation, as a host's server would be), and an in-process rustls
//! server that reports what it saw of each handshake (SNI, offered ALPN, negotiated ALPN,
//! protocol version, full or resumed).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::Acceptor;
use rustls::{HandshakeKind, ProtocolVersion, ServerConfig, ServerConnection};

/// The test PKI (certs/README.md).
pub const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../certs");

/// Host path of one file of the test PKI.
pub fn cert(name: &str) -> String {
    format!("{CERTS}/{name}")
}

/// `--file` argument preloading a test PKI file as `UFS:<name>`.
pub fn ufs(name: &str) -> String {
    format!("UFS:{name}={}", cert(name))
}

/// The openssl command, if there is one.
pub fn openssl() -> Option<&'static str> {
    ["openssl", "/usr/bin/openssl"].into_iter().find(|cmd| {
        Command::new(cmd)
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Whether openssl is there; prints a clear SKIP line for `test` when it is not, so the caller
/// can return.
pub fn have_openssl(test: &str) -> bool {
    if openssl().is_some() {
        return true;
    }
    println!("SKIP {test}: the openssl command is not installed");
    eprintln!("SKIP {test}: the openssl command is not installed");
    false
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Everything a child printed, stdout and stderr interleaved, with a way to wait for text.
#[derive(Default)]
struct Log {
    text: Mutex<String>,
    grew: Condvar,
}

impl Log {
    fn pump(self: &Arc<Self>, from: impl Read + Send + 'static) {
        let log = self.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(from);
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                log.text.lock().unwrap().push_str(&line);
                log.grew.notify_all();
                line.clear();
            }
        });
    }
}

/// `openssl s_server` on 127.0.0.1, killed on drop.
pub struct OpensslServer {
    child: Child,
    _stdin: ChildStdin,
    log: Arc<Log>,
    pub port: u16,
    pub args: Vec<String>,
}

impl OpensslServer {
    /// `openssl s_server -accept 127.0.0.1:<free port> <args>`; returns once it accepts.
    /// Paths in `args` that name a test PKI file (`server-ecdsa.pem`) are made absolute.
    pub fn start(args: &[&str]) -> OpensslServer {
        let openssl = openssl().expect("openssl (guard the test with have_openssl)");
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if (a.ends_with(".pem") || a.ends_with(".key")) && !a.contains('/') {
                    cert(a)
                } else {
                    a.to_string()
                }
            })
            .collect();
        let mut last = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            let mut child = Command::new(openssl)
                .arg("s_server")
                .arg("-accept")
                .arg(format!("127.0.0.1:{port}"))
                .args(&args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn openssl s_server");
            let log = Arc::new(Log::default());
            log.pump(child.stdout.take().unwrap());
            log.pump(child.stderr.take().unwrap());
            let stdin = child.stdin.take().unwrap();
            let mut server = OpensslServer { child, _stdin: stdin, log, port, args: args.clone() };
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if server.output().contains("ACCEPT") {
                    return server;
                }
                if let Ok(Some(status)) = server.child.try_wait() {
                    // Most likely someone took the port in between: try another.
                    std::thread::sleep(Duration::from_millis(50));
                    last = format!("exited with {status}: {}", server.output());
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "openssl s_server {args:?} never said ACCEPT: {}",
                    server.output()
                );
                server.wait_a_little();
            }
        }
        panic!("openssl s_server {args:?} did not start: {last}");
    }

    fn wait_a_little(&self) {
        let text = self.log.text.lock().unwrap();
        let _ = self.log.grew.wait_timeout(text, Duration::from_millis(50)).unwrap();
    }

    /// Everything the server printed so far.
    pub fn output(&self) -> String {
        self.log.text.lock().unwrap().clone()
    }

    /// How many times `needle` has been printed.
    pub fn count(&self, needle: &str) -> usize {
        self.output().matches(needle).count()
    }

    /// Wait until `needle` has been printed at least `n` times; false on timeout.
    pub fn wait_count(&self, needle: &str, n: usize, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut text = self.log.text.lock().unwrap();
        loop {
            if text.matches(needle).count() >= n {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            text = self.log.grew.wait_timeout(text, left).unwrap().0;
        }
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the in-process rustls server saw of one connection.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// SNI in the ClientHello.
    pub sni: Option<String>,
    /// The ALPN protocols the client offered; `None` when there was no ALPN extension.
    pub alpn_offered: Option<Vec<String>>,
    /// The protocol the handshake settled on.
    pub alpn: Option<String>,
    pub version: Option<ProtocolVersion>,
    pub kind: Option<HandshakeKind>,
    /// Set when the handshake failed on the server side.
    pub error: Option<String>,
}

/// A TLS echo server in this process (blocking rustls, one thread per connection). Every
/// connection is reported through [`RustlsServer::next`] once its handshake is over.
pub struct RustlsServer {
    pub port: u16,
    seen: Receiver<Seen>,
    pub config: Arc<ServerConfig>,
}

impl RustlsServer {
    /// A server with `cert`/`key` from the test PKI (TLS 1.2 and 1.3, server-side session
    /// cache as rustls sets it up by default) that selects from `alpn` if the client offers
    /// ALPN.
    pub fn start(cert_file: &str, key_file: &str, alpn: &[&str]) -> RustlsServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(cert(cert_file)).unwrap().map(|c| c.unwrap()).collect();
        let key = PrivateKeyDer::from_pem_file(cert(key_file)).unwrap();
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        Self::with_config(Arc::new(config))
    }

    pub fn with_config(config: Arc<ServerConfig>) -> RustlsServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, seen) = mpsc::channel();
        let cfg = config.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (cfg, tx) = (cfg.clone(), tx.clone());
                std::thread::spawn(move || serve(stream, cfg, tx));
            }
        });
        RustlsServer { port, seen, config }
    }

    /// The next connection's handshake, in the order handshakes finished.
    #[track_caller]
    pub fn next(&self) -> Seen {
        self.seen
            .recv_timeout(Duration::from_secs(10))
            .expect("the rustls server saw no handshake within 10 s")
    }

    /// Nothing more reached the server within `wait`.
    #[track_caller]
    pub fn expect_none(&self, wait: Duration) {
        if let Ok(s) = self.seen.recv_timeout(wait) {
            panic!("unexpected connection at the rustls server: {s:?}");
        }
    }
}

fn serve(mut tcp: TcpStream, config: Arc<ServerConfig>, tx: Sender<Seen>) {
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(30)));
    let mut acceptor = Acceptor::default();
    let accepted = loop {
        match acceptor.read_tls(&mut tcp) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        match acceptor.accept() {
            Ok(Some(a)) => break a,
            Ok(None) => continue,
            Err((e, mut alert)) => {
                let _ = alert.write_all(&mut tcp);
                let _ = tx.send(Seen { error: Some(format!("bad ClientHello: {e}")), ..Seen::default() });
                return;
            }
        }
    };
    let hello = accepted.client_hello();
    let mut seen = Seen {
        sni: hello.server_name().map(str::to_owned),
        alpn_offered: hello.alpn().map(|it| it.map(|p| String::from_utf8_lossy(p).into_owned()).collect()),
        ..Seen::default()
    };
    let mut conn: ServerConnection = match accepted.into_connection(config) {
        Ok(c) => c,
        Err((e, mut alert)) => {
            let _ = alert.write_all(&mut tcp);
            seen.error = Some(e.to_string());
            let _ = tx.send(seen);
            return;
        }
    };
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut tcp) {
            seen.error = Some(e.to_string());
            let _ = tx.send(seen);
            return;
        }
    }
    seen.alpn = conn.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned());
    seen.version = conn.protocol_version();
    seen.kind = conn.handshake_kind();
    let _ = tx.send(seen);
    // Echo until the client closes, then close as well.
    let mut buf = [0u8; 4096];
    {
        let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
        loop {
            match tls.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tls.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
    }
    conn.send_close_notify();
    let _ = conn.complete_io(&mut tcp);
}
