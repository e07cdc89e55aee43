//! Integrity: no byte is ever lost, duplicated, reordered or altered between the host and the
//! server, in any access mode, under load, at closes and at mode switches, for SSL sockets and
//! (`twelve_sockets_mixing_tcp_udp_and_ssl_in_all_modes`, issue 11) TCP and UDP sockets of the
//! `AT+QI*` family on the same ids, with link faults.
//!
//! Every test runs the real daemon on a pty against in-process servers on loopback (TLS, plain
//! TCP, UDP echo). Both
//! directions carry deterministic streams salted with bytes that mean something to an AT
//! interpreter (`+++`, `\r\nOK\r\n`, Ctrl+Z, ESC, NUL, URC lookalikes...). Each end checks what
//! it receives against the expected stream as it arrives (so a failure names the first bad
//! offset) and the sha256 of both ends is compared.
//!
//! Stream size: `QSSLSIM_INTEGRITY_MB` (MiB per socket and direction, for the twelve-socket
//! tests), default 16 MiB as the issue asks: the three twelve-socket tests then take about
//! 100 s, 75 s and 56 s in a debug build on two cores (run in parallel by nextest). The mixed
//! test defaults to 1 MiB (about 13 s); see its comment. Seeds:
//! `QSSLSIM_INTEGRITY_SEED` replays a run (each test prints its
//! seed). The daemons log at `error` unless `RUST_LOG` says otherwise.

#[path = "support/integrity_peer.rs"]
mod integrity_peer;
mod support;

use std::time::{Duration, Instant};

use integrity_peer::{
    base_seed, show, stream_len, Cfg, Checker, Driver, End, Faults, Host, Kind, Pattern, Plan, Proto, Server,
    Spec, Trigger, Tty,
};
use support::Daemon;

const MIB: u64 = 1024 * 1024;

/// Default bytes per socket and direction for the twelve-socket tests.
const DEFAULT_STREAM: u64 = 16 * MIB;

/// Start the daemon; its log is kept to errors (a `SEND FAIL` test would log thousands of
/// warnings) unless `RUST_LOG` is set.
fn daemon(args: &[&str]) -> Daemon {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "error");
        }
    });
    Daemon::start(args)
}

/// Time allowed for `n` bytes per socket (debug build, loaded machine).
fn allowance(n: u64) -> Duration {
    Duration::from_secs(60 + 15 * n.div_ceil(MIB))
}

/// Twelve sockets at once in `mode`, `n` bytes each way per socket.
fn twelve_at_once(name: &str, mode: u8, n: u64) {
    let seed = base_seed(name);
    let t0 = Instant::now();
    let (mut plans, specs): (Vec<Plan>, Vec<Spec>) = (0..12u8).map(|id| Plan::pair(id, n, n, seed)).unzip();
    let server = Server::start(specs);
    for (p, port) in plans.iter_mut().zip(&server.ports) {
        p.port = *port;
    }
    let daemon = daemon(&[]);
    let mut cfg = Cfg::new(mode);
    cfg.random_readlen = true;
    cfg.deadline = allowance(n);
    let mut d = Driver::new(name, Tty::open(&daemon.pty), cfg, plans, seed);
    d.setup();
    d.open_all();
    d.transfer();
    d.close_all();
    let problems = d.verify(&server, |id| id as usize);
    eprintln!(
        "[{name}] {} MiB each way on 12 sockets in {:?}; {} writes (largest tried {} B, taken {} B), {} B written, {} B read\n{}",
        n as f64 / MIB as f64,
        t0.elapsed(),
        d.writes,
        d.biggest_attempt,
        d.biggest_write,
        d.bytes_written,
        d.bytes_read,
        d.state()
    );
    assert!(problems.is_empty(), "[{name}] seed {seed}:\n{}", problems.join("\n"));
}

#[test]
fn twelve_sockets_buffer_mode_both_ways() {
    twelve_at_once("buffer x12", 0, stream_len(DEFAULT_STREAM));
}

#[test]
fn twelve_sockets_push_mode_both_ways() {
    twelve_at_once("push x12", 1, stream_len(DEFAULT_STREAM));
}

const GUARD_MS: u64 = 200;

fn guard() -> Duration {
    Duration::from_millis(GUARD_MS)
}

/// ATE0, RTS/CTS flow control (as host stacks set it, so transparent uploads wait for a slow
/// server instead of losing bytes: policy transparent-flow-control) and the PDP context.
fn host_for(daemon: &Daemon, seed: u64) -> Host {
    let mut h = Host::new(Tty::open(&daemon.pty), seed);
    h.transact("ATE0\r", b"ATE0\r\r\nOK\r\n");
    h.transact("AT+IFC=2,2\r", b"\r\nOK\r\n");
    h.transact("AT+QIACT=1\r", b"\r\nOK\r\n");
    h
}

/// Leave transparent mode the documented way: silence, `+++`, silence, `OK`; nothing else may
/// arrive on the way.
fn escape(h: &mut Host, what: &str) {
    let early = h.read_for(guard() + Duration::from_millis(100));
    assert!(early.is_empty(), "{what}: bytes after the stream before +++: {}", show(&early, 300));
    h.send(b"+++");
    let got = h.read_for(guard() + Duration::from_millis(400));
    assert_eq!(show(&got, 300), show(b"\r\nOK\r\n", 300), "{what}: answer to a guarded +++");
}

/// Test 2: each of the 12 sockets in turn in transparent mode, `n` bytes each way, host writes
/// of 1 B to 64 KiB.
#[test]
fn transparent_mode_each_socket_in_turn_both_ways() {
    let name = "transparent x12";
    let seed = base_seed(name);
    let n = stream_len(DEFAULT_STREAM);
    let t0 = Instant::now();
    let (plans, mut specs): (Vec<Plan>, Vec<Spec>) = (0..12u8).map(|id| Plan::pair(id, n, n, seed)).unzip();
    // The host writes its stream in order here: check it against the pattern, not a ledger.
    for (p, s) in plans.iter().zip(specs.iter_mut()) {
        s.ledger = None;
        s.expect = Some((p.tx_seed, p.tx_kind, n));
    }
    let server = Server::start(specs);
    let daemon = daemon(&["--guard-time", &GUARD_MS.to_string()]);
    let mut h = host_for(&daemon, seed);
    let mut problems = Vec::new();
    for p in &plans {
        let id = p.id;
        let port = server.ports[id as usize];
        h.transact(&format!("AT+QSSLOPEN=1,0,{id},\"127.0.0.1\",{port},2\r"), b"\r\nCONNECT\r\n");
        let mut tx = Pattern::new(p.tx_seed, p.tx_kind);
        let mut rx = Checker::new(format!("socket {id} server→host (transparent)"), p.rx_seed, p.rx_kind, n);
        let tx_sha = match h.raw_exchange(&mut tx, n, &mut rx, allowance(n) / 4) {
            Ok(sha) => sha,
            Err(e) => panic!("[{name}] seed {seed}: {e}"),
        };
        escape(&mut h, &format!("socket {id}"));
        h.transact(&format!("AT+QSSLCLOSE={id}\r"), b"\r\nOK\r\n");
        let r = server.report(id as usize, Duration::from_secs(20)).expect("server report");
        if let Some(e) = r.error.or(r.rx_problem) {
            problems.push(format!("socket {id}: {e}"));
        }
        if r.rx_len != n || r.rx_sha != tx_sha {
            problems.push(format!(
                "socket {id} host→server: wrote {n} bytes (sha256 {tx_sha}), server received {} (sha256 {})",
                r.rx_len, r.rx_sha
            ));
        }
        if r.tx_len != rx.got || r.tx_sha != rx.digest() {
            problems.push(format!(
                "socket {id} server→host: server sent {} (sha256 {}), host received {} (sha256 {})",
                r.tx_len,
                r.tx_sha,
                rx.got,
                rx.digest()
            ));
        }
    }
    eprintln!("[{name}] {} MiB each way on each of 12 sockets in {:?}", n as f64 / MIB as f64, t0.elapsed());
    assert!(problems.is_empty(), "[{name}] seed {seed}:\n{}", problems.join("\n"));
}

