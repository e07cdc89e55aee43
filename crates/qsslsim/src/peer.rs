//! The built-in TLS peer (`qsslsim peer`, and the one `--demo` starts): a rustls server on
//! loopback using the test PKI, answering as an echo, a sink, a source of bytes, or a tiny
//! HTTP server. Tests and `make run` use it so nothing ever leaves the machine. `--proto tcp`
//! and `--proto udp` serve the same modes without TLS (see `peer_plain`). With the
//! `legacy-tls` feature, a client whose ClientHello rustls cannot serve (TLS 1.0/1.1 only, or
//! only CBC/static-RSA suites, as the maker's example 3.2 configures) is answered by OpenSSL
//! instead, like the maker's own test server would.
//! `--keylog` (or `SSLKEYLOGFILE`) logs the secrets of the sessions it serves.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use clap::ValueEnum;
use qsslsim_tls::keylog::{KeyLogWriter, RustlsKeyLog};
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

/// What the peer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Proto {
    /// TLS over TCP with the test certificate.
    #[default]
    Tls,
    /// Plain TCP: the same modes without the handshake.
    Tcp,
    /// UDP datagrams: echo, sink, source (one burst per datagram received).
    Udp,
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
    /// TLS (default), plain TCP, or UDP (echo answers each datagram to its sender, sink counts,
    /// source answers each datagram with 8 datagrams of 1024 bytes; no http).
    #[arg(long, value_enum, default_value_t = Proto::Tls)]
    pub proto: Proto,
    /// Offer TLS 1.3 too (default: TLS 1.2 only, like the module; --proto tls only).
    #[arg(long)]
    pub tls13: bool,
    /// Append the secrets of every session the peer serves (either engine) to FILE, in the
    /// NSS key-log format (mode 0600). Without it, SSLKEYLOGFILE names the file when set.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
}

/// `qsslsim peer --keylog`: the server side's key log. Only the standalone peer sets it; the
/// peer `--demo` starts inside the daemon leaves it unset, since the daemon's own key log
/// already holds the client side of the same sessions.
static SERVER_KEYLOG: OnceLock<Arc<KeyLogWriter>> = OnceLock::new();

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
            #[cfg(feature = "legacy-tls")]
            if !legacy_peer::rustls_can_serve(&tcp).await {
                legacy_peer::serve_one(tcp, from, mode).await;
                return;
            }
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

/// The 16 KiB a..z block a source sends over and over (UDP: its first 8 KiB per burst).
pub(crate) fn source_block() -> Vec<u8> {
    (0..16 * 1024).map(|i| b'a' + (i % 26) as u8).collect()
}

/// Serve one stream (TLS or plain TCP) in `mode` until the client goes away.
pub(crate) async fn handle<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
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
            let pattern = source_block();
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
/// `--allow-non-loopback`, `--mode http` over UDP, and `--tls13` or `--keylog` without TLS
/// (exit 2); a closed stdout or stderr does not stop it.
pub async fn run(args: PeerArgs) -> i32 {
    if !args.listen.ip().is_loopback() && !args.allow_non_loopback {
        let why = match args.proto {
            Proto::Tls => "the peer serves a test certificate whose key is public",
            Proto::Tcp | Proto::Udp => "an open echo or source is a relay for anyone who can reach it",
        };
        complain(&format!(
            "qsslsim peer: --listen {} is not a loopback address; {why}, so it listens on loopback only \
             (127.0.0.1, ::1) unless you pass --allow-non-loopback",
            args.listen
        ));
        return 2;
    }
    if let Err(e) = crate::peer_plain::check(args.proto, args.mode) {
        complain(&format!("qsslsim peer: {e}"));
        return 2;
    }
    if args.proto != Proto::Tls {
        // SSLKEYLOGFILE may be set for other programs; an explicit --keylog is a mistake.
        if args.tls13 || args.keylog.is_some() {
            complain("qsslsim peer: --tls13 and --keylog apply to --proto tls only");
            return 2;
        }
        return crate::peer_plain::run(args.proto, args.listen, args.mode).await;
    }
    let listener = match TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            complain(&format!("qsslsim peer: cannot listen on {}: {e}", args.listen));
            return 1;
        }
    };
    let mut config = server_config(args.tls13);
    if let Some(path) = crate::cli::keylog_path(args.keylog.as_ref()) {
        let writer = match KeyLogWriter::open(&path) {
            Ok(w) => Arc::new(w),
            Err(e) => {
                complain(&format!("qsslsim peer: cannot open the TLS key log {}: {e}", path.display()));
                return 1;
            }
        };
        info!(path = %path.display(), "peer: the secrets of every TLS session go to {}", path.display());
        Arc::make_mut(&mut config).key_log = Arc::new(RustlsKeyLog(writer.clone()));
        let _ = SERVER_KEYLOG.set(writer);
    }
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    say(&format!("LISTENING {addr}"));
    info!(%addr, mode = ?args.mode, "peer listening");
    serve(listener, config, args.mode).await;
    0
}

