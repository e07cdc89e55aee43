//! Hostile input against the real binary over its pty: megabytes of random bytes in every port
//! mode, over-long lines, a host that writes without reading, servers that flood, never read,
//! or speak garbage. Each test ends with `AT` answering `OK` byte for byte and the daemon's
//! resident memory (VmRSS now, VmHWM at peak) under 64 MB. Inputs come from seeded RNGs, so a
//! failure reproduces with the same bytes. docs/reliability.md ("Hostile input") has figures.

#[path = "support/hostile_util.rs"]
mod hostile_util;
mod support;

use std::time::{Duration, Instant};

use hostile_util::*;
use rand::Rng;
use support::{show, Daemon, Peer, Port};

/// Comfortably more than the guard time, for `+++` framing.
const SILENCE: Duration = Duration::from_millis(450);

fn start(extra: &[&str]) -> (Daemon, Port) {
    let mut args = vec!["--guard-time", "200"];
    args.extend_from_slice(extra);
    let d = Daemon::start(&args);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    (d, p)
}

fn open(p: &mut Port, id: u8, port: u16, mode: u8) {
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact(&format!("AT+QSSLOPEN=1,0,{id},\"127.0.0.1\",{port},{mode}\r"), "\r\nOK\r\n");
    p.expect(format!("\r\n+QSSLOPEN: {id},0\r\n").as_bytes());
}

/// The module's 16-bit XOR checksum (SPEC §10), as `+QFUPL` prints it.
fn xor16(data: &[u8]) -> String {
    let mut sum = 0u16;
    for pair in data.chunks(2) {
        sum ^= u16::from(pair[0]) << 8 | u16::from(*pair.get(1).unwrap_or(&0));
    }
    format!("{sum:x}")
}

/// Bring the port back to a known state from whatever random input left it in: a partial or
/// over-long line, an upload (`AT+QFUPL` typed by the fuzz, ended by a guarded `+++` or its
/// 1-3 s timeout), `ATE1`, `ATV0`, `AT+CMEE=2`. Then `ATZ` and `ATE0`.
fn recover(p: &mut Port) {
    std::thread::sleep(SILENCE);
    p.send(b"+++");
    std::thread::sleep(SILENCE);
    p.send(b"\r");
    drain_quiet(p, Duration::from_millis(1500), Duration::from_secs(30));
    p.send(b"ATZ\r");
    drain_quiet(p, Duration::from_millis(300), Duration::from_secs(10));
    p.send(b"ATE0\r");
    drain_quiet(p, Duration::from_millis(300), Duration::from_secs(10));
}

/// Pieces of the module's own language for the fuzz to splice between random bytes, so that
/// the random input reaches real states (uploads, echo and verbosity changes, chains, the
/// `A/` repeat, escapes, failing opens that queue URCs) instead of only ever answering ERROR.
/// Not included: `AT+QFDWL` (amplification is tested on its own below, where it is a finding)
/// and opens that can succeed (the fuzz has no server).
const TOKENS: &[&str] = &[
    "AT",
    "at",
    "\r",
    "\r\n",
    "\n",
    "\x08",
    "\x00",
    "\x1a",
    "\x1b",
    "A/",
    "a/",
    "+++",
    ";",
    "\"",
    "=",
    "?",
    "ATE1\r",
    "ATE0\r",
    "ATV0\r",
    "ATV1\r",
    "AT+CMEE=2\r",
    "AT+CMEE=0\r",
    "ATI\r",
    "AT+QSSLCFG=?\r",
    "AT+QFLST\r",
    "AT+QFLST=\"RAM:*\"\r",
    "AT+QFDEL=\"RAM:*\"\r",
    "AT+QSSLSTATE\r",
    "AT+QSSLRECV=0,1500\r",
    "AT+QSSLSEND=0\r",
    "AT+QSSLSEND=0,10\r",
    "AT+QIACT=1\r",
    "AT+QIDEACT=1\r",
    "ATO\r",
    "AT+QISWTMD=0,2\r",
    "AT&D2\r",
    "AT&D1\r",
    "AT+CFUN=1\r",
    "AT+QIGETERROR\r",
    "AT+CCLK?\r",
    "AT+CSQ;+CEREG?;+CGATT?\r",
    "AT+QSSLCFG=\"alpn\",1,\"h2\"\r",
    "AT+QSSLCFG=\"negotiatetime\",1,10\r",
    "AT+QSSLOPEN=1,0,3,\"127.0.0.1\",9,0\r",
    "AT+QSSLOPEN=1,0,4,\"127.0.0.1\",9,2\r",
    "AT+QSSLOPEN=1,0,5,\"nosuch.invalid\",443,1\r",
    "AT+QSSLCLOSE=3\r",
    "AT+QSSLCLOSE=4,0\r",
];

