//! Soak: hours of a busy host in minutes. Opens, exchanges and closes connections on all
//! twelve sockets, each in a random family (SSL with `AT+QSSL*` to a TLS echo peer, TCP or UDP
//! with `AT+QI*` to plain echo servers in this process) and mode (buffer and push; transparent
//! one at a time, SSL or TCP), injects random faults through the control socket, verifies every
//! byte that comes back against what was sent, and watches the daemon's memory. UDP sends one
//! datagram at a time and waits for its echo, so a datagram lost on loopback is a failure.
//!
//! ```sh
//! cargo run --release -p qsslsim --example soak -- --minutes 10
//! ```
//!
//! Options: `--minutes N` (default 10; fractions allowed), `--seed N` (default: from the clock,
//! printed so a run can be repeated), `--rss-growth-mb N` (default 16: the most the daemon's
//! VmRSS may grow from the end of warm-up to the end), `--warmup-secs N` (default: a tenth of
//! the run, between 5 and 60 s), `--binary PATH` (run this qsslsim instead of this program's
//! own copy of the daemon), `--hostile` (servers that stall, reset mid-stream and trickle
//! bytes, behind a host that writes bursts of commands back to back; see the hostile mode
//! section below), `--cmux` (the same run inside a 27.010 session after `AT+CMUX`: all of it
//! on DLCI 1, the URC channel, every frame from the module checked, and `AT+CSQ` polled now
//! and then on DLCI 2, whose answers must come there and nothing else).
//!
//! The daemon and the echo peer are child processes: this program runs itself as
//! `soak __qsslsim <qsslsim args>`, which is exactly `qsslsim <args>`, so the memory measured
//! is the daemon's alone and no separately built binary is needed.
//!
//! Exit status: 0 when every byte matched and memory stayed within bounds; 1 on any mismatch,
//! unexpected answer, hang (nothing for 30 s where something was due), daemon exit, or memory
//! growth past the threshold.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{open, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::stat::Mode;
use nix::sys::termios::{self, SetArg};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SOCKETS: u8 = 12;
const GUARD_MS: u64 = 200;
/// Longest wait for anything that is due.
const HANG: Duration = Duration::from_secs(30);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__qsslsim") {
        run_qsslsim(&args[2..]);
    }
    let opts = Options::parse(&args[1..]);
    let code = if opts.hostile { HostileSoak::start(opts).run() } else { Soak::start(opts).run() };
    std::process::exit(code);
}

/// `soak __qsslsim ...` is `qsslsim ...` (same code as src/main.rs).
fn run_qsslsim(args: &[String]) -> ! {
    use clap::Parser;
    use qsslsim::cli::{Cli, Sub};
    let cli = Cli::parse_from(std::iter::once("qsslsim".to_string()).chain(args.iter().cloned()));
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(qsslsim::daemon::QuietStderr).init();
    qsslsim::daemon::install_panic_hook();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let code = match cli.command {
        Some(Sub::Peer(a)) => rt.block_on(qsslsim::peer::run(a)),
        Some(Sub::Ctl(a)) => rt.block_on(qsslsim::ctl::run(a)),
        None => rt.block_on(qsslsim::daemon::run(cli.run)),
    };
    std::process::exit(code)
}

struct Options {
    minutes: f64,
    seed: u64,
    rss_growth_mb: u64,
    warmup: Option<Duration>,
    binary: Option<PathBuf>,
    hostile: bool,
    cmux: bool,
}

impl Options {
    fn parse(args: &[String]) -> Options {
        let seed =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        let mut o = Options {
            minutes: 10.0,
            seed,
            rss_growth_mb: 16,
            warmup: None,
            binary: None,
            hostile: false,
            cmux: false,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = |name: &str| -> String {
                it.next().cloned().unwrap_or_else(|| usage(&format!("{name} needs a value")))
            };
            match a.as_str() {
                "--minutes" => o.minutes = value(a).parse().unwrap_or_else(|_| usage("--minutes N")),
                "--seed" => o.seed = value(a).parse().unwrap_or_else(|_| usage("--seed N")),
                "--rss-growth-mb" => {
                    o.rss_growth_mb = value(a).parse().unwrap_or_else(|_| usage("--rss-growth-mb N"))
                }
                "--warmup-secs" => {
                    o.warmup = Some(Duration::from_secs(
                        value(a).parse().unwrap_or_else(|_| usage("--warmup-secs N")),
                    ))
                }
                "--binary" => o.binary = Some(PathBuf::from(value(a))),
                "--hostile" => o.hostile = true,
                "--cmux" => o.cmux = true,
                "-h" | "--help" => usage(""),
                other => usage(&format!("unknown argument {other:?}")),
            }
        }
        if o.hostile && o.cmux {
            usage("--hostile and --cmux do not mix");
        }
        if o.minutes.is_nan() || o.minutes <= 0.0 {
            usage("--minutes must be positive");
        }
        o
    }
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("soak: {problem}");
    }
    eprintln!(
        "usage: soak [--hostile | --cmux] [--minutes N] [--seed N] [--rss-growth-mb N] [--warmup-secs N] [--binary PATH]"
    );
    std::process::exit(2)
}

// ---- child processes ---------------------------------------------------------------------------

fn spawn(binary: &Option<PathBuf>, args: &[&str], first_word: &str) -> (Child, String) {
    let mut cmd = match binary {
        Some(b) => Command::new(b),
        None => {
            let mut c = Command::new(std::env::current_exe().expect("current exe"));
            c.arg("__qsslsim");
            c
        }
    };
    let mut child = cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("first line");
    let rest = line
        .strip_prefix(first_word)
        .unwrap_or_else(|| panic!("expected {first_word}..., got {line:?}"))
        .trim()
        .to_string();
    (child, rest)
}

