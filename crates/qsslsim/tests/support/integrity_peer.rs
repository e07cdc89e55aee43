//! Helpers for the integrity suite: deterministic byte streams full of bytes that mean
//! something to an AT interpreter, in-process servers (TLS or plain TCP: hash and check what
//! arrives, send a known stream; UDP: echo each datagram, checking it against what the host got
//! `SEND OK` for), a raw non-blocking host end of the pty, and a host driver that runs many
//! sockets at once, SSL (`AT+QSSL*`) and TCP/UDP (`AT+QI*`), each in buffer or push mode
//! (pipelined commands, random write sizes, URCs parsed wherever they may legally appear), with
//! transparent sessions in between.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use nix::fcntl::{open, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::stat::Mode;
use nix::sys::termios::{self, SetArg};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---- small utilities ---------------------------------------------------------------------

/// Bytes as escaped text, cut to `max` bytes.
pub fn show(bytes: &[u8], max: usize) -> String {
    let cut = &bytes[..bytes.len().min(max)];
    let mut s = cut.escape_ascii().to_string();
    if bytes.len() > max {
        s.push_str(&format!("...(+{} bytes)", bytes.len() - max));
    }
    s
}

pub fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Per-socket byte count from `QSSLSIM_INTEGRITY_MB` (MiB, fractions allowed), else `default`.
pub fn stream_len(default: u64) -> u64 {
    match std::env::var("QSSLSIM_INTEGRITY_MB") {
        Ok(v) => (v.trim().parse::<f64>().expect("QSSLSIM_INTEGRITY_MB: a number of MiB") * 1048576.0) as u64,
        Err(_) => default,
    }
}

/// The run's base seed (`QSSLSIM_INTEGRITY_SEED`, else from the clock); printed so a failure
/// can be replayed.
pub fn base_seed(test: &str) -> u64 {
    let seed = match std::env::var("QSSLSIM_INTEGRITY_SEED") {
        Ok(v) => v.trim().parse().expect("QSSLSIM_INTEGRITY_SEED: an integer"),
        Err(_) => {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        }
    };
    eprintln!("[{test}] seed {seed} (replay with QSSLSIM_INTEGRITY_SEED={seed})");
    seed
}

/// A write size between 1 byte and 64 KiB, log-uniform so that tiny and huge writes are both
/// common.
pub fn chunk_size(rng: &mut StdRng) -> usize {
    let e = rng.gen_range(0..=16u32);
    let hi = 1usize << e;
    rng.gen_range(hi / 2 + 1..=hi).max(1)
}

// ---- deterministic streams --------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Random bytes salted with AT syntax, result codes, URC lookalikes, `+++`, Ctrl+Z, ESC,
    /// NUL, backspace, XON/XOFF, CR, LF.
    Tricky,
    /// Like `Tricky` but without 0x1A and 0x1B (usable in variable-length sends).
    NoCtrlZ,
    /// Lowercase letters only: never confusable with framing.
    Plain,
}

const TOKENS: &[&[u8]] = &[
    b"+++",
    b"+",
    b"++",
    b"+++\r\n",
    b"\r\nOK\r\n",
    b"\r\nERROR\r\n",
    b"\x1a",
    b"\x1b",
    b"\x1a\x1b\x1a",
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\r",
    b"AT\r",
    b"ATE1\r",
    b"AT+QSSLCLOSE=0\r",
    b"A/",
    b"ATO\r",
    b"\r\n+QSSLURC: \"recv\",0,10\r\n",
    b"\r\n+QSSLURC: \"closed\",1\r\n",
    b"\r\n+QSSLRECV: 5\r\n",
    b"\r\nSEND OK\r\n",
    b"\r\nSEND FAIL\r\n",
    b"\r\nNO CARRIER\r\n",
    b"\r\nCONNECT\r\n",
    b"\r\n> ",
    b"\x00",
    b"\x00\x00\x00",
    b"\x08",
    b"\x11\x13",
    b"\x03\x04\x1c\x1a",
    b"\x7f",
    b"\xff\xfe",
];

/// A deterministic stream: the same seed and kind give the same bytes however they are taken.
pub struct Pattern {
    state: u64,
    kind: Kind,
    buf: Vec<u8>,
    pos: usize,
}

impl Pattern {
    pub fn new(seed: u64, kind: Kind) -> Pattern {
        Pattern { state: seed ^ 0x5DEE_CE66_D1CE_4E5B, kind, buf: Vec::new(), pos: 0 }
    }

    fn next(&mut self) -> u64 {
        // splitmix64
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn refill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        let target = 256 + (self.next() % 3840) as usize;
        while self.buf.len() < target {
            let r = self.next();
            if self.kind != Kind::Plain && r.is_multiple_of(6) {
                let t = TOKENS[((r >> 8) % TOKENS.len() as u64) as usize];
                if self.kind == Kind::NoCtrlZ && t.iter().any(|&b| b == 0x1a || b == 0x1b) {
                    continue;
                }
                self.buf.extend_from_slice(t);
                continue;
            }
            let run = 1 + ((r >> 8) % 64) as usize;
            let start = self.buf.len();
            while self.buf.len() < start + run {
                let x = self.next();
                self.buf.extend_from_slice(&x.to_le_bytes());
            }
            self.buf.truncate(start + run);
            match self.kind {
                Kind::Tricky => {}
                Kind::NoCtrlZ => {
                    for b in &mut self.buf[start..] {
                        if *b == 0x1a || *b == 0x1b {
                            *b = b'z';
                        }
                    }
                }
                Kind::Plain => {
                    for b in &mut self.buf[start..] {
                        *b = b'a' + (*b % 26);
                    }
                }
            }
        }
    }

    pub fn fill(&mut self, out: &mut [u8]) {
        let mut off = 0;
        while off < out.len() {
            if self.pos == self.buf.len() {
                self.refill();
            }
            let n = (self.buf.len() - self.pos).min(out.len() - off);
            out[off..off + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            off += n;
        }
    }

    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.fill(&mut v);
        v
    }
}

/// Checks a received stream against the expected one as it arrives; hashes it.
pub struct Checker {
    pub what: String,
    gen: Pattern,
    pub expected_len: u64,
    pub got: u64,
    hash: Sha256,
    pub problem: Option<String>,
}

impl Checker {
    pub fn new(what: String, seed: u64, kind: Kind, expected_len: u64) -> Checker {
        Checker {
            what,
            gen: Pattern::new(seed, kind),
            expected_len,
            got: 0,
            hash: Sha256::new(),
            problem: None,
        }
    }

    pub fn feed(&mut self, data: &[u8]) {
        if self.problem.is_none() {
            let left = self.expected_len.saturating_sub(self.got) as usize;
            let n = data.len().min(left);
            let exp = self.gen.take(n);
            if exp[..] != data[..n] {
                let i = exp.iter().zip(data).position(|(a, b)| a != b).unwrap();
                let lo = i.saturating_sub(16);
                self.problem = Some(format!(
                    "{}: byte {} (of {}) differs; expected ..{}.. got ..{}.. (chunk of {} bytes starting at {})",
                    self.what,
                    self.got + i as u64,
                    self.expected_len,
                    show(&exp[lo..(i + 32).min(n)], 64),
                    show(&data[lo..(i + 32).min(data.len())], 64),
                    data.len(),
                    self.got
                ));
            } else if data.len() > left {
                self.problem = Some(format!(
                    "{}: {} bytes more than the {} sent (duplicated data?); the extra starts with {}",
                    self.what,
                    data.len() - left,
                    self.expected_len,
                    show(&data[n..], 48)
                ));
            }
        }
        self.hash.update(data);
        self.got += data.len() as u64;
    }

    pub fn complete(&self) -> bool {
        self.got >= self.expected_len
    }

    pub fn digest(&self) -> String {
        hex(&self.hash.clone().finalize())
    }
}

/// The digest of the first `len` bytes of a stream.
pub fn stream_sha(seed: u64, kind: Kind, len: u64) -> String {
    let mut p = Pattern::new(seed, kind);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 65536];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        p.fill(&mut buf[..n]);
        h.update(&buf[..n]);
        left -= n as u64;
    }
    hex(&h.finalize())
}

/// The bytes the host got `SEND OK` for, in that order, not yet seen by the server: the server
/// checks what it receives against it (a payload answered `SEND FAIL` must never arrive; one
/// retried after a later payload succeeded legitimately arrives after it).
#[derive(Default, Debug)]
pub struct Ledger {
    inner: Mutex<LedgerInner>,
}

#[derive(Default, Debug)]
struct LedgerInner {
    pending: VecDeque<u8>,
    confirmed: u64,
}

impl Ledger {
    pub fn append(&self, bytes: &[u8]) {
        let mut g = self.inner.lock().unwrap();
        g.pending.extend(bytes.iter().copied());
        g.confirmed += bytes.len() as u64;
    }