fn fuzz_input(seed: u64, len: usize) -> Vec<u8> {
    let mut r = rng(seed);
    let mut out = Vec::with_capacity(len + 64);
    while out.len() < len {
        let roll: u32 = r.gen_range(0..100);
        if roll < 25 {
            out.extend_from_slice(TOKENS[r.gen_range(0..TOKENS.len())].as_bytes());
        } else if roll < 28 {
            // An upload of a few bytes with a short inactivity timeout: what follows is data.
            let (n, size, t) = (r.gen_range(0..100), r.gen_range(1..3000), r.gen_range(1..=3));
            out.extend_from_slice(format!("AT+QFUPL=\"RAM:f{n}\",{size},{t}\r").as_bytes());
        } else {
            let n = r.gen_range(1..200);
            out.extend(random_bytes(&mut r, n));
        }
    }
    out
}

#[test]
fn megabytes_of_random_bytes_in_command_mode() {
    const SEED: u64 = 0x5eed_0001;
    const LEN: usize = 4 << 20;
    let (mut d, mut p) = start(&[]);
    let t0 = Instant::now();
    let input = fuzz_input(SEED, LEN);
    // Written in pieces, as a serial line would deliver it, while the reader drains the echo,
    // the ERRORs and whatever the spliced commands answer.
    let mut w = Writer::start_chunked(&d.pty, input, 4096);
    let back = read_while_writing(&mut p, &mut w, Duration::from_millis(500), Duration::from_secs(90));
    eprintln!("fuzz seed {SEED:#x}: {LEN} bytes in, {} bytes back in {:?}", back.len(), t0.elapsed());
    assert_alive_and_bounded(&mut d, "after 4 MB of random input");
    recover(&mut p);
    finish(&mut d, &mut p, "random bytes in command mode");
}

#[test]
fn lines_at_the_limit_and_far_past_it() {
    let (mut d, mut p) = start(&[]);
    // 1024 characters: AT+CSQ, 202 x ;+CSQ, ;+CEREG? = 6 + 1010 + 8.
    let line = format!("AT+CSQ{};+CEREG?", ";+CSQ".repeat(202));
    assert_eq!(line.len(), 1024);
    // Each command of a chain frames its own information lines.
    let reply = format!("{}\r\n+CEREG: 0,1\r\n\r\nOK\r\n", "\r\n+CSQ: 24,99\r\n".repeat(203));
    p.transact(&format!("{line}\r"), &reply);
    // 1025 characters.
    p.transact(&format!("{line};\r"), "\r\nERROR\r\n");
    // Megabytes on one line: one ERROR at the <CR>, nothing before it.
    let mut r = rng(0x5eed_0002);
    let long: Vec<u8> = (0..(4 << 20)).map(|_| r.gen_range(b'a'..=b'z')).collect();
    p.send(b"AT");
    let mut w = Writer::start(&d.pty, long);
    let back = read_while_writing(&mut p, &mut w, Duration::from_millis(200), Duration::from_secs(60));
    assert!(back.is_empty(), "output before the line ended: {}", ends(&back, 64));
    p.transact("\r", "\r\nERROR\r\n");
    // Megabytes of NUL (ignored) and of backspace (nothing to delete) make no output and
    // leave an empty line behind.
    for filler in [0u8, 8u8] {
        let mut w = Writer::start(&d.pty, vec![filler; 2 << 20]);
        let back = read_while_writing(&mut p, &mut w, Duration::from_millis(200), Duration::from_secs(60));
        assert!(back.is_empty(), "output for 2 MB of {filler:#04x}: {}", ends(&back, 64));
        p.transact("AT\r", "\r\nOK\r\n");
    }
    // With echo on, a long line is echoed as typed, then ERROR.
    p.transact("ATE1\r", "\r\nOK\r\n");
    let echoed = "x".repeat(5000);
    p.transact(&format!("AT{echoed}\r"), &format!("AT{echoed}\r\r\nERROR\r\n"));
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    finish(&mut d, &mut p, "long lines");
}