/// Sockets the daemon holds (descriptors in /proc/<pid>/fd that are sockets).
fn socket_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| {
            dir.flatten()
                .filter(|e| {
                    std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}

fn status_kb(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

// ---- the pty ---------------------------------------------------------------------------------

struct Pty {
    fd: OwnedFd,
    buf: Vec<u8>,
    /// `--cmux`: the 27.010 session, once `start_mux` ran.
    mux: Option<MuxLink>,
}

/// The host's side of a 27.010 session (basic option, written here from the standard): what
/// the soak sends goes out as UIH frames on DLCI 1; frames from the module are checked and
/// sorted: DLCI 1's data into `Pty::buf`, DLCI 2's into `side`, anything else into `others`.
struct MuxLink {
    raw: Vec<u8>,
    side: Vec<u8>,
    others: Vec<(u8, u8)>,
}

const MUX_N1: usize = 1509;
const UIH: u8 = 0xEF;

fn mux_fcs(header: &[u8]) -> u8 {
    let mut crc = 0xFFu8;
    for &b in header {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xE0 } else { crc >> 1 };
        }
    }
    0xFF - crc
}

/// A frame from the host (the initiator: C/R 1).
fn mux_frame(dlci: u8, control: u8, info: &[u8]) -> Vec<u8> {
    let mut header = vec![(dlci << 2) | 0x03, control];
    if info.len() < 128 {
        header.push(((info.len() as u8) << 1) | 1);
    } else {
        header.push(((info.len() & 0x7F) as u8) << 1);
        header.push((info.len() >> 7) as u8);
    }
    let fcs = mux_fcs(&header);
    [&[0xF9][..], &header, info, &[fcs, 0xF9]].concat()
}

impl MuxLink {
    /// Take every whole frame from `raw`. A frame the standard would not accept means the
    /// module broke the framing: the soak stops there.
    fn decode(&mut self, buf: &mut Vec<u8>) {
        loop {
            let start = self.raw.iter().position(|&b| b != 0xF9).unwrap_or(self.raw.len());
            let body = &self.raw[start..];
            if body.len() < 4 {
                return;
            }
            let (hlen, len) = if body[2] & 1 == 1 {
                (3, usize::from(body[2] >> 1))
            } else {
                (4, usize::from(body[2] >> 1) | usize::from(body[3]) << 7)
            };
            if body.len() < hlen + len + 2 {
                return;
            }
            assert!(
                start > 0 && body[hlen + len + 1] == 0xF9 && body[hlen + len] == mux_fcs(&body[..hlen]),
                "soak: a malformed frame from the module: {}",
                show(&body[..(hlen + len + 2).min(body.len())])
            );
            let (dlci, control, info) = (body[0] >> 2, body[1], &body[hlen..hlen + len]);
            match (dlci, control) {
                (1, UIH) => buf.extend_from_slice(info),
                (2, UIH) => self.side.extend_from_slice(info),
                _ => self.others.push((dlci, control)),
            }
            // The closing flag may open the next frame.
            self.raw.drain(..start + hlen + len + 1);
        }
    }
}

impl Pty {
    fn open(path: &Path) -> Pty {
        let raw =
            open(path, OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK, Mode::empty()).expect("open pty");
        // SAFETY: `open` just returned this descriptor and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut tio = termios::tcgetattr(&fd).unwrap();
        termios::cfmakeraw(&mut tio);
        termios::tcsetattr(&fd, SetArg::TCSANOW, &tio).unwrap();
        Pty { fd, buf: Vec::new(), mux: None }
    }

    /// Write everything (as UIH frames on DLCI 1 in mux mode).
    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.mux.is_some() {
            let framed: Vec<u8> = bytes.chunks(MUX_N1).flat_map(|c| mux_frame(1, UIH, c)).collect();
            return self.send_raw(&framed);
        }
        self.send_raw(bytes)
    }

    /// A command line on DLCI 2.
    fn send_side(&mut self, line: &[u8]) -> Result<(), String> {
        self.send_raw(&mux_frame(2, UIH, line))
    }

    /// `AT+CMUX=0,0,5,1509`, then DLCI 0, 1 and 2 opened (SABM, each answered UA).
    fn start_mux(&mut self) -> Result<(), String> {
        self.send_raw(format!("AT+CMUX=0,0,5,{MUX_N1}\r").as_bytes())?;
        let deadline = Instant::now() + HANG;
        while find(&self.buf, b"\r\nOK\r\n").is_none() {
            if Instant::now() > deadline {
                return Err(format!("AT+CMUX not answered: {}", show(&self.buf)));
            }
            self.fill(Duration::from_millis(50));
        }
        self.buf.clear();
        self.mux = Some(MuxLink { raw: Vec::new(), side: Vec::new(), others: Vec::new() });
        for dlci in 0..3 {
            self.send_raw(&mux_frame(dlci, 0x3F, &[]))?;
        }
        while self.mux.as_ref().is_some_and(|m| m.others.len() < 3) {
            if Instant::now() > deadline {
                return Err("SABM for DLCI 0-2 not answered".into());
            }
            self.fill(Duration::from_millis(50));
        }
        let ua: Vec<(u8, u8)> = (0..3).map(|d| (d, 0x73)).collect();
        if self.mux.as_ref().map(|m| &m.others) != Some(&ua) {
            return Err(format!("SABM answers: {:?}", self.mux.as_ref().map(|m| &m.others)));
        }
        Ok(())
    }

    /// Write everything, reading what comes meanwhile into `buf` (the daemon blocks on its
    /// output when nobody reads, so a writer must also read).
    fn send_raw(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut off = 0;
        let deadline = Instant::now() + HANG;
        while off < bytes.len() {
            match nix::unistd::write(&self.fd, &bytes[off..]) {
                Ok(n) => off += n,
                Err(nix::errno::Errno::EAGAIN) => {
                    self.fill(Duration::from_millis(5));
                    if Instant::now() > deadline {
                        return Err(format!("the pty took no input for {HANG:?}"));
                    }
                }
                Err(e) => return Err(format!("write to the pty: {e}")),
            }
        }
        Ok(())
    }

    /// `ATE0`, waiting for its `OK`: echo is on until it answers; after it, everything the
    /// module says is framed.
    fn echo_off(&mut self) -> Result<(), String> {
        self.send(b"ATE0\r")?;
        let deadline = Instant::now() + HANG;
        while find(&self.buf, b"\r\nOK\r\n").is_none() {
            if Instant::now() > deadline {
                return Err(format!("ATE0 not answered: {}", show(&self.buf)));
            }
            self.fill(Duration::from_millis(50));
        }
        self.buf.clear();
        Ok(())
    }

    /// Read what arrives within `wait` (returns early once something came).
    fn fill(&mut self, wait: Duration) -> bool {
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        let ms = wait.as_millis().min(u16::MAX as u128) as u16;
        if poll(&mut fds, PollTimeout::from(ms)).unwrap_or(0) == 0 {
            return false;
        }
        let mut chunk = [0u8; 65536];
        match nix::unistd::read(self.fd.as_raw_fd(), &mut chunk) {
            Ok(n) if n > 0 => {
                match self.mux.as_mut() {
                    Some(mux) => {
                        mux.raw.extend_from_slice(&chunk[..n]);
                        mux.decode(&mut self.buf);
                    }
                    None => self.buf.extend_from_slice(&chunk[..n]),
                }
                true
            }
            _ => false,
        }
    }
}

// ---- what the module says ----------------------------------------------------------------------

#[derive(Debug)]
enum Frame {
    Prompt,
    /// `+QSSLURC: "recv",<id>,<n>` or `+QIURC: "recv",<id>,<n>` with its data (push mode).
    Push(u8, Vec<u8>),
    /// `+QSSLRECV: <n>` or `+QIRD: <n>` with its data.
    RecvData(Vec<u8>),
    /// Any other framed line.
    Line(String),
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn show(b: &[u8]) -> String {
    let s = b.escape_ascii().to_string();
    if s.len() > 300 {
        format!("{}...({} bytes)", &s[..300], b.len())
    } else {
        s
    }
}

/// One frame from the front of `buf`, if complete. Err if the stream is out of frame.
fn parse(buf: &[u8]) -> Result<Option<(Frame, usize)>, String> {
    if buf.len() < 2 {
        return Ok(None);
    }
    if !buf.starts_with(b"\r\n") {
        return Err(format!("output out of frame: {}", show(buf)));
    }
    if buf.len() < 4 {
        return Ok(None);
    }
    if buf.starts_with(b"\r\n> ") {
        return Ok(Some((Frame::Prompt, 4)));
    }
    let Some(e) = find(&buf[2..], b"\r\n").map(|e| e + 2) else {
        if buf.len() > 4096 {
            return Err(format!("a line without end: {}", show(buf)));
        }
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&buf[2..e]).into_owned();
    let push = text.strip_prefix("+QSSLURC: \"recv\",").or_else(|| text.strip_prefix("+QIURC: \"recv\","));
    if let Some(rest) = push {
        if let Some((id, n)) = rest.split_once(',') {
            let (id, n): (u8, usize) =
                (id.parse().map_err(|_| text.clone())?, n.parse().map_err(|_| text.clone())?);
            if buf.len() < e + 2 + n {
                return Ok(None);
            }
            return Ok(Some((Frame::Push(id, buf[e + 2..e + 2 + n].to_vec()), e + 2 + n)));
        }
    }
    if let Some(n) = text.strip_prefix("+QSSLRECV: ").or_else(|| text.strip_prefix("+QIRD: ")) {
        let n: usize = n.parse().map_err(|_| format!("bad {text:?}"))?;
        if n == 0 {
            return Ok(Some((Frame::RecvData(Vec::new()), e + 2)));
        }
        if buf.len() < e + 2 + n + 2 {
            return Ok(None);
        }
        if &buf[e + 2 + n..e + 4 + n] != b"\r\n" {
            return Err(format!("read data not followed by CRLF: {}", show(buf)));
        }
        return Ok(Some((Frame::RecvData(buf[e + 2..e + 2 + n].to_vec()), e + 4 + n)));
    }
    Ok(Some((Frame::Line(text), e + 2)))
}

fn is_final(line: &str) -> bool {
    matches!(line, "OK" | "ERROR" | "SEND OK" | "SEND FAIL" | "CONNECT" | "NO CARRIER")
        || line.starts_with("+CME ERROR:")
}

// ---- the host model ----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    Opening,
    Open,
    /// The server side went (fault): readable until AT+QSSLCLOSE.
    RemoteClosed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode2 {
    Buffer,
    Push,
}

/// The command family and transport of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Ssl,
    Tcp,
    Udp,
}