/// The peer's second engine: OpenSSL for the clients rustls cannot serve.
#[cfg(feature = "legacy-tls")]
mod legacy_peer {
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::sync::OnceLock;
    use std::time::Duration;

    use openssl::pkey::PKey;
    use openssl::ssl::{Ssl, SslContext, SslContextBuilder, SslMethod, SslMode, SslOptions, SslVersion};
    use openssl::x509::X509;
    use tokio::net::TcpStream;
    use tracing::debug;

    use super::{handle, PeerMode, SERVER_CERT_PEM, SERVER_KEY_PEM};

    /// The TLS 1.2 suites rustls (ring) has for an RSA certificate, and the TLS 1.3 suites.
    const RUSTLS_TLS12_RSA: [u16; 3] = [0xC02F, 0xC030, 0xCCA8];
    const TLS13_SUITES: [u16; 3] = [0x1301, 0x1302, 0x1303];

    /// What a ClientHello offers: the versions and the cipher suites.
    #[derive(Debug, Default, PartialEq, Eq)]
    pub(super) struct Offer {
        pub versions: Vec<u16>,
        pub suites: Vec<u16>,
    }

    fn u16_at(b: &[u8], i: usize) -> Option<u16> {
        Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
    }

    /// Parses the ClientHello record at the start of `bytes`: `Ok(None)` when more bytes are
    /// needed, `Err(())` when it is not a ClientHello this parser understands.
    pub(super) fn parse_hello(bytes: &[u8]) -> Result<Option<Offer>, ()> {
        if bytes.len() < 5 {
            return Ok(None);
        }
        if bytes[0] != 0x16 {
            return Err(());
        }
        let len = usize::from(u16_at(bytes, 3).ok_or(())?);
        if bytes.len() < 5 + len {
            return Ok(None);
        }
        let hs = &bytes[5..5 + len];
        if hs.first() != Some(&1) {
            return Err(());
        }
        let legacy_version = u16_at(hs, 4).ok_or(())?;
        let mut i = 4 + 2 + 32;
        i += 1 + usize::from(*hs.get(i).ok_or(())?);
        let suites_len = usize::from(u16_at(hs, i).ok_or(())?);
        let suites: Vec<u16> =
            (0..suites_len / 2).map(|k| u16_at(hs, i + 2 + 2 * k)).collect::<Option<_>>().ok_or(())?;
        i += 2 + suites_len;
        i += 1 + usize::from(*hs.get(i).ok_or(())?);
        let mut versions = vec![legacy_version];
        if let Some(ext_len) = u16_at(hs, i) {
            let end = (i + 2 + usize::from(ext_len)).min(hs.len());
            let mut j = i + 2;
            while j + 4 <= end {
                let (kind, len) = (u16_at(hs, j).ok_or(())?, usize::from(u16_at(hs, j + 2).ok_or(())?));
                let body = hs.get(j + 4..j + 4 + len).ok_or(())?;
                if kind == 0x002b && !body.is_empty() {
                    versions = body[1..].chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
                }
                j += 4 + len;
            }
        }
        Ok(Some(Offer { versions, suites }))
    }

    impl Offer {
        /// Whether rustls (TLS 1.2 with the RSA certificate, or TLS 1.3) can serve it.
        pub(super) fn rustls_can_serve(&self) -> bool {
            let offers = |v: u16| self.versions.contains(&v);
            let any = |list: &[u16]| self.suites.iter().any(|s| list.contains(s));
            (offers(0x0303) && any(&RUSTLS_TLS12_RSA)) || (offers(0x0304) && any(&TLS13_SUITES))
        }
    }