#[track_caller]
fn expect_prompt(p: &mut Port, what: &str) {
    let prompt = p.take(4, Duration::from_secs(10));
    assert_eq!(show(&prompt), show(b"\r\n> "), "{what}: the prompt");
}

/// The end of a send: `SEND OK` (true) or `SEND FAIL` (false). The host waits for the `>`
/// prompt before its data: under policy `echo-lf` an `<LF>` that arrives together with the
/// command's `<CR>` is the line ending, so data written with the command that began with LF
/// would lose that byte.
#[track_caller]
fn send_result(p: &mut Port, what: &str) -> bool {
    let got = p.take(11, Duration::from_secs(10));
    match got.as_slice() {
        b"\r\nSEND OK\r\n" => true,
        b"\r\nSEND FAIL" => {
            p.expect(b"\r\n");
            false
        }
        other => panic!("{what}: expected SEND OK or SEND FAIL, got {}", show(other)),
    }
}

#[test]
fn megabytes_in_the_send_prompt() {
    let server = Server::start(Behaviour::Digest);
    let (mut d, mut p) = start(&[]);
    open(&mut p, 0, server.port, 0);
    let mut r = rng(0x5eed_0003);
    let mut accepted = Vec::new();
    let mut fails = 0;
    let t0 = Instant::now();
    // Fixed length: 2 MB in 1460-byte sends, each command and its data in one write.
    for i in 0..1440 {
        let data = random_bytes(&mut r, 1460);
        p.send(b"AT+QSSLSEND=0,1460\r");
        expect_prompt(&mut p, &format!("fixed-length send {i}"));
        p.send(&data);
        if send_result(&mut p, &format!("fixed-length send {i}")) {
            accepted.extend_from_slice(&data);
        } else {
            fails += 1;
        }
    }
    // Variable length: random sizes up to 1460, ended by Ctrl+Z; 0x1A/0x1B cannot be data here.
    for i in 0..700 {
        let n = r.gen_range(1..=1460);
        let data: Vec<u8> = random_bytes(&mut r, n)
            .into_iter()
            .map(|b| if b == 0x1a || b == 0x1b { b'z' } else { b })
            .collect();
        p.send(b"AT+QSSLSEND=0\r");
        expect_prompt(&mut p, &format!("variable-length send {i}"));
        p.send(&data);
        p.send(b"\x1a");
        if send_result(&mut p, &format!("variable-length send {i} of {n} bytes")) {
            accepted.extend_from_slice(&data);
        } else {
            fails += 1;
        }
    }
    eprintln!("send prompt: {} bytes accepted, {fails} SEND FAIL, in {:?}", accepted.len(), t0.elapsed());
    // ESC cancels after a kilobyte: nothing sent.
    p.send(b"AT+QSSLSEND=0\r");
    p.expect(b"\r\n> ");
    p.send(&[b'q'; 1000]);
    p.send(b"\x1b");
    p.expect(b"\r\nOK\r\n");
    // A megabyte into the variable prompt without Ctrl+Z: ERROR after 1460 bytes, nothing sent;
    // the rest is one over-long command line, answered ERROR at its <CR>.
    let flood: Vec<u8> = (0..(1 << 20)).map(|_| r.gen_range(b'a'..=b'z')).collect();
    p.send(b"AT+QSSLSEND=0\r");
    p.expect(b"\r\n> ");
    let mut w = Writer::start(&d.pty, flood);
    let back = read_while_writing(&mut p, &mut w, Duration::from_millis(200), Duration::from_secs(60));
    assert_eq!(show(&back), show(b"\r\nERROR\r\n"), "a megabyte at the send prompt");
    p.transact("\r", "\r\nERROR\r\n");
    // The server got exactly the accepted bytes, in order.
    server.wait_bytes(0, accepted.len() as u64, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(200));
    let got = server.received(0).unwrap();
    assert_eq!(got.bytes, accepted.len() as u64, "bytes at the server");
    assert_eq!(got.hex(), sha_hex(&accepted), "the server's SHA-256 of {} bytes", accepted.len());
    p.transact("AT+QSSLCLOSE=0\r", "\r\nOK\r\n");
    finish(&mut d, &mut p, "send prompt");
}

