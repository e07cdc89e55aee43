//! An independent reading of qsslsim's framing: the bytes the real daemon writes on its pty are
//! fed to the `atat` crate's response digester (`atat::AtDigester`, the code every `atat`-based
//! embedded driver runs), read from the pty in chunks of various sizes down to one byte. The
//! digester's output (responses, URCs, prompts, in order) must be what the SPEC says the module
//! answered, and must not depend on how the bytes were chunked.
//!
//! Two digester set-ups are used, both written the way an `atat` driver for a Quectel module
//! would be:
//! - `stock()`: `AtDigester::new()` with a URC parser built from `atat`'s own `urc_helper` for
//!   `+QSSLURC`, `+QSSLOPEN` and `+QIURC`, and nothing else;
//! - `quectel()`: the same plus the hooks `atat` offers for what its generic grammar does not
//!   know: `SEND OK`/`SEND FAIL` (`with_custom_success`/`with_custom_error`), the
//!   length-prefixed `+QSSLRECV: <n>\r\n<data>` response, and the length-prefixed push URC
//!   `+QSSLURC: "recv",<id>,<n>\r\n<data>`.
//!
//! Where the stock digester cannot read a Quectel form, the tests assert what it does produce
//! and say why (atat's grammar, not qsslsim's framing). The last test drives the same daemon
//! with atat's real `Ingress` + `blocking::Client` on std threads.

mod support;

use std::io::Write as _;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use atat::digest::{parser::urc_helper, AtDigester, DigestResult, Digester, ParseError, Parser};
use atat::{CmeError, ConnectionError, InternalError};
use nix::fcntl::{open, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::stat::Mode;
use nix::sys::termios::{self, SetArg};

use support::{show, Daemon};

// ---------------------------------------------------------------------------------------------
// The host's end of the pty, reading in exact chunk sizes.

/// Read-size patterns: each read(2) asks for the next size in the cycle. `[4096]` additionally
/// waits a little after the port turns readable, so a whole write is taken in one read (the
/// "UART idle line" style of embedded drivers).
const PATTERNS: &[&[usize]] = &[&[1], &[2], &[3], &[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], &[7], &[4096]];

struct Pty {
    fd: OwnedFd,
    sizes: &'static [usize],
    next: usize,
    settle: bool,
}

impl Pty {
    fn open(path: &Path, sizes: &'static [usize]) -> Pty {
        let raw =
            open(path, OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK, Mode::empty()).expect("open pty");
        // SAFETY: `open` just returned this descriptor and nothing else owns it.
        let fd = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) };
        let mut tio = termios::tcgetattr(&fd).unwrap();
        termios::cfmakeraw(&mut tio);
        termios::tcsetattr(&fd, SetArg::TCSANOW, &tio).unwrap();
        Pty { fd, sizes, next: 0, settle: sizes == [4096] }
    }

    fn send(&self, bytes: &[u8]) {
        let mut off = 0;
        while off < bytes.len() {
            match nix::unistd::write(&self.fd, &bytes[off..]) {
                Ok(n) => off += n,
                Err(nix::errno::Errno::EAGAIN) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => panic!("write: {e}"),
            }
        }
    }

    /// One read(2) of at most the next pattern size, waiting up to `wait` for input.
    fn read_chunk(&mut self, wait: Duration) -> Vec<u8> {
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        let ms = wait.as_millis().min(u16::MAX as u128) as u16;
        if poll(&mut fds, PollTimeout::from(ms)).unwrap_or(0) == 0 {
            return Vec::new();
        }
        if self.settle {
            std::thread::sleep(Duration::from_millis(30));
        }
        let size = self.sizes[self.next % self.sizes.len()];
        self.next += 1;
        let mut buf = vec![0u8; size];
        match nix::unistd::read(self.fd.as_raw_fd(), &mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(_) => Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the digester yields, owned, with bytes shown escaped for readable failures.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Ok(String),
    Err(String),
    Urc(String),
    Prompt(char),
}

fn ok(b: &[u8]) -> Ev {
    Ev::Ok(show(b))
}
fn urc(b: &[u8]) -> Ev {
    Ev::Urc(show(b))
}
fn err(e: InternalError) -> Ev {
    Ev::Err(format!("{e:?}"))
}
const PROMPT: Ev = Ev::Prompt('>');

/// A host feeding everything it reads into an `atat` digester, exactly like
/// `atat::Ingress::try_advance` does: digest, drop what was swallowed, repeat until nothing is.
struct Host<D: Digester> {
    pty: Pty,
    digester: D,
    buf: Vec<u8>,
    events: Vec<Ev>,
    /// Bytes the digester swallowed without a result (echo, garbage).
    skipped: Vec<u8>,
    label: String,
}

impl<D: Digester> Host<D> {
    fn new(path: &Path, sizes: &'static [usize], digester: D) -> Self {
        Host {
            pty: Pty::open(path, sizes),
            digester,
            buf: Vec::new(),
            events: Vec::new(),
            skipped: Vec::new(),
            label: format!("reads {sizes:?}"),
        }
    }

    fn digest_all(&mut self) {
        loop {
            let (res, swallowed) = self.digester.digest(&self.buf);
            let ev = match res {
                DigestResult::None => None,
                DigestResult::Urc(u) => Some(urc(u)),
                DigestResult::Response(Ok(r)) => Some(ok(r)),
                DigestResult::Response(Err(e)) => Some(err(e)),
                DigestResult::Prompt(p) => Some(Ev::Prompt(p as char)),
            };
            match ev {
                Some(ev) => self.events.push(ev),
                None => self.skipped.extend_from_slice(&self.buf[..swallowed]),
            }
            if swallowed == 0 {
                break;
            }
            self.buf.drain(..swallowed);
        }
    }

    /// Read and digest until `n` more events have been produced.
    #[track_caller]
    fn pump(&mut self, n: usize) {
        let want = self.events.len() + n;
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.events.len() < want {
            assert!(
                Instant::now() < deadline,
                "{}: waited for {n} event(s); have {:?}; undigested {}",
                self.label,
                self.events,
                show(&self.buf)
            );
            let chunk = self.pty.read_chunk(Duration::from_millis(50));
            self.buf.extend_from_slice(&chunk);
            self.digest_all();
        }
    }

    /// Keep reading for `wait`; whatever events that produces are kept.
    fn drain_for(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            let chunk = self.pty.read_chunk(Duration::from_millis(20));
            self.buf.extend_from_slice(&chunk);
            self.digest_all();
        }
    }

    /// Send a command line (or raw bytes) and wait for `n` events.
    #[track_caller]
    fn cmd(&mut self, line: &str, n: usize) {
        self.pty.send(line.as_bytes());
        self.pump(n);
    }

    #[track_caller]
    fn raw(&mut self, bytes: &[u8], n: usize) {
        self.pty.send(bytes);
        self.pump(n);
    }

    /// Assert the whole event sequence, that nothing more comes, and what is left undigested.
    #[track_caller]
    fn finish(&mut self, expected: &[Ev], leftover: &[u8]) {
        self.drain_for(Duration::from_millis(150));
        assert_eq!(self.events, expected, "{}", self.label);
        assert_eq!(show(&self.buf), show(leftover), "{}: undigested bytes", self.label);
    }
}