    /// Match `data`, received at stream offset `offset`, against the confirmed bytes (waiting
    /// a while for the host to parse its `SEND OK`).
    pub async fn check(&self, what: &str, data: &[u8], offset: u64) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            {
                let mut g = self.inner.lock().unwrap();
                let have = g.pending.len().min(data.len());
                let bad = g.pending.iter().take(have).zip(data).position(|(a, b)| a != b);
                if let Some(i) = bad {
                    let exp: Vec<u8> =
                        g.pending.iter().skip(i.saturating_sub(16)).take(48).copied().collect();
                    let lo = i.saturating_sub(16);
                    return Err(format!(
                        "{what}: byte {} differs from what the host got SEND OK for; expected ..{}.. got ..{}..",
                        offset + i as u64,
                        show(&exp, 64),
                        show(&data[lo..(i + 32).min(data.len())], 64)
                    ));
                }
                if have == data.len() {
                    g.pending.drain(..have);
                    return Ok(());
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "{what}: received {} bytes at offset {} that the host never got SEND OK for (confirmed {} in all); they start {}",
                        data.len() - have,
                        offset + have as u64,
                        g.confirmed,
                        show(&data[have..], 64)
                    ));
                }
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

// ---- in-process TLS server ---------------------------------------------------------------

/// What the server does after sending its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Keep reading until the client closes, then close_notify.
    WaitClient,
    /// close_notify (and FIN) at once, then read until the client closes.
    CloseNotify,
    /// FIN without close_notify at once.
    FinOnly,
}

/// What a socket speaks: the SSL family over TLS, or the TCP/IP family over plain TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Ssl,
    Tcp,
    Udp,
}