#[test]
fn megabytes_in_transparent_mode() {
    let server = Server::start(Behaviour::Digest);
    let (mut d, mut p) = start(&[]);
    // RTS/CTS: the host is held back instead of losing bytes (policy transparent-flow-control).
    p.transact("AT+IFC=2,2\r", "\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact(&format!("AT+QSSLOPEN=1,0,1,\"127.0.0.1\",{},2\r", server.port), "\r\nCONNECT\r\n");
    let mut r = rng(0x5eed_0004);
    let data = random_no_escape(&mut r, 4 << 20);
    let want = sha_hex(&data);
    let t0 = Instant::now();
    let mut w = Writer::start_chunked(&d.pty, data.clone(), 64 * 1024);
    let back = read_while_writing(&mut p, &mut w, Duration::from_millis(100), Duration::from_secs(60));
    assert!(back.is_empty(), "the server sends nothing, yet the host got {}", ends(&back, 64));
    let got = server.wait_bytes(0, data.len() as u64, Duration::from_secs(30));
    eprintln!("transparent: {} bytes through in {:?}", data.len(), t0.elapsed());
    assert_eq!(got.bytes, data.len() as u64);
    assert_eq!(got.hex(), want, "the server's SHA-256 of the transparent stream");
    assert_alive_and_bounded(&mut d, "after 4 MB in transparent mode");
    std::thread::sleep(SILENCE);
    p.send(b"+++");
    p.expect(b"\r\nOK\r\n");
    p.transact("AT+QSSLCLOSE=1\r", "\r\nOK\r\n");
    finish(&mut d, &mut p, "transparent mode");
}

#[test]
fn megabytes_during_file_upload() {
    let (mut d, mut p) = start(&[]);
    let mut r = rng(0x5eed_0005);
    // Three 256 KiB files of random binary (no +++), each checked by checksum and one by download.
    let mut files = Vec::new();
    for i in 0..3 {
        let data = random_no_escape(&mut r, 256 * 1024);
        p.transact(&format!("AT+QFUPL=\"UFS:h{i}.bin\",262144,5\r"), "\r\nCONNECT\r\n");
        let mut w = Writer::start_chunked(&d.pty, data.clone(), 8192);
        let back = read_while_writing(&mut p, &mut w, Duration::from_millis(200), Duration::from_secs(30));
        assert_eq!(
            show(&back),
            show(format!("\r\n+QFUPL: 262144,{}\r\n\r\nOK\r\n", xor16(&data)).as_bytes())
        );
        files.push(data);
    }
    p.send(b"AT+QFDWL=\"UFS:h1.bin\"\r");
    p.expect(b"\r\nCONNECT\r\n");
    let body = read_exactly(&mut p, files[1].len(), Duration::from_secs(20), "QFDWL of a 256 KiB file");
    assert!(body == files[1], "the downloaded file differs from the uploaded one");
    p.expect(format!("\r\n+QFDWL: 262144,{}\r\n\r\nOK\r\n", xor16(&files[1])).as_bytes());
    // 4 MB after a 256 KiB upload: the upload takes its 262144 bytes, the rest is one
    // over-long command line.
    let mut flood = random_no_escape(&mut r, 256 * 1024);
    let first = flood.clone();
    flood.extend((0..(4 << 20) - 256 * 1024).map(|_| r.gen_range(b'a'..=b'z')));
    p.transact("AT+QFUPL=\"RAM:tail.bin\",262144,5\r", "\r\nCONNECT\r\n");
    let mut w = Writer::start(&d.pty, flood);
    let back = read_while_writing(&mut p, &mut w, Duration::from_millis(300), Duration::from_secs(60));
    assert_eq!(show(&back), show(format!("\r\n+QFUPL: 262144,{}\r\n\r\nOK\r\n", xor16(&first)).as_bytes()));
    p.transact("\r", "\r\nERROR\r\n");
    // An upload that stops half way ends on its inactivity timeout and keeps what came.
    let part = random_no_escape(&mut r, 5000);
    p.transact("AT+QFUPL=\"RAM:part.bin\",100000,1\r", "\r\nCONNECT\r\n");
    p.send(&part);
    let t = Instant::now();
    p.expect(format!("\r\n+QFUPL: 5000,{}\r\n\r\nOK\r\n", xor16(&part)).as_bytes());
    assert!(t.elapsed() >= Duration::from_millis(800), "upload ended early: {:?}", t.elapsed());
    p.transact(
        "AT+QFLST=\"RAM:*\"\r",
        "\r\n+QFLST: \"RAM:part.bin\",5000\r\n+QFLST: \"RAM:tail.bin\",262144\r\n\r\nOK\r\n",
    );
    finish(&mut d, &mut p, "file upload");
}