// ---------------------------------------------------------------------------------------------
// URC parsers and custom hooks.

/// The stock way: `atat::digest::parser::urc_helper` for each URC prefix.
enum QuectelUrcs {}

impl Parser for QuectelUrcs {
    fn parse(buf: &[u8]) -> Result<(&[u8], usize), ParseError> {
        let (_, r) =
            atat::nom::branch::alt((urc_helper("+QSSLURC"), urc_helper("+QSSLOPEN"), urc_helper("+QIURC")))(
                buf,
            )?;
        Ok(r)
    }
}

/// As `QuectelUrcs`, but the direct-push URC `\r\n+QSSLURC: "recv",<id>,<len>\r\n<len bytes>`
/// is taken whole, payload included (what an atat driver must add for push mode).
enum QuectelUrcsWithPush {}

const PUSH: &[u8] = b"\r\n+QSSLURC: \"recv\",";

/// `<head>` (which starts with `\r\n`), a field ending in decimal `<n>` (after the last comma,
/// if any), `\r\n`: returns (n, header length). Incomplete while `buf` may still become one.
fn length_header(buf: &[u8], head: &[u8]) -> Result<(usize, usize), ParseError> {
    let common = buf.len().min(head.len());
    if buf[..common] != head[..common] {
        return Err(ParseError::NoMatch);
    }
    if buf.len() <= head.len() {
        return Err(ParseError::Incomplete);
    }
    let Some(end) = buf[2..].windows(2).position(|w| w == b"\r\n").map(|e| e + 2) else {
        return Err(ParseError::Incomplete);
    };
    let field = &buf[head.len()..end];
    let n_str = match field.iter().rposition(|&b| b == b',') {
        Some(c) => &field[c + 1..],
        None => field,
    };
    let n: usize = std::str::from_utf8(n_str).ok().and_then(|s| s.parse().ok()).ok_or(ParseError::NoMatch)?;
    Ok((n, end + 2))
}

impl Parser for QuectelUrcsWithPush {
    fn parse(buf: &[u8]) -> Result<(&[u8], usize), ParseError> {
        match length_header(buf, PUSH) {
            // `+QSSLURC: "recv",<id>,<len>`: the field after PUSH must hold a comma (id,len);
            // the buffer-mode form `"recv",<id>` has none and falls through to urc_helper.
            Ok((n, hdr)) if buf[PUSH.len()..hdr - 2].contains(&b',') => {
                if buf.len() < hdr + n {
                    return Err(ParseError::Incomplete);
                }
                Ok((&buf[2..hdr + n], hdr + n))
            }
            Err(ParseError::Incomplete) => Err(ParseError::Incomplete),
            _ => QuectelUrcs::parse(buf),
        }
    }
}