/// Test 3, buffer and push: the server sends its stream and closes at once (close_notify, or
/// a bare FIN); every byte must be delivered, and in push mode before the `closed` URC.
fn close_after_send(name: &str, mode: u8) {
    let seed = base_seed(name);
    let t0 = Instant::now();
    // (bytes, end, read only after the close is reported)
    let cases: [(u64, End, bool); 6] = [
        (MIB, End::CloseNotify, false),
        (MIB, End::FinOnly, false),
        (60_000, End::CloseNotify, true),
        (60_000, End::FinOnly, true),
        (1, End::CloseNotify, false),
        (0, End::FinOnly, false),
    ];
    let mut plans = Vec::new();
    let mut specs = Vec::new();
    for (i, &(len, end, late)) in cases.iter().enumerate() {
        let (mut p, mut s) = Plan::pair(i as u8 + 3, 0, len, seed);
        s.end = end;
        p.expect_close = true;
        p.read_after_close = late && mode == 0;
        plans.push(p);
        specs.push(s);
    }
    let server = Server::start(specs);
    for (p, port) in plans.iter_mut().zip(&server.ports) {
        p.port = *port;
    }
    let daemon = daemon(&[]);
    let mut d = Driver::new(name, Tty::open(&daemon.pty), Cfg::new(mode), plans, seed);
    d.setup();
    d.open_all();
    d.transfer();
    let mut problems = Vec::new();
    for s in &d.socks {
        let id = s.plan.id;
        if mode == 1 && s.rx_at_close != Some(s.plan.rx_len) {
            problems.push(format!(
                "socket {id}: \"closed\" URC after {:?} of {} pushed bytes",
                s.rx_at_close, s.plan.rx_len
            ));
        }
        if s.plan.read_after_close && s.recvs == 0 {
            problems.push(format!("socket {id}: nothing read after the close"));
        }
    }
    if mode == 0 {
        // Drained after the server's close: ERROR (note 2.2.4, policy recv-after-close).
        for i in 0..d.socks.len() {
            let id = d.socks[i].plan.id;
            d.command(&format!("AT+QSSLRECV={id},1500\r"), b"\r\nERROR\r\n");
        }
    }
    d.close_all();
    let cases_of = |id: u8| (id - 3) as usize;
    problems.extend(d.verify(&server, cases_of));
    eprintln!("[{name}] done in {:?}\n{}", t0.elapsed(), d.state());
    assert!(problems.is_empty(), "[{name}] seed {seed}:\n{}", problems.join("\n"));
}

#[test]
fn server_closes_right_after_sending_buffer_mode() {
    close_after_send("close after send, buffer", 0);
}

#[test]
fn server_closes_right_after_sending_push_mode() {
    close_after_send("close after send, push", 1);
}

/// Test 3, transparent: all data, then `NO CARRIER`, then nothing.
#[test]
fn server_closes_right_after_sending_transparent_mode() {
    let name = "close after send, transparent";
    let seed = base_seed(name);
    let cases: [(u64, End); 4] =
        [(MIB, End::CloseNotify), (MIB, End::FinOnly), (1, End::CloseNotify), (0, End::FinOnly)];
    let (plans, mut specs): (Vec<Plan>, Vec<Spec>) =
        cases.iter().enumerate().map(|(i, &(len, _))| Plan::pair(i as u8, 0, len, seed)).unzip();
    for (s, &(_, end)) in specs.iter_mut().zip(&cases) {
        s.end = end;
    }
    let server = Server::start(specs);
    let daemon = daemon(&["--guard-time", &GUARD_MS.to_string()]);
    let mut h = host_for(&daemon, seed);
    let mut problems = Vec::new();
    for (p, &(len, end)) in plans.iter().zip(&cases) {
        let id = p.id;
        h.transact(
            &format!("AT+QSSLOPEN=1,0,{id},\"127.0.0.1\",{},2\r", server.ports[id as usize]),
            b"\r\nCONNECT\r\n",
        );
        let mut rx = Checker::new(format!("socket {id} ({end:?}) server→host"), p.rx_seed, p.rx_kind, len);
        let mut none = Pattern::new(0, Kind::Plain);
        if let Err(e) = h.raw_exchange(&mut none, 0, &mut rx, Duration::from_secs(60)) {
            problems.push(e);
            continue;
        }
        match h.expect(b"\r\nNO CARRIER\r\n", Duration::from_secs(10)) {
            Ok(()) => {}
            Err(e) => problems.push(format!("socket {id} ({end:?}) after all {len} bytes: {e}")),
        }
        let extra = h.read_for(Duration::from_millis(300));
        if !extra.is_empty() {
            problems.push(format!("socket {id}: bytes after NO CARRIER: {}", show(&extra, 200)));
        }
        h.transact(&format!("AT+QSSLCLOSE={id}\r"), b"\r\nOK\r\n");
        let r = server.report(id as usize, Duration::from_secs(20)).expect("server report");
        if r.tx_len != rx.got || r.tx_sha != rx.digest() {
            problems.push(format!(
                "socket {id}: server sent {} (sha256 {}), host received {} (sha256 {})",
                r.tx_len,
                r.tx_sha,
                rx.got,
                rx.digest()
            ));
        }
    }
    assert!(problems.is_empty(), "[{name}] seed {seed}:\n{}", problems.join("\n"));
}

// ---- test 4: suspects ---------------------------------------------------------------------

/// Open `id` in buffer or push mode (echo off) and wait for `+QSSLOPEN: <id>,0`.
fn open(h: &mut Host, id: u8, port: u16, mode: u8) {
    let cmd = format!("AT+QSSLOPEN=1,0,{id},\"127.0.0.1\",{port},{mode}\r");
    if mode == 2 {
        h.transact(&cmd, b"\r\nCONNECT\r\n");
    } else {
        h.transact(&cmd, b"\r\nOK\r\n");
        h.expect(format!("\r\n+QSSLOPEN: {id},0\r\n").as_bytes(), Duration::from_secs(10)).unwrap();
    }
}

/// A server that only receives (and records the first MiB it gets).
fn sinks(n: usize) -> Server {
    Server::start((0..n).map(|i| Spec::new(0, i as u64, Kind::Plain)).collect())
}

/// SPEC §1 and policy `echo-lf`: an <LF> right after the <CR> is ignored. A host that ends
/// `AT+QSSLSEND=<id>,<n>` with CR LF and then waits for `>` must not see the LF become the
/// first payload byte (and the last payload byte be left over for command mode).
#[test]
fn crlf_after_qsslsend_is_not_payload() {
    let server = sinks(1);
    let daemon = daemon(&[]);
    let mut h = host_for(&daemon, 1);
    open(&mut h, 0, server.ports[0], 0);
    h.transact("AT+QSSLSEND=0,5\r\n", b"\r\n> ");
    h.send(b"hello");
    let reply = h.read_for(Duration::from_millis(300));
    let head = server.live[0].head_after(5, Duration::from_secs(2));
    h.send(b"AT\r\n");
    let after = h.read_for(Duration::from_millis(300));
    assert_eq!(
        show(&head, 100),
        "hello",
        "the server received the wrong bytes for `AT+QSSLSEND=0,5<CR><LF>` `>` `hello` (reply {}; `AT<CR><LF>` afterwards answered {})",
        show(&reply, 100),
        show(&after, 100)
    );
    assert_eq!(show(&reply, 100), "\\r\\nSEND OK\\r\\n");
    assert_eq!(show(&after, 100), "\\r\\nOK\\r\\n");
}