#[test]
fn ten_thousand_commands_without_reading() {
    let (mut d, mut p) = start(&[]);
    p.transact("ATE1\r", "\r\nOK\r\n");
    // A big answer (about 800 bytes) and a small one, alternating: about 4 MB to write back,
    // far past the daemon's 256 KiB output backlog and the pty's buffer.
    p.send(b"AT+QSSLCFG=?\r");
    let big = p.read_until(b"\r\nOK\r\n", Duration::from_secs(5));
    assert!(big.len() > 700, "AT+QSSLCFG=? answered {}", show(&big));
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for i in 0..10_000 {
        if i % 2 == 0 {
            input.extend_from_slice(b"AT+QSSLCFG=?\r");
            expected.extend_from_slice(&big);
        } else {
            input.extend_from_slice(b"AT\r");
            expected.extend_from_slice(b"AT\r\r\nOK\r\n");
        }
    }
    let base = rss_kb(&d);
    let mut w = Writer::start(&d.pty, input);
    // The host reads nothing for two seconds: the daemon must block on the pty.
    let mut max_rss = 0;
    for _ in 0..8 {
        std::thread::sleep(Duration::from_millis(250));
        max_rss = max_rss.max(rss_kb(&d));
    }
    eprintln!("not reading: daemon VmRSS {base} kB before, at most {max_rss} kB while stalled");
    assert!(
        max_rss < base + 16 * 1024,
        "the daemon buffered output without bound while the host was not reading: {base} kB -> {max_rss} kB"
    );
    assert_alive_and_bounded(&mut d, "while the host was not reading");
    let t0 = Instant::now();
    let back = read_while_writing(&mut p, &mut w, Duration::from_millis(500), Duration::from_secs(90));
    eprintln!("read back {} bytes in {:?}", back.len(), t0.elapsed());
    assert_eq!(count(&back, b"\r\nOK\r\n"), 10_000, "OKs in {} bytes read back", back.len());
    assert_eq!(back.len(), expected.len(), "bytes read back");
    assert!(back == expected, "the answers differ from 10,000 exact answers in order");
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    finish(&mut d, &mut p, "10,000 unread commands");
}

/// A `source` peer floods socket 0 while the host reads nothing; buffer mode keeps at most the
/// 64 KiB it may, and everything afterwards still arrives in order.
#[test]
fn flooding_server_host_not_reading_buffer_mode() {
    let peer = Peer::start("source");
    let ctl_path = control_path("flood-buffer");
    let (mut d, mut p) = start(&["--control", ctl_path.to_str().unwrap()]);
    open(&mut p, 0, peer.addr.port(), 0);
    p.expect(b"\r\n+QSSLURC: \"recv\",0\r\n");
    std::thread::sleep(Duration::from_secs(2));
    let s = socket_state(&ctl_path, 0).expect("socket 0 in state");
    assert_eq!(s["rx_buffered"], 65536, "{s}");
    assert_eq!(s["rx_total"], 65536, "nothing beyond the buffer may be taken from the server: {s}");
    assert_alive_and_bounded(&mut d, "source flood, buffer mode, host not reading");
    p.transact("AT\r", "\r\nOK\r\n");
    // 300 KB through AT+QSSLRECV, byte for byte: backpressure released, nothing lost.
    let mut check = SourceCheck::default();
    while check.offset < 300_000 {
        p.send(b"AT+QSSLRECV=0,1500\r");
        let n = loop {
            p.expect(b"\r\n");
            let line = p.read_until(b"\r\n", Duration::from_secs(5));
            // The buffer emptied on an earlier read: its new "recv" URC may come first.
            if line == b"+QSSLURC: \"recv\",0\r\n" {
                continue;
            }
            break std::str::from_utf8(&line)
                .ok()
                .and_then(|l| l.strip_prefix("+QSSLRECV: ")?.trim_end().parse::<usize>().ok())
                .unwrap_or_else(|| panic!("bad QSSLRECV line {}", show(&line)));
        };
        assert!(n <= 1500);
        if n > 0 {
            let data = read_exactly(&mut p, n, Duration::from_secs(5), "QSSLRECV data");
            check.feed(&data, "buffer mode");
            p.expect(b"\r\n");
        }
        p.expect(b"\r\nOK\r\n");
    }
    p.transact("AT+QSSLCLOSE=0,0\r", "\r\nOK\r\n");
    drain_quiet(&mut p, Duration::from_millis(200), Duration::from_secs(5));
    finish(&mut d, &mut p, "source flood, buffer mode");
}