const SEND_OK: &[u8] = b"\r\nSEND OK\r\n";
const SEND_FAIL: &[u8] = b"\r\nSEND FAIL\r\n";
const RECV: &[u8] = b"\r\n+QSSLRECV: ";
const FINAL_OK: &[u8] = b"\r\nOK\r\n";

fn exact(buf: &[u8], tag: &[u8]) -> Result<usize, ParseError> {
    if buf.starts_with(tag) {
        Ok(tag.len())
    } else if tag.starts_with(buf) {
        Err(ParseError::Incomplete)
    } else {
        Err(ParseError::NoMatch)
    }
}

/// `SEND OK`, and `+QSSLRECV: <n>\r\n<n bytes>[\r\n]` `\r\nOK\r\n` taken by length, so binary
/// data holding `\r\nOK\r\n`, `>` or trailing white space survives.
fn quectel_success(buf: &[u8]) -> Result<(&[u8], usize), ParseError> {
    match exact(buf, SEND_OK) {
        Ok(n) => return Ok((&buf[2..n - 2], n)),
        Err(ParseError::Incomplete) if buf.len() > 2 => return Err(ParseError::Incomplete),
        _ => {}
    }
    let (n, hdr) = match length_header(buf, RECV) {
        Ok(v) => v,
        Err(ParseError::Incomplete) if buf.len() > 2 => return Err(ParseError::Incomplete),
        Err(_) => return Err(ParseError::NoMatch),
    };
    // Data, then its line end (only when there is data), then the final OK.
    let body_end = hdr + n;
    let tail_start = if n > 0 { body_end + 2 } else { body_end };
    if buf.len() < tail_start {
        return Err(ParseError::Incomplete);
    }
    if n > 0 && &buf[body_end..tail_start] != b"\r\n" {
        return Err(ParseError::NoMatch);
    }
    let len = exact(&buf[tail_start..], FINAL_OK)?;
    let text_end = if n > 0 { body_end } else { hdr - 2 };
    Ok((&buf[2..text_end], tail_start + len))
}

fn quectel_error(buf: &[u8]) -> Result<(&[u8], usize), ParseError> {
    match exact(buf, SEND_FAIL) {
        Ok(n) => Ok((&buf[2..n - 2], n)),
        Err(ParseError::Incomplete) if buf.len() > 2 => Err(ParseError::Incomplete),
        _ => Err(ParseError::NoMatch),
    }
}

fn stock() -> AtDigester<QuectelUrcs> {
    AtDigester::new()
}

fn quectel() -> AtDigester<QuectelUrcsWithPush> {
    AtDigester::new().with_custom_success(quectel_success).with_custom_error(quectel_error)
}

// ---------------------------------------------------------------------------------------------
// The daemon.

static SOCKETS: AtomicUsize = AtomicUsize::new(0);

struct Module {
    daemon: Daemon,
    control: String,
}

fn start() -> Module {
    let control = format!(
        "{}/qsslsim-atat-{}-{}.sock",
        std::env::temp_dir().display(),
        std::process::id(),
        SOCKETS.fetch_add(1, Ordering::SeqCst)
    );
    let _ = std::fs::remove_file(&control);
    let daemon = Daemon::start(&["--demo", "--guard-time", "300", "--control", &control]);
    Module { daemon, control }
}

