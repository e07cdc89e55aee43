//! The first hour with qsslsim (issue 13): what `-v` says that a newcomer needed — the
//! connections a shutdown drops, and a warning when two programs share the pty (each would
//! silently get part of the output).

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::{Peer, Port};

/// The daemon at `-v`, its stderr read line by line on a thread.
struct Verbose {
    child: Child,
    pty: std::path::PathBuf,
    log: mpsc::Receiver<String>,
}

impl Verbose {
    fn start() -> Verbose {
        let mut child = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(["-v"])
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let pty = line.strip_prefix("READY ").unwrap_or_else(|| panic!("{line:?}")).trim().into();
        let (tx, log) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Verbose { child, pty, log }
    }

    /// The first log line containing every needle, within `wait`.
    fn wait_for(&self, needles: &[&str], wait: Duration) -> String {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) if needles.iter().all(|n| line.contains(n)) => return line,
                Ok(_) => {}
                Err(_) => panic!("no log line with {needles:?} within {wait:?}"),
            }
        }
    }
}

impl Drop for Verbose {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn shutdown_logs_each_dropped_connection() {
    let peer = Peer::start("echo");
    let d = Verbose::start();
    let mut p = Port::open(&d.pty);
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    p.transact(&format!("AT+QSSLOPEN=1,1,3,\"127.0.0.1\",{},0\r", peer.addr.port()), "\r\nOK\r\n");
    p.expect(b"\r\n+QSSLOPEN: 3,0\r\n");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(d.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let line = d.wait_for(&["INFO", "shutdown: closing socket 3"], Duration::from_secs(10));
    assert!(line.contains("connected"), "{line}");
}

#[test]
fn a_second_program_on_the_pty_is_warned_about_with_both_pids() {
    let d = Verbose::start();
    let holder = |_: u8| {
        Command::new("sleep")
            .arg("30")
            .stdin(std::fs::File::open(&d.pty).unwrap())
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = holder(1);
    std::thread::sleep(Duration::from_millis(1500));
    let mut second = holder(2);
    let line = d.wait_for(&["WARN", "2 processes have the pty open"], Duration::from_secs(10));
    assert!(line.contains(&first.id().to_string()) && line.contains(&second.id().to_string()), "{line}");
    for c in [&mut first, &mut second] {
        let _ = c.kill();
        let _ = c.wait();
    }
}