impl Family {
    fn is_ip(self) -> bool {
        self != Family::Ssl
    }

    fn open_cmd(self, id: u8, port: u16, mode: u8) -> String {
        match self {
            Family::Ssl => format!("AT+QSSLOPEN=1,0,{id},\"127.0.0.1\",{port},{mode}\r"),
            Family::Tcp => format!("AT+QIOPEN=1,{id},\"TCP\",\"127.0.0.1\",{port},0,{mode}\r"),
            Family::Udp => format!("AT+QIOPEN=1,{id},\"UDP\",\"127.0.0.1\",{port},0,{mode}\r"),
        }
    }

    fn send_verb(self) -> &'static str {
        if self.is_ip() {
            "AT+QISEND"
        } else {
            "AT+QSSLSEND"
        }
    }

    fn recv_cmd(self, id: u8) -> String {
        if self.is_ip() {
            format!("AT+QIRD={id},1500\r")
        } else {
            format!("AT+QSSLRECV={id},1500\r")
        }
    }

    fn close_cmd(self, id: u8) -> String {
        if self.is_ip() {
            format!("AT+QICLOSE={id}\r")
        } else {
            format!("AT+QSSLCLOSE={id}\r")
        }
    }
}

/// Plain echo servers on loopback for the TCP/IP family, each in threads of its own: a TCP
/// listener that echoes every connection until it closes, and a UDP socket that sends every
/// datagram back to its sender. Their ports.
fn start_plain_echo() -> (u16, u16) {
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("TCP echo bind");
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("UDP echo bind");
    let ports = (tcp.local_addr().unwrap().port(), udp.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for conn in tcp.incoming() {
            let Ok(mut w) = conn else { continue };
            std::thread::spawn(move || {
                let _ = w.set_nodelay(true);
                let Ok(mut r) = w.try_clone() else { return };
                let _ = std::io::copy(&mut r, &mut w);
            });
        }
    });
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        loop {
            if let Ok((n, from)) = udp.recv_from(&mut buf) {
                let _ = udp.send_to(&buf[..n], from);
            }
        }
    });
    ports
}

struct Sock {
    state: State,
    mode: Mode2,
    family: Family,
    /// Bytes sent and not yet echoed back.
    expect: VecDeque<u8>,
    /// Sends that must answer SEND FAIL (fault send_buffer_full).
    send_fail: u32,
}

#[derive(Default)]
struct Stats {
    ops: u64,
    opens: u64,
    open_failures: u64,
    closes: u64,
    transparent: u64,
    /// `--cmux`: `AT+CSQ` lines sent on DLCI 2.
    side_polls: u64,
    faults: u64,
    sends: u64,
    bytes_sent: u64,
    bytes_verified: u64,
    bytes_lost_to_faults: u64,
    /// Opens that succeeded, per family: SSL, TCP, UDP.
    family_opens: [u64; 3],
    datagrams: u64,
}

/// Talking to the module over the pty, shared by both soaks: each says only what it does with
/// a URC.
trait Talk {
    fn pty(&mut self) -> &mut Pty;
    fn urc(&mut self, f: Frame) -> R<()>;

    fn frame(&mut self) -> R<Frame> {
        let deadline = Instant::now() + HANG;
        loop {
            if let Some((f, used)) = parse(&self.pty().buf)? {
                self.pty().buf.drain(..used);
                return Ok(f);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "nothing complete from the module within {HANG:?}: {}",
                    show(&self.pty().buf)
                ));
            }
            self.pty().fill(Duration::from_millis(50));
        }
    }

    /// The next final result (or `>` for a prompt), handling URCs on the way.
    fn final_line(&mut self) -> R<String> {
        loop {
            match self.frame()? {
                Frame::Prompt => return Ok(">".into()),
                Frame::Line(l) if is_final(&l) => return Ok(l),
                Frame::Line(l) if !is_urc(&l) => {}
                other => self.urc(other)?,
            }
        }
    }

    fn command(&mut self, cmd: &str) -> R<String> {
        self.pty().send(cmd.as_bytes())?;
        self.final_line()
    }

    fn command_ok(&mut self, cmd: &str) -> R<()> {
        match self.command(cmd)?.as_str() {
            "OK" => Ok(()),
            other => Err(format!("{}: {other}", cmd.trim_end())),
        }
    }

    /// Handle whatever URCs arrive within `wait`.
    fn poll_urcs(&mut self, wait: Duration) -> R<()> {
        self.pty().fill(wait);
        while let Some((f, used)) = parse(&self.pty().buf)? {
            self.pty().buf.drain(..used);
            self.urc(f)?;
            self.pty().fill(Duration::ZERO);
        }
        Ok(())
    }
}

impl Talk for Soak {
    fn pty(&mut self) -> &mut Pty {
        &mut self.pty
    }
    fn urc(&mut self, f: Frame) -> R<()> {
        Soak::urc(self, f)
    }
}

impl Talk for HostileSoak {
    fn pty(&mut self) -> &mut Pty {
        &mut self.pty
    }
    fn urc(&mut self, f: Frame) -> R<()> {
        HostileSoak::urc(self, f)
    }
}

struct Soak {
    opts: Options,
    rng: StdRng,
    daemon: Child,
    peer: Child,
    peer_port: u16,
    tcp_port: u16,
    udp_port: u16,
    pty: Pty,
    ctl: BufReader<UnixStream>,
    socks: Vec<Sock>,
    pdp_active: bool,
    armed_refusals: u32,
    stats: Stats,
    ctl_path: PathBuf,
}

impl Drop for Soak {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.peer.kill();
        let _ = self.daemon.wait();
        let _ = self.peer.wait();
        let _ = std::fs::remove_file(&self.ctl_path);
    }
}

type R<T> = Result<T, String>;

impl Soak {
    fn start(opts: Options) -> Soak {
        let (peer, addr) =
            spawn(&opts.binary, &["peer", "--listen", "127.0.0.1:0", "--mode", "echo"], "LISTENING ");
        let peer_port = addr.rsplit(':').next().unwrap().parse().unwrap();
        let (tcp_port, udp_port) = start_plain_echo();
        let ctl_path = std::env::temp_dir().join(format!("qsslsim-soak-{}.sock", std::process::id()));
        let guard = GUARD_MS.to_string();
        let (daemon, pty) =
            spawn(&opts.binary, &["--guard-time", &guard, "--control", ctl_path.to_str().unwrap()], "READY ");
        let pty = Pty::open(Path::new(&pty));
        let ctl = BufReader::new(UnixStream::connect(&ctl_path).expect("control socket"));
        ctl.get_ref().set_read_timeout(Some(HANG)).unwrap();
        let socks = (0..SOCKETS)
            .map(|_| Sock {
                state: State::Closed,
                mode: Mode2::Buffer,
                family: Family::Ssl,
                expect: VecDeque::new(),
                send_fail: 0,
            })
            .collect();
        let rng = StdRng::seed_from_u64(opts.seed);
        Soak {
            opts,
            rng,
            daemon,
            peer,
            peer_port,
            tcp_port,
            udp_port,
            pty,
            ctl,
            socks,
            pdp_active: false,
            armed_refusals: 0,
            stats: Stats::default(),
            ctl_path,
        }
    }