impl Module {
    fn fault(&self, json: &str) {
        let out = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(["ctl", "--control", &self.control, "fault", json])
            .output()
            .expect("qsslsim ctl");
        assert!(out.status.success(), "ctl fault {json}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Module {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.control);
    }
}

fn echo_line(echo: bool) -> (&'static str, Vec<Ev>) {
    if echo {
        ("", vec![])
    } else {
        ("ATE0\r", vec![ok(b"")])
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

/// AT, ATI (multi-line), a AT+QSSLCFG query, ERROR, +CME ERROR numeric and verbose, ATO's
/// NO CARRIER — with echo on (the module default) and off.
#[test]
fn basic_final_results_and_multiline() {
    for echo in [true, false] {
        for sizes in PATTERNS {
            let m = start();
            let mut h = Host::new(&m.daemon.pty, sizes, stock());
            h.label = format!("echo {echo}, reads {sizes:?}");
            let (ate, mut expected) = echo_line(echo);
            if !ate.is_empty() {
                h.cmd(ate, 1);
            }
            h.cmd("AT\r", 1);
            h.cmd("ATI\r", 1);
            h.cmd("AT+QSSLCFG=\"sslversion\",1\r", 1);
            h.cmd("AT+QSSLCFG=\"seclevel\",1,1\r", 1);
            h.cmd("AT+QSSLCFG=\"seclevel\",1\r", 1);
            h.cmd("AT+FOO\r", 1);
            h.cmd("AT+QSSLRECV=4,10\r", 1);
            h.cmd("AT+CMEE=1\r", 1);
            h.cmd("AT+QFDEL=\"missing\"\r", 1);
            h.cmd("AT+CMEE=2\r", 1);
            h.cmd("AT+QFDEL=\"missing\"\r", 1);
            h.cmd("ATO\r", 1);
            expected.extend([
                ok(b""),
                ok(b"Quectel\r\nEG915Q-GL\r\nRevision: EG915QGLR01A01M08"),
                ok(b"+QSSLCFG: \"sslversion\",1,4"),
                ok(b""),
                ok(b"+QSSLCFG: \"seclevel\",1,1"),
                err(InternalError::Error),
                err(InternalError::Error),
                ok(b""),
                // 405 is a Quectel file error: atat keeps it as manufacturer-specific.
                err(InternalError::CmeError(CmeError::ManufacturerSpecific(405))),
                ok(b""),
                // Verbose text (feature `string_errors`): atat's table does not know the
                // Quectel file-system texts, so the text maps to Unknown.
                err(InternalError::CmeError(CmeError::Unknown)),
                err(InternalError::ConnectionError(ConnectionError::NoCarrier)),
            ]);
            h.finish(&expected, b"");
        }
    }
}

/// `AT+QSSLCFG=?` lists 20 lines; the maker's own test-form text contains `<cs_id>`,
/// `<cacertpath>` and the like. atat's generic prompt detector fires on any buffer that *ends*
/// in `>` (plus white space), wherever it is — so a chunked read that stops right after such a
/// `>` is taken as a data prompt. That is atat's grammar (prompt search is unanchored and
/// checked before the final OK has arrived), not a framing fault: read whole, atat agrees.
#[test]
fn qsslcfg_test_form_and_the_prompt_heuristic() {
    let whole = "+QSSLCFG: \"sslversion\",(0-5),(0-4)\r\n+QSSLCFG: \"seclevel\",(0-5),(0-2)\r\n\
+QSSLCFG: \"ciphersuite\",(0-5),<cs_id>\r\n+QSSLCFG: \"negotiatetime\",(0-5),(10-300)\r\n\
+QSSLCFG: \"sni\",(0-5),(0,1)\r\n+QSSLCFG: \"cacert\",(0-5),<cacertpath>\r\n\
+QSSLCFG: \"cacertex\",(0-5),<cacertexpath>\r\n+QSSLCFG: \"clientcert\",(0-5),<client_cert_path>\r\n\
+QSSLCFG: \"clientkey\",(0-5),<client_key_path>,<key_pwd>\r\n+QSSLCFG: \"dtls\",(0-5),(0,1)\r\n\
+QSSLCFG: \"dtlsversion\",(0-5),(0-2)\r\n+QSSLCFG: \"psk\",(0-5),<identity>,<key>\r\n\
+QSSLCFG: \"ignoremulticertchainverify\",(0-5),(0,1)\r\n+QSSLCFG: \"ignoreinvalidcertsign\",(0-5),(0,1)\r\n\
+QSSLCFG: \"ignorecertitem\",(0-5),(0-1048575)\r\n+QSSLCFG: \"ignorelocaltime\",(0-5),(0,1)\r\n\
+QSSLCFG: \"session_cache\",(0-5),(0,1)\r\n+QSSLCFG: \"closetimemode\",(0-5),(0,1)\r\n\
+QSSLCFG: \"renegotiation\",(0-5),(0,1)\r\n+QSSLCFG: \"alpn\",(0-5),<ALPN_name>";
    assert_eq!(whole.lines().count(), 20);
    assert!(whole.contains("+QSSLCFG: \"seclevel\",(0-5),(0-2)"), "SPEC §3 HW line");
    for sizes in PATTERNS {
        let m = start();
        let mut h = Host::new(&m.daemon.pty, sizes, stock());
        h.pty.send(b"AT+QSSLCFG=?\r");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !h.events.iter().any(|e| matches!(e, Ev::Ok(_))) {
            assert!(Instant::now() < deadline, "{}: {:?}", h.label, h.events);
            h.pump(1);
        }
        h.drain_for(Duration::from_millis(150));
        match *sizes {
            [4096] => assert_eq!(h.events, [ok(whole.as_bytes())], "{}", h.label),
            // Byte by byte the buffer ends in `>` after each of the nine `<...>` placeholders.
            [1] => {
                let mut expected = vec![PROMPT; 9];
                expected.push(ok(b""));
                assert_eq!(h.events, expected, "{}", h.label);
            }
            // Other splits: some prompts, then the final OK; never anything else.
            _ => {
                let (last, rest) = h.events.split_last().unwrap();
                assert!(matches!(last, Ev::Ok(_)), "{}: {:?}", h.label, h.events);
                assert!(rest.iter().all(|e| *e == PROMPT), "{}: {:?}", h.label, h.events);
            }
        }
        assert!(h.buf.is_empty(), "{}: {}", h.label, show(&h.buf));
    }
}

/// The maker's flow (SPEC §11) in buffer, push and transparent mode through the Quectel-aware
/// digester: every response, prompt and URC in order, whatever the read sizes, echo on or off.
#[test]
fn makers_flow_quectel_digester() {
    for echo in [true, false] {
        for sizes in PATTERNS {
            let m = start();
            let mut h = Host::new(&m.daemon.pty, sizes, quectel());
            h.label = format!("echo {echo}, reads {sizes:?}");
            let (ate, mut expected) = echo_line(echo);
            if !ate.is_empty() {
                h.cmd(ate, 1);
            }
            h.cmd("AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1\r", 1);
            h.cmd("AT+QIACT=1\r", 1);
            h.cmd("AT+QIACT?\r", 1);
            h.cmd("AT+QSSLCFG=\"sslversion\",1,1\r", 1);
            h.cmd("AT+QSSLCFG=\"ciphersuite\",1,0X0035\r", 1);
            h.cmd("AT+QSSLCFG=\"seclevel\",1,1\r", 1);
            h.cmd("AT+QSSLCFG=\"cacert\",1,\"RAM:cacert.pem\"\r", 1);
            expected.extend([
                ok(b""),
                ok(b""),
                ok(b"+QIACT: 1,1,1,\"10.7.157.1\""),
                ok(b""),
                ok(b""),
                ok(b""),
                ok(b""),
            ]);

            // Buffer mode: OK, then the open URC in a later write.
            h.cmd("AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0\r", 2);
            h.cmd("AT+QSSLSEND=4\r", 1);
            h.raw(b"Test data from SSL\x1a", 2);
            h.cmd("AT+QSSLSEND=4,18\r", 1);
            h.raw(b"Test data from SSL", 1);
            h.drain_for(Duration::from_millis(200)); // no second "recv" URC
            h.cmd("AT+QSSLRECV=4,1500\r", 1);
            h.cmd("AT+QSSLRECV=4,1500\r", 1);
            h.cmd("AT+QSSLCLOSE=4\r", 1);
            expected.extend([
                ok(b""),
                urc(b"+QSSLOPEN: 4,0"),
                PROMPT,
                ok(b"SEND OK"),
                urc(b"+QSSLURC: \"recv\",4"),
                PROMPT,
                ok(b"SEND OK"),
                ok(b"+QSSLRECV: 36\r\nTest data from SSLTest data from SSL"),
                ok(b"+QSSLRECV: 0"),
                ok(b""),
            ]);

            // Direct push: the URC carries its payload.
            h.cmd("AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,1\r", 2);
            h.cmd("AT+QSSLSEND=4,18\r", 1);
            h.raw(b"Test data from SSL", 2);
            h.cmd("AT+QSSLCLOSE=4\r", 1);
            expected.extend([
                ok(b""),
                urc(b"+QSSLOPEN: 4,0"),
                PROMPT,
                ok(b"SEND OK"),
                urc(b"+QSSLURC: \"recv\",4,18\r\nTest data from SSL"),
                ok(b""),
            ]);

            // Transparent: CONNECT (atat reports it as a plain Ok), raw bytes both ways (the
            // digester, fed them, swallows them as garbage), `+++` after the guard time: OK.
            h.cmd("AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,2\r", 1);
            h.pty.send(b"raw bytes \x1a\x1b\r\n");
            h.drain_for(Duration::from_millis(400));
            h.raw(b"+++", 1);
            h.cmd("AT+QSSLCLOSE=4\r", 1);
            h.cmd("AT+QIDEACT=1\r", 1);
            expected.extend([ok(b""), ok(b""), ok(b""), ok(b"")]);
            h.finish(&expected, b"");
            let skipped = String::from_utf8_lossy(&h.skipped).into_owned();
            assert!(skipped.contains("raw bytes \x1a\x1b"), "{}: {skipped:?}", h.label);
        }
    }
}

/// The same flow through the stock digester, asserting what it makes of the Quectel-only forms:
/// - `SEND OK` is no final result to atat's grammar: nothing is reported for it and its bytes
///   are swallowed as garbage before the next thing it does recognise (the URC after it, or the
///   echo of the next command);
/// - the push URC is reported as its header line only; the 18 payload bytes stay in the buffer
///   and are later discarded (as "echo") by the digest that yields the next response;
/// - `+QSSLRECV` text data comes through inside the generic multi-line Ok.
#[test]
fn makers_flow_stock_digester() {
    for echo in [true, false] {
        for sizes in PATTERNS {
            let m = start();
            let mut h = Host::new(&m.daemon.pty, sizes, stock());
            h.label = format!("echo {echo}, reads {sizes:?}");
            let (ate, mut expected) = echo_line(echo);
            if !ate.is_empty() {
                h.cmd(ate, 1);
            }
            h.cmd("AT+QIACT=1\r", 1);
            h.cmd("AT+QSSLCFG=\"seclevel\",1,1\r", 1);
            h.cmd("AT+QSSLCFG=\"cacert\",1,\"RAM:cacert.pem\"\r", 1);
            h.cmd("AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0\r", 2);
            h.cmd("AT+QSSLSEND=4\r", 1);
            // SEND OK is not reported; the "recv" URC that follows it is, and SEND OK's bytes
            // are swallowed on the way.
            h.raw(b"Test data from SSL\x1a", 1);
            // No URC follows this SEND OK (the buffer was not drained), so `\r\nSEND OK\r\n`
            // waits undigested ...
            h.cmd("AT+QSSLSEND=4,18\r", 1);
            h.pty.send(b"Test data from SSL");
            h.drain_for(Duration::from_millis(300));
            assert_eq!(show(&h.buf), show(SEND_OK), "{}", h.label);
            // ... until the next command's OK, when it comes out at the head of that
            // command's response (with the command's echo, if on, inside it).
            h.cmd("AT+QSSLRECV=4,1500\r", 1);
            h.cmd("AT+QSSLRECV=4,1500\r", 1);
            h.cmd("AT+QSSLCLOSE=4\r", 1);
            let merged: &[u8] = if echo {
                b"SEND OK\r\nAT+QSSLRECV=4,1500\r\r\n+QSSLRECV: 36\r\nTest data from SSLTest data from SSL"
            } else {
                b"SEND OK\r\n\r\n+QSSLRECV: 36\r\nTest data from SSLTest data from SSL"
            };
            expected.extend([
                ok(b""),
                ok(b""),
                ok(b""),
                ok(b""),
                urc(b"+QSSLOPEN: 4,0"),
                PROMPT,
                urc(b"+QSSLURC: \"recv\",4"),
                PROMPT,
                ok(merged),
                ok(b"+QSSLRECV: 0"),
                ok(b""),
            ]);

            h.cmd("AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,1\r", 2);
            h.cmd("AT+QSSLSEND=4,18\r", 1);
            h.raw(b"Test data from SSL", 1);
            h.drain_for(Duration::from_millis(200));
            // The payload is still there, undigested.
            assert_eq!(show(&h.buf), show(b"Test data from SSL"), "{}", h.label);
            h.cmd("AT+QSSLCLOSE=4\r", 1);
            expected.extend([
                ok(b""),
                urc(b"+QSSLOPEN: 4,0"),
                PROMPT,
                urc(b"+QSSLURC: \"recv\",4,18"),
                ok(b""),
            ]);
            // The payload went out with the next response as "echo".
            h.finish(&expected, b"");
        }
    }
}

/// Binary data through AT+QSSLSEND=<id>,<n> and AT+QSSLRECV, payload chosen to hold what trips
/// a text grammar: `\r\nOK\r\n`, `\r\nERROR\r\n`, `> `, 0x1A, 0x1B and trailing white space.
/// The length-aware hook reads it exactly; the stock digester cuts the response at the first
/// `\r\nOK\r\n` inside the data (and may see prompts at `>`): atat's limitation.
#[test]
fn binary_recv_and_atat_limits() {
    let mut payload: Vec<u8> = b"\x00\x01\r\nOK\r\nmid\r\nERROR\r\n> \x1a\x1b".to_vec();
    payload.extend((0u8..=255).rev());
    payload.extend_from_slice(b"tail \r\n");
    let n = payload.len();
    for sizes in PATTERNS {
        let m = start();
        let mut h = Host::new(&m.daemon.pty, sizes, quectel());
        h.cmd("ATE0\r", 1);
        h.cmd("AT+QIACT=1\r", 1);
        h.cmd("AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0\r", 2);
        h.cmd(&format!("AT+QSSLSEND=4,{n}\r"), 1);
        h.raw(&payload, 2);
        h.drain_for(Duration::from_millis(200));
        h.cmd("AT+QSSLRECV=4,1500\r", 1);
        h.cmd("AT+QSSLCLOSE=4\r", 1);
        let mut want = format!("+QSSLRECV: {n}\r\n").into_bytes();
        want.extend_from_slice(&payload);
        h.finish(
            &[
                ok(b""),
                ok(b""),
                ok(b""),
                urc(b"+QSSLOPEN: 4,0"),
                PROMPT,
                ok(b"SEND OK"),
                urc(b"+QSSLURC: \"recv\",4"),
                ok(&want),
                ok(b""),
            ],
            b"",
        );
    }

    // Stock digester, read whole: the response is cut at the first "\r\nOK\r\n" inside the data.
    let m = start();
    let mut h = Host::new(
        &m.daemon.pty,
        &[4096],
        AtDigester::<QuectelUrcs>::new().with_custom_success(quectel_send_ok),
    );
    h.cmd("ATE0\r", 1);
    h.cmd("AT+QIACT=1\r", 1);
    h.cmd("AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0\r", 2);
    h.cmd(&format!("AT+QSSLSEND=4,{n}\r"), 1);
    h.raw(&payload, 2);
    h.drain_for(Duration::from_millis(200));
    h.pty.send(b"AT+QSSLRECV=4,1500\r");
    h.drain_for(Duration::from_millis(400));
    // The response is cut at the "\r\nOK\r\n" inside the data ...
    assert_eq!(h.events[7], ok(format!("+QSSLRECV: {n}\r\n\x00\x01").as_bytes()), "{:?}", h.events);
    // ... and the rest of the data, its "\r\nERROR\r\n" included, becomes a second Ok
    // ending at the real final OK ("mid" was dropped as echo, trailing white space trimmed).
    let mut rest = b"ERROR\r\n> \x1a\x1b".to_vec();
    rest.extend((0u8..=255).rev());
    rest.extend_from_slice(b"tail");
    assert_eq!(&h.events[8..], &[ok(&rest)], "{:?}", h.events);
}

fn quectel_send_ok(buf: &[u8]) -> Result<(&[u8], usize), ParseError> {
    match exact(buf, SEND_OK) {
        Ok(n) => Ok((&buf[2..n - 2], n)),
        Err(ParseError::Incomplete) if buf.len() > 2 => Err(ParseError::Incomplete),
        _ => Err(ParseError::NoMatch),
    }
}

/// URCs the network causes: `+QSSLURC: "closed"` and `+QIURC: "pdpdeact"` (fault pdp_lost),
/// and NO CARRIER when the server closes in transparent mode (fault server_close).
#[test]
fn network_urcs_and_no_carrier() {
    for sizes in PATTERNS {
        let m = start();
        let mut h = Host::new(&m.daemon.pty, sizes, quectel());
        h.cmd("AT+QIACT=1\r", 1);
        h.cmd("AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,2\r", 1);
        m.fault(r#"{"kind":"server_close","socket":4}"#);
        h.pump(1);
        h.cmd("AT+QSSLCLOSE=4\r", 1);
        h.cmd("AT+QSSLOPEN=1,1,5,\"192.0.2.2\",8010,0\r", 2);
        m.fault(r#"{"kind":"pdp_lost","ctx":1}"#);
        h.pump(2);
        h.cmd("AT+QSSLCLOSE=5\r", 1);
        h.finish(
            &[
                ok(b""),
                ok(b""),
                err(InternalError::ConnectionError(ConnectionError::NoCarrier)),
                ok(b""),
                ok(b""),
                urc(b"+QSSLOPEN: 5,0"),
                urc(b"+QSSLURC: \"closed\",5"),
                urc(b"+QIURC: \"pdpdeact\",1"),
                ok(b""),
            ],
            b"",
        );
    }
}

/// `+QSSLOPEN:` is both the URC of an open and the prefix of `AT+QSSLOPEN=?`'s answer (SPEC §4).
/// A URC parser keyed on the prefix, which atat consults before responses, takes the test-form
/// line as a URC and the command gets a bare Ok. The ambiguity is the maker's; the framing is
/// the same either way.
#[test]
fn qsslopen_test_form_is_taken_for_a_urc() {
    let line: &[u8] = b"+QSSLOPEN: (1-15),(0-5),(0-11),<serveraddr>,<server_port>,(0-2)";
    let m = start();
    let mut h = Host::new(&m.daemon.pty, &[4096], stock());
    h.cmd("AT+QSSLOPEN=?\r", 2);
    h.finish(&[urc(line), ok(b"")], b"");
    // Byte by byte, the prompt heuristic (see above) gets there first, at each `>`.
    let mut h = Host::new(&m.daemon.pty, &[1], stock());
    h.cmd("AT+QSSLOPEN=?\r", 3);
    h.finish(&[PROMPT, PROMPT, ok(b"")], b"");
}

// ---------------------------------------------------------------------------------------------
// atat's own pipeline: Ingress (fed from a reader thread) + blocking::Client + UrcChannel.

#[derive(Clone, Debug, PartialEq)]
enum Urc {
    Open(u8, u16),
    Recv(u8),
    Closed(u8),
    Other(String),
}

impl atat::AtatUrc for Urc {
    fn parse(resp: &[u8]) -> Option<Urc> {
        let s = std::str::from_utf8(resp).ok()?;
        if let Some(rest) = s.strip_prefix("+QSSLOPEN: ") {
            let (id, e) = rest.split_once(',')?;
            return Some(Urc::Open(id.parse().ok()?, e.parse().ok()?));
        }
        if let Some(id) = s.strip_prefix("+QSSLURC: \"recv\",") {
            return Some(Urc::Recv(id.parse().ok()?));
        }
        if let Some(id) = s.strip_prefix("+QSSLURC: \"closed\",") {
            return Some(Urc::Closed(id.parse().ok()?));
        }
        Some(Urc::Other(s.to_string()))
    }
}

struct Writer(std::fs::File);

impl embedded_io::ErrorType for Writer {
    type Error = std::io::Error;
}

impl embedded_io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> Result<usize, std::io::Error> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> Result<(), std::io::Error> {
        self.0.flush()
    }
}

type Cmd = heapless::String<96>;

fn cmd(s: &str) -> Cmd {
    Cmd::try_from(s).unwrap()
}

#[test]
fn atat_blocking_client_and_ingress() {
    use atat::blocking::AtatClient;
    use atat::AtatIngress;

    const BUF: usize = 1024;
    let m = start();
    let res_slot = atat::ResponseSlot::<BUF>::new();
    let urcs = atat::UrcChannel::<Urc, 8, 1>::new();
    let mut sub = urcs.subscribe().unwrap();
    let mut ingress_buf = [0u8; BUF];
    let mut ingress = atat::Ingress::new(quectel(), &mut ingress_buf, &res_slot, &urcs);
    let stop = AtomicBool::new(false);
    let mut reader = Pty::open(&m.daemon.pty, &[5, 1, 17]);
    let write_fd = reader.fd.try_clone().unwrap();

    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let chunk = reader.read_chunk(Duration::from_millis(20));
                if !chunk.is_empty() {
                    ingress.try_write(&chunk).expect("ingress");
                }
            }
        });

        // Stop the reader however this scope ends, or a failed assertion would hang the join.
        struct StopOnDrop<'a>(&'a AtomicBool);
        impl Drop for StopOnDrop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let _stop = StopOnDrop(&stop);

