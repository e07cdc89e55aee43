//! `--keylog FILE` and `SSLKEYLOGFILE` through the real daemon: every `AT+QSSLOPEN`, on either
//! TLS engine, appends the NSS key-log line of its session, exactly the line the built-in peer
//! (`qsslsim peer --keylog`) derived on the server side; the flag wins over the variable; a
//! file that cannot be opened, or is no regular file, stops the daemon before `READY` (policy
//! `keylog-open`). With `tshark` installed, a capture of one session on `lo` is decrypted with
//! the file.

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use support::Port;

const OK: &str = "\r\nOK\r\n";

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("keylog-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A child `qsslsim` (daemon or peer) and the first line it printed.
struct Proc {
    child: Child,
    first: String,
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `qsslsim <args>` with `SSLKEYLOGFILE` set to `env` (or removed) and reads its first
/// line from stdout.
fn spawn(args: &[&str], env: Option<&Path>) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qsslsim"));
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::inherit());
    match env {
        Some(path) => cmd.env("SSLKEYLOGFILE", path),
        None => cmd.env_remove("SSLKEYLOGFILE"),
    };
    let mut child = cmd.spawn().expect("spawn qsslsim");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    Proc { child, first: first.trim_end().to_string(), _stdout: stdout }
}

/// The built-in echo peer on 127.0.0.1, logging its own secrets to `keylog` if given.
fn peer(keylog: Option<&Path>) -> (Proc, u16) {
    let mut args = vec!["peer", "--listen", "127.0.0.1:0"];
    let keylog = keylog.map(|p| p.to_str().unwrap().to_string());
    if let Some(k) = &keylog {
        args.extend(["--keylog", k]);
    }
    let p = spawn(&args, None);
    let port = p
        .first
        .strip_prefix("LISTENING 127.0.0.1:")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("peer said {:?}", p.first));
    (p, port)
}

/// The daemon with `args`, its port with echo off and PDP context 1 active.
fn daemon(args: &[&str], env: Option<&Path>) -> (Proc, Port) {
    let d = spawn(args, env);
    let pty = d.first.strip_prefix("READY ").unwrap_or_else(|| panic!("daemon said {:?}", d.first));
    let mut p = Port::open(Path::new(pty));
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", OK);
    (d, p)
}

/// Opens socket `id` on SSL context `ctx` to the peer (buffer mode), checks the exact
/// `+QSSLOPEN: <id>,0`, and closes it again.
#[track_caller]
fn open_and_close(p: &mut Port, ctx: u8, id: u8, port: u16) {
    p.transact(&format!("AT+QSSLOPEN=1,{ctx},{id},\"127.0.0.1\",{port},0\r"), OK);
    p.expect(format!("\r\n+QSSLOPEN: {id},0\r\n").as_bytes());
    p.transact(&format!("AT+QSSLCLOSE={id}\r"), OK);
}

/// The file's lines once it has at least `n` of them (a few seconds at most).
#[track_caller]
fn lines(path: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= n || Instant::now() > deadline {
            assert!(
                text.is_empty() || text.ends_with('\n'),
                "a partial line in {}: {text:?}",
                path.display()
            );
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asserts `CLIENT_RANDOM <32 bytes hex> <48 bytes hex>` (TLS 1.2: the master secret) and
/// returns the client random.
#[track_caller]
fn client_random(line: &str) -> String {
    let parts: Vec<&str> = line.split(' ').collect();
    let hex =
        |s: &str, n: usize| s.len() == 2 * n && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
    assert!(parts.len() == 3 && parts[0] == "CLIENT_RANDOM", "{line}");
    assert!(hex(parts[1], 32) && hex(parts[2], 48), "{line}");
    parts[1].to_string()
}

/// SSL context 1 as the factory leaves it (all versions, `0XFFFF`: the OpenSSL engine when
/// built with `legacy-tls`) and context 2 with what rustls honours (TLS 1.2, `0XC02F`).
fn configure_rustls_context(p: &mut Port) {
    p.transact("AT+QSSLCFG=\"sslversion\",2,3\r", OK);
    p.transact("AT+QSSLCFG=\"ciphersuite\",2,0XC02F\r", OK);
}

#[test]
fn every_open_on_either_engine_logs_the_line_the_peer_derived() {
    let dir = scratch("engines");
    let (client_log, server_log) = (dir.join("client.keys"), dir.join("server.keys"));
    let (_peer, port) = peer(Some(&server_log));
    let (_d, mut p) = daemon(&["--keylog", client_log.to_str().unwrap()], None);
    configure_rustls_context(&mut p);
    open_and_close(&mut p, 1, 0, port);
    open_and_close(&mut p, 2, 1, port);
    let client = lines(&client_log, 2);
    assert_eq!(client.len(), 2, "one line per TLS 1.2 session: {client:?}");
    let randoms: Vec<String> = client.iter().map(|l| client_random(l)).collect();
    assert_ne!(randoms[0], randoms[1]);
    // The server derived the very same secrets for the same client randoms.
    let mut server = lines(&server_log, 2);
    let mut sorted = client.clone();
    sorted.sort();
    server.sort();
    assert_eq!(sorted, server);
    for file in [&client_log, &server_log] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}

#[test]
fn sslkeylogfile_names_the_file_and_the_flag_wins_over_it() {
    let dir = scratch("env");
    let (env_log, flag_log) = (dir.join("env.keys"), dir.join("flag.keys"));
    let (_peer, port) = peer(None);
    {
        let (_d, mut p) = daemon(&[], Some(&env_log));
        open_and_close(&mut p, 1, 0, port);
        let logged = lines(&env_log, 1);
        assert_eq!(logged.len(), 1, "{logged:?}");
        client_random(&logged[0]);
    }
    std::fs::remove_file(&env_log).unwrap();
    let (_d, mut p) = daemon(&["--keylog", flag_log.to_str().unwrap()], Some(&env_log));
    open_and_close(&mut p, 1, 0, port);
    assert_eq!(lines(&flag_log, 1).len(), 1);
    assert!(!env_log.exists(), "SSLKEYLOGFILE is ignored when --keylog is given");
}

#[test]
fn an_unopenable_keylog_stops_the_daemon_before_ready() {
    let dir = scratch("unopenable");
    let fifo = dir.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for (path, cause) in [
        (dir.join("missing").join("keys.log"), "No such file or directory (os error 2)"),
        // A FIFO nobody reads would hold up the handshakes (and opening it would hang).
        (fifo, "not a regular file"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(["--keylog", path.to_str().unwrap()])
            .env_remove("SSLKEYLOGFILE")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", path.display());
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "no READY line");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("qsslsim: cannot open the TLS key log {}: {cause}\n", path.display())
        );
    }
}

/// Whether `tshark` runs here; prints why the test is skipped when it does not.
fn have_tshark(test: &str) -> bool {
    let ok = Command::new("tshark").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP {test}: tshark is not installed (apt-get install tshark)");
    }
    ok
}