    fn rss(&self) -> u64 {
        status_kb(self.daemon.id(), "VmRSS")
    }

    fn run(mut self) -> i32 {
        let total = Duration::from_secs_f64(self.opts.minutes * 60.0);
        let warmup =
            self.opts.warmup.unwrap_or((total / 10).clamp(Duration::from_secs(5), Duration::from_secs(60)));
        println!(
            "soak: {:.1} min, seed {}, warm-up {:?}, allowed VmRSS growth {} MB, daemon pid {}",
            self.opts.minutes,
            self.opts.seed,
            warmup,
            self.opts.rss_growth_mb,
            self.daemon.id()
        );
        let t0 = Instant::now();
        let fds_start = socket_fds(self.daemon.id());
        let mut rss_start = None;
        let mut last_report = Instant::now();
        let result = (|| -> R<()> {
            self.pty.echo_off()?;
            self.command("AT+CMEE=1\r")?;
            if self.opts.cmux {
                self.pty.start_mux()?;
            }
            while t0.elapsed() < total {
                self.step()?;
                self.stats.ops += 1;
                if let Ok(Some(status)) = self.daemon.try_wait() {
                    return Err(format!("the daemon exited: {status}"));
                }
                if rss_start.is_none() && t0.elapsed() >= warmup {
                    rss_start = Some(self.rss());
                    println!(
                        "soak: warm-up over after {} operations: daemon VmRSS {} kB",
                        self.stats.ops,
                        self.rss()
                    );
                }
                if last_report.elapsed() >= Duration::from_secs(30) {
                    last_report = Instant::now();
                    self.report(t0.elapsed());
                }
            }
            self.wind_down()
        })();
        let rss_end = self.rss();
        let peak = status_kb(self.daemon.id(), "VmHWM");
        std::thread::sleep(Duration::from_millis(300));
        let fds_end = socket_fds(self.daemon.id());
        self.report(t0.elapsed());
        let s = &self.stats;
        println!(
            "soak: done: {} operations, {} opens ({} failed as injected; {} SSL, {} TCP, {} UDP connected), {} closes, \
             {} transparent sessions, {} faults, {} sends ({} UDP datagrams echoed), {} bytes sent, {} bytes verified, \
             {} bytes dropped by injected faults",
            s.ops,
            s.opens,
            s.open_failures,
            s.family_opens[0],
            s.family_opens[1],
            s.family_opens[2],
            s.closes,
            s.transparent,
            s.faults,
            s.sends,
            s.datagrams,
            s.bytes_sent,
            s.bytes_verified,
            s.bytes_lost_to_faults
        );
        let rss_start = rss_start.unwrap_or(rss_end);
        println!(
            "soak: daemon VmRSS after warm-up {rss_start} kB, at end {rss_end} kB, peak (VmHWM) {peak} kB"
        );
        println!(
            "soak: daemon sockets before the first open {fds_start}, after closing everything {fds_end}"
        );
        if let Err(e) = result {
            println!("soak: FAILED (seed {}): {e}", self.opts.seed);
            return 1;
        }
        if fds_end > fds_start + 2 {
            println!(
                "soak: FAILED (seed {}): {} connections left open in the daemon after every socket was closed",
                self.opts.seed,
                fds_end - fds_start
            );
            return 1;
        }
        if rss_end > rss_start + self.opts.rss_growth_mb * 1024 {
            println!(
                "soak: FAILED (seed {}): daemon VmRSS grew {} kB after warm-up (limit {} MB)",
                self.opts.seed,
                rss_end - rss_start,
                self.opts.rss_growth_mb
            );
            return 1;
        }
        println!("soak: OK");
        0
    }

    fn report(&self, elapsed: Duration) {
        let open = self.socks.iter().filter(|s| s.state == State::Open).count();
        println!(
            "soak: {:>5.0} s: {} ops, {} bytes verified, {open} sockets open, daemon VmRSS {} kB",
            elapsed.as_secs_f64(),
            self.stats.ops,
            self.stats.bytes_verified,
            self.rss()
        );
    }

    // ---- one random operation ---------------------------------------------------------------

    fn step(&mut self) -> R<()> {
        self.poll_urcs(Duration::ZERO)?;
        if self.opts.cmux && self.rng.gen_ratio(1, 25) {
            self.pty.send_side(b"AT+CSQ\r")?;
            self.stats.side_polls += 1;
        }
        if !self.pdp_active {
            self.command_ok("AT+QIACT=1\r")?;
            self.pdp_active = true;
        }
        let id = self.rng.gen_range(0..SOCKETS);
        let roll = self.rng.gen_range(0..100);
        match self.socks[id as usize].state {
            State::Closed if roll < 6 => self.transparent_session(id),
            State::Closed => self.open(id),
            State::Opening => self.poll_urcs(Duration::from_millis(20)),
            State::RemoteClosed => self.close(id),
            State::Open if roll < 8 => self.close(id),
            State::Open if roll < 13 => self.fault(id),
            State::Open => self.exchange(id),
        }
    }

    /// The echo server of `family`.
    fn port_of(&self, family: Family) -> u16 {
        match family {
            Family::Ssl => self.peer_port,
            Family::Tcp => self.tcp_port,
            Family::Udp => self.udp_port,
        }
    }

    fn open(&mut self, id: u8) -> R<()> {
        let mode = if self.rng.gen_bool(0.5) { Mode2::Buffer } else { Mode2::Push };
        let code = if mode == Mode2::Buffer { 0 } else { 1 };
        let family = match self.rng.gen_range(0..10) {
            0..=3 => Family::Ssl,
            4..=7 => Family::Tcp,
            _ => Family::Udp,
        };
        let s = &mut self.socks[id as usize];
        s.mode = mode;
        s.family = family;
        s.state = State::Opening;
        s.expect.clear();
        self.command_ok(&family.open_cmd(id, self.port_of(family), code))?;
        self.stats.opens += 1;
        let deadline = Instant::now() + HANG;
        while self.socks[id as usize].state == State::Opening {
            if Instant::now() > deadline {
                return Err(format!("no open URC for {family:?} socket {id} within {HANG:?}"));
            }
            self.poll_urcs(Duration::from_millis(20))?;
        }
        if self.socks[id as usize].state == State::Open {
            self.stats.family_opens[family as usize] += 1;
        }
        Ok(())
    }

    fn random_data(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.rng.fill(&mut v[..]);
        v
    }

    fn exchange(&mut self, id: u8) -> R<()> {
        for _ in 0..self.rng.gen_range(1..=4) {
            if self.socks[id as usize].state != State::Open {
                break;
            }
            let n = self.rng.gen_range(1..=1460);
            let fixed = self.rng.gen_bool(0.5);
            let mut data = self.random_data(n);
            if !fixed {
                for b in &mut data {
                    if *b == 0x1a || *b == 0x1b {
                        *b = b'.';
                    }
                }
            }
            let family = self.socks[id as usize].family;
            let verb = family.send_verb();
            let cmd = if fixed { format!("{verb}={id},{n}\r") } else { format!("{verb}={id}\r") };
            match self.command(&cmd)?.as_str() {
                ">" => {}
                // The server went (an earlier fault) between our look at the state and now.
                "ERROR" if self.socks[id as usize].state != State::Open => break,
                other => return Err(format!("{}: expected the prompt, got {other}", cmd.trim_end())),
            }
            self.pty.send(&data)?;
            let end = if fixed { self.final_line()? } else { self.command("\x1a")? };
            let s = &mut self.socks[id as usize];
            match end.as_str() {
                "SEND OK" if s.send_fail == 0 => {
                    s.expect.extend(&data);
                    self.stats.sends += 1;
                    self.stats.bytes_sent += n as u64;
                    if family == Family::Udp {
                        // One datagram in flight: its echo before the next.
                        self.stats.datagrams += 1;
                        self.await_echo(id)?;
                    }
                }
                "SEND FAIL" if s.send_fail > 0 => s.send_fail -= 1,
                other => {
                    return Err(format!(
                        "send of {n} bytes on socket {id}: {other} (injected SEND FAILs pending: {})",
                        s.send_fail
                    ))
                }
            }
        }
        self.await_echo(id)
    }