impl Proto {
    /// The `AT+QIOPEN` service type (`None`: an SSL socket).
    fn service(self) -> Option<&'static str> {
        match self {
            Proto::Ssl => None,
            Proto::Tcp => Some("TCP"),
            Proto::Udp => Some("UDP"),
        }
    }

    pub fn open_cmd(self, id: u8, port: u16, mode: u8) -> String {
        match self.service() {
            None => format!("AT+QSSLOPEN=1,0,{id},\"127.0.0.1\",{port},{mode}\r"),
            Some(t) => format!("AT+QIOPEN=1,{id},\"{t}\",\"127.0.0.1\",{port},0,{mode}\r"),
        }
    }

    /// `AT+QSSLSEND=<id>[,<len>]` or `AT+QISEND=<id>[,<len>]`.
    pub fn send_cmd(self, id: u8, len: Option<usize>) -> String {
        let verb = if self == Proto::Ssl { "AT+QSSLSEND" } else { "AT+QISEND" };
        match len {
            Some(n) => format!("{verb}={id},{n}\r"),
            None => format!("{verb}={id}\r"),
        }
    }

    pub fn recv_cmd(self, id: u8, len: usize) -> String {
        match self {
            Proto::Ssl => format!("AT+QSSLRECV={id},{len}\r"),
            _ => format!("AT+QIRD={id},{len}\r"),
        }
    }

    pub fn close_cmd(self, id: u8) -> String {
        match self {
            Proto::Ssl => format!("AT+QSSLCLOSE={id}\r"),
            _ => format!("AT+QICLOSE={id}\r"),
        }
    }

    /// The header of a read's answer.
    fn recv_prefix(self) -> &'static [u8] {
        match self {
            Proto::Ssl => RECV_PREFIX,
            _ => QIRD_PREFIX,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Spec {
    /// TLS (`Ssl`), a plain TCP listener (`Tcp`), or a UDP echo socket (`Udp`: every datagram
    /// is checked against `ledger` and sent back to its sender; `send_len` is unused).
    pub proto: Proto,
    pub send_len: u64,
    pub send_seed: u64,
    pub send_kind: Kind,
    /// Check what arrives against this stream (seed, kind, length).
    pub expect: Option<(u64, Kind, u64)>,
    pub end: End,
    /// Do not start sending before this many bytes have arrived.
    pub send_after_rx: u64,
    /// Do not read for this long after the handshake.
    pub read_pause: Duration,
    /// Sleep this long between 16 KiB writes.
    pub send_pace: Duration,
    /// A small socket receive buffer so that a server that stops reading stops the sender soon.
    pub small_rcvbuf: bool,
    /// Check what arrives against the host's confirmed sends.
    pub ledger: Option<Arc<Ledger>>,
}

impl Spec {
    pub fn new(send_len: u64, send_seed: u64, kind: Kind) -> Spec {
        Spec {
            proto: Proto::Ssl,
            send_len,
            send_seed,
            send_kind: kind,
            expect: None,
            end: End::WaitClient,
            send_after_rx: 0,
            read_pause: Duration::ZERO,
            send_pace: Duration::ZERO,
            small_rcvbuf: false,
            ledger: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub rx_len: u64,
    pub rx_sha: String,
    pub rx_problem: Option<String>,
    pub tx_len: u64,
    pub tx_sha: String,
    pub error: Option<String>,
    /// UDP: the size of every datagram received, in order (each was echoed once).
    pub datagrams: Vec<usize>,
}

#[derive(Default)]
pub struct Live {
    pub rx: AtomicU64,
    pub tx: AtomicU64,
    pub connections: AtomicU64,
    /// The first MiB received.
    pub head: Mutex<Vec<u8>>,
}

impl Live {
    pub fn head(&self) -> Vec<u8> {
        self.head.lock().unwrap().clone()
    }

    /// Wait until at least `n` bytes have arrived (or `wait` passes); returns the head.
    pub fn head_after(&self, n: usize, wait: Duration) -> Vec<u8> {
        let deadline = Instant::now() + wait;
        while self.head.lock().unwrap().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        // Anything extra that is still on its way.
        std::thread::sleep(Duration::from_millis(100));
        self.head()
    }
}

struct Shared {
    reports: Mutex<Vec<Vec<Report>>>,
    cv: Condvar,
}

/// One listener per spec on 127.0.0.1; every accepted connection follows its listener's spec.
pub struct Server {
    rt: Option<tokio::runtime::Runtime>,
    pub ports: Vec<u16>,
    pub live: Vec<Arc<Live>>,
    shared: Arc<Shared>,
}

impl Server {
    pub fn start(specs: Vec<Spec>) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let shared =
            Arc::new(Shared { reports: Mutex::new(vec![Vec::new(); specs.len()]), cv: Condvar::new() });
        let acceptor = tokio_rustls::TlsAcceptor::from(qsslsim::peer::server_config(false));
        let mut ports = Vec::new();
        let mut live = Vec::new();
        for (i, spec) in specs.into_iter().enumerate() {
            if spec.proto == Proto::Udp {
                let sock = rt.block_on(tokio::net::UdpSocket::bind("127.0.0.1:0")).unwrap();
                ports.push(sock.local_addr().unwrap().port());
                let l = Arc::new(Live::default());
                live.push(l.clone());
                rt.spawn(udp_echo(sock, spec, l, shared.clone(), i));
                continue;
            }
            let sock = rt.block_on(async {
                let s = tokio::net::TcpSocket::new_v4().unwrap();
                if spec.small_rcvbuf {
                    s.set_recv_buffer_size(4096).unwrap();
                }
                s.bind("127.0.0.1:0".parse().unwrap()).unwrap();
                s.listen(16).unwrap()
            });
            ports.push(sock.local_addr().unwrap().port());
            let l = Arc::new(Live::default());
            live.push(l.clone());
            let (shared, acceptor) = (shared.clone(), acceptor.clone());
            rt.spawn(async move {
                loop {
                    let Ok((tcp, _)) = sock.accept().await else { continue };
                    let _ = tcp.set_nodelay(true);
                    l.connections.fetch_add(1, Ordering::SeqCst);
                    let (shared, acceptor, spec, l) =
                        (shared.clone(), acceptor.clone(), spec.clone(), l.clone());
                    tokio::spawn(async move {
                        let report = if spec.proto == Proto::Tcp {
                            let fd = tcp.as_raw_fd();
                            serve(tcp, fd, &spec, &l).await
                        } else {
                            match acceptor.accept(tcp).await {
                                Ok(tls) => {
                                    let fd = tls.get_ref().0.as_raw_fd();
                                    serve(tls, fd, &spec, &l).await
                                }
                                Err(e) => {
                                    Report { error: Some(format!("handshake: {e}")), ..Report::default() }
                                }
                            }
                        };
                        shared.reports.lock().unwrap()[i].push(report);
                        shared.cv.notify_all();
                    });
                }
            });
        }
        Server { rt: Some(rt), ports, live, shared }
    }

    /// The report of listener `i`'s first connection.
    pub fn report(&self, i: usize, wait: Duration) -> Option<Report> {
        let deadline = Instant::now() + wait;
        let mut g = self.shared.reports.lock().unwrap();
        loop {
            if let Some(r) = g[i].first() {
                return Some(r.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            g = self.shared.cv.wait_timeout(g, left).unwrap().0;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// A UDP echo: each datagram is checked against what the host got `SEND OK` for (in order:
/// one lost, duplicated or altered shows as a mismatch) and sent back whole. The report is
/// replaced after every datagram.
async fn udp_echo(sock: tokio::net::UdpSocket, spec: Spec, live: Arc<Live>, shared: Arc<Shared>, i: usize) {
    let mut buf = vec![0u8; 65536];
    let (mut rx_hash, mut tx_hash) = (Sha256::new(), Sha256::new());
    let mut r = Report::default();
    loop {
        let (n, from) = match sock.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                r.error.get_or_insert(format!("UDP receive after {} datagrams: {e}", r.datagrams.len()));
                continue;
            }
        };
        let data = &buf[..n];
        if let (Some(l), None) = (&spec.ledger, &r.rx_problem) {
            let what = format!("UDP server, datagram {} ({n} bytes)", r.datagrams.len());
            if let Err(e) = l.check(&what, data, r.rx_len).await {
                r.rx_problem = Some(e);
            }
        }
        rx_hash.update(data);
        r.rx_len += n as u64;
        r.datagrams.push(n);
        live.rx.fetch_add(n as u64, Ordering::SeqCst);
        match sock.send_to(data, from).await {
            Ok(k) if k == n => {
                tx_hash.update(data);
                r.tx_len += n as u64;
                live.tx.fetch_add(n as u64, Ordering::SeqCst);
            }
            Ok(k) => {
                r.error.get_or_insert(format!("UDP echo of {n} bytes sent {k}"));
            }
            Err(e) => {
                r.error.get_or_insert(format!("UDP echo of {n} bytes: {e}"));
            }
        }
        r.rx_sha = hex(&rx_hash.clone().finalize());
        r.tx_sha = hex(&tx_hash.clone().finalize());
        let mut g = shared.reports.lock().unwrap();
        g[i] = vec![r.clone()];
        shared.cv.notify_all();
    }
}

/// One connection (TLS or plain TCP; `fd` is the TCP socket under it).
async fn serve<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: S,
    fd: std::os::fd::RawFd,
    spec: &Spec,
    live: &Live,
) -> Report {
    let (mut r, mut w) = tokio::io::split(stream);
    let writer = async {
        let (tx_len, tx_sha, mut err) = send_stream(&mut w, spec, live).await;
        let closed = match spec.end {
            End::WaitClient => Ok(()),
            End::CloseNotify => w.shutdown().await,
            // FIN without close_notify: shut the TCP socket's sending side under rustls (for
            // plain TCP the same as CloseNotify).
            // SAFETY: `fd` belongs to the TCP stream, which outlives this call.
            End::FinOnly => match unsafe { nix::libc::shutdown(fd, nix::libc::SHUT_WR) } {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            },
        };
        if let Err(e) = closed {
            err.get_or_insert(format!("close: {e}"));
        }
        (tx_len, tx_sha, err)
    };
    let reader = async {
        match tokio::time::timeout(Duration::from_secs(150), read_stream(&mut r, spec, live)).await {
            Ok(x) => x,
            Err(_) => (0, String::new(), None, Some("the client never closed".to_string())),
        }
    };
    let ((rx_len, rx_sha, rx_problem, rerr), (tx_len, tx_sha, werr)) = tokio::join!(reader, writer);
    if spec.end == End::WaitClient {
        let mut tls = r.unsplit(w);
        let _ = tokio::time::timeout(Duration::from_secs(5), tls.shutdown()).await;
    }
    Report { rx_len, rx_sha, rx_problem, tx_len, tx_sha, error: werr.or(rerr), datagrams: Vec::new() }
}

async fn read_stream<R: tokio::io::AsyncRead + Unpin>(
    r: &mut R,
    spec: &Spec,
    live: &Live,
) -> (u64, String, Option<String>, Option<String>) {
    let mut check =
        spec.expect.map(|(seed, kind, len)| Checker::new("server received".into(), seed, kind, len));
    let mut hash = Sha256::new();
    let mut total = 0u64;
    let mut ledger_problem = None;
    let mut buf = vec![0u8; 32 * 1024];
    if !spec.read_pause.is_zero() {
        tokio::time::sleep(spec.read_pause).await;
    }
    let err = loop {
        match r.read(&mut buf).await {
            Ok(0) => break None,
            Ok(n) => {
                hash.update(&buf[..n]);
                if let Some(c) = check.as_mut() {
                    c.feed(&buf[..n]);
                }
                if let (Some(l), None) = (&spec.ledger, &ledger_problem) {
                    if let Err(e) = l.check("server received", &buf[..n], total).await {
                        ledger_problem = Some(e);
                    }
                }
                total += n as u64;
                {
                    let mut head = live.head.lock().unwrap();
                    let room = (1usize << 20).saturating_sub(head.len()).min(n);
                    head.extend_from_slice(&buf[..room]);
                }
                live.rx.fetch_add(n as u64, Ordering::SeqCst);
            }
            // A client that closes without close_notify is the client's business here.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break None,
            Err(e) => break Some(format!("read after {total} bytes: {e}")),
        }
    };
    let problem = check.and_then(|c| c.problem).or(ledger_problem);
    (total, hex(&hash.finalize()), problem, err)
}

async fn send_stream<W: tokio::io::AsyncWrite + Unpin>(
    w: &mut W,
    spec: &Spec,
    live: &Live,
) -> (u64, String, Option<String>) {
    let mut gen = Pattern::new(spec.send_seed, spec.send_kind);
    let mut rng = StdRng::seed_from_u64(spec.send_seed ^ 0xABCD);
    let mut hash = Sha256::new();
    while live.rx.load(Ordering::SeqCst) < spec.send_after_rx {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut sent = 0u64;
    let mut buf = vec![0u8; 16 * 1024];
    while sent < spec.send_len {
        let n = (rng.gen_range(1..=buf.len()) as u64).min(spec.send_len - sent) as usize;
        gen.fill(&mut buf[..n]);
        if let Err(e) = w.write_all(&buf[..n]).await {
            return (sent, hex(&hash.finalize()), Some(format!("write after {sent} bytes: {e}")));
        }
        hash.update(&buf[..n]);
        sent += n as u64;
        live.tx.fetch_add(n as u64, Ordering::SeqCst);
        if !spec.send_pace.is_zero() {
            tokio::time::sleep(spec.send_pace).await;
        }
    }
    let err = w.flush().await.err().map(|e| format!("flush: {e}"));
    (sent, hex(&hash.finalize()), err)
}

// ---- the host end of the pty --------------------------------------------------------------

const GONE: &str =
    "the daemon's end of the pty is gone: its event loop ended (see the daemon's stderr above for a panic)";

/// The host's end of the serial port, non-blocking, raw, no buffering of its own.
pub struct Tty {
    fd: OwnedFd,
}

impl Tty {
    pub fn open(path: &Path) -> Tty {
        let raw =
            open(path, OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK, Mode::empty()).expect("open pty");
        // SAFETY: `open` just returned this descriptor and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut tio = termios::tcgetattr(&fd).unwrap();
        termios::cfmakeraw(&mut tio);
        termios::tcsetattr(&fd, SetArg::TCSANOW, &tio).unwrap();
        Tty { fd }
    }

    /// Wait up to `ms` for readability (and writability if `out`); returns (readable, writable).
    pub fn wait(&self, out: bool, ms: u16) -> (bool, bool) {
        let mut flags = PollFlags::POLLIN;
        if out {
            flags |= PollFlags::POLLOUT;
        }
        let mut fds = [PollFd::new(self.fd.as_fd(), flags)];
        if poll(&mut fds, PollTimeout::from(ms)).unwrap_or(0) == 0 {
            return (false, false);
        }
        let ev = fds[0].revents().unwrap_or(PollFlags::empty());
        (
            ev.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR),
            ev.contains(PollFlags::POLLOUT),
        )
    }

    /// Read everything available now; returns the count.
    pub fn read_avail(&self, into: &mut Vec<u8>) -> usize {
        let mut total = 0;
        let mut buf = [0u8; 65536];
        loop {
            match nix::unistd::read(self.fd.as_raw_fd(), &mut buf) {
                // A raw tty with nothing to read gives EAGAIN; EOF means a hang-up.
                Ok(0) => panic!("{GONE} (read returned EOF)"),
                Ok(n) => {
                    into.extend_from_slice(&buf[..n]);
                    total += n;
                }
                Err(nix::errno::Errno::EAGAIN) => return total,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => panic!("pty read: {e}"),
            }
        }
    }

    /// One read of at most `max` bytes (a host that reads slowly); returns the count.
    pub fn read_some(&self, into: &mut Vec<u8>, max: usize) -> usize {
        let mut buf = vec![0u8; max];
        match nix::unistd::read(self.fd.as_raw_fd(), &mut buf) {
            Ok(0) => panic!("{GONE} (read returned EOF)"),
            Ok(n) => {
                into.extend_from_slice(&buf[..n]);
                n
            }
            Err(nix::errno::Errno::EAGAIN) | Err(nix::errno::Errno::EINTR) => 0,
            Err(e) => panic!("pty read: {e}"),
        }
    }

    /// One write call; returns how many bytes were taken (0 if the pty is full).
    pub fn write_some(&self, bytes: &[u8]) -> usize {
        match nix::unistd::write(&self.fd, bytes) {
            Ok(n) => n,
            Err(nix::errno::Errno::EAGAIN) | Err(nix::errno::Errno::EINTR) => 0,
            Err(nix::errno::Errno::EIO) => panic!("{GONE} (write: EIO)"),
            Err(e) => panic!("pty write: {e}"),
        }
    }

    /// Write all of `bytes`, reading (into `sink`) while the pty is full.
    pub fn write_all(&self, bytes: &[u8], sink: &mut Vec<u8>) {
        let mut off = 0;
        while off < bytes.len() {
            let n = self.write_some(&bytes[off..]);
            off += n;
            if n == 0 {
                self.wait(true, 50);
                self.read_avail(sink);
            }
        }
    }
}

// ---- the host driver for buffer and push mode --------------------------------------------

/// One socket's part in a driver run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub id: u8,
    pub port: u16,
    /// Host → server stream.
    pub tx_len: u64,
    pub tx_seed: u64,
    pub tx_kind: Kind,
    /// Server → host stream.
    pub rx_len: u64,
    pub rx_seed: u64,
    pub rx_kind: Kind,
    /// The server closes after its stream: a `closed` URC is expected.
    pub expect_close: bool,
    /// Buffer mode: ignore `recv` URCs until the close is reported, then drain.
    pub read_after_close: bool,
    /// Shared with the server: what the host got `SEND OK` for.
    pub ledger: Arc<Ledger>,
    /// The command family and transport.
    pub proto: Proto,
    /// Access mode 0 or 1 for this socket (`None`: the driver's `Cfg::mode`).
    pub mode: Option<u8>,
}

impl Plan {
    /// A socket sending `tx_len` tricky bytes and receiving `rx_len`, and the server spec that
    /// goes with it (port still 0).
    pub fn pair(id: u8, tx_len: u64, rx_len: u64, seed: u64) -> (Plan, Spec) {
        let tx_seed = seed ^ (u64::from(id) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let rx_seed = tx_seed.rotate_left(17) ^ 0xC0FF_EE00_1234_5678;
        let ledger = Arc::new(Ledger::default());
        let mut spec = Spec::new(rx_len, rx_seed, Kind::Tricky);
        spec.ledger = Some(ledger.clone());
        let plan = Plan {
            id,
            port: 0,
            tx_len,
            tx_seed,
            tx_kind: Kind::Tricky,
            rx_len,
            rx_seed,
            rx_kind: Kind::Tricky,
            expect_close: false,
            read_after_close: false,
            ledger,
            proto: Proto::Ssl,
            mode: None,
        };
        (plan, spec)
    }

    /// Like `pair`, over plain TCP with the TCP/IP commands, in access mode `mode`.
    pub fn tcp(id: u8, tx_len: u64, rx_len: u64, seed: u64, mode: u8) -> (Plan, Spec) {
        let (mut plan, mut spec) = Plan::pair(id, tx_len, rx_len, seed);
        plan.proto = Proto::Tcp;
        plan.mode = Some(mode);
        spec.proto = Proto::Tcp;
        (plan, spec)
    }

    /// A UDP socket sending `len` bytes as datagrams of at most `Cfg::max_send` (1460) bytes,
    /// one at a time: the next goes only once the echo of the last is back (so neither kernel
    /// nor module ever has more than one datagram of this socket to hold, and nothing may be
    /// lost). What comes back is checked against the same stream.
    pub fn udp(id: u8, len: u64, seed: u64, mode: u8) -> (Plan, Spec) {
        let (mut plan, mut spec) = Plan::pair(id, len, len, seed);
        plan.proto = Proto::Udp;
        plan.mode = Some(mode);
        plan.rx_seed = plan.tx_seed;
        plan.rx_kind = plan.tx_kind;
        spec.proto = Proto::Udp;
        spec.send_len = 0;
        (plan, spec)
    }
}

#[derive(Debug, Clone)]
pub struct Cfg {
    /// Access mode 0 (buffer) or 1 (push).
    pub mode: u8,
    /// Probability that a payload is written right behind its command, without waiting for
    /// the `>` prompt. Every other 300 ms phase pipelines everything (so writes get large).
    pub pipeline: f64,
    /// Probability of a variable-length send (terminated by Ctrl+Z).
    pub variable: f64,
    pub max_send: usize,
    /// `AT+QSSLRECV` with a random `<readlen>` instead of 1500.
    pub random_readlen: bool,
    /// Commands outstanding at once.
    pub max_outstanding: usize,
    /// `AT+QSSLSEND`s outstanding at once per socket.
    pub depth: usize,
    pub deadline: Duration,
}

impl Cfg {
    pub fn new(mode: u8) -> Cfg {
        Cfg {
            mode,
            pipeline: 0.5,
            variable: 0.0,
            max_send: 1460,
            random_readlen: false,
            max_outstanding: 128,
            depth: 8,
            deadline: Duration::from_secs(170),
        }
    }
}

pub struct SockState {
    pub plan: Plan,
    tx_gen: Pattern,
    pub tx_generated: u64,
    pub tx_confirmed: u64,
    tx_hash: Sha256,
    inflight: VecDeque<Vec<u8>>,
    retry: VecDeque<Vec<u8>>,
    retry_at: Instant,
    pub ledger: Arc<Ledger>,
    pub send_ok: u64,
    pub send_fail: u64,
    pub rx: Checker,
    recv_outstanding: bool,
    recv_wanted: bool,
    pub recvs: u64,
    pub recv_urcs: u64,
    pub push_urcs: u64,
    pub opened: bool,
    pub closed: bool,
    pub rx_at_close: Option<u64>,
    /// A stall probe `AT+QSSLRECV` is outstanding.
    probing: bool,
    /// UDP: the size of every datagram that got `SEND OK`, in order.
    pub sent_datagrams: Vec<usize>,
    /// UDP: since when the echo of the last datagram is awaited.
    echo_since: Option<Instant>,
}

impl SockState {
    pub fn tx_sha(&self) -> String {
        hex(&self.tx_hash.clone().finalize())
    }
}

#[derive(Debug)]
enum Exp {
    Send {
        id: u8,
        prompted: bool,
    },
    Recv {
        id: u8,
        len: usize,
    },
    Exact {
        bytes: Vec<u8>,
        what: String,
    },
    /// `CONNECT`: what follows is transparent data, not for the parser.
    Connect {
        what: String,
    },
}

const URC_PREFIX: &[u8] = b"\r\n+QSSLURC: ";
const OPEN_PREFIX: &[u8] = b"\r\n+QSSLOPEN: ";
const RECV_PREFIX: &[u8] = b"\r\n+QSSLRECV: ";
const QIURC_PREFIX: &[u8] = b"\r\n+QIURC: ";
const QIOPEN_PREFIX: &[u8] = b"\r\n+QIOPEN: ";
const QIRD_PREFIX: &[u8] = b"\r\n+QIRD: ";
const URC_PREFIXES: [&[u8]; 4] = [URC_PREFIX, OPEN_PREFIX, QIURC_PREFIX, QIOPEN_PREFIX];
/// Longest wait for the echo of a UDP datagram before it counts as lost.
const ECHO_WAIT: Duration = Duration::from_secs(10);
const ERROR: &[u8] = b"\r\nERROR\r\n";
const OK: &[u8] = b"\r\nOK\r\n";

/// A host that keeps reading while it writes: commands and payloads go into one output
/// stream written in random sizes; everything that comes back is parsed as it arrives.
pub struct Driver {
    pub tty: Tty,
    pub cfg: Cfg,
    pub socks: Vec<SockState>,
    pub name: String,
    rng: StdRng,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    out_off: usize,
    out_base: u64,
    gates: VecDeque<(u64, u64)>,
    prompts_issued: u64,
    prompts_seen: u64,
    exp: VecDeque<Exp>,
    active: bool,
    /// The port is in transparent mode: input is left in `inbuf` unparsed.
    raw: bool,
    tail_in: VecDeque<u8>,
    tail_out: VecDeque<u8>,
    last_progress: Instant,
    probed: bool,
    started: Instant,
    pub bytes_written: u64,
    pub bytes_read: u64,
    pub writes: u64,
    pub biggest_write: usize,
    pub biggest_attempt: usize,
}

fn is_prefix_of(buf: &[u8], pat: &[u8]) -> bool {
    buf.len() < pat.len() && pat.starts_with(buf)
}

fn push_tail(tail: &mut VecDeque<u8>, bytes: &[u8], keep: usize) {
    tail.extend(bytes.iter().copied());
    while tail.len() > keep {
        tail.pop_front();
    }
}

impl Driver {
    pub fn new(name: &str, tty: Tty, cfg: Cfg, plans: Vec<Plan>, seed: u64) -> Driver {
        let socks: Vec<SockState> = plans
            .into_iter()
            .map(|plan| SockState {
                ledger: plan.ledger.clone(),
                tx_gen: Pattern::new(plan.tx_seed, plan.tx_kind),
                rx: Checker::new(
                    format!("socket {} server→host", plan.id),
                    plan.rx_seed,
                    plan.rx_kind,
                    plan.rx_len,
                ),
                plan,
                tx_generated: 0,
                tx_confirmed: 0,
                tx_hash: Sha256::new(),
                inflight: VecDeque::new(),
                retry: VecDeque::new(),
                retry_at: Instant::now(),
                send_ok: 0,
                send_fail: 0,
                recv_outstanding: false,
                recv_wanted: false,
                recvs: 0,
                recv_urcs: 0,
                push_urcs: 0,
                opened: false,
                closed: false,
                rx_at_close: None,
                probing: false,
                sent_datagrams: Vec::new(),
                echo_since: None,
            })
            .collect();
        if cfg.variable > 0.0 {
            // Variable-length payloads end at Ctrl+Z: the data must not contain it or ESC.
            for s in &socks {
                assert!(
                    s.plan.tx_kind != Kind::Tricky,
                    "variable-length sends need a stream without 0x1A/0x1B"
                );
            }
        }
        let now = Instant::now();
        Driver {
            tty,
            cfg,
            socks,
            name: name.to_string(),
            rng: StdRng::seed_from_u64(seed),
            inbuf: Vec::new(),
            out: Vec::new(),
            out_off: 0,
            out_base: 0,
            gates: VecDeque::new(),
            prompts_issued: 0,
            prompts_seen: 0,
            exp: VecDeque::new(),
            active: false,
            raw: false,
            tail_in: VecDeque::new(),
            tail_out: VecDeque::new(),
            last_progress: now,
            probed: false,
            started: now,
            bytes_written: 0,
            bytes_read: 0,
            writes: 0,
            biggest_write: 0,
            biggest_attempt: 0,
        }
    }

    /// Bytes the test read itself, to be parsed before anything else.
    pub fn inject(&mut self, bytes: &[u8]) {
        self.inbuf.extend_from_slice(bytes);
        self.parse();
    }

    /// The access mode of socket index `i`.
    fn mode_of(&self, i: usize) -> u8 {
        self.socks[i].plan.mode.unwrap_or(self.cfg.mode)
    }

    fn idx(&self, id: u8) -> Result<usize, String> {
        self.socks
            .iter()
            .position(|s| s.plan.id == id)
            .ok_or_else(|| format!("report for socket {id}, not in use"))
    }

    fn queue(&mut self, bytes: &[u8], gate: Option<u64>) {
        if let Some(g) = gate {
            self.gates.push_back((self.out_base + self.out.len() as u64, g));
        }
        self.out.extend_from_slice(bytes);
    }

    fn unwritten(&self) -> usize {
        self.out.len() - self.out_off
    }

    fn writable(&mut self) -> usize {
        while let Some(&(_, g)) = self.gates.front() {
            if g < self.prompts_seen {
                self.gates.pop_front();
            } else {
                break;
            }
        }
        let pos = self.out_base + self.out_off as u64;
        match self.gates.front() {
            Some(&(at, _)) => (at - pos) as usize,
            None => self.unwritten(),
        }
    }

    /// Send a command and wait for exactly `expect` (URCs may come before it).
    pub fn command(&mut self, cmd: &str, expect: &[u8]) {
        self.queue(cmd.as_bytes(), None);
        self.exp
            .push_back(Exp::Exact { bytes: expect.to_vec(), what: format!("reply to {}", cmd.trim_end()) });
        self.run_until(|d| d.exp.is_empty());
    }

    /// ATE0 (echo is on at start), RTS/CTS flow control (policy transparent-flow-control) and
    /// the PDP context.
    pub fn setup(&mut self) {
        self.command("ATE0\r", b"ATE0\r\r\nOK\r\n");
        self.command("AT+IFC=2,2\r", OK);
        self.command("AT+QIACT=1\r", OK);
    }

    /// Open every socket at once (pipelined) and wait for all `+QSSLOPEN: <id>,0` /
    /// `+QIOPEN: <id>,0`.
    pub fn open_all(&mut self) {
        for i in 0..self.socks.len() {
            let p = &self.socks[i].plan;
            let cmd = p.proto.open_cmd(p.id, p.port, self.mode_of(i));
            self.queue(cmd.as_bytes(), None);
            self.exp
                .push_back(Exp::Exact { bytes: OK.to_vec(), what: format!("reply to {}", cmd.trim_end()) });
        }
        self.run_until(|d| d.exp.is_empty() && d.socks.iter().all(|s| s.opened));
    }

    /// Move every stream until all bytes are confirmed both ways (and closes reported).
    pub fn transfer(&mut self) {
        self.active = true;
        self.run_until(Driver::transfer_done);
        self.active = false;
    }

    /// Move the streams until `stop` holds (or all is done), then let every outstanding
    /// command finish without starting new ones: the port is idle in command mode after it.
    pub fn transfer_until(&mut self, stop: impl Fn(&Driver) -> bool) {
        self.active = true;
        self.run_until(|d| Driver::transfer_done(d) || stop(d));
        self.active = false;
        self.run_until(|d| d.exp.is_empty() && d.unwritten() == 0);
    }

    /// Bytes the host got `SEND OK` for on every socket, together.
    pub fn confirmed(&self) -> u64 {
        self.socks.iter().map(|s| s.tx_confirmed).sum()
    }

    /// A transparent session on an idle port (after `transfer_until`): `open` (a command that
    /// answers `CONNECT`), then `tx_len` bytes of `tx` written while `rx` checks what comes
    /// back, then silence, a guarded `+++` and `OK`. URCs of the other sockets may come before
    /// `CONNECT` and after `OK` (they are held meanwhile, policy `urc-hold`); they are parsed as
    /// usual. `echo`: the server echoes, and the host writes at most this many bytes at a time,
    /// each only after everything before it came back (UDP: never more than one datagram in
    /// flight). Returns the sha256 of what was written.
    #[allow(clippy::too_many_arguments)]
    pub fn transparent_session(
        &mut self,
        open: &str,
        tx: &mut Pattern,
        tx_len: u64,
        rx: &mut Checker,
        guard: Duration,
        wait: Duration,
        echo: Option<usize>,
    ) -> Result<String, String> {
        self.queue(open.as_bytes(), None);
        self.exp.push_back(Exp::Connect { what: format!("reply to {}", open.trim_end()) });
        self.run_until(|d| d.raw);
        let mut pending = std::mem::take(&mut self.inbuf);
        let sha = match echo {
            None => raw_exchange(&self.tty, &mut pending, &mut self.rng, tx, tx_len, rx, wait)?,
            Some(max) => paced_echo(&self.tty, &mut pending, &mut self.rng, tx, tx_len, rx, max)?,
        };
        let quiet = Instant::now() + guard + Duration::from_millis(100);
        while Instant::now() < quiet {
            self.tty.wait(false, 10);
            self.tty.read_avail(&mut pending);
        }
        if !pending.is_empty() {
            return Err(format!(
                "{} bytes after the transparent stream, before +++: {}",
                pending.len(),
                show(&pending, 300)
            ));
        }
        let mut off = 0;
        while off < 3 {
            off += self.tty.write_some(&b"+++"[off..]);
        }
        self.raw = false;
        self.exp.push_back(Exp::Exact { bytes: OK.to_vec(), what: "answer to a guarded +++".into() });
        self.last_progress = Instant::now();
        self.run_until(|d| d.exp.is_empty());
        Ok(sha)
    }

    fn transfer_done(&self) -> bool {
        self.exp.is_empty()
            && self.unwritten() == 0
            && self.socks.iter().all(|s| {
                s.inflight.is_empty()
                    && s.retry.is_empty()
                    && s.tx_confirmed == s.plan.tx_len
                    && s.rx.complete()
                    && (!s.plan.expect_close || s.closed)
                    && !s.recv_outstanding
                    && !s.recv_wanted
            })
    }

    /// `AT+QSSLCLOSE` for every socket, all written at once: each close lingers (the module is
    /// busy) while the next commands are already on their way.
    pub fn close_all(&mut self) {
        for i in 0..self.socks.len() {
            let cmd = self.socks[i].plan.proto.close_cmd(self.socks[i].plan.id);
            self.queue(cmd.as_bytes(), None);
            self.exp
                .push_back(Exp::Exact { bytes: OK.to_vec(), what: format!("reply to {}", cmd.trim_end()) });
        }
        self.run_until(|d| d.exp.is_empty());
    }

    pub fn run_until(&mut self, done: impl Fn(&Driver) -> bool) {
        loop {
            if done(self) {
                return;
            }
            if self.active {
                self.schedule();
            }
            let writable = self.writable();
            self.tty.wait(writable > 0, 5);
            let mut got = Vec::new();
            let n = self.tty.read_avail(&mut got);
            if n > 0 {
                self.bytes_read += n as u64;
                self.last_progress = Instant::now();
                self.inbuf.extend_from_slice(&got);
                self.parse();
            }
            let writable = self.writable();
            if writable > 0 {
                let c = chunk_size(&mut self.rng).min(writable);
                self.biggest_attempt = self.biggest_attempt.max(c);
                let k = self.tty.write_some(&self.out[self.out_off..self.out_off + c]);
                if k > 0 {
                    self.writes += 1;
                    self.biggest_write = self.biggest_write.max(k);
                    let written = self.out[self.out_off..self.out_off + k].to_vec();
                    push_tail(&mut self.tail_out, &written, 400);
                    self.out_off += k;
                    self.bytes_written += k as u64;
                    self.last_progress = Instant::now();
                    if self.out_off == self.out.len() || self.out_off > (1 << 20) {
                        self.out.drain(..self.out_off);
                        self.out_base += self.out_off as u64;
                        self.out_off = 0;
                    }
                }
            }
            if self.active && !self.probed && self.last_progress.elapsed() > Duration::from_secs(5) {
                // Stalled: does the module hold data it never announced?
                self.probed = true;
                for i in 0..self.socks.len() {
                    let s = &self.socks[i];
                    if self.mode_of(i) == 0 && !s.rx.complete() && !s.recv_outstanding {
                        let id = s.plan.id;
                        self.queue(s.plan.proto.recv_cmd(id, 1500).as_bytes(), None);
                        self.exp.push_back(Exp::Recv { id, len: 1500 });
                        self.socks[i].recv_outstanding = true;
                        self.socks[i].probing = true;
                    }
                }
            }
            if self.last_progress.elapsed() > Duration::from_secs(20) {
                self.fail("no byte moved on the pty for 20 s (hang)".into());
            }
            if let Some(s) = self.socks.iter().find(|s| s.echo_since.is_some_and(|t| t.elapsed() > ECHO_WAIT))
            {
                let msg = format!(
                    "UDP socket {}: the echo of datagram {} ({} bytes, SEND OK) has not reached the host within {ECHO_WAIT:?} (one datagram in flight on loopback: lost, or held back by the module)",
                    s.plan.id,
                    s.sent_datagrams.len(),
                    s.sent_datagrams.last().copied().unwrap_or(0)
                );
                self.fail(msg);
            }
            if self.started.elapsed() > self.cfg.deadline {
                self.fail(format!("not done within {:?}", self.cfg.deadline));
            }
        }
    }

    fn schedule(&mut self) {
        let now = Instant::now();
        let k = self.socks.len();
        let start = self.rng.gen_range(0..k);
        for j in 0..k {
            if self.exp.len() >= self.cfg.max_outstanding || self.unwritten() > 96 * 1024 {
                return;
            }
            let i = (start + j) % k;
            let (id, proto) = (self.socks[i].plan.id, self.socks[i].plan.proto);
            if self.mode_of(i) == 0 && self.socks[i].recv_wanted && !self.socks[i].recv_outstanding {
                let len = if self.cfg.random_readlen { self.rng.gen_range(1..=1500) } else { 1500 };
                self.queue(proto.recv_cmd(id, len).as_bytes(), None);
                self.exp.push_back(Exp::Recv { id, len });
                self.socks[i].recv_outstanding = true;
            }
            let s = &mut self.socks[i];
            if s.inflight.len() >= self.cfg.depth || now < s.retry_at {
                continue;
            }
            // UDP: one datagram at a time, the next once the last one's echo is back.
            if proto == Proto::Udp && (!s.inflight.is_empty() || s.rx.got < s.tx_confirmed) {
                continue;
            }
            let payload = match s.retry.pop_front() {
                Some(p) => p,
                None if s.tx_generated < s.plan.tx_len => {
                    let n = (self.rng.gen_range(1..=self.cfg.max_send) as u64)
                        .min(s.plan.tx_len - s.tx_generated);
                    s.tx_generated += n;
                    s.tx_gen.take(n as usize)
                }
                None => continue,
            };
            let variable = self.cfg.variable > 0.0 && self.rng.gen_bool(self.cfg.variable);
            let all_pipelined = (self.started.elapsed().as_millis() / 300) % 2 == 1;
            // An <LF> right after a command's <CR> in the same write is a line ending, not data
            // (SPEC §1, policy `echo-lf`): a payload that starts with one must wait for its prompt.
            let pipelined =
                (all_pipelined || self.rng.gen_bool(self.cfg.pipeline)) && payload.first() != Some(&b'\n');
            let prompt_no = self.prompts_issued;
            self.prompts_issued += 1;
            let cmd = proto.send_cmd(id, if variable { None } else { Some(payload.len()) });
            self.queue(cmd.as_bytes(), None);
            let mut data = payload.clone();
            if variable {
                data.push(0x1a);
            }
            self.queue(&data, if pipelined { None } else { Some(prompt_no) });
            self.exp.push_back(Exp::Send { id, prompted: false });
            self.socks[i].inflight.push_back(payload);
        }
    }

    fn parse(&mut self) {
        loop {
            if self.raw {
                return;
            }
            match self.parse_one() {
                Ok(Some(n)) => {
                    let consumed: Vec<u8> = self.inbuf.drain(..n).collect();
                    push_tail(&mut self.tail_in, &consumed, 700);
                    if let Some(p) = self.socks.iter().find_map(|s| s.rx.problem.clone()) {
                        self.fail(p);
                    }
                }
                Ok(None) => return,
                Err(e) => self.fail(e),
            }
        }
    }

    /// Parse one frame at the start of `inbuf`: Ok(Some(len)) when one was handled.
    fn parse_one(&mut self) -> Result<Option<usize>, String> {
        if self.inbuf.is_empty() {
            return Ok(None);
        }
        if let Some(Exp::Send { id, prompted: true }) = self.exp.front() {
            let id = *id;
            for (pat, ok) in [(&b"\r\nSEND OK\r\n"[..], true), (&b"\r\nSEND FAIL\r\n"[..], false)] {
                if self.inbuf.starts_with(pat) {
                    self.exp.pop_front();
                    self.send_result(id, ok)?;
                    return Ok(Some(pat.len()));
                }
            }
            if is_prefix_of(&self.inbuf, b"\r\nSEND OK\r\n")
                || is_prefix_of(&self.inbuf, b"\r\nSEND FAIL\r\n")
            {
                return Ok(None);
            }
            return Err(format!("after the data of AT+QSSLSEND={id}: expected SEND OK or SEND FAIL"));
        }
        if URC_PREFIXES.iter().any(|p| self.inbuf.starts_with(p)) {
            return self.parse_urc();
        }
        if URC_PREFIXES.iter().any(|p| is_prefix_of(&self.inbuf, p)) {
            return Ok(None);
        }
        match self.exp.front() {
            None => Err("bytes arrived with no command outstanding and they are no URC".into()),
            Some(Exp::Send { id, .. }) => {
                let id = *id;
                let p = b"\r\n> ";
                if self.inbuf.starts_with(p) {
                    self.exp[0] = Exp::Send { id, prompted: true };
                    self.prompts_seen += 1;
                    Ok(Some(p.len()))
                } else if is_prefix_of(&self.inbuf, p) {
                    Ok(None)
                } else {
                    Err(format!("expected the > prompt of AT+QSSLSEND={id}"))
                }
            }
            Some(Exp::Exact { bytes, what }) => {
                if self.inbuf.starts_with(bytes) {
                    let n = bytes.len();
                    self.exp.pop_front();
                    Ok(Some(n))
                } else if is_prefix_of(&self.inbuf, bytes) {
                    Ok(None)
                } else {
                    Err(format!("expected {} ({})", show(bytes, 80), what))
                }
            }
            Some(Exp::Recv { id, len }) => {
                let (id, len) = (*id, *len);
                self.parse_recv(id, len)
            }
            Some(Exp::Connect { what }) => {
                let c = b"\r\nCONNECT\r\n";
                if self.inbuf.starts_with(c) {
                    self.exp.pop_front();
                    self.raw = true;
                    Ok(Some(c.len()))
                } else if is_prefix_of(&self.inbuf, c) {
                    Ok(None)
                } else {
                    Err(format!("expected CONNECT ({what})"))
                }
            }
        }
    }

    fn parse_recv(&mut self, id: u8, len: usize) -> Result<Option<usize>, String> {
        let proto = self.socks[self.idx(id)?].plan.proto;
        let prefix = proto.recv_prefix();
        let name = String::from_utf8_lossy(&prefix[3..prefix.len() - 2]).to_string();
        let cmd = proto.recv_cmd(id, len);
        let cmd = cmd.trim_end();
        let b = &self.inbuf;
        if b.starts_with(ERROR) || (is_prefix_of(b, ERROR) && !is_prefix_of(b, prefix)) {
            if b.len() < ERROR.len() {
                return Ok(None);
            }
            // After the server's close with the buffer drained the module answers ERROR (note
            // 2.2.4), possibly before its "closed" URC: only a socket the server closes may,
            // and only once everything the server sent has been read.
            let i = self.idx(id)?;
            let s = &mut self.socks[i];
            if !s.plan.expect_close || !s.rx.complete() {
                return Err(format!(
                    "{cmd} answered ERROR with {} of {} bytes read",
                    s.rx.got, s.plan.rx_len
                ));
            }
            self.exp.pop_front();
            s.recvs += 1;
            s.recv_outstanding = false;
            s.probing = false;
            s.recv_wanted = false;
            return Ok(Some(ERROR.len()));
        }
        if !b.starts_with(prefix) {
            return if is_prefix_of(b, prefix) {
                Ok(None)
            } else {
                Err(format!("expected +{name} for {cmd}"))
            };
        }
        let rest = &b[prefix.len()..];
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
            return if rest.len() > 6 { Err(format!("unterminated +{name} line")) } else { Ok(None) };
        };
        let n: usize = std::str::from_utf8(&rest[..eol])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| format!("bad +{name} length {}", show(&rest[..eol], 20)))?;
        if n > len {
            return Err(format!("{cmd} returned {n} bytes"));
        }
        let mut pos = prefix.len() + eol + 2;
        let data_at = pos;
        if n > 0 {
            if b.len() < pos + n + 2 {
                return Ok(None);
            }
            if &b[pos + n..pos + n + 2] != b"\r\n" {
                return Err(format!("+{name}: {n} data not followed by CR LF"));
            }
            pos += n + 2;
        }
        let tail = &b[pos..];
        if tail.len() < OK.len() {
            return if OK.starts_with(tail) {
                Ok(None)
            } else {
                Err(format!("expected OK after +{name} data"))
            };
        }
        if !tail.starts_with(OK) {
            return Err(format!("expected OK after +{name} data (n = {n})"));
        }
        let data = b[data_at..data_at + n].to_vec();
        let i = self.idx(id)?;
        self.exp.pop_front();
        let s = &mut self.socks[i];
        s.recvs += 1;
        s.recv_outstanding = false;
        if std::mem::take(&mut s.probing) && n > 0 {
            let msg = format!(
                "stalled 5 s; then {cmd} returned {n} bytes that the module held without a \"recv\" URC (the host's last read had drained the buffer to below <readlen>)"
            );
            s.rx.feed(&self.inbuf[data_at..data_at + n]);
            self.fail(msg);
        }
        s.recv_wanted = n == len;
        Driver::deliver(s, &data)?;
        Ok(Some(pos + OK.len()))
    }

    fn parse_urc(&mut self) -> Result<Option<usize>, String> {
        let b = &self.inbuf;
        let Some(eol) = b[2..].windows(2).position(|w| w == b"\r\n") else {
            return if b.len() > 64 { Err("unterminated URC".into()) } else { Ok(None) };
        };
        let line = String::from_utf8_lossy(&b[2..2 + eol]).to_string();
        let end = 2 + eol + 2;
        // The family of the URC must be the socket's (SSL: +QSSL..., TCP/UDP: +QI...).
        let family = |d: &Driver, i: usize, ip: bool| -> Result<(), String> {
            if (d.socks[i].plan.proto != Proto::Ssl) == ip {
                Ok(())
            } else {
                Err(format!("URC {line:?} for a {:?} socket", d.socks[i].plan.proto))
            }
        };
        let open = line.strip_prefix("+QSSLOPEN: ").map(|r| (r, false));
        if let Some((rest, ip)) = open.or_else(|| line.strip_prefix("+QIOPEN: ").map(|r| (r, true))) {
            let (id, err) = rest.split_once(',').ok_or("bad open URC")?;
            let id: u8 = id.parse().map_err(|_| "bad open URC id")?;
            if err != "0" {
                return Err(format!("open of socket {id} failed: {line}"));
            }
            let i = self.idx(id)?;
            family(self, i, ip)?;
            self.socks[i].opened = true;
            return Ok(Some(end));
        }
        let recv = line.strip_prefix("+QSSLURC: \"recv\",").map(|r| (r, false));
        if let Some((rest, ip)) = recv.or_else(|| line.strip_prefix("+QIURC: \"recv\",").map(|r| (r, true))) {
            let mut parts = rest.split(',');
            let id: u8 = parts.next().and_then(|p| p.parse().ok()).ok_or("bad recv URC id")?;
            let i = self.idx(id)?;
            family(self, i, ip)?;
            let mode = self.mode_of(i);
            match (parts.next(), mode) {
                (None, 0) => {
                    let s = &mut self.socks[i];
                    if s.closed {
                        return Err(format!("\"recv\" URC for socket {id} after its \"closed\" URC"));
                    }
                    s.recv_urcs += 1;
                    if !s.plan.read_after_close {
                        s.recv_wanted = true;
                    }
                    return Ok(Some(end));
                }
                (Some(len), 1) => {
                    let len: usize = len.parse().map_err(|_| format!("bad push length in {line}"))?;
                    if len == 0 || len > 1500 {
                        return Err(format!("push URC with {len} bytes (allowed 1..1500)"));
                    }
                    if b.len() < end + len {
                        return Ok(None);
                    }
                    let data = b[end..end + len].to_vec();
                    let s = &mut self.socks[i];
                    if s.closed {
                        return Err(format!("push data for socket {id} after its \"closed\" URC"));
                    }
                    s.push_urcs += 1;
                    if s.plan.proto == Proto::Udp && s.rx.got + len as u64 != s.tx_confirmed {
                        return Err(format!(
                            "UDP socket {id}: a push frame of {len} bytes is not the whole echo of the last datagram ({} bytes of {} echoed before)",
                            s.rx.got, s.tx_confirmed
                        ));
                    }
                    Driver::deliver(s, &data)?;
                    return Ok(Some(end + len));
                }
                _ => return Err(format!("URC {line:?} does not fit access mode {mode}")),
            }
        }
        let closed = line.strip_prefix("+QSSLURC: \"closed\",").map(|r| (r, false));
        if let Some((id, ip)) = closed.or_else(|| line.strip_prefix("+QIURC: \"closed\",").map(|r| (r, true)))
        {
            let id: u8 = id.parse().map_err(|_| "bad closed URC")?;
            let i = self.idx(id)?;
            family(self, i, ip)?;
            let mode = self.mode_of(i);
            let s = &mut self.socks[i];
            if !s.plan.expect_close {
                return Err(format!("socket {id} reported closed; the server did not close it"));
            }
            if s.closed {
                return Err(format!("second \"closed\" URC for socket {id}"));
            }
            s.closed = true;
            s.rx_at_close = Some(s.rx.got);
            if mode == 0 {
                s.recv_wanted = true;
            }
            return Ok(Some(end));
        }
        Err(format!("unknown URC {line:?}"))
    }

    /// Data read or pushed for socket `s`. UDP: it must belong to the last datagram sent (one
    /// is in flight at a time), never more than its echo.
    fn deliver(s: &mut SockState, data: &[u8]) -> Result<(), String> {
        if s.plan.proto == Proto::Udp {
            if s.rx.got + data.len() as u64 > s.tx_confirmed {
                return Err(format!(
                    "UDP socket {}: {} bytes arrived with {} of the {} bytes that got SEND OK echoed already (a duplicate, or data nobody sent)",
                    s.plan.id,
                    data.len(),
                    s.rx.got,
                    s.tx_confirmed
                ));
            }
            s.rx.feed(data);
            if s.rx.got == s.tx_confirmed {
                s.echo_since = None;
            }
            return Ok(());
        }
        s.rx.feed(data);
        Ok(())
    }

    fn send_result(&mut self, id: u8, ok: bool) -> Result<(), String> {
        let i = self.idx(id)?;
        let s = &mut self.socks[i];
        let payload = s.inflight.pop_front().ok_or("send result with no send in flight")?;
        if ok {
            s.ledger.append(&payload);
            s.tx_hash.update(&payload);
            s.tx_confirmed += payload.len() as u64;
            s.send_ok += 1;
            if s.plan.proto == Proto::Udp {
                s.sent_datagrams.push(payload.len());
                s.echo_since = Some(Instant::now());
            }
        } else {
            s.send_fail += 1;
            s.retry.push_back(payload);
            s.retry_at = Instant::now() + Duration::from_millis(3);
        }
        Ok(())
    }

    pub fn state(&self) -> String {
        let mut s = String::new();
        for k in &self.socks {
            s.push_str(&format!(
                "  socket {:2}: tx {}/{} confirmed ({} SEND OK, {} SEND FAIL, inflight {:?}), rx {}/{} ({} recv URCs, {} reads, {} push URCs), closed {} (rx at close {:?}), recv outstanding {} wanted {}\n",
                k.plan.id,
                k.tx_confirmed,
                k.plan.tx_len,
                k.send_ok,
                k.send_fail,
                k.inflight.iter().map(|p| p.len()).collect::<Vec<_>>(),
                k.rx.got,
                k.plan.rx_len,
                k.recv_urcs,
                k.recvs,
                k.push_urcs,
                k.closed,
                k.rx_at_close,
                k.recv_outstanding,
                k.recv_wanted,
            ));
        }
        s
    }

    pub fn fail(&self, msg: String) -> ! {
        let tail_in: Vec<u8> = self.tail_in.iter().copied().collect();
        let tail_out: Vec<u8> = self.tail_out.iter().copied().collect();
        panic!(
            "[{}] {msg}\nnext expected: {:?}\nunparsed input ({} bytes): {}\nlast parsed input: {}\nlast written output: {}\nunwritten output {} bytes, {} outstanding commands; {} B written, {} B read\n{}",
            self.name,
            self.exp.front(),
            self.inbuf.len(),
            show(&self.inbuf, 300),
            show(&tail_in, 700),
            show(&tail_out, 400),
            self.unwritten(),
            self.exp.len(),
            self.bytes_written,
            self.bytes_read,
            self.state()
        );
    }

    /// Compare both ends of every socket; returns one line per problem.
    pub fn verify(&self, server: &Server, listener_of: impl Fn(u8) -> usize) -> Vec<String> {
        let mut problems = Vec::new();
        for s in &self.socks {
            let id = s.plan.id;
            if let Some(p) = &s.rx.problem {
                problems.push(p.clone());
            }
            let Some(r) = server.report(listener_of(id), Duration::from_secs(20)) else {
                problems.push(format!("socket {id}: the server never finished (no report)"));
                continue;
            };
            if let Some(e) = &r.error {
                problems.push(format!("socket {id}: server error: {e}"));
            }
            if let Some(p) = &r.rx_problem {
                problems.push(format!("socket {id}: {p}"));
            }
            if r.rx_len != s.tx_confirmed || r.rx_sha != s.tx_sha() {
                problems.push(format!(
                    "socket {id} host→server: host got SEND OK for {} bytes (sha256 {}), server received {} bytes (sha256 {})",
                    s.tx_confirmed,
                    s.tx_sha(),
                    r.rx_len,
                    r.rx_sha
                ));
            }
            if r.tx_len != s.rx.got || r.tx_sha != s.rx.digest() {
                problems.push(format!(
                    "socket {id} server→host: server sent {} bytes (sha256 {}), host received {} bytes (sha256 {})",
                    r.tx_len,
                    r.tx_sha,
                    s.rx.got,
                    s.rx.digest()
                ));
            }
            if s.plan.proto == Proto::Udp && r.datagrams != s.sent_datagrams {
                let first = r.datagrams.iter().zip(&s.sent_datagrams).position(|(a, b)| a != b);
                problems.push(format!(
                    "UDP socket {id}: {} datagrams got SEND OK, the server received {}; first different size at datagram {:?}",
                    s.sent_datagrams.len(),
                    r.datagrams.len(),
                    first
                ));
            }
        }
        problems
    }
}

// ---- raw host helpers (transparent mode, single commands) --------------------------------

/// A host end with its own input buffer, for scripted exchanges.
pub struct Host {
    pub tty: Tty,
    pub pending: Vec<u8>,
    pub rng: StdRng,
}

impl Host {
    pub fn new(tty: Tty, seed: u64) -> Host {
        Host { tty, pending: Vec::new(), rng: StdRng::seed_from_u64(seed) }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.tty.write_all(bytes, &mut self.pending);
    }

    /// Read until `n` bytes are pending or `wait` passes; returns whether they are.
    pub fn fill(&mut self, n: usize, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while self.pending.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.tty.wait(false, left.as_millis().min(50) as u16);
            self.tty.read_avail(&mut self.pending);
        }
        true
    }

    /// Everything that arrives within `wait`.
    pub fn read_for(&mut self, wait: Duration) -> Vec<u8> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.tty.read_avail(&mut self.pending);
                return std::mem::take(&mut self.pending);
            }
            self.tty.wait(false, left.as_millis().min(50) as u16);
            self.tty.read_avail(&mut self.pending);
        }
    }

    /// Exactly `expected` next, or an error naming what came instead.
    pub fn expect(&mut self, expected: &[u8], wait: Duration) -> Result<(), String> {
        self.fill(expected.len(), wait);
        let n = expected.len().min(self.pending.len());
        if self.pending[..n] == expected[..] {
            self.pending.drain(..n);
            Ok(())
        } else {
            Err(format!("expected {}, got {}", show(expected, 200), show(&self.pending, 300)))
        }
    }

    #[track_caller]
    pub fn transact(&mut self, cmd: &str, expected: &[u8]) {
        self.send(cmd.as_bytes());
        if let Err(e) = self.expect(expected, Duration::from_secs(15)) {
            panic!("{}: {e}", cmd.trim_end());
        }
    }

    /// Until `needle`; returns everything before it (needle consumed).
    pub fn read_until(&mut self, needle: &[u8], wait: Duration) -> Result<Vec<u8>, String> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(p) = self.pending.windows(needle.len()).position(|w| w == needle) {
                let before: Vec<u8> = self.pending.drain(..p).collect();
                self.pending.drain(..needle.len());
                return Ok(before);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("{} never came; got {}", show(needle, 60), show(&self.pending, 300)));
            }
            self.tty.wait(false, left.as_millis().min(50) as u16);
            self.tty.read_avail(&mut self.pending);
        }
    }

    /// Transparent mode: see [`raw_exchange`].
    pub fn raw_exchange(
        &mut self,
        tx: &mut Pattern,
        tx_len: u64,
        rx: &mut Checker,
        wait: Duration,
    ) -> Result<String, String> {
        raw_exchange(&self.tty, &mut self.pending, &mut self.rng, tx, tx_len, rx, wait)
    }
}