/// The same for the commands that enter transparent mode: the LF of `ATO<CR><LF>` and
/// `AT+QISWTMD=<id>,2<CR><LF>` is line ending, not data for the server.
#[test]
fn crlf_after_ato_and_qiswtmd_is_not_data() {
    let server = sinks(1);
    let daemon = daemon(&["--guard-time", &GUARD_MS.to_string()]);
    let mut h = host_for(&daemon, 2);
    open(&mut h, 0, server.ports[0], 2);
    h.send(b"abc");
    escape(&mut h, "first escape");
    h.transact("ATO\r\n", b"\r\nCONNECT\r\n");
    h.send(b"def");
    escape(&mut h, "second escape");
    h.transact("AT+QISWTMD=0,2\r\n", b"\r\nCONNECT\r\n");
    h.send(b"ghi");
    escape(&mut h, "third escape");
    h.transact("AT+QSSLCLOSE=0\r\n", b"\r\nOK\r\n");
    let head = server.live[0].head_after(9, Duration::from_secs(2));
    assert_eq!(
        show(&head, 100),
        "abcdefghi",
        "server stream for: abc, +++, `ATO<CR><LF>`, def, +++, `AT+QISWTMD=0,2<CR><LF>`, ghi"
    );
}

/// Bytes the host writes right behind `AT+QSSLOPEN=...,2<CR>`, before `CONNECT` (a host that
/// does not wait, or a CR LF line end): policy `HELD_INPUT_BYTES` holds them while the open
/// runs. They must not be kept back and executed as a command line once transparent mode is
/// left; they are data for the server.
#[test]
fn bytes_behind_a_transparent_open_are_data_not_commands() {
    let server = sinks(1);
    let daemon = daemon(&["--guard-time", &GUARD_MS.to_string()]);
    let mut h = host_for(&daemon, 3);
    let cmd = format!("AT+QSSLOPEN=1,0,0,\"127.0.0.1\",{},2\rearly", server.ports[0]);
    h.send(cmd.as_bytes());
    h.expect(b"\r\nCONNECT\r\n", Duration::from_secs(10)).unwrap();
    h.send(b"late");
    let head = server.live[0].head_after(9, Duration::from_secs(2));
    escape(&mut h, "escape");
    h.send(b"AT\r");
    let at = h.read_for(Duration::from_millis(300));
    assert_eq!(
        show(&at, 100),
        "\\r\\nOK\\r\\n",
        "after +++, `AT<CR>` must answer OK; the server got {:?} (the held `early` was kept for command mode)",
        show(&head, 100)
    );
    assert_eq!(show(&head, 100), "earlylate", "server stream for `...,2<CR>early`, CONNECT, `late`");
}

/// Echo on: a fixed-length payload holding every byte value and every framing lookalike is
/// echoed and sent exactly; ESC cancels a variable-length send without sending anything;
/// Ctrl+Z sends one.
#[test]
fn echo_on_binary_payload_cancel_and_ctrl_z() {
    let server = sinks(1);
    let daemon = daemon(&[]);
    let mut h = Host::new(Tty::open(&daemon.pty), 4);
    h.transact("AT+QIACT=1\r", b"AT+QIACT=1\r\r\nOK\r\n");
    let cmd = format!("AT+QSSLOPEN=1,0,0,\"127.0.0.1\",{},0\r", server.ports[0]);
    h.transact(&cmd, format!("{cmd}\r\nOK\r\n").as_bytes());
    h.expect(b"\r\n+QSSLOPEN: 0,0\r\n", Duration::from_secs(10)).unwrap();
    let mut payload: Vec<u8> = (0..=255u8).rev().collect();
    let mut tricky = Pattern::new(99, Kind::Tricky);
    payload.extend(tricky.take(1460 - 256));
    let cmd = format!("AT+QSSLSEND=0,{}\r", payload.len());
    h.transact(&cmd, format!("{cmd}\r\n> ").as_bytes());
    h.send(&payload);
    let mut expected = payload.clone();
    expected.extend_from_slice(b"\r\nSEND OK\r\n");
    let got = h.read_for(Duration::from_millis(500));
    assert!(
        got == expected,
        "echo of a 1460-byte binary payload: expected {} got {}",
        show(&expected, 3000),
        show(&got, 3000)
    );
    h.transact("AT+QSSLSEND=0\r", b"AT+QSSLSEND=0\r\r\n> ");
    h.send(b"cancelled\x1b");
    let got = h.read_for(Duration::from_millis(300));
    assert_eq!(show(&got, 100), "cancelled\\r\\nOK\\r\\n", "ESC at the prompt");
    h.transact("AT+QSSLSEND=0\r", b"AT+QSSLSEND=0\r\r\n> ");
    h.send(b"sent\x1a");
    let got = h.read_for(Duration::from_millis(300));
    assert_eq!(show(&got, 100), "sent\\r\\nSEND OK\\r\\n", "Ctrl+Z at the prompt");
    let mut want = payload.clone();
    want.extend_from_slice(b"sent");
    let head = server.live[0].head_after(want.len(), Duration::from_secs(3));
    assert!(
        head == want,
        "server received {} bytes, expected {}: {}",
        head.len(),
        want.len(),
        show(&head, 3000)
    );
}

/// Thousands of 1–3 byte sends, fixed and variable length (Ctrl+Z), pipelined, on three
/// push-mode sockets.
#[test]
fn many_tiny_sends() {
    let name = "tiny sends";
    let seed = base_seed(name);
    let (mut plans, specs): (Vec<Plan>, Vec<Spec>) =
        (0..3u8).map(|id| Plan::pair(id * 4, 5000, 30_000, seed)).unzip();
    let server = Server::start(specs);
    for (p, port) in plans.iter_mut().zip(&server.ports) {
        p.port = *port;
        p.tx_kind = Kind::NoCtrlZ;
    }
    let daemon = daemon(&[]);
    let mut cfg = Cfg::new(1);
    cfg.max_send = 3;
    cfg.variable = 0.4;
    cfg.depth = 16;
    let mut d = Driver::new(name, Tty::open(&daemon.pty), cfg, plans, seed);
    d.setup();
    d.open_all();
    d.transfer();
    d.close_all();
    let problems = d.verify(&server, |id| (id / 4) as usize);
    eprintln!("[{name}]\n{}", d.state());
    assert!(problems.is_empty(), "[{name}] seed {seed}:\n{}", problems.join("\n"));
}

/// A server that does not read for 2 s fills the module's send buffer: `SEND FAIL`s, which
/// must send nothing; retried payloads arrive once, after the ones that succeeded.
#[test]
fn send_fail_sends_nothing_and_retries_arrive_once() {
    let name = "send fail";
    let seed = base_seed(name);
    let (mut plan, mut spec) = Plan::pair(5, 3 * MIB, 0, seed);
    spec.read_pause = Duration::from_secs(2);
    spec.small_rcvbuf = true;
    let server = Server::start(vec![spec]);
    plan.port = server.ports[0];
    let daemon = daemon(&[]);
    let mut d = Driver::new(name, Tty::open(&daemon.pty), Cfg::new(0), vec![plan], seed);
    d.setup();
    d.open_all();
    d.transfer();
    d.close_all();
    let problems = d.verify(&server, |_| 0);
    eprintln!("[{name}]\n{}", d.state());
    assert!(problems.is_empty(), "[{name}] seed {seed}:\n{}", problems.join("\n"));
    assert!(
        d.socks[0].send_fail > 0,
        "the server's pause never filled the send buffer: no SEND FAIL to check"
    );
}

/// Buffer mode: the host does not read for 1.5 s while the server sends 8 MiB. One `recv` URC,
/// no more (policy `recv-urc`); the server is throttled (policy `recv-buffer`: backpressure);
/// then everything is read, intact.
#[test]
fn full_receive_buffer_throttles_the_server_and_loses_nothing() {
    let name = "recv buffer full";
    let seed = base_seed(name);
    let n = 8 * MIB;
    let (mut plan, spec) = Plan::pair(7, 0, n, seed);
    let server = Server::start(vec![spec]);
    plan.port = server.ports[0];
    let daemon = daemon(&[]);
    let mut d = Driver::new(name, Tty::open(&daemon.pty), Cfg::new(0), vec![plan], seed);
    d.setup();
    d.open_all();
    std::thread::sleep(Duration::from_millis(1500));
    let sent_early = server.live[0].tx.load(std::sync::atomic::Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(500));
    let sent_later = server.live[0].tx.load(std::sync::atomic::Ordering::SeqCst);
    let mut raw = Vec::new();
    d.tty.read_avail(&mut raw);
    let urcs = d.socks[0].recv_urcs as usize + raw.windows(10).filter(|w| w == b"+QSSLURC: ").count();
    eprintln!("[{name}] server sent {sent_early} B after 1.5 s without host reads, {sent_later} B after 2 s");
    assert_eq!(urcs, 1, "recv URCs while the host did not read: {}", show(&raw, 300));
    assert!(sent_later < n, "the server was never throttled: it sent all {n} bytes while nobody read");
    assert_eq!(sent_early, sent_later, "the server kept sending while the module's buffer was full");
    d.inject(&raw);
    d.transfer();
    d.close_all();
    let problems = d.verify(&server, |_| 0);
    assert!(problems.is_empty(), "[{name}] seed {seed}:\n{}", problems.join("\n"));
}