    /// Wait until everything sent on `id` has come back (buffer mode: reading it).
    fn await_echo(&mut self, id: u8) -> R<()> {
        let deadline = Instant::now() + HANG;
        loop {
            let s = &self.socks[id as usize];
            if s.expect.is_empty() || s.state != State::Open {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("socket {id}: {} bytes never came back within {HANG:?}", s.expect.len()));
            }
            match s.mode {
                Mode2::Buffer => {
                    if self.recv(id)? == 0 {
                        self.poll_urcs(Duration::from_millis(5))?;
                    }
                }
                Mode2::Push => self.poll_urcs(Duration::from_millis(20))?,
            }
        }
    }

    /// One AT+QSSLRECV or AT+QIRD; returns the bytes read (verified).
    fn recv(&mut self, id: u8) -> R<usize> {
        let family = self.socks[id as usize].family;
        let cmd = family.recv_cmd(id);
        self.pty.send(cmd.as_bytes())?;
        let mut got = None;
        loop {
            match self.frame()? {
                Frame::RecvData(d) => got = Some(d),
                Frame::Line(l) if l == "OK" => break,
                // The TCP/IP family answers +QIRD: 0 after the close (policy qird-after-close).
                Frame::Line(l) if l == "ERROR" && family == Family::Ssl => {
                    return self.recv_error_after_close(id)
                }
                Frame::Line(l) if is_final(&l) => return Err(format!("{}: {l}", cmd.trim_end())),
                other => self.urc(other)?,
            }
        }
        let data = got.ok_or_else(|| format!("{}: OK without data", cmd.trim_end()))?;
        self.verify(id, &data)?;
        Ok(data.len())
    }

    /// `AT+QSSLRECV` answered ERROR: right only once the network closed the socket and its
    /// buffer is drained (note 2.2.4, policy recv-after-close). Its "closed" URC may still be
    /// on the way, so wait for it a little; a socket that stays open is a failure.
    fn recv_error_after_close(&mut self, id: u8) -> R<usize> {
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.socks[id as usize].state != State::RemoteClosed {
            if Instant::now() > deadline {
                return Err(format!("AT+QSSLRECV={id},1500: ERROR on a socket the network did not close"));
            }
            self.poll_urcs(Duration::from_millis(20))?;
        }
        Ok(0)
    }

    fn verify(&mut self, id: u8, data: &[u8]) -> R<()> {
        let s = &mut self.socks[id as usize];
        for (i, &b) in data.iter().enumerate() {
            match s.expect.pop_front() {
                Some(want) if want == b => {}
                Some(want) => {
                    return Err(format!(
                        "socket {id}: byte {i} of a {}-byte delivery is {b:#04x}, expected {want:#04x} \
                         ({} bytes verified before)",
                        data.len(),
                        self.stats.bytes_verified
                    ))
                }
                None => {
                    return Err(format!("socket {id}: {} bytes arrived that were never sent", data.len() - i))
                }
            }
        }
        self.stats.bytes_verified += data.len() as u64;
        Ok(())
    }

    fn close(&mut self, id: u8) -> R<()> {
        // Read what is still due first (after a server close: whatever was delivered).
        if self.socks[id as usize].state == State::Open {
            self.await_echo(id)?;
        }
        if self.socks[id as usize].mode == Mode2::Buffer {
            while self.recv(id)? > 0 {}
        } else {
            self.poll_urcs(Duration::from_millis(20))?;
        }
        self.command_ok(&self.socks[id as usize].family.close_cmd(id))?;
        let s = &mut self.socks[id as usize];
        self.stats.bytes_lost_to_faults += s.expect.len() as u64;
        s.expect.clear();
        s.state = State::Closed;
        s.send_fail = 0;
        self.stats.closes += 1;
        Ok(())
    }

    fn transparent_session(&mut self, id: u8) -> R<()> {
        let family = if self.rng.gen_bool(0.5) { Family::Ssl } else { Family::Tcp };
        self.socks[id as usize].family = family;
        let line = self.command(&family.open_cmd(id, self.port_of(family), 2))?;
        if line == "ERROR" && self.armed_refusals > 0 {
            self.armed_refusals -= 1;
            self.stats.open_failures += 1;
            return Ok(());
        }
        if line != "CONNECT" {
            return Err(format!("transparent open on socket {id}: {line}"));
        }
        self.stats.opens += 1;
        self.stats.family_opens[family as usize] += 1;
        self.stats.transparent += 1;
        for _ in 0..self.rng.gen_range(1..=6) {
            let n = self.rng.gen_range(1..=8192);
            let mut data = self.random_data(n);
            for i in 2..data.len() {
                if data[i] == b'+' && data[i - 1] == b'+' && data[i - 2] == b'+' {
                    data[i] = b'-';
                }
            }
            self.pty.send(&data)?;
            let deadline = Instant::now() + HANG;
            while self.pty.buf.len() < n {
                if Instant::now() > deadline {
                    return Err(format!(
                        "transparent socket {id}: {} of {n} bytes came back",
                        self.pty.buf.len()
                    ));
                }
                self.pty.fill(Duration::from_millis(20));
            }
            let back: Vec<u8> = self.pty.buf.drain(..n).collect();
            if back != data {
                let i = back.iter().zip(&data).position(|(a, b)| a != b).unwrap_or(0);
                return Err(format!(
                    "transparent socket {id}: byte {i} of {n} is {:#04x}, expected {:#04x}",
                    back[i], data[i]
                ));
            }
            self.stats.bytes_sent += n as u64;
            self.stats.bytes_verified += n as u64;
        }
        std::thread::sleep(Duration::from_millis(GUARD_MS * 2));
        self.pty.send(b"+++")?;
        let line = self.final_line()?;
        if line != "OK" {
            return Err(format!("+++ on transparent socket {id}: {line}"));
        }
        // Still open, now in buffer mode.
        self.socks[id as usize].state = State::Open;
        self.socks[id as usize].mode = Mode2::Buffer;
        self.close(id)
    }

    fn fault(&mut self, id: u8) -> R<()> {
        let roll = self.rng.gen_range(0..100);
        let fault = match roll {
            0..=29 => format!(r#"{{"kind":"server_close","socket":{id}}}"#),
            30..=44 => format!(r#"{{"kind":"connection_reset","socket":{id}}}"#),
            45..=59 => {
                self.armed_refusals += 1;
                r#"{"kind":"refuse_connect"}"#.to_string()
            }
            60..=69 => {
                self.socks[id as usize].send_fail += 1;
                format!(r#"{{"kind":"send_buffer_full","socket":{id},"count":1}}"#)
            }
            70..=79 => format!(r#"{{"kind":"latency","socket":{id},"ms":{}}}"#, self.rng.gen_range(0..30)),
            80..=89 => {
                format!(r#"{{"kind":"receive_stall","socket":{id},"ms":{}}}"#, self.rng.gen_range(1..300))
            }
            90..=94 => format!(r#"{{"kind":"bandwidth","socket":{id},"bytes_per_sec":{}}}"#, 200_000),
            _ => r#"{"kind":"pdp_lost","ctx":1}"#.to_string(),
        };
        let req = format!("{{\"verb\":\"fault\",\"fault\":{fault}}}\n");
        self.ctl.get_mut().write_all(req.as_bytes()).map_err(|e| format!("control socket: {e}"))?;
        let mut reply = String::new();
        self.ctl.read_line(&mut reply).map_err(|e| format!("control socket: {e}"))?;
        if !reply.contains("\"ok\":true") {
            return Err(format!("fault {fault}: {reply}"));
        }
        self.stats.faults += 1;
        if fault.contains("server_close") || fault.contains("connection_reset") || fault.contains("pdp_lost")
        {
            // The closed URC(s) must come.
            let deadline = Instant::now() + HANG;
            while self.socks[id as usize].state == State::Open {
                if Instant::now() > deadline {
                    return Err(format!("{fault}: no closed URC for socket {id} within {HANG:?}"));
                }
                self.poll_urcs(Duration::from_millis(20))?;
            }
            if fault.contains("pdp_lost") {
                while self.pdp_active {
                    if Instant::now() > deadline {
                        return Err(format!("{fault}: no pdpdeact URC within {HANG:?}"));
                    }
                    self.poll_urcs(Duration::from_millis(20))?;
                }
            }
        }
        Ok(())
    }

    fn wind_down(&mut self) -> R<()> {
        for id in 0..SOCKETS {
            let deadline = Instant::now() + HANG;
            while self.socks[id as usize].state == State::Opening {
                if Instant::now() > deadline {
                    return Err(format!("socket {id} still opening at the end"));
                }
                self.poll_urcs(Duration::from_millis(20))?;
            }
            if matches!(self.socks[id as usize].state, State::Open | State::RemoteClosed) {
                self.close(id)?;
            }
        }
        self.command_ok("AT+QSSLSTATE\r")?;
        self.command_ok("AT+QISTATE?\r")?;
        self.command_ok("AT\r")?;
        self.poll_urcs(Duration::from_millis(200))?;
        if !self.pty.buf.is_empty() {
            return Err(format!("output after the end: {}", show(&self.pty.buf)));
        }
        if self.opts.cmux {
            self.check_side()?;
        }
        Ok(())
    }

    /// `--cmux`: every `AT+CSQ` sent on DLCI 2 was answered there, each answer the same, and
    /// nothing else came on DLCI 2 or outside DLCI 1 and 2 after the three UAs.
    fn check_side(&mut self) -> R<()> {
        let polls = self.stats.side_polls as usize;
        let deadline = Instant::now() + HANG;
        let answers = |m: &MuxLink| m.side.windows(6).filter(|w| w == b"\r\nOK\r\n").count();
        while self.pty.mux.as_ref().is_some_and(|m| answers(m) < polls) {
            if Instant::now() > deadline {
                return Err(format!("{polls} AT+CSQ on DLCI 2, not all answered there"));
            }
            self.pty.fill(Duration::from_millis(20));
        }
        let mux = self.pty.mux.as_ref().expect("mux mode");
        let one = mux.side.iter().position(|&b| b == b'K').map_or(0, |i| i + 3);
        let first = &mux.side[..one.min(mux.side.len())];
        if polls > 0 && (!first.starts_with(b"\r\n+CSQ: ") || mux.side != first.repeat(polls)) {
            return Err(format!("DLCI 2 got more than its answers: {}", show(&mux.side)));
        }
        if mux.others.len() != 3 {
            return Err(format!("frames other than data after the UAs: {:?}", &mux.others[3..]));
        }
        println!("soak: cmux: {polls} AT+CSQ on DLCI 2 answered there while DLCI 1 carried the run");
        Ok(())
    }

    fn urc(&mut self, f: Frame) -> R<()> {
        match f {
            Frame::Push(id, data) => {
                if data.len() > 1500 {
                    return Err(format!("push URC of {} bytes (at most 1500)", data.len()));
                }
                self.verify(id, &data)
            }
            Frame::Line(l) => {
                let num = |s: &str| s.trim().parse::<u32>().map_err(|_| format!("bad URC {l:?}"));
                // A URC of the other family than the socket's is a failure.
                let fam = |socks: &[Sock], id: usize, ip: bool| -> R<usize> {
                    match socks.get(id) {
                        Some(s) if s.family.is_ip() == ip => Ok(id),
                        Some(s) => Err(format!("{l:?} for a {:?} socket", s.family)),
                        None => Err(format!("bad URC {l:?}")),
                    }
                };
                let ip = l.starts_with("+QI");
                let recv =
                    l.strip_prefix("+QSSLURC: \"recv\",").or_else(|| l.strip_prefix("+QIURC: \"recv\","));
                let closed =
                    l.strip_prefix("+QSSLURC: \"closed\",").or_else(|| l.strip_prefix("+QIURC: \"closed\","));
                let opened = l.strip_prefix("+QSSLOPEN: ").or_else(|| l.strip_prefix("+QIOPEN: "));
                if let Some(id) = recv {
                    fam(&self.socks, num(id)? as usize, ip).map(|_| ())
                } else if let Some(id) = closed {
                    let id = fam(&self.socks, num(id)? as usize, ip)?;
                    if self.socks[id].state != State::Open {
                        return Err(format!(
                            "closed URC for socket {id} in state {:?}",
                            self.socks[id].state
                        ));
                    }
                    self.socks[id].state = State::RemoteClosed;
                    Ok(())
                } else if let Some(rest) = opened {
                    let (id, err) = rest.split_once(',').ok_or_else(|| format!("bad URC {l:?}"))?;
                    let (id, err) = (fam(&self.socks, num(id)? as usize, ip)?, num(err)?);
                    if self.socks[id].state != State::Opening {
                        return Err(format!("{l} for a socket in state {:?}", self.socks[id].state));
                    }
                    if err == 0 {
                        self.socks[id].state = State::Open;
                    } else if err == 566 && self.armed_refusals > 0 {
                        self.armed_refusals -= 1;
                        self.stats.open_failures += 1;
                        self.socks[id].state = State::Closed;
                    } else {
                        return Err(format!("unexpected open failure: {l}"));
                    }
                    Ok(())
                } else if l == "+QIURC: \"pdpdeact\",1" {
                    self.pdp_active = false;
                    Ok(())
                } else {
                    Err(format!("unexpected output {l:?}"))
                }
            }
            other => Err(format!("unexpected {other:?} outside a command")),
        }
    }
}

fn is_urc(line: &str) -> bool {
    line.starts_with("+QSSLURC:") || line.starts_with("+QSSLOPEN:") || line.starts_with("+QIURC:")
}

// ---- hostile mode (--hostile) ------------------------------------------------------------------
//
// Servers that misbehave, behind a host that never pauses: `stall` completes the handshake and
// never reads again (held at most a minute), `reset` reads or sends a little and then resets
// the connection (RST, mid-stream), `trickle` sends a known byte pattern through TCP a few
// bytes at a time (the handshake too). The host opens sockets to them at random, sends until
// SEND FAIL, reads (checking the trickled pattern byte for byte), closes, and between all of
// that writes bursts of 10–200 commands in one write and expects exactly one final result per
// command. Bytes sent to hostile servers cannot be verified; what is checked is that the port
// stays responsive and framed, every open resolves, every socket closes, and the daemon's
// memory and sockets come back.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hostility {
    Stall,
    Reset,
    Trickle,
}

const HOSTILITIES: [Hostility; 3] = [Hostility::Stall, Hostility::Reset, Hostility::Trickle];

/// Byte `i` of what a trickle server sends.
fn trickle_byte(i: u64) -> u8 {
    (i % 251) as u8
}

/// Start the three servers on loopback (in a thread with its own runtime); their ports.
fn start_hostile_servers() -> Vec<u16> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async move {
            let config = qsslsim::peer::server_config(false);
            let mut ports = Vec::new();
            for kind in HOSTILITIES {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ports.push(listener.local_addr().unwrap().port());
                let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
                tokio::spawn(async move {
                    let mut n = 0u64;
                    loop {
                        let Ok((tcp, _)) = listener.accept().await else { continue };
                        n += 1;
                        tokio::spawn(hostile_connection(kind, tcp, acceptor.clone(), n));
                    }
                });
            }
            tx.send(ports).unwrap();
            std::future::pending::<()>().await
        });
    });
    rx.recv().expect("hostile servers")
}