/// `tshark -i lo` writing the packets of one TCP port to `file`, once it is seen to capture:
/// its "Capturing on" comes before packets really arrive, so plain TCP connections are made
/// to the port until tshark prints one (`None` when it cannot capture here, e.g. without the
/// right to).
fn capture(port: u16, file: &Path) -> Option<Child> {
    let mut child = Command::new("tshark")
        .args(["-i", "lo", "-f", &format!("tcp port {port}"), "-l", "-P", "-w"])
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for _ in stdout.lines().map_while(Result::ok) {
            let _ = tx.send(());
        }
    });
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        drop(std::net::TcpStream::connect(("127.0.0.1", port)));
        if rx.recv_timeout(Duration::from_millis(200)).is_ok() {
            return Some(child);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// The decrypted application data of `capture` as text, one record per line.
fn decrypted(capture: &Path, port: u16, keylog: Option<&Path>) -> String {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(capture).args(["-d", &format!("tcp.port=={port},tls")]);
    if let Some(k) = keylog {
        cmd.args(["-o", &format!("tls.keylog_file:{}", k.display())]);
    }
    cmd.args(["-o", "data.show_as_text:TRUE", "-Y", "data", "-T", "fields", "-e", "data.text"]);
    let out = cmd.stderr(Stdio::null()).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn tshark_decrypts_a_capture_with_the_key_log() {
    let test = "tshark_decrypts_a_capture_with_the_key_log";
    if !have_tshark(test) {
        return;
    }
    let dir = scratch("tshark");
    let (keys, pcap) = (dir.join("keys.log"), dir.join("lo.pcapng"));
    let (_peer, port) = peer(None);
    let Some(tshark) = capture(port, &pcap) else {
        eprintln!("SKIP {test}: tshark cannot capture on lo here (needs root or the capture capabilities)");
        return;
    };
    let (_d, mut p) = daemon(&["--keylog", keys.to_str().unwrap()], None);
    let text = "Hello through TLS!";
    p.transact(&format!("AT+QSSLOPEN=1,1,4,\"127.0.0.1\",{port},0\r"), OK);
    p.expect(b"\r\n+QSSLOPEN: 4,0\r\n");
    p.transact(&format!("AT+QSSLSEND=4,{}\r", text.len()), "\r\n> ");
    p.send(text.as_bytes());
    p.expect(b"\r\nSEND OK\r\n\r\n+QSSLURC: \"recv\",4\r\n");
    p.transact("AT+QSSLCLOSE=4\r", OK);
    // Let the last packets reach the file, then stop tshark as Ctrl+C would.
    std::thread::sleep(Duration::from_millis(500));
    let pid = nix::unistd::Pid::from_raw(tshark.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let mut tshark = tshark;
    tshark.wait().unwrap();
    // The message, once each way (the peer echoes it); nothing readable without the key log.
    assert_eq!(decrypted(&pcap, port, Some(&keys)), format!("{text}\n{text}\n"));
    assert_eq!(decrypted(&pcap, port, None), "");
}