/// Transparent mode: the host neither reads nor writes for 1.5 s while the server sends 8 MiB;
/// then it writes 1 MiB while reading everything.
#[test]
fn transparent_host_that_stops_reading_loses_nothing() {
    let name = "transparent, host stalls";
    let seed = base_seed(name);
    let (p, mut spec) = Plan::pair(9, MIB, 8 * MIB, seed);
    spec.ledger = None;
    spec.expect = Some((p.tx_seed, p.tx_kind, p.tx_len));
    let server = Server::start(vec![spec]);
    let daemon = daemon(&["--guard-time", &GUARD_MS.to_string()]);
    let mut h = host_for(&daemon, seed);
    open(&mut h, 9, server.ports[0], 2);
    std::thread::sleep(Duration::from_millis(1500));
    let sent = server.live[0].tx.load(std::sync::atomic::Ordering::SeqCst);
    eprintln!("[{name}] server sent {sent} B while the host did not read");
    let mut tx = Pattern::new(p.tx_seed, p.tx_kind);
    let mut rx = Checker::new("socket 9 server→host (transparent)".into(), p.rx_seed, p.rx_kind, p.rx_len);
    let tx_sha = h
        .raw_exchange(&mut tx, p.tx_len, &mut rx, Duration::from_secs(90))
        .unwrap_or_else(|e| panic!("[{name}] seed {seed}: {e}"));
    escape(&mut h, name);
    h.transact("AT+QSSLCLOSE=9\r", b"\r\nOK\r\n");
    let r = server.report(0, Duration::from_secs(20)).expect("server report");
    assert_eq!(r.error.or(r.rx_problem), None);
    assert_eq!((r.rx_len, r.rx_sha), (p.tx_len, tx_sha), "host→server");
    assert_eq!((r.tx_len, r.tx_sha), (rx.got, rx.digest()), "server→host");
}

/// Transparent mode while the server does not read for 2 s: the module stops taking host
/// bytes (its send buffer is full), and must lose none of them; a stall of the module's own
/// making is not the host's silence, so `+` bytes in the data stay data.
#[test]
fn transparent_server_that_stops_reading_loses_nothing() {
    let name = "transparent, server stalls";
    let seed = base_seed(name);
    let (p, mut spec) = Plan::pair(10, 2 * MIB, 0, seed);
    spec.ledger = None;
    spec.expect = Some((p.tx_seed, p.tx_kind, p.tx_len));
    spec.read_pause = Duration::from_secs(2);
    spec.small_rcvbuf = true;
    let server = Server::start(vec![spec]);
    let daemon = daemon(&["--guard-time", &GUARD_MS.to_string()]);
    let mut h = host_for(&daemon, seed);
    open(&mut h, 10, server.ports[0], 2);
    let mut tx = Pattern::new(p.tx_seed, p.tx_kind);
    let mut rx = Checker::new("socket 10 server→host".into(), p.rx_seed, p.rx_kind, 0);
    let t0 = Instant::now();
    let tx_sha = h
        .raw_exchange(&mut tx, p.tx_len, &mut rx, Duration::from_secs(90))
        .unwrap_or_else(|e| panic!("[{name}] {e}"));
    let live = &server.live[0];
    let deadline = Instant::now() + Duration::from_secs(60);
    while live.rx.load(std::sync::atomic::Ordering::SeqCst) < p.tx_len && Instant::now() < deadline {
        let stray = h.read_for(Duration::from_millis(50));
        assert!(
            stray.is_empty(),
            "[{name}] seed {seed}: unexpected bytes from the module: {}",
            show(&stray, 300)
        );
    }
    eprintln!("[{name}] 2 MiB written in {:?}", t0.elapsed());
    escape(&mut h, name);
    h.transact("AT+QSSLCLOSE=10\r", b"\r\nOK\r\n");
    let r = server.report(0, Duration::from_secs(20)).expect("server report");
    assert_eq!(r.error.or(r.rx_problem), None, "[{name}] seed {seed}");
    assert_eq!((r.rx_len, r.rx_sha), (p.tx_len, tx_sha), "[{name}] seed {seed}: host→server");
}

/// Command-mode output until `final_` (consumed), or for `wait` if there is none: push data
/// and `+QSSLRECV` data for `id` go to `rx`; `recv` URCs are counted.
fn command_mode(
    h: &mut Host,
    id: u8,
    rx: &mut Checker,
    final_: Option<&[u8]>,
    wait: Duration,
) -> Result<usize, String> {
    let deadline = Instant::now() + wait;
    let urc_recv = format!("\r\n+QSSLURC: \"recv\",{id}");
    let recv = b"\r\n+QSSLRECV: ";
    let mut urcs = 0;
    loop {
        let b = &h.pending;
        let line_end =
            if b.len() > 2 { b[2..].windows(2).position(|w| w == b"\r\n").map(|p| p + 2) } else { None };
        let mut used = None;
        if let Some(f) = final_ {
            if b.starts_with(f) {
                h.pending.drain(..f.len());
                return Ok(urcs);
            }
        }
        if b.starts_with(urc_recv.as_bytes()) {
            if let Some(e) = line_end {
                let rest = &b[urc_recv.len()..e];
                if rest.is_empty() {
                    urcs += 1;
                    used = Some(e + 2);
                } else {
                    let len: usize = std::str::from_utf8(&rest[1..])
                        .ok()
                        .and_then(|t| t.parse().ok())
                        .ok_or_else(|| format!("bad URC {}", show(&b[..e], 60)))?;
                    if b.len() >= e + 2 + len {
                        let data = b[e + 2..e + 2 + len].to_vec();
                        rx.feed(&data);
                        used = Some(e + 2 + len);
                    }
                }
            }
        } else if b.starts_with(recv) {
            if let Some(e) = line_end {
                let n: usize = std::str::from_utf8(&b[recv.len()..e])
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| format!("bad +QSSLRECV {}", show(&b[..e], 60)))?;
                let end = if n == 0 { e + 2 } else { e + 2 + n + 2 };
                if b.len() >= end {
                    if n > 0 {
                        let data = b[e + 2..e + 2 + n].to_vec();
                        rx.feed(&data);
                    }
                    used = Some(end);
                }
            }
        } else {
            let candidates: Vec<&[u8]> =
                [Some(urc_recv.as_bytes()), Some(&recv[..]), final_].into_iter().flatten().collect();
            if !b.is_empty() && !candidates.iter().any(|c| c.starts_with(&b[..b.len().min(c.len())])) {
                return Err(format!("unexpected output {}", show(b, 200)));
            }
        }
        if let Some(u) = used {
            h.pending.drain(..u);
            if let Some(p) = &rx.problem {
                return Err(p.clone());
            }
            continue;
        }
        if Instant::now() >= deadline {
            return match final_ {
                None => Ok(urcs),
                Some(f) => Err(format!("{} never came; pending {}", show(f, 40), show(&h.pending, 200))),
            };
        }
        h.tty.wait(false, 10);
        h.tty.read_avail(&mut h.pending);
    }
}

