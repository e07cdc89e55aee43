//! Helpers for the hostile-input and limit tests (tests/hostile.rs, tests/limits.rs): the
//! daemon's memory from /proc, a seeded byte generator, a writer thread so the host can read
//! and write the pty at once, the control socket, and TLS servers in this process that
//! misbehave on purpose (never read, digest everything, speak garbage).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use sha2::{Digest, Sha256};

use super::support::{show, Daemon, Port};

/// The bound every hostile test holds the daemon's resident memory to.
pub const RSS_LIMIT_KB: u64 = 64 * 1024;

const CERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../certs");

// ---- memory -------------------------------------------------------------------------------

/// One field of /proc/<pid>/status in kB (VmRSS, VmHWM, ...).
pub fn status_kb(pid: u32, field: &str) -> u64 {
    let text = super::support::read_text(format!("/proc/{pid}/status"));
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status (did the daemon exit?)"))
}

pub fn rss_kb(d: &Daemon) -> u64 {
    status_kb(d.child.id(), "VmRSS")
}

/// Peak resident memory since the daemon started: catches a spike between samples.
pub fn peak_kb(d: &Daemon) -> u64 {
    status_kb(d.child.id(), "VmHWM")
}

/// The daemon is still running and neither its current nor its peak memory passed the limit.
#[track_caller]
pub fn assert_alive_and_bounded(d: &mut Daemon, what: &str) {
    if let Some(status) = d.child.try_wait().unwrap() {
        panic!("{what}: the daemon exited ({status}); see its stderr above for a panic");
    }
    let (rss, peak) = (rss_kb(d), peak_kb(d));
    eprintln!("{what}: daemon VmRSS {rss} kB, VmHWM {peak} kB");
    assert!(
        peak < RSS_LIMIT_KB,
        "{what}: the daemon's memory went unbounded: VmHWM {peak} kB (now {rss} kB), limit {RSS_LIMIT_KB} kB"
    );
}

/// Every hostile test ends here: the port still answers `AT` exactly, nothing else follows,
/// and memory stayed bounded. Expects echo off.
#[track_caller]
pub fn finish(d: &mut Daemon, p: &mut Port, what: &str) {
    assert_alive_and_bounded(d, what);
    p.transact("AT\r", "\r\nOK\r\n");
    p.expect_quiet(Duration::from_millis(100));
    assert_alive_and_bounded(d, what);
}

// ---- the host side of the pty --------------------------------------------------------------

/// Read until nothing has arrived for `quiet` (at most `max`); returns what came.
pub fn drain_quiet(p: &mut Port, quiet: Duration, max: Duration) -> Vec<u8> {
    let start = Instant::now();
    let mut all = Vec::new();
    loop {
        let got = p.read_for(quiet);
        if got.is_empty() {
            return all;
        }
        all.extend_from_slice(&got);
        assert!(
            start.elapsed() < max,
            "the port never went quiet within {max:?}; {} bytes so far",
            all.len()
        );
    }
}

/// Read until `n` bytes have arrived; panics with `what` if they do not within `wait`.
#[track_caller]
pub fn read_exactly(p: &mut Port, n: usize, wait: Duration, what: &str) -> Vec<u8> {
    let got = p.take(n, wait);
    assert_eq!(got.len(), n, "{what}: only {} of {n} bytes arrived within {wait:?}", got.len());
    got
}

/// Writes `data` to the pty from a second descriptor on a thread, so that the caller can keep
/// reading (a host that writes megabytes without reading would deadlock with the daemon, which
/// blocks on its output by design).
pub struct Writer {
    handle: Option<JoinHandle<()>>,
}

impl Writer {
    pub fn start(pty: &Path, data: Vec<u8>) -> Writer {
        Self::start_chunked(pty, data, usize::MAX)
    }

    /// Write in pieces of at most `chunk` bytes (separate write calls).
    pub fn start_chunked(pty: &Path, data: Vec<u8>, chunk: usize) -> Writer {
        let mut w = Port::open(pty);
        let handle = std::thread::spawn(move || {
            for piece in data.chunks(chunk.max(1)) {
                w.send(piece);
            }
        });
        Writer { handle: Some(handle) }
    }