    /// Peeks at the ClientHello (without consuming it) to choose the engine; rustls unless
    /// the hello is readable and rustls clearly cannot serve it.
    pub(super) async fn rustls_can_serve(tcp: &TcpStream) -> bool {
        let mut buf = vec![0u8; 16 * 1024 + 5];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut seen = 0;
        loop {
            let n = match tokio::time::timeout_at(deadline, tcp.peek(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => n,
                _ => return true,
            };
            match parse_hello(&buf[..n]) {
                Ok(Some(offer)) => return offer.rustls_can_serve(),
                Err(()) => return true,
                Ok(None) if n == buf.len() => return true,
                Ok(None) => {}
            }
            if n == seen {
                // peek returns at once while the bytes already there are all there is.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            seen = n;
        }
    }

    /// TLS 1.0 to 1.2 with every suite OpenSSL has, at security level 0.
    fn context() -> Option<&'static SslContext> {
        static CTX: OnceLock<Option<SslContext>> = OnceLock::new();
        CTX.get_or_init(|| {
            let build = || -> Result<SslContext, openssl::error::ErrorStack> {
                let mut b = SslContextBuilder::new(SslMethod::tls_server())?;
                b.set_security_level(0);
                b.set_min_proto_version(Some(SslVersion::TLS1))?;
                b.set_max_proto_version(Some(SslVersion::TLS1_2))?;
                b.set_cipher_list("ALL:@SECLEVEL=0")?;
                b.set_options(SslOptions::ALL | SslOptions::NO_COMPRESSION);
                b.set_mode(
                    SslMode::AUTO_RETRY | SslMode::ACCEPT_MOVING_WRITE_BUFFER | SslMode::ENABLE_PARTIAL_WRITE,
                );
                let cert = X509::from_pem(SERVER_CERT_PEM)?;
                let key = PKey::private_key_from_pem(SERVER_KEY_PEM)?;
                b.set_certificate(&cert)?;
                b.set_private_key(&key)?;
                b.check_private_key()?;
                if let Some(key_log) = super::SERVER_KEYLOG.get() {
                    b.set_keylog_callback(move |_, line| key_log.write_line(line));
                }
                Ok(b.build())
            };
            build().map_err(|e| tracing::warn!("peer: OpenSSL server context: {e}")).ok()
        })
        .as_ref()
    }

    pub(super) async fn serve_one(tcp: TcpStream, from: SocketAddr, mode: PeerMode) {
        let Some(ctx) = context() else { return };
        let Ok(ssl) = Ssl::new(ctx) else { return };
        let Ok(mut tls) = tokio_openssl::SslStream::new(ssl, tcp) else { return };
        match Pin::new(&mut tls).accept().await {
            Ok(()) => {
                debug!(%from, ?mode, version = tls.ssl().version_str(), "peer: legacy client connected (OpenSSL)");
                let _ = handle(tls, mode).await;
            }
            Err(e) => debug!(%from, error = %e, "peer: legacy handshake failed"),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// A ClientHello as OpenSSL writes it for `versions` and `ciphers`.
        fn hello(min: SslVersion, max: SslVersion, ciphers: &str) -> Vec<u8> {
            struct Sink(Vec<u8>);
            impl std::io::Read for Sink {
                fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                    Err(std::io::ErrorKind::WouldBlock.into())
                }
            }
            impl std::io::Write for Sink {
                fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                    self.0.extend_from_slice(b);
                    Ok(b.len())
                }
                fn flush(&mut self) -> std::io::Result<()> {
                    Ok(())
                }
            }
            let mut b = SslContextBuilder::new(SslMethod::tls_client()).unwrap();
            b.set_security_level(0);
            b.set_min_proto_version(Some(min)).unwrap();
            b.set_max_proto_version(Some(max)).unwrap();
            b.set_cipher_list(ciphers).unwrap();
            let ssl = Ssl::new(&b.build()).unwrap();
            match ssl.connect(Sink(Vec::new())) {
                Err(openssl::ssl::HandshakeError::WouldBlock(mid)) => mid.get_ref().0.clone(),
                _ => panic!("no ClientHello"),
            }
        }

        #[test]
        fn chooses_openssl_only_for_what_rustls_cannot_serve() {
            let cases = [
                (SslVersion::TLS1, SslVersion::TLS1, "AES256-SHA:@SECLEVEL=0", false),
                (SslVersion::TLS1_2, SslVersion::TLS1_2, "AES256-SHA:@SECLEVEL=0", false),
                (
                    SslVersion::TLS1,
                    SslVersion::TLS1_2,
                    "AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
                    true,
                ),
                (SslVersion::TLS1_2, SslVersion::TLS1_3, "AES256-SHA:@SECLEVEL=0", true),
            ];
            for (min, max, ciphers, rustls) in cases {
                let bytes = hello(min, max, ciphers);
                let offer = parse_hello(&bytes).unwrap().unwrap();
                assert_eq!(offer.rustls_can_serve(), rustls, "{min:?}..{max:?} {ciphers}: {offer:?}");
                assert_eq!(parse_hello(&bytes[..bytes.len() - 1]), Ok(None));
            }
            assert_eq!(parse_hello(b"GET / HTTP/1.1\r\n"), Err(()));
        }
    }
}

/// A line on stdout; a reader that went away (`| true`) is not the peer's problem.
pub(crate) fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// A line on stderr, ignoring a closed stderr.
pub(crate) fn complain(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