/// While the server streams, the connection goes transparent → (+++) buffer → push → transparent
/// three times; the host's view of the stream must be exactly the server's.
#[test]
fn mode_switches_while_the_server_streams() {
    let name = "mode switches";
    let seed = base_seed(name);
    let n = 2 * MIB;
    let mut spec = Spec::new(n, seed, Kind::Plain);
    spec.send_pace = Duration::from_millis(10);
    let server = Server::start(vec![spec]);
    let daemon = daemon(&["--guard-time", &GUARD_MS.to_string()]);
    let mut h = host_for(&daemon, seed);
    let id = 6;
    open(&mut h, id, server.ports[0], 2);
    let mut rx = Checker::new("server→host across mode switches".into(), seed, Kind::Plain, n);
    let fail = |what: &str, e: String| -> ! { panic!("[{name}] seed {seed}: {what}: {e}") };
    for cycle in 0..3 {
        // Transparent: raw data; then a guarded +++ (data may still arrive before OK).
        let deadline = Instant::now() + Duration::from_millis(200) + guard();
        while Instant::now() < deadline {
            h.tty.wait(false, 10);
            h.tty.read_avail(&mut h.pending);
        }
        h.send(b"+++");
        let before_ok =
            h.read_until(b"\r\nOK\r\n", Duration::from_secs(5)).unwrap_or_else(|e| fail("escape", e));
        rx.feed(&before_ok);
        // Buffer mode: a few reads.
        for _ in 0..3 {
            h.send(format!("AT+QSSLRECV={id},1500\r").as_bytes());
            command_mode(&mut h, id, &mut rx, Some(b"\r\nOK\r\n"), Duration::from_secs(5))
                .unwrap_or_else(|e| fail(&format!("cycle {cycle}: AT+QSSLRECV"), e));
        }
        // Push mode for a while.
        h.send(format!("AT+QISWTMD={id},1\r").as_bytes());
        command_mode(&mut h, id, &mut rx, Some(b"\r\nOK\r\n"), Duration::from_secs(5))
            .unwrap_or_else(|e| fail(&format!("cycle {cycle}: AT+QISWTMD={id},1"), e));
        command_mode(&mut h, id, &mut rx, None, Duration::from_millis(300))
            .unwrap_or_else(|e| fail(&format!("cycle {cycle}: push mode"), e));
        // Back to transparent.
        h.send(format!("AT+QISWTMD={id},2\r").as_bytes());
        command_mode(&mut h, id, &mut rx, Some(b"\r\nCONNECT\r\n"), Duration::from_secs(5))
            .unwrap_or_else(|e| fail(&format!("cycle {cycle}: AT+QISWTMD={id},2"), e));
        if let Some(p) = &rx.problem {
            fail(&format!("cycle {cycle}"), p.clone());
        }
        eprintln!("[{name}] cycle {cycle}: {} of {n} bytes so far", rx.got);
    }
    let mut none = Pattern::new(0, Kind::Plain);
    h.raw_exchange(&mut none, 0, &mut rx, Duration::from_secs(60))
        .unwrap_or_else(|e| fail("final raw part", e));
    escape(&mut h, name);
    h.transact(&format!("AT+QSSLCLOSE={id}\r"), b"\r\nOK\r\n");
    let r = server.report(0, Duration::from_secs(20)).expect("server report");
    assert_eq!((r.tx_len, r.tx_sha), (rx.got, rx.digest()), "[{name}] seed {seed}: server→host");
}

/// `AT+QSSLCLOSE` right after the last `SEND OK`, while the server is not reading yet: the
/// graceful close must deliver every byte that got `SEND OK` before close_notify.
#[test]
fn close_delivers_everything_that_got_send_ok() {
    let name = "close flushes";
    let seed = base_seed(name);
    let (mut plan, mut spec) = Plan::pair(2, 60_000, 0, seed);
    spec.read_pause = Duration::from_millis(1500);
    spec.small_rcvbuf = true;
    let server = Server::start(vec![spec]);
    plan.port = server.ports[0];
    let daemon = daemon(&[]);
    let mut cfg = Cfg::new(0);
    cfg.depth = 64;
    let mut d = Driver::new(name, Tty::open(&daemon.pty), cfg, vec![plan], seed);
    d.setup();
    d.open_all();
    d.transfer();
    let unread = 60_000 - server.live[0].rx.load(std::sync::atomic::Ordering::SeqCst);
    d.close_all();
    eprintln!("[{name}] {unread} bytes not yet read by the server when AT+QSSLCLOSE was sent");
    let problems = d.verify(&server, |_| 0);
    assert!(problems.is_empty(), "[{name}] seed {seed}:\n{}", problems.join("\n"));
}

/// SPEC §7: "A `+++` that breaks the guard times is data and goes to the server." Here the
/// host writes `x`, and 250 ms later `+++` (guard 500 ms), then waits. Meanwhile the server
/// sends 4 MiB the host has not read yet, so the module's output backlog is full and it stops
/// reading the port; it reads `+++` only later, after what looks to it like a guard of silence.
/// The host never was silent for a guard time before `+++`: it must reach the server, and no
/// `OK` may appear in the data.
#[test]
fn plus_plus_plus_inside_the_guard_stays_data_when_the_module_was_busy() {
    let name = "+++ after module stall";
    let seed = base_seed(name);
    let n = 4 * MIB;
    let mut spec = Spec::new(n, seed, Kind::Plain);
    spec.send_after_rx = 1;
    let server = Server::start(vec![spec]);
    let daemon = daemon(&["--guard-time", "500"]);
    let mut h = host_for(&daemon, seed);
    open(&mut h, 0, server.ports[0], 2);
    let t0 = Instant::now();
    h.send(b"x");
    std::thread::sleep(Duration::from_millis(250));
    h.send(b"+++");
    std::thread::sleep(Duration::from_millis(1500).saturating_sub(t0.elapsed()));
    let mut rx = Checker::new("server→host".into(), seed, Kind::Plain, n);
    let mut none = Pattern::new(0, Kind::Plain);
    let exchange = h.raw_exchange(&mut none, 0, &mut rx, Duration::from_secs(60));
    let after = h.read_for(Duration::from_millis(800));
    let head = server.live[0].head_after(4, Duration::from_secs(2));
    assert!(
        exchange.is_ok() && after.is_empty() && head == b"x+++",
        "[{name}] `x`, 250 ms, `+++` (guard 500 ms) while the module's output was backed up: the server got {:?}; the host's stream: {:?}; then {}",
        show(&head, 40),
        exchange.err(),
        show(&after, 200)
    );
    escape_with(&mut h, Duration::from_millis(500), name);
    h.transact("AT+QSSLCLOSE=0\r", b"\r\nOK\r\n");
}

fn escape_with(h: &mut Host, guard: Duration, what: &str) {
    let early = h.read_for(guard + Duration::from_millis(100));
    assert!(early.is_empty(), "{what}: bytes before +++: {}", show(&early, 300));
    h.send(b"+++");
    let got = h.read_for(guard + Duration::from_millis(400));
    assert_eq!(show(&got, 300), show(b"\r\nOK\r\n", 300), "{what}: answer to a guarded +++");
}

/// Push URCs in `bytes` (all for `id`), concatenated.
fn parse_pushes(mut bytes: &[u8], id: u8) -> Result<Vec<u8>, String> {
    let head = format!("\r\n+QSSLURC: \"recv\",{id},");
    let mut data = Vec::new();
    while !bytes.is_empty() {
        let bad = || format!("not a push URC for socket {id}: {}", show(bytes, 120));
        if !bytes.starts_with(head.as_bytes()) {
            return Err(bad());
        }
        let rest = &bytes[head.len()..];
        let eol = rest.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let len: usize =
            std::str::from_utf8(&rest[..eol]).ok().and_then(|t| t.parse().ok()).ok_or_else(bad)?;
        let body = &rest[eol + 2..];
        if body.len() < len {
            return Err(format!("push URC announces {len} bytes, {} follow", body.len()));
        }
        data.extend_from_slice(&body[..len]);
        bytes = &body[len..];
    }
    Ok(data)
}