/// Parse push-mode output: `\r\n+QSSLURC: "recv",0,<n>\r\n<n bytes>` frames, each checked
/// against the source stream, and anything else (a command's answer) returned separately,
/// so a response split by data shows up as garbage here.
fn parse_push(buf: &mut Vec<u8>, check: &mut SourceCheck, frames: &mut usize) -> Vec<u8> {
    const HEAD: &[u8] = b"\r\n+QSSLURC: \"recv\",2,";
    let mut other = Vec::new();
    loop {
        if buf.is_empty() || (buf.len() < HEAD.len() && HEAD.starts_with(buf)) {
            return other;
        }
        if buf.starts_with(HEAD) {
            let Some(end) = support::find(&buf[HEAD.len()..], b"\r\n") else { return other };
            let n: usize = std::str::from_utf8(&buf[HEAD.len()..HEAD.len() + end])
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| panic!("bad push URC head: {}", ends(buf, 60)));
            assert!((1..=1500).contains(&n), "push URC of {n} bytes (policy push-chunk: at most 1500)");
            let start = HEAD.len() + end + 2;
            if buf.len() < start + n {
                return other;
            }
            check.feed(&buf[start..start + n], "push mode");
            *frames += 1;
            buf.drain(..start + n);
            continue;
        }
        // Anything else must be a whole framed line (a command's answer) between two URCs.
        assert!(buf.starts_with(b"\r\n"), "push stream out of frame: {}", ends(buf, 80));
        match support::find(&buf[2..], b"\r\n") {
            Some(e) => other.extend(buf.drain(..e + 4)),
            None => {
                assert!(buf.len() < 4096, "push stream out of frame: {}", ends(buf, 80));
                return other;
            }
        }
    }
}

#[test]
fn flooding_server_host_not_reading_push_mode() {
    let peer = Peer::start("source");
    let (mut d, mut p) = start(&[]);
    open(&mut p, 2, peer.addr.port(), 1);
    // Not reading: the daemon must block on the pty, not buffer the flood.
    std::thread::sleep(Duration::from_secs(2));
    assert_alive_and_bounded(&mut d, "source flood, push mode, host not reading");
    let mut buf = Vec::new();
    let (mut check, mut frames) = (SourceCheck::default(), 0usize);
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(1) {
        buf.extend(p.read_for(Duration::from_millis(20)));
        let other = parse_push(&mut buf, &mut check, &mut frames);
        assert!(other.is_empty(), "unexpected output {}", show(&other));
    }
    eprintln!("push: {} bytes in {frames} URCs verified in 1 s", check.offset);
    // AT in the middle of the flood: OK arrives whole, between two URCs.
    p.send(b"AT\r");
    let mut answer = Vec::new();
    let t0 = Instant::now();
    while answer.len() < 6 {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no OK within 10 s during the flood: {}",
            show(&answer)
        );
        buf.extend(p.read_for(Duration::from_millis(20)));
        answer.extend(parse_push(&mut buf, &mut check, &mut frames));
    }
    assert_eq!(show(&answer), show(b"\r\nOK\r\n"));
    p.send(b"AT+QSSLCLOSE=2,0\r");
    let t0 = Instant::now();
    let mut answer = Vec::new();
    while answer.len() < 6 {
        assert!(t0.elapsed() < Duration::from_secs(10), "no OK for QSSLCLOSE: {}", show(&answer));
        buf.extend(p.read_for(Duration::from_millis(20)));
        answer.extend(parse_push(&mut buf, &mut check, &mut frames));
    }
    assert_eq!(show(&answer), show(b"\r\nOK\r\n"));
    buf.extend(drain_quiet(&mut p, Duration::from_millis(300), Duration::from_secs(10)));
    let other = parse_push(&mut buf, &mut check, &mut frames);
    assert!(
        other.is_empty() && buf.is_empty(),
        "output after the close: {} {}",
        show(&other),
        ends(&buf, 80)
    );
    finish(&mut d, &mut p, "source flood, push mode");
}

