//! The built-in TLS peer (`qsslsim peer`, and the one `--demo` starts): a rustls server on
//! loopback using the test PKI, answering as an echo, a sink, a source of bytes, or a tiny
//! HTTP server. Tests and `make run` use it so nothing ever leaves the machine.

use std::net::SocketAddr;
use std::sync::Arc;

use clap::ValueEnum;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tracing::{debug, info};

/// The test CA that signs the built-in peer's certificate (also preloaded by `--demo`).
pub const TEST_CA_PEM: &[u8] = include_bytes!("../../../certs/ca.pem");
const SERVER_CERT_PEM: &[u8] = include_bytes!("../../../certs/server-rsa.pem");
const SERVER_KEY_PEM: &[u8] = include_bytes!("../../../certs/server-rsa.key");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum PeerMode {
    /// Send back every byte received.
    #[default]
    Echo,
    /// Read and discard.
    Sink,
    /// Send a repeating pattern until the client goes away.
    Source,
    /// Answer each request with a short HTTP/1.1 response, then close.
    Http,
}

#[derive(Debug, Clone, clap::Args)]
pub struct PeerArgs {
    /// Address to listen on (loopback unless --allow-non-loopback).
    #[arg(long, default_value = "127.0.0.1:4433")]
    pub listen: SocketAddr,
    /// Allow a non-loopback --listen address (the test PKI's private key is public: the peer
    /// is meant for tests on this machine).
    #[arg(long)]
    pub allow_non_loopback: bool,
    #[arg(long, value_enum, default_value_t = PeerMode::Echo)]
    pub mode: PeerMode,
    /// Offer TLS 1.3 too (default: TLS 1.2 only, like the module).
    #[arg(long)]
    pub tls13: bool,
}

/// A server configuration with the built-in certificate (valid for localhost, 127.0.0.1, ::1,
/// 192.0.2.2 and *.qsslsim.test).
pub fn server_config(tls13: bool) -> Arc<ServerConfig> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(SERVER_CERT_PEM)
        .collect::<Result<_, _>>()
        .expect("built-in certificate");
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY_PEM).expect("built-in key");
    let versions: &[&rustls::SupportedProtocolVersion] =
        if tls13 { &[&rustls::version::TLS12, &rustls::version::TLS13] } else { &[&rustls::version::TLS12] };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("built-in certificate and key match");
    Arc::new(config)
}

/// Accept connections forever.
pub async fn serve(listener: TcpListener, config: Arc<ServerConfig>, mode: PeerMode) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let Ok((tcp, from)) = listener.accept().await else { continue };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            match acceptor.accept(tcp).await {
                Ok(tls) => {
                    debug!(%from, ?mode, "peer: client connected");
                    let _ = handle(tls, mode).await;
                }
                Err(e) => debug!(%from, error = %e, "peer: handshake failed"),
            }
        });
    }
}

async fn handle<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut tls: S,
    mode: PeerMode,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    match mode {
        PeerMode::Echo => loop {
            let n = tls.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            tls.write_all(&buf[..n]).await?;
        },
        PeerMode::Sink => while tls.read(&mut buf).await? > 0 {},
        PeerMode::Source => {
            let pattern: Vec<u8> = (0..16 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
            loop {
                tls.write_all(&pattern).await?;
            }
        }
        PeerMode::Http => {
            let mut request = Vec::new();
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = tls.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                request.extend_from_slice(&buf[..n]);
            }
            let body = "hello from qsslsim\n";
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            tls.write_all(reply.as_bytes()).await?;
        }
    }
    tls.shutdown().await
}

/// `qsslsim peer`: run the peer in the foreground. Refuses a non-loopback `--listen` unless
/// `--allow-non-loopback` (exit 2); a closed stdout or stderr does not stop it.
pub async fn run(args: PeerArgs) -> i32 {
    if !args.listen.ip().is_loopback() && !args.allow_non_loopback {
        complain(&format!(
            "qsslsim peer: --listen {} is not a loopback address; the peer serves a test certificate \
             whose key is public, so it listens on loopback only (127.0.0.1, ::1) unless you pass \
             --allow-non-loopback",
            args.listen
        ));
        return 2;
    }
    let listener = match TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            complain(&format!("qsslsim peer: cannot listen on {}: {e}", args.listen));
            return 1;
        }
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    say(&format!("LISTENING {addr}"));
    info!(%addr, mode = ?args.mode, "peer listening");
    serve(listener, server_config(args.tls13), args.mode).await;
    0
}

/// A line on stdout; a reader that went away (`| true`) is not the peer's problem.
fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// A line on stderr, ignoring a closed stderr.
fn complain(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