/// Data and the server's close both arrive while the port is in another socket's `>` prompt
/// (URCs are held, policy `urc-hold`). When they are released, the data must still come first:
/// push mode, every pushed byte before `closed`; buffer mode, `recv` before `closed` and all
/// bytes readable after it.
fn held_data_precedes_close(mode: u8) {
    let name = if mode == 0 { "held recv, buffer" } else { "held recv, push" };
    let seed = base_seed(name);
    let n = 20_000u64;
    let quiet = Spec::new(0, 0, Kind::Plain);
    let mut closer = Spec::new(n, seed, Kind::Plain);
    closer.send_after_rx = 1;
    closer.end = End::CloseNotify;
    let server = Server::start(vec![quiet, closer]);
    let daemon = daemon(&[]);
    let mut h = host_for(&daemon, seed);
    let (a, b) = (1u8, 2u8);
    open(&mut h, a, server.ports[0], mode);
    open(&mut h, b, server.ports[1], mode);
    // One write: a byte to the closing server (which then sends and closes), then straight into
    // socket a's prompt, which the host keeps open for a second.
    h.send(format!("AT+QSSLSEND={b},1\rxAT+QSSLSEND={a},5\r").as_bytes());
    h.expect(b"\r\n> \r\nSEND OK\r\n\r\n> ", Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("[{name}] {e}"));
    std::thread::sleep(Duration::from_millis(1000));
    let sent = server.live[1].tx.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(sent, n, "[{name}] the server had not sent its bytes while the prompt was open");
    h.send(b"hello");
    h.expect(b"\r\nSEND OK\r\n", Duration::from_secs(5)).unwrap_or_else(|e| panic!("[{name}] {e}"));
    let closed = format!("\r\n+QSSLURC: \"closed\",{b}\r\n");
    let before =
        h.read_until(closed.as_bytes(), Duration::from_secs(5)).unwrap_or_else(|e| panic!("[{name}] {e}"));
    let mut rx = Checker::new(format!("socket {b}"), seed, Kind::Plain, n);
    if mode == 1 {
        let data = parse_pushes(&before, b).unwrap_or_else(|e| panic!("[{name}] before \"closed\": {e}"));
        rx.feed(&data);
        let after = h.read_for(Duration::from_millis(300));
        assert!(
            rx.got == n && rx.problem.is_none() && after.is_empty(),
            "[{name}] {} of {n} pushed bytes came before the \"closed\" URC ({:?}); after it: {}",
            rx.got,
            rx.problem,
            show(&after, 200)
        );
    } else {
        assert_eq!(
            show(&before, 200),
            show(format!("\r\n+QSSLURC: \"recv\",{b}\r\n").as_bytes(), 200),
            "[{name}] before \"closed\""
        );
        while rx.got < n && rx.problem.is_none() {
            h.send(format!("AT+QSSLRECV={b},1500\r").as_bytes());
            let got = rx.got;
            command_mode(&mut h, b, &mut rx, Some(b"\r\nOK\r\n"), Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("[{name}] {e}"));
            assert!(rx.got > got, "[{name}] AT+QSSLRECV returned nothing with {} of {n} bytes read", rx.got);
        }
        // Drained after the server's close: ERROR (note 2.2.4, policy recv-after-close).
        h.send(format!("AT+QSSLRECV={b},1500\r").as_bytes());
        command_mode(&mut h, b, &mut rx, Some(b"\r\nERROR\r\n"), Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("[{name}] {e}"));
        assert!(
            rx.got == n && rx.problem.is_none(),
            "[{name}] read {} of {n} bytes after the close ({:?})",
            rx.got,
            rx.problem
        );
    }
    h.transact(&format!("AT+QSSLCLOSE={b}\r"), b"\r\nOK\r\n");
    h.transact(&format!("AT+QSSLCLOSE={a}\r"), b"\r\nOK\r\n");
    assert_eq!(server.live[0].head_after(5, Duration::from_secs(2)), b"hello");
}

#[test]
fn data_held_during_a_prompt_precedes_the_close_push_mode() {
    held_data_precedes_close(1);
}

#[test]
fn data_held_during_a_prompt_precedes_the_close_buffer_mode() {
    held_data_precedes_close(0);
}

/// Policy `recv-urc`: a `recv` URC whenever data arrives into an empty buffer, none again until
/// the host has drained it. Here the buffer is drained by push mode instead of `AT+QSSLRECV`:
/// buffer mode (`recv` URC, not read) → `AT+QISWTMD=<id>,1` (the data is pushed) → back to
/// buffer mode → new data arrives into the empty buffer. Without a URC the host never learns
/// of it: the data sits in the module unannounced.
#[test]
fn recv_urc_after_push_mode_drained_the_buffer() {
    let peer = support::Peer::start("echo");
    let daemon = daemon(&[]);
    let mut h = host_for(&daemon, 11);
    let w = Duration::from_secs(5);
    open(&mut h, 0, peer.addr.port(), 0);
    h.transact("AT+QSSLSEND=0,3\r", b"\r\n> ");
    h.send(b"one");
    h.expect(b"\r\nSEND OK\r\n", w).unwrap();
    h.expect(b"\r\n+QSSLURC: \"recv\",0\r\n", w).unwrap();
    h.transact("AT+QISWTMD=0,1\r", b"\r\nOK\r\n");
    h.expect(b"\r\n+QSSLURC: \"recv\",0,3\r\none", w).unwrap();
    h.transact("AT+QISWTMD=0,0\r", b"\r\nOK\r\n");
    h.transact("AT+QSSLSEND=0,3\r", b"\r\n> ");
    h.send(b"two");
    h.expect(b"\r\nSEND OK\r\n", w).unwrap();
    let urc = h.read_for(Duration::from_millis(1000));
    h.send(b"AT+QSSLRECV=0,1500\r");
    let read = h.read_for(Duration::from_millis(500));
    assert_eq!(
        show(&urc, 200),
        show(b"\r\n+QSSLURC: \"recv\",0\r\n", 200),
        "buffer → push (drained) → buffer, then `two` arrived: no recv URC, yet AT+QSSLRECV=0,1500 answered {}",
        show(&read, 200)
    );
    assert_eq!(show(&read, 200), show(b"\r\n+QSSLRECV: 3\r\ntwo\r\n\r\nOK\r\n", 200));
}

/// The same with more than policy `HELD_INPUT_BYTES` (4096) written behind the transparent
/// open: the data must reach the server, and the port must still take `+++` afterwards (held
/// input that is never released would also keep the module from reading the port at all).
#[test]
fn a_host_streaming_right_behind_a_transparent_open_is_not_locked_out() {
    let server = sinks(1);
    let daemon = daemon(&["--guard-time", &GUARD_MS.to_string()]);
    let mut h = host_for(&daemon, 12);
    let data = Pattern::new(12, Kind::Plain).take(6000);
    let mut burst = format!("AT+QSSLOPEN=1,0,0,\"127.0.0.1\",{},2\r", server.ports[0]).into_bytes();
    burst.extend_from_slice(&data);
    h.send(&burst);
    h.expect(b"\r\nCONNECT\r\n", Duration::from_secs(10)).unwrap();
    let head = server.live[0].head_after(data.len(), Duration::from_secs(3));
    std::thread::sleep(guard() + Duration::from_millis(100));
    h.send(b"+++");
    let answer = h.read_for(guard() + Duration::from_millis(1500));
    assert!(
        head == data && answer == b"\r\nOK\r\n",
        "6000 bytes written right behind `AT+QSSLOPEN=...,2<CR>`: the server got {} of them; a guarded +++ afterwards answered {}",
        head.len(),
        show(&answer, 200)
    );
}

// ---- issue 11: TCP, UDP and SSL together -------------------------------------------------

/// Default bytes per TCP/SSL socket and direction in the mixed test (UDP: an eighth).
const MIXED_STREAM: u64 = MIB;