/// Transparent mode: write `tx_len` bytes of `tx` in random sizes (1 B to 64 KiB) while
/// reading and checking what arrives with `rx`, until both are complete. Returns the sha256
/// of what was written. Bytes beyond the expected stream are reported by `rx`.
pub fn raw_exchange(
    tty: &Tty,
    pending: &mut Vec<u8>,
    rng: &mut StdRng,
    tx: &mut Pattern,
    tx_len: u64,
    rx: &mut Checker,
    wait: Duration,
) -> Result<String, String> {
    let deadline = Instant::now() + wait;
    let mut hash = Sha256::new();
    let mut written = 0u64;
    let mut chunk: Vec<u8> = Vec::new();
    let mut chunk_off = 0;
    // Only the expected stream is taken; what follows it stays pending for the caller.
    let take = |pending: &mut Vec<u8>, rx: &mut Checker| {
        let n = pending.len().min(rx.expected_len.saturating_sub(rx.got) as usize);
        if n > 0 {
            let head: Vec<u8> = pending.drain(..n).collect();
            rx.feed(&head);
        }
    };
    take(pending, rx);
    while written < tx_len || !rx.complete() {
        if let Some(p) = &rx.problem {
            return Err(p.clone());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "transparent exchange not done within {wait:?}: wrote {written}/{tx_len}, read {}/{}",
                rx.got, rx.expected_len
            ));
        }
        if chunk_off == chunk.len() && written < tx_len {
            let n = (chunk_size(rng) as u64).min(tx_len - written) as usize;
            chunk = tx.take(n);
            chunk_off = 0;
        }
        tty.wait(chunk_off < chunk.len(), 5);
        if tty.read_avail(pending) > 0 {
            take(pending, rx);
        }
        if chunk_off < chunk.len() {
            let k = tty.write_some(&chunk[chunk_off..]);
            hash.update(&chunk[chunk_off..chunk_off + k]);
            chunk_off += k;
            written += k as u64;
        }
    }
    match &rx.problem {
        Some(p) => Err(p.clone()),
        None => Ok(hex(&hash.finalize())),
    }
}