    pub fn done(&self) -> bool {
        self.handle.as_ref().is_none_or(|h| h.is_finished())
    }

    pub fn join(&mut self) {
        if let Some(h) = self.handle.take() {
            h.join().expect("writer thread");
        }
    }
}

/// Read while a [`Writer`] writes, until it is done and the port has been quiet for `quiet`.
/// Returns everything read. `max` bounds the whole exchange.
pub fn read_while_writing(p: &mut Port, w: &mut Writer, quiet: Duration, max: Duration) -> Vec<u8> {
    let start = Instant::now();
    let mut all = Vec::new();
    while !w.done() {
        all.extend(p.read_for(Duration::from_millis(50)));
        assert!(
            start.elapsed() < max,
            "writing did not finish within {max:?} ({} bytes read back)",
            all.len()
        );
    }
    w.join();
    all.extend(drain_quiet(p, quiet, max.saturating_sub(start.elapsed()).max(quiet * 4)));
    all
}

// ---- data -------------------------------------------------------------------------------

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

pub fn random_bytes(rng: &mut StdRng, n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rng.fill(&mut v[..]);
    v
}

/// Random bytes in which `+` never comes three in a row, so no `+++` escape can be read into
/// them whatever the pty's timing (a writer stalled by backpressure can produce guard silence).
pub fn random_no_escape(rng: &mut StdRng, n: usize) -> Vec<u8> {
    let mut v = random_bytes(rng, n);
    for i in 2..v.len() {
        if v[i] == b'+' && v[i - 1] == b'+' && v[i - 2] == b'+' {
            v[i] = b'-';
        }
    }
    v
}

pub fn sha_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// The built-in `source` peer's stream: a 16 KiB block of `a`..`z` repeating, sent over and
/// over (crates/qsslsim/src/peer.rs).
pub fn source_byte(offset: u64) -> u8 {
    b'a' + ((offset % (16 * 1024)) % 26) as u8
}

/// Checks received data against the source peer's stream, byte for byte.
#[derive(Default)]
pub struct SourceCheck {
    pub offset: u64,
}

impl SourceCheck {
    #[track_caller]
    pub fn feed(&mut self, data: &[u8], what: &str) {
        for (i, &b) in data.iter().enumerate() {
            let want = source_byte(self.offset + i as u64);
            assert_eq!(
                b,
                want,
                "{what}: byte {} of the server's stream is {:?}, expected {:?} (lost or reordered data)",
                self.offset + i as u64,
                b as char,
                want as char
            );
        }
        self.offset += data.len() as u64;
    }
}

/// Count non-overlapping occurrences of `needle`.
pub fn count(hay: &[u8], needle: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while let Some(pos) = super::support::find(&hay[i..], needle) {
        n += 1;
        i += pos + needle.len();
    }
    n
}

/// The first and last `n` bytes of `data`, escaped, for failure messages.
pub fn ends(data: &[u8], n: usize) -> String {
    if data.len() <= 2 * n {
        show(data)
    } else {
        format!("{} ... ({} bytes) ... {}", show(&data[..n]), data.len(), show(&data[data.len() - n..]))
    }
}

// ---- the control socket -------------------------------------------------------------------

/// A control socket path unique to this test process and `name`.
pub fn control_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("qsslsim-{}-{name}.sock", std::process::id()))
}

/// One request, one reply.
pub fn ctl(path: &Path, request: &str) -> serde_json::Value {
    let mut s =
        UnixStream::connect(path).unwrap_or_else(|e| panic!("control socket {}: {e}", path.display()));
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    s.write_all(b"\n").unwrap();
    let mut line = String::new();
    BufReader::new(&s).read_line(&mut line).unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("control reply {line:?}: {e}"))
}