#[test]
fn server_speaking_garbage_instead_of_tls() {
    let garbage = Server::start(Behaviour::Garbage(256 * 1024));
    let tiny = Server::start(Behaviour::Garbage(7));
    let (mut d, mut p) = start(&[]);
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    for (id, port) in [(0, garbage.port), (1, tiny.port), (2, garbage.port)] {
        p.transact(&format!("AT+QSSLOPEN=1,0,{id},\"127.0.0.1\",{port},{}\r", id % 2), "\r\nOK\r\n");
        p.expect(format!("\r\n+QSSLOPEN: {id},566\r\n").as_bytes());
        p.transact("AT+QIGETERROR\r", "\r\n+QIGETERROR: 566,socket connect failed\r\n\r\nOK\r\n");
    }
    p.transact(&format!("AT+QSSLOPEN=1,0,3,\"127.0.0.1\",{},2\r", garbage.port), "\r\nERROR\r\n");
    p.transact("AT+QSSLSTATE\r", "\r\nOK\r\n");
    finish(&mut d, &mut p, "garbage server");
}

/// Sockets and connection tasks the daemon holds: descriptors in /proc/<pid>/fd that are sockets.
fn socket_fds(d: &Daemon) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", d.child.id()))
        .map(|dir| {
            dir.flatten()
                .filter(|e| {
                    std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}

/// A host that opens and aborts connections over and over (AT+QSSLCLOSE=<id>,0, or dropping
/// the PDP context under them) must not leave them behind.
///
/// FINDING (open): every abort leaks the connection: the connection's reader runs as a task of
/// its own that nothing stops when the handle is dropped, so the TLS session and its TCP socket
/// stay ESTABLISHED in the daemon for good (300 aborts: 300 sockets, about +8 MB VmRSS).
#[test]
fn aborted_connections_are_released() {
    let peer = Peer::start("echo");
    let (mut d, mut p) = start(&[]);
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    let port = peer.addr.port();
    let before = socket_fds(&d);
    for i in 0..120 {
        let id = i % 12;
        p.transact(&format!("AT+QSSLOPEN=1,0,{id},\"127.0.0.1\",{port},{}\r", i % 2), "\r\nOK\r\n");
        p.expect(format!("\r\n+QSSLOPEN: {id},0\r\n").as_bytes());
        if i % 3 == 2 {
            // The PDP context goes under the connection.
            p.transact("AT+QIDEACT=1\r", "\r\nOK\r\n");
            p.expect(format!("\r\n+QSSLURC: \"closed\",{id}\r\n").as_bytes());
            p.transact(&format!("AT+QSSLCLOSE={id}\r"), "\r\nOK\r\n");
            p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
        } else {
            p.transact(&format!("AT+QSSLCLOSE={id},0\r"), "\r\nOK\r\n");
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = socket_fds(&d);
    eprintln!("daemon sockets: {before} before, {after} after 120 aborted connections");
    assert!(
        after <= before + 2,
        "120 aborted connections left {} sockets open in the daemon ({before} before, {after} after)",
        after - before
    );
    finish(&mut d, &mut p, "aborted connections");
}

/// The control socket (`--control`, mode 0600) gets garbage: malformed JSON lines are answered
/// with errors and the daemon carries on; a client that sends 80 MB without a newline must not
/// make the daemon hold 80 MB.
///
/// FINDING (open): the request line has no length bound (a line reader that grows until a
/// newline), so the second part fails today.
#[test]
fn control_socket_garbage() {
    use std::io::{BufRead, BufReader, Write};
    let ctl_path = control_path("garbage");
    let (mut d, mut p) = start(&["--control", ctl_path.to_str().unwrap()]);
    let mut s = std::os::unix::net::UnixStream::connect(&ctl_path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = rng(0x5eed_0007);
    let mut reader = BufReader::new(s.try_clone().unwrap());
    for i in 0..200 {
        let junk: String = (0..r.gen_range(1..300)).map(|_| r.gen_range(0x20u8..0x7f) as char).collect();
        let line = match i % 4 {
            0 => junk,
            1 => format!("{{\"verb\":\"{junk}\"}}"),
            2 => "{\"verb\":\"fault\",\"fault\":{\"kind\":\"latency\",\"ms\":\"x\"}}".to_string(),
            _ => "{\"verb\":\"state\",\"extra\":1}".to_string(),
        };
        s.write_all(line.replace('\n', " ").as_bytes()).unwrap();
        s.write_all(b"\n").unwrap();
        let mut reply = String::new();
        reader.read_line(&mut reply).unwrap();
        let v: serde_json::Value = serde_json::from_str(&reply).unwrap_or_default();
        assert!(v["ok"] == false && v["error"].is_string(), "reply to {line:?}: {reply:?}");
    }
    let v = ctl(&ctl_path, r#"{"verb":"state"}"#);
    assert_eq!(v["ok"], true, "{v}");
    p.transact("AT\r", "\r\nOK\r\n");
    // 80 MB without a newline, from another client (errors ignored: the daemon may hang up).
    let mut big = std::os::unix::net::UnixStream::connect(&ctl_path).unwrap();
    big.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..80 {
        if big.write_all(&chunk).is_err() {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_alive_and_bounded(&mut d, "80 MB request line without a newline on the control socket");
    drop(big);
    let v = ctl(&ctl_path, r#"{"verb":"state"}"#);
    assert_eq!(v["ok"], true, "{v}");
    finish(&mut d, &mut p, "control socket garbage");
}

/// One short command line must not produce unbounded output inside the daemon.
///
/// Found by this test (fixed in ea7130e, policy `output-budget`): the 256 KiB backlog was
/// checked only between pty reads and one read (up to 16 KiB) ran every command in it, so
/// `AT+QFDWL` of a 256 KiB file followed by 400 `A/` (820 bytes of input) queued about 100 MB
/// (VmHWM 118 MB in a debug build) while the host was not reading.
#[test]
fn repeated_download_of_a_large_file_stays_bounded() {
    let (mut d, mut p) = start(&[]);
    let data = random_no_escape(&mut rng(0x5eed_0006), 256 * 1024);
    p.transact("AT+QFUPL=\"big.bin\",262144,5\r", "\r\nCONNECT\r\n");
    let mut w = Writer::start_chunked(&d.pty, data.clone(), 8192);
    let back = read_while_writing(&mut p, &mut w, Duration::from_millis(200), Duration::from_secs(30));
    assert_eq!(show(&back), show(format!("\r\n+QFUPL: 262144,{}\r\n\r\nOK\r\n", xor16(&data)).as_bytes()));
    const REPEATS: usize = 400;
    let mut input = b"AT+QFDWL=\"big.bin\"\r".to_vec();
    input.extend(b"A/".repeat(REPEATS));
    p.send(&input);
    std::thread::sleep(Duration::from_secs(3));
    assert_alive_and_bounded(&mut d, "QFDWL of 256 KiB then 400 x A/, host not reading");
    // Everything still arrives, exactly.
    let one_len = "\r\nCONNECT\r\n".len()
        + data.len()
        + format!("\r\n+QFDWL: 262144,{}\r\n\r\nOK\r\n", xor16(&data)).len();
    let total = one_len * (REPEATS + 1);
    let back = read_exactly(&mut p, total, Duration::from_secs(60), "401 downloads");
    assert_eq!(count(&back, b"\r\n+QFDWL: 262144,"), REPEATS + 1);
    finish(&mut d, &mut p, "repeated downloads");
}