async fn hostile_connection(
    kind: Hostility,
    tcp: tokio::net::TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    n: u64,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    match kind {
        Hostility::Stall => {
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(tls);
        }
        Hostility::Reset => {
            let Ok(mut tls) = acceptor.accept(tcp).await else { return };
            // Odd connections read up to some bytes first, even ones send some first.
            let budget = (n * 7919 % 6000) as usize;
            if n % 2 == 1 {
                let mut buf = vec![0u8; 4096];
                let mut got = 0;
                while got < budget {
                    match tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await {
                        Ok(Ok(k)) if k > 0 => got += k,
                        _ => break,
                    }
                }
            } else {
                let _ = tls.write_all(&vec![b'r'; budget]).await;
                let _ = tls.flush().await;
                tokio::time::sleep(Duration::from_millis(n % 50)).await;
            }
            let _ = tls.get_ref().0.set_zero_linger();
            drop(tls); // RST
        }
        Hostility::Trickle => {
            // TLS runs over an in-memory pipe; a pump moves its output to TCP a few bytes at a
            // time, so every record (the handshake's too) arrives in pieces.
            let (ours, theirs) = tokio::io::duplex(64 * 1024);
            let (mut tcp_r, mut tcp_w) = tcp.into_split();
            let (mut pipe_r, mut pipe_w) = tokio::io::split(theirs);
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut tcp_r, &mut pipe_w).await;
                let _ = pipe_w.shutdown().await;
            });
            tokio::spawn(async move {
                let mut buf = [0u8; 16];
                let mut k = n as usize;
                loop {
                    k = k.wrapping_mul(31).wrapping_add(7);
                    let want = 1 + k % buf.len();
                    match pipe_r.read(&mut buf[..want]).await {
                        Ok(0) | Err(_) => break,
                        Ok(m) => {
                            if tcp_w.write_all(&buf[..m]).await.is_err() {
                                break;
                            }
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(1 + (k % 3) as u64)).await;
                }
            });
            let Ok(mut tls) = acceptor.accept(ours).await else { return };
            let mut sent = 0u64;
            let mut chunk = vec![0u8; 512];
            loop {
                for (j, b) in chunk.iter_mut().enumerate() {
                    *b = trickle_byte(sent + j as u64);
                }
                if tls.write_all(&chunk).await.is_err() || tls.flush().await.is_err() {
                    break;
                }
                sent += chunk.len() as u64;
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HState {
    Closed,
    Opening,
    Open,
    Gone,
}

struct HSock {
    state: HState,
    kind: Hostility,
    /// Trickle: pattern bytes received so far.
    received: u64,
}

#[derive(Default)]
struct HStats {
    bursts: u64,
    burst_commands: u64,
    opens: [u64; 3],
    open_failures: u64,
    sends_ok: u64,
    sends_failed: u64,
    sends_refused: u64,
    remote_closes: u64,
    trickled_bytes: u64,
    closes: u64,
}

struct HostileSoak {
    opts: Options,
    rng: StdRng,
    daemon: Child,
    pty: Pty,
    ports: Vec<u16>,
    socks: Vec<HSock>,
    stats: HStats,
}

impl Drop for HostileSoak {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

impl HostileSoak {
    fn start(opts: Options) -> HostileSoak {
        let ports = start_hostile_servers();
        let guard = GUARD_MS.to_string();
        let (daemon, pty) = spawn(&opts.binary, &["--guard-time", &guard], "READY ");
        let pty = Pty::open(Path::new(&pty));
        let socks = (0..SOCKETS)
            .map(|_| HSock { state: HState::Closed, kind: Hostility::Stall, received: 0 })
            .collect();
        let rng = StdRng::seed_from_u64(opts.seed);
        HostileSoak { opts, rng, daemon, pty, ports, socks, stats: HStats::default() }
    }

    fn run(mut self) -> i32 {
        let total = Duration::from_secs_f64(self.opts.minutes * 60.0);
        let warmup =
            self.opts.warmup.unwrap_or((total / 10).clamp(Duration::from_secs(5), Duration::from_secs(60)));
        let pid = self.daemon.id();
        println!(
            "soak --hostile: {:.1} min, seed {}, warm-up {warmup:?}, allowed VmRSS growth {} MB, daemon pid {pid}",
            self.opts.minutes, self.opts.seed, self.opts.rss_growth_mb
        );
        let t0 = Instant::now();
        let fds_start = socket_fds(pid);
        let mut rss_start = None;
        let mut last_report = Instant::now();
        let result = (|| -> R<()> {
            self.pty.echo_off()?;
            self.command_ok("AT+QIACT=1\r")?;
            while t0.elapsed() < total {
                self.step()?;
                if let Ok(Some(status)) = self.daemon.try_wait() {
                    return Err(format!("the daemon exited: {status}"));
                }
                if rss_start.is_none() && t0.elapsed() >= warmup {
                    rss_start = Some(status_kb(pid, "VmRSS"));
                }
                if last_report.elapsed() >= Duration::from_secs(30) {
                    last_report = Instant::now();
                    self.report(t0.elapsed());
                }
            }
            for id in 0..SOCKETS {
                self.settle(id)?;
                if self.socks[id as usize].state != HState::Closed {
                    self.close(id)?;
                }
            }
            self.burst()?;
            Ok(())
        })();
        let rss_end = status_kb(pid, "VmRSS");
        let peak = status_kb(pid, "VmHWM");
        std::thread::sleep(Duration::from_millis(500));
        let fds_end = socket_fds(pid);
        self.report(t0.elapsed());
        let s = &self.stats;
        println!(
            "soak --hostile: done: {} bursts ({} commands), opens stall/reset/trickle {:?} ({} failed), \
             sends {} OK / {} SEND FAIL / {} refused, {} remote closes, {} trickled bytes verified, {} closes",
            s.bursts,
            s.burst_commands,
            s.opens,
            s.open_failures,
            s.sends_ok,
            s.sends_failed,
            s.sends_refused,
            s.remote_closes,
            s.trickled_bytes,
            s.closes
        );
        let rss_start = rss_start.unwrap_or(rss_end);
        println!(
            "soak --hostile: daemon VmRSS after warm-up {rss_start} kB, at end {rss_end} kB, peak {peak} kB"
        );
        println!("soak --hostile: daemon sockets at start {fds_start}, after closing everything {fds_end}");
        let seed = self.opts.seed;
        if let Err(e) = result {
            println!("soak --hostile: FAILED (seed {seed}): {e}");
            return 1;
        }
        if fds_end > fds_start + 2 {
            println!(
                "soak --hostile: FAILED (seed {seed}): {} sockets left in the daemon",
                fds_end - fds_start
            );
            return 1;
        }
        if rss_end > rss_start + self.opts.rss_growth_mb * 1024 {
            println!(
                "soak --hostile: FAILED (seed {seed}): VmRSS grew {} kB after warm-up",
                rss_end - rss_start
            );
            return 1;
        }
        println!("soak --hostile: OK");
        0
    }

    fn report(&self, elapsed: Duration) {
        let open = self.socks.iter().filter(|s| s.state == HState::Open).count();
        println!(
            "soak --hostile: {:>5.0} s: {} bursts, {} trickled bytes, {open} sockets open, daemon VmRSS {} kB",
            elapsed.as_secs_f64(),
            self.stats.bursts,
            self.stats.trickled_bytes,
            status_kb(self.daemon.id(), "VmRSS")
        );
    }

    fn step(&mut self) -> R<()> {
        self.poll_urcs(Duration::ZERO)?;
        let id = self.rng.gen_range(0..SOCKETS);
        let roll = self.rng.gen_range(0..100);
        match self.socks[id as usize].state {
            _ if roll < 25 => self.burst(),
            HState::Closed => self.open(id),
            HState::Opening => self.poll_urcs(Duration::from_millis(20)),
            HState::Gone => self.close(id),
            HState::Open if roll < 35 => self.close(id),
            HState::Open if roll < 65 => self.send(id),
            HState::Open => self.recv(id).map(|_| ()),
        }
    }

    /// 10–200 commands in one write; exactly one final result each, all OK.
    fn burst(&mut self) -> R<()> {
        // Commands answered in one line (the frame parser reads one line per frame).
        const CHEAP: [&str; 5] =
            ["AT\r", "AT+QIGETERROR\r", "AT+QIACT?\r", "AT+CCLK?\r", "AT+QSSLCFG=\"negotiatetime\",1\r"];
        let n = self.rng.gen_range(10..=200);
        let mut text = String::new();
        for _ in 0..n {
            text.push_str(CHEAP[self.rng.gen_range(0..CHEAP.len())]);
        }
        self.pty.send(text.as_bytes())?;
        for i in 0..n {
            let end = self.final_line()?;
            if end != "OK" {
                return Err(format!("burst command {i} of {n}: {end}"));
            }
        }
        self.stats.bursts += 1;
        self.stats.burst_commands += n as u64;
        Ok(())
    }

    fn open(&mut self, id: u8) -> R<()> {
        let k = self.rng.gen_range(0..HOSTILITIES.len());
        let s = &mut self.socks[id as usize];
        s.kind = HOSTILITIES[k];
        s.received = 0;
        s.state = HState::Opening;
        self.command_ok(&format!("AT+QSSLOPEN=1,0,{id},\"127.0.0.1\",{},0\r", self.ports[k]))?;
        self.stats.opens[k] += 1;
        self.settle(id)
    }

    /// Wait until an open has resolved.
    fn settle(&mut self, id: u8) -> R<()> {
        let deadline = Instant::now() + HANG;
        while self.socks[id as usize].state == HState::Opening {
            if Instant::now() > deadline {
                return Err(format!("no +QSSLOPEN for socket {id} within {HANG:?}"));
            }
            self.poll_urcs(Duration::from_millis(20))?;
        }
        Ok(())
    }

    fn send(&mut self, id: u8) -> R<()> {
        if self.socks[id as usize].kind == Hostility::Stall && self.rng.gen_bool(0.2) {
            return self.fill(id);
        }
        let n = self.rng.gen_range(1..=1460);
        match self.command(&format!("AT+QSSLSEND={id},{n}\r"))?.as_str() {
            ">" => {}
            "ERROR" => {
                // The server reset it (the closed URC may still be on its way).
                self.stats.sends_refused += 1;
                return Ok(());
            }
            other => return Err(format!("AT+QSSLSEND={id},{n}: {other}")),
        }
        let data = vec![b's'; n];
        self.pty.send(&data)?;
        match self.final_line()?.as_str() {
            "SEND OK" => self.stats.sends_ok += 1,
            "SEND FAIL" => self.stats.sends_failed += 1,
            "ERROR" => self.stats.sends_refused += 1,
            other => return Err(format!("send of {n} bytes on socket {id}: {other}")),
        }
        Ok(())
    }

    /// Send to a server that stopped reading until the module says SEND FAIL (the kernel's
    /// buffers take a few MB first), then check the port still answers at once.
    fn fill(&mut self, id: u8) -> R<()> {
        let data = vec![b'f'; 1460];
        for _ in 0..10_000 {
            match self.command(&format!("AT+QSSLSEND={id},1460\r"))?.as_str() {
                ">" => {}
                "ERROR" => {
                    self.stats.sends_refused += 1;
                    return Ok(());
                }
                other => return Err(format!("AT+QSSLSEND={id},1460: {other}")),
            }
            self.pty.send(&data)?;
            match self.final_line()?.as_str() {
                "SEND OK" => self.stats.sends_ok += 1,
                "SEND FAIL" => {
                    self.stats.sends_failed += 1;
                    return self.command_ok("AT\r");
                }
                other => return Err(format!("filling socket {id}: {other}")),
            }
        }
        Err(format!("socket {id}: 14.6 MB to a server that never reads, and no SEND FAIL"))
    }

    /// One AT+QSSLRECV; the bytes read. Trickled data must continue the pattern.
    fn recv(&mut self, id: u8) -> R<usize> {
        self.pty.send(format!("AT+QSSLRECV={id},1500\r").as_bytes())?;
        let mut got = None;
        loop {
            match self.frame()? {
                Frame::RecvData(d) => got = Some(d),
                Frame::Line(l) if l == "OK" => break,
                Frame::Line(l) if l == "ERROR" => return Ok(0),
                Frame::Line(l) if is_final(&l) => return Err(format!("AT+QSSLRECV={id},1500: {l}")),
                other => self.urc(other)?,
            }
        }
        let data = got.ok_or_else(|| format!("AT+QSSLRECV={id}: OK without +QSSLRECV"))?;
        let s = &mut self.socks[id as usize];
        if s.kind == Hostility::Trickle {
            for &b in &data {
                if b != trickle_byte(s.received) {
                    return Err(format!("socket {id}: trickled byte {} is {b:#04x}", s.received));
                }
                s.received += 1;
            }
            self.stats.trickled_bytes += data.len() as u64;
        }
        Ok(data.len())
    }

    fn close(&mut self, id: u8) -> R<()> {
        if self.socks[id as usize].state == HState::Gone {
            while self.recv(id)? > 0 {}
        }
        // A linger of 1 s: a stalled server must not hold the port for the default 10 s.
        self.command_ok(&format!("AT+QSSLCLOSE={id},1\r"))?;
        self.socks[id as usize].state = HState::Closed;
        self.stats.closes += 1;
        Ok(())
    }

    fn urc(&mut self, f: Frame) -> R<()> {
        let Frame::Line(l) = f else { return Err(format!("unexpected {f:?} outside a command")) };
        let num = |s: &str| s.trim().parse::<usize>().map_err(|_| format!("bad URC {l:?}"));
        if let Some(id) = l.strip_prefix("+QSSLURC: \"recv\",") {
            num(id).map(|_| ())
        } else if let Some(id) = l.strip_prefix("+QSSLURC: \"closed\",") {
            let id = num(id)?;
            if self.socks[id].state == HState::Open {
                self.socks[id].state = HState::Gone;
                self.stats.remote_closes += 1;
            }
            Ok(())
        } else if let Some(rest) = l.strip_prefix("+QSSLOPEN: ") {
            let (id, err) = rest.split_once(',').ok_or_else(|| format!("bad URC {l:?}"))?;
            let (id, err) = (num(id)?, num(err)?);
            if self.socks[id].state != HState::Opening {
                return Err(format!("{l} for a socket in state {:?}", self.socks[id].state));
            }
            if err == 0 {
                self.socks[id].state = HState::Open;
            } else {
                // A reset during the handshake is a failed open; the socket is free again.
                self.stats.open_failures += 1;
                self.socks[id].state = HState::Closed;
            }
            Ok(())
        } else {
            Err(format!("unexpected output {l:?}"))
        }
    }
}