/// Socket `id` in the control socket's `state` (None if it is in state Initial).
pub fn socket_state(path: &Path, id: u64) -> Option<serde_json::Value> {
    let v = ctl(path, r#"{"verb":"state"}"#);
    assert_eq!(v["ok"], true, "{v}");
    v["state"]["sockets"].as_array().unwrap().iter().find(|s| s["id"] == id).cloned()
}

// ---- misbehaving servers --------------------------------------------------------------------

pub fn server_config() -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(format!("{CERTS}/server-rsa.pem"))
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
    let key = PrivateKeyDer::from_pem_file(format!("{CERTS}/server-rsa.key")).unwrap();
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    Arc::new(config)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Read everything, keeping a count and a SHA-256 per connection.
    Digest,
    /// Finish the handshake, then never read again (the connection is kept open).
    NeverRead,
    /// Plain TCP: write `n` random bytes instead of a ServerHello, then close.
    Garbage(usize),
}

/// What one connection delivered to a [`Server`] in [`Behaviour::Digest`].
#[derive(Clone)]
pub struct Received {
    pub bytes: u64,
    pub sha: Sha256,
    pub ended: bool,
}

impl Received {
    pub fn hex(&self) -> String {
        self.sha.clone().finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A server in this process on 127.0.0.1 that misbehaves as told.
pub struct Server {
    pub port: u16,
    conns: Arc<Mutex<Vec<Received>>>,
    held: Arc<Mutex<Vec<StreamOwned<ServerConnection, TcpStream>>>>,
}

impl Server {
    pub fn start(behaviour: Behaviour) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let conns: Arc<Mutex<Vec<Received>>> = Arc::default();
        let held: Arc<Mutex<Vec<StreamOwned<ServerConnection, TcpStream>>>> = Arc::default();
        let (c, h) = (conns.clone(), held.clone());
        let config = server_config();
        std::thread::spawn(move || {
            for (seed, tcp) in listener.incoming().enumerate() {
                let Ok(tcp) = tcp else { continue };
                let (c, h, config) = (c.clone(), h.clone(), config.clone());
                std::thread::spawn(move || serve(tcp, behaviour, config, c, h, seed as u64));
            }
        });
        Server { port, conns, held }
    }

    /// Connection `i` as it stands now.
    pub fn received(&self, i: usize) -> Option<Received> {
        self.conns.lock().unwrap().get(i).cloned()
    }

    /// Wait until connection `i` has delivered at least `n` bytes.
    #[track_caller]
    pub fn wait_bytes(&self, i: usize, n: u64, wait: Duration) -> Received {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(r) = self.received(i).filter(|r| r.bytes >= n) {
                return r;
            }
            if Instant::now() > deadline {
                let got = self.received(i).map_or(0, |r| r.bytes);
                panic!("the server received {got} of {n} bytes on connection {i} within {wait:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Connections handshaken and held without reading.
    pub fn held(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

fn serve(
    mut tcp: TcpStream,
    behaviour: Behaviour,
    config: Arc<ServerConfig>,
    conns: Arc<Mutex<Vec<Received>>>,
    held: Arc<Mutex<Vec<StreamOwned<ServerConnection, TcpStream>>>>,
    seed: u64,
) {
    match behaviour {
        Behaviour::Garbage(n) => {
            let mut r = rng(0x6a7b ^ seed);
            // Wait for the ClientHello so the client is really in its handshake.
            let mut hello = [0u8; 512];
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = tcp.read(&mut hello);
            let _ = tcp.write_all(&random_bytes(&mut r, n));
        }
        Behaviour::NeverRead => {
            let mut conn = ServerConnection::new(config).unwrap();
            while conn.is_handshaking() {
                if conn.complete_io(&mut tcp).is_err() {
                    return;
                }
            }
            held.lock().unwrap().push(StreamOwned::new(conn, tcp));
        }
        Behaviour::Digest => {
            let i = {
                let mut c = conns.lock().unwrap();
                c.push(Received { bytes: 0, sha: Sha256::new(), ended: false });
                c.len() - 1
            };
            let conn = ServerConnection::new(config).unwrap();
            let mut s = StreamOwned::new(conn, tcp);
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut c = conns.lock().unwrap();
                        c[i].bytes += n as u64;
                        c[i].sha.update(&buf[..n]);
                    }
                }
            }
            conns.lock().unwrap()[i].ended = true;
        }
    }
}