        let mut client_buf = [0u8; BUF];
        let config = atat::Config::new();
        let mut client = atat::blocking::Client::new(
            Writer(std::fs::File::from(write_fd)),
            &res_slot,
            &mut client_buf,
            config,
        );

        let next_urc = |sub: &mut atat::UrcSubscription<'_, Urc, 8, 1>| {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Some(u) = sub.try_next_message_pure() {
                    return u;
                }
                assert!(Instant::now() < deadline, "no URC");
                std::thread::sleep(Duration::from_millis(5));
            }
        };

        assert_eq!(client.send(&cmd("AT\r")).unwrap().as_str(), "");
        assert_eq!(
            client.send(&cmd("ATI\r")).unwrap().as_str(),
            "Quectel\r\nEG915Q-GL\r\nRevision: EG915QGLR01A01M08"
        );
        assert_eq!(client.send(&cmd("AT+FOO\r")), Err(atat::Error::Error));
        assert_eq!(client.send(&cmd("AT+CMEE=1\r")).unwrap().as_str(), "");
        assert_eq!(
            client.send(&cmd("AT+QFDEL=\"missing\"\r")),
            Err(atat::Error::CmeError(CmeError::ManufacturerSpecific(405)))
        );
        assert_eq!(client.send(&cmd("AT+QIACT=1\r")).unwrap().as_str(), "");
        assert_eq!(client.send(&cmd("AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0\r")).unwrap().as_str(), "");
        assert_eq!(next_urc(&mut sub), Urc::Open(4, 0));
        let state = client.send(&cmd("AT+QSSLSTATE=4\r")).unwrap();
        assert!(state.starts_with("+QSSLSTATE: 4,\"SSLClient\",\"192.0.2.2\",8010,"), "{state:?}");
        assert!(state.ends_with(",2,1,4,0,\"uart1\",1"), "{state:?}");
        // The prompt satisfies the command (atat reports it as an empty Ok) ...
        assert_eq!(client.send(&cmd("AT+QSSLSEND=4,18\r")).unwrap().as_str(), "");
        // ... and the data goes out as a command of its own whose response is SEND OK.
        assert_eq!(client.send(&cmd("Test data from SSL")).unwrap().as_str(), "SEND OK");
        assert_eq!(next_urc(&mut sub), Urc::Recv(4));
        assert_eq!(
            client.send(&cmd("AT+QSSLRECV=4,1500\r")).unwrap().as_str(),
            "+QSSLRECV: 18\r\nTest data from SSL"
        );
        assert_eq!(client.send(&cmd("AT+QSSLCLOSE=4\r")).unwrap().as_str(), "");
        assert_eq!(client.send(&cmd("AT+QSSLSTATE\r")).unwrap().as_str(), "");
        m.fault(r#"{"kind":"pdp_lost","ctx":1}"#);
        assert_eq!(next_urc(&mut sub), Urc::Other("+QIURC: \"pdpdeact\",1".into()));
    });
}