// ---- link faults through the control socket, fired by progress ---------------------------

/// One fault request (`fault` is the JSON of a `Fault`), sent once the server behind `live`
/// has received `at_rx` bytes; `clear` is sent `after` that.
pub struct Trigger {
    pub live: Arc<Live>,
    pub at_rx: u64,
    pub fault: String,
    pub clear: Option<(Duration, String)>,
}

/// Threads that fire triggers through the daemon's control socket while a run goes on.
pub struct Faults {
    stop: Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<Result<Vec<String>, String>>>,
}

/// One request on the control socket; Ok(reply) when the daemon accepted it.
pub fn ctl_fault(path: &Path, fault: &str) -> Result<String, String> {
    use std::io::{BufRead, Write};
    let mut s = std::os::unix::net::UnixStream::connect(path).map_err(|e| format!("control socket: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    writeln!(s, "{{\"verb\":\"fault\",\"fault\":{fault}}}").map_err(|e| format!("control socket: {e}"))?;
    let mut reply = String::new();
    std::io::BufReader::new(s).read_line(&mut reply).map_err(|e| format!("control socket: {e}"))?;
    if reply.contains("\"ok\":true") {
        Ok(reply.trim().to_string())
    } else {
        Err(format!("fault {fault} refused: {}", reply.trim()))
    }
}

impl Faults {
    pub fn start(path: &Path, triggers: Vec<Trigger>) -> Faults {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let threads = triggers
            .into_iter()
            .map(|t| {
                let (path, stop) = (path.to_path_buf(), stop.clone());
                std::thread::spawn(move || {
                    let mut fired = Vec::new();
                    while t.live.rx.load(Ordering::SeqCst) < t.at_rx {
                        if stop.load(Ordering::SeqCst) {
                            return Ok(fired);
                        }
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    ctl_fault(&path, &t.fault)?;
                    fired.push(format!("{} at {} bytes", t.fault, t.live.rx.load(Ordering::SeqCst)));
                    if let Some((after, clear)) = &t.clear {
                        std::thread::sleep(*after);
                        ctl_fault(&path, clear)?;
                        fired.push(format!("{clear} {after:?} later"));
                    }
                    Ok(fired)
                })
            })
            .collect();
        Faults { stop, threads }
    }

    /// Stop waiting; every request that was sent, or the first refusal.
    pub fn finish(self) -> Result<Vec<String>, String> {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for t in self.threads {
            all.extend(t.join().expect("fault thread")?);
        }
        Ok(all)
    }
}

/// Transparent mode against an echo: write 1 to `max` bytes of `tx`, wait until they are all
/// back (checked by `rx`, which follows the same stream), repeat until `tx_len` are through.
/// Returns the sha256 of what was written; a write not back within 10 s is an error.
pub fn paced_echo(
    tty: &Tty,
    pending: &mut Vec<u8>,
    rng: &mut StdRng,
    tx: &mut Pattern,
    tx_len: u64,
    rx: &mut Checker,
    max: usize,
) -> Result<String, String> {
    let mut hash = Sha256::new();
    let mut written = 0u64;
    while written < tx_len {
        let n = (rng.gen_range(1..=max) as u64).min(tx_len - written) as usize;
        let chunk = tx.take(n);
        tty.write_all(&chunk, pending);
        hash.update(&chunk);
        written += n as u64;
        let deadline = Instant::now() + ECHO_WAIT;
        loop {
            let k = pending.len().min((written - rx.got) as usize);
            if k > 0 {
                let head: Vec<u8> = pending.drain(..k).collect();
                rx.feed(&head);
            }
            if let Some(p) = &rx.problem {
                return Err(p.clone());
            }
            if rx.got == written {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "transparent echo: {} of the {n} bytes written at offset {} not back within {ECHO_WAIT:?}",
                    written - rx.got,
                    written - n as u64
                ));
            }
            tty.wait(false, 5);
            tty.read_avail(pending);
        }
    }
    Ok(hex(&hash.finalize()))
}