/// Twelve sockets at once, all three families and all three modes: SSL 0 (buffer), 1 (push),
/// 2 (buffer), 3 (transparent); TCP 4 (buffer), 5 (push), 6 (buffer), 7 (push), 8
/// (transparent); UDP 9 (buffer), 10 (push), 11 (buffer), each UDP datagram (1–1460 bytes)
/// echoed before the next goes. Halfway, the port goes transparent on socket 3, then on 8
/// (whole streams, `+++` each time) while the other ten keep their data waiting; 3 stays open,
/// 8 is closed and opened again as UDP in transparent mode (the host writes at most 1460 bytes
/// before their echo is back). Link faults hit the TCP sockets mid-stream: a 128 KiB/s throttle on 4 and 20 ms of
/// latency on 5 (each for 1.5 s), a 1.5 s receive stall on 6, three forced `SEND FAIL`s on 7.
/// Every byte that got `SEND OK` must reach its server exactly once and in order, every
/// server byte must reach the host, every datagram that got `SEND OK` must arrive once, whole.
///
/// Size: `QSSLSIM_INTEGRITY_MB` per TCP/SSL socket and direction (default 1 MiB, 12–15 s in a
/// debug build on two cores); UDP sockets carry an eighth of it (at least 16 KiB). Larger runs
/// can fail with UDP echoes that never reach the host while the push streams run: that is the
/// URC starvation of `a_push_stream_does_not_hold_back_other_sockets_urcs` (ignored, a bug).
#[test]
fn twelve_sockets_mixing_tcp_udp_and_ssl_in_all_modes() {
    let name = "mixed x12";
    let seed = base_seed(name);
    let n = stream_len(MIXED_STREAM);
    let udp_n = (n / 8).max(16 * 1024);
    let t0 = Instant::now();
    let (ssl_t, tcp_t) = (3u8, 8u8);
    let mut plans = Vec::new();
    let mut transparent = Vec::new();
    let mut specs = Vec::new();
    for id in 0..12u8 {
        let (mut p, mut s) = match id {
            0..=3 => Plan::pair(id, n, n, seed),
            4..=7 => Plan::tcp(id, n, n, seed, id % 2),
            8 => Plan::tcp(id, n, n, seed, 2),
            _ => Plan::udp(id, udp_n, seed, (id + 1) % 2),
        };
        if id == ssl_t || id == tcp_t {
            // Written in order in transparent mode: checked against the pattern.
            s.ledger = None;
            s.expect = Some((p.tx_seed, p.tx_kind, n));
            transparent.push(p);
        } else {
            if id < 3 {
                p.mode = Some(id % 2);
            }
            plans.push(p);
        }
        specs.push(s);
    }
    // Listener 12: the UDP echo for the transparent UDP session on id 8 (after its TCP one).
    let (mut udp_t, mut s) = Plan::udp(tcp_t, udp_n, seed.rotate_left(7), 2);
    s.ledger = None;
    specs.push(s);
    let server = Server::start(specs);
    for p in plans.iter_mut().chain(transparent.iter_mut()) {
        p.port = server.ports[p.id as usize];
    }
    udp_t.port = server.ports[12];
    let ctl = std::env::temp_dir().join(format!("qsslsim-integrity-mixed-{}.ctl", std::process::id()));
    let daemon = daemon(&["--guard-time", &GUARD_MS.to_string(), "--control", ctl.to_str().unwrap()]);
    let mut cfg = Cfg::new(0);
    cfg.random_readlen = true;
    cfg.deadline = allowance(n) + allowance(udp_n);
    let mut d = Driver::new(name, Tty::open(&daemon.pty), cfg, plans, seed);
    d.setup();
    d.open_all();
    let at = |id: usize, part: u64| (server.live[id].clone(), n / part);
    let trigger =
        |(live, at_rx): (std::sync::Arc<integrity_peer::Live>, u64), fault: String, clear: Option<String>| {
            Trigger { live, at_rx, fault, clear: clear.map(|c| (Duration::from_millis(1500), c)) }
        };
    let faults = Faults::start(
        &ctl,
        vec![
            trigger(
                at(4, 4),
                r#"{"kind":"bandwidth","socket":4,"bytes_per_sec":131072}"#.into(),
                Some(r#"{"kind":"bandwidth","socket":4,"bytes_per_sec":0}"#.into()),
            ),
            trigger(
                at(5, 4),
                r#"{"kind":"latency","socket":5,"ms":20}"#.into(),
                Some(r#"{"kind":"latency","socket":5,"ms":0}"#.into()),
            ),
            trigger(at(6, 3), r#"{"kind":"receive_stall","socket":6,"ms":1500}"#.into(), None),
            trigger(at(7, 2), r#"{"kind":"send_buffer_full","socket":7,"count":3}"#.into(), None),
        ],
    );
    let fail = |e: String| -> ! { panic!("[{name}] seed {seed}: {e}") };
    // Halfway (in bytes the host got SEND OK for), the transparent sessions.
    let half = d.socks.iter().map(|s| s.plan.tx_len).sum::<u64>() / 2;
    d.transfer_until(|d| d.confirmed() >= half);
    let mut problems = Vec::new();
    // (id, family, listener, bytes each way, sha256 written, what came back)
    let mut sessions = Vec::new();
    let mut session = |d: &mut Driver, p: &Plan, proto: Proto, len: u64, echo: Option<usize>| {
        let id = p.id;
        let mut tx = Pattern::new(p.tx_seed, p.tx_kind);
        let what = format!("socket {id} server→host ({proto:?}, transparent)");
        let mut rx = Checker::new(what, p.rx_seed, p.rx_kind, len);
        let tx_sha = d
            .transparent_session(
                &proto.open_cmd(id, p.port, 2),
                &mut tx,
                len,
                &mut rx,
                guard(),
                allowance(len),
                echo,
            )
            .unwrap_or_else(|e| fail(format!("transparent session on socket {id} ({proto:?}): {e}")));
        sessions.push((id, proto, p.port, len, tx_sha, rx));
    };
    session(&mut d, &transparent[0], Proto::Ssl, n, None);
    session(&mut d, &transparent[1], Proto::Tcp, n, None);
    // The TCP connection goes, and its id carries UDP in transparent mode: at most 1460 bytes
    // in flight, so nothing may be lost (policy udp-datagram-size cuts what the +++ detector
    // releases into datagrams).
    d.command(&Proto::Tcp.close_cmd(tcp_t), b"\r\nOK\r\n");
    session(&mut d, &udp_t, Proto::Udp, udp_n, Some(1460));
    eprintln!(
        "[{name}] transparent sessions on {ssl_t}, {tcp_t} (TCP, then UDP) done after {:?}",
        t0.elapsed()
    );
    d.transfer();
    let fired = faults.finish().unwrap_or_else(|e| fail(e));
    d.close_all();
    d.command(&Proto::Ssl.close_cmd(ssl_t), b"\r\nOK\r\n");
    d.command(&Proto::Udp.close_cmd(tcp_t), b"\r\nOK\r\n");
    problems.extend(d.verify(&server, |id| id as usize));
    for (id, proto, port, len, tx_sha, rx) in &sessions {
        let listener = server.ports.iter().position(|p| p == port).unwrap();
        let Some(r) = server.report(listener, Duration::from_secs(20)) else {
            problems.push(format!("socket {id} ({proto:?}, transparent): the server never finished"));
            continue;
        };
        if let Some(e) = r.error.or(r.rx_problem) {
            problems.push(format!("socket {id} ({proto:?}, transparent): {e}"));
        }
        if (r.rx_len, &r.rx_sha) != (*len, tx_sha) {
            problems.push(format!(
                "socket {id} ({proto:?}, transparent) host→server: wrote {len} bytes (sha256 {tx_sha}), server received {} (sha256 {})",
                r.rx_len, r.rx_sha
            ));
        }
        if (r.tx_len, &r.tx_sha) != (rx.got, &rx.digest()) {
            problems.push(format!(
                "socket {id} ({proto:?}, transparent) server→host: server sent {} (sha256 {}), host received {} (sha256 {})",
                r.tx_len,
                r.tx_sha,
                rx.got,
                rx.digest()
            ));
        }
        if let Some(big) = r.datagrams.iter().find(|&&d| d > 1460) {
            problems.push(format!(
                "socket {id} ({proto:?}, transparent): a datagram of {big} bytes (at most 1460)"
            ));
        }
        if *proto == Proto::Udp {
            eprintln!("[{name}] UDP transparent: {udp_n} bytes in {} datagrams", r.datagrams.len());
        }
    }
    if fired.len() != 6 {
        problems.push(format!("not every fault fired (the streams are too short?): {fired:?}"));
    }
    let forced = d.socks.iter().find(|s| s.plan.id == 7).map_or(0, |s| s.send_fail);
    if forced < 3 {
        problems.push(format!("socket 7: {forced} SEND FAIL, the fault forced 3"));
    }
    let _ = std::fs::remove_file(&ctl);
    eprintln!(
        "[{name}] {} KiB each way on 10 TCP/SSL sockets, {} KiB of datagrams on 3 UDP sockets, in {:?}; faults: {fired:?}\n{}",
        n / 1024,
        udp_n / 1024,
        t0.elapsed(),
        d.state()
    );
    assert!(problems.is_empty(), "[{name}] seed {seed}:\n{}", problems.join("\n"));
}

/// Found by the mixed test at `QSSLSIM_INTEGRITY_MB=8` (its UDP echoes never reached the host):
/// while one push-mode socket has data waiting, every other URC waits behind it. Socket 0 (TCP,
/// push) gets a 64 MiB stream that the host reads at a few hundred KB/s, so the module always
/// holds some of it; once 1 MiB has been pushed, the host sends one byte on socket 1 (TCP,
/// buffer), whose server answers with 10 bytes at once. `+QIURC: "recv",1` is due a moment
/// later (between two push frames); it must not wait for socket 0's stream to end. On failure
/// the test asks `AT+QIRD=1,1500` to show the 10 bytes sat in the module unannounced.
#[test]
fn a_push_stream_does_not_hold_back_other_sockets_urcs() {
    let n = 64 * MIB;
    let mut stream = Spec::new(n, 1, Kind::Plain);
    stream.proto = Proto::Tcp;
    let mut answer = Spec::new(10, 2, Kind::Plain);
    answer.proto = Proto::Tcp;
    answer.send_after_rx = 1;
    let server = Server::start(vec![stream, answer]);
    let daemon = daemon(&[]);
    let mut h = host_for(&daemon, 13);
    let w = Duration::from_secs(10);
    h.transact(&Proto::Tcp.open_cmd(1, server.ports[1], 0), b"\r\nOK\r\n");
    h.expect(b"\r\n+QIOPEN: 1,0\r\n", w).unwrap();
    h.transact(&Proto::Tcp.open_cmd(0, server.ports[0], 1), b"\r\nOK\r\n");
    h.expect(b"\r\n+QIOPEN: 0,0\r\n", w).unwrap();
    let mut rx = Checker::new("socket 0 (push)".into(), 1, Kind::Plain, n);
    let (mut asked, mut sent_at, mut pushed_since) = (false, None::<Instant>, 0u64);
    let deadline = Instant::now() + Duration::from_secs(60);
    let push_head: &[u8] = b"\r\n+QIURC: \"recv\",0,";
    let (prompt, send_ok, recv1): (&[u8], &[u8], &[u8]) =
        (b"\r\n> ", b"\r\nSEND OK\r\n", b"\r\n+QIURC: \"recv\",1\r\n");
    loop {
        assert!(Instant::now() < deadline, "socket 0's stream did not move: {}", show(&h.pending, 200));
        if let Some(t) = sent_at.filter(|t| t.elapsed() > Duration::from_secs(3)) {
            // Is the answer in the module? Ask for it.
            let waited = t.elapsed();
            let answered = server.live[1].tx.load(std::sync::atomic::Ordering::SeqCst);
            h.send(b"AT+QIRD=1,1500\r");
            let later = h.read_for(Duration::from_millis(1500));
            let held = support::find(&later, b"\r\n+QIRD: 10\r\n").is_some();
            panic!(
                "socket 1's server sent its {answered} bytes right after SEND OK, yet no `+QIURC: \"recv\",1` within {waited:?}; meanwhile {pushed_since} bytes of socket 0 were pushed ({} of {n} in all); AT+QIRD=1,1500 then {}",
                rx.got,
                if held { "returned the 10 bytes: the module held them unannounced" } else { "did not return them" }
            );
        }
        // A host that reads about 400 KB/s: socket 0's buffer never runs dry.
        std::thread::sleep(Duration::from_millis(20));
        h.tty.read_some(&mut h.pending, 8192);
        loop {
            let b = &h.pending;
            if let Some(rest) = b.strip_prefix(push_head) {
                let Some(eol) = rest.windows(2).position(|x| x == b"\r\n") else { break };
                let len: usize = std::str::from_utf8(&rest[..eol]).unwrap().parse().unwrap();
                let start = push_head.len() + eol + 2;
                if b.len() < start + len {
                    break;
                }
                let data = b[start..start + len].to_vec();
                h.pending.drain(..start + len);
                rx.feed(&data);
                assert!(rx.problem.is_none(), "{:?}", rx.problem);
                if sent_at.is_some() {
                    pushed_since += len as u64;
                }
                if !asked && rx.got >= MIB {
                    // One byte to socket 1; its prompt and SEND OK may come after frames of
                    // socket 0 already on their way.
                    h.send(b"AT+QISEND=1,1\r");
                    asked = true;
                }
            } else if b.starts_with(prompt) {
                h.pending.drain(..prompt.len());
                h.send(b"x");
            } else if b.starts_with(send_ok) {
                h.pending.drain(..send_ok.len());
                sent_at = Some(Instant::now());
            } else if b.starts_with(recv1) {
                eprintln!(
                    "recv URC after {:?}, {pushed_since} bytes of socket 0 pushed meanwhile",
                    sent_at.map(|t| t.elapsed())
                );
                return;
            } else if [push_head, prompt, send_ok, recv1].iter().any(|k| k.starts_with(b)) {
                break;
            } else {
                panic!("unexpected output {}", show(b, 200));
            }
        }
    }
}

/// Found by the soak (`socket N: 1312 bytes never came back within 30s` on UDP sockets): a
/// `receive_stall` with `ms` on a UDP socket never ends by itself. A UDP echo, push mode,
/// `receive_stall` of 300 ms, then one datagram: its echo is due about 300 ms later. On failure
/// the test clears the stall (`receive_stall` `ms` 0) to show the datagram was held by it.
#[test]
fn a_timed_receive_stall_on_a_udp_socket_ends_by_itself() {
    let mut echo = Spec::new(0, 0, Kind::Plain);
    echo.proto = Proto::Udp;
    let server = Server::start(vec![echo]);
    let ctl = std::env::temp_dir().join(format!("qsslsim-integrity-udp-stall-{}.ctl", std::process::id()));
    let daemon = daemon(&["--control", ctl.to_str().unwrap()]);
    let mut h = host_for(&daemon, 14);
    let w = Duration::from_secs(10);
    h.transact(&Proto::Udp.open_cmd(0, server.ports[0], 1), b"\r\nOK\r\n");
    h.expect(b"\r\n+QIOPEN: 0,0\r\n", w).unwrap();
    integrity_peer::ctl_fault(&ctl, r#"{"kind":"receive_stall","socket":0,"ms":300}"#).unwrap();
    h.transact("AT+QISEND=0,5\r", b"\r\n> ");
    h.send(b"hello");
    h.expect(b"\r\nSEND OK\r\n", w).unwrap();
    let echo = h.read_for(Duration::from_secs(3));
    let cleared = if echo.is_empty() {
        integrity_peer::ctl_fault(&ctl, r#"{"kind":"receive_stall","socket":0,"ms":0}"#).unwrap();
        h.read_for(Duration::from_secs(1))
    } else {
        Vec::new()
    };
    h.transact("AT+QICLOSE=0\r", b"\r\nOK\r\n");
    let _ = std::fs::remove_file(&ctl);
    assert_eq!(
        show(&echo, 200),
        show(b"\r\n+QIURC: \"recv\",0,5\r\nhello", 200),
        "a 300 ms receive_stall on UDP socket 0, then `hello` (SEND OK; the server echoed {} bytes): nothing within 3 s; after clearing the stall with ms 0: {}",
        server.live[0].tx.load(std::sync::atomic::Ordering::SeqCst),
        show(&cleared, 200)
    );
}
