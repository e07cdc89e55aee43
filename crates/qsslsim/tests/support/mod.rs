//! Test support: start the real `qsslsim` binary, wait for its `READY` line, and talk to the
//! pty the way pyserial does (O_NOCTTY, raw termios, reads with a timeout), asserting on
//! exact bytes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{open, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::stat::Mode;
use nix::sys::termios::{self, SetArg};

/// A running daemon.
pub struct Daemon {
    pub child: Child,
    pub pty: PathBuf,
    _stdout: BufReader<ChildStdout>,
}

impl Daemon {
    pub fn start(args: &[&str]) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn qsslsim");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).expect("READY line");
        let path = line.strip_prefix("READY ").unwrap_or_else(|| panic!("first line {line:?}")).trim();
        Daemon { pty: PathBuf::from(path), child, _stdout: stdout }
    }

    pub fn port(&self) -> Port {
        Port::open(&self.pty)
    }

    /// SIGTERM and wait; returns the exit status code.
    pub fn stop(mut self) -> Option<i32> {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "daemon did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The host's end of the serial port.
pub struct Port {
    fd: OwnedFd,
    /// Bytes read but not yet matched.
    pub pending: Vec<u8>,
}

impl Port {
    pub fn open(path: &Path) -> Port {
        let raw =
            open(path, OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK, Mode::empty()).expect("open pty");
        // SAFETY: `open` just returned this descriptor and nothing else owns it.
        let fd = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) };
        let mut tio = termios::tcgetattr(&fd).unwrap();
        termios::cfmakeraw(&mut tio);
        termios::tcsetattr(&fd, SetArg::TCSANOW, &tio).unwrap();
        Port { fd, pending: Vec::new() }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        let mut off = 0;
        while off < bytes.len() {
            match nix::unistd::write(&self.fd, &bytes[off..]) {
                Ok(n) => off += n,
                Err(nix::errno::Errno::EAGAIN) => {
                    let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLOUT)];
                    let _ = poll(&mut fds, PollTimeout::from(100u16));
                }
                Err(e) => panic!("write: {e}"),
            }
        }
    }

    /// Send one byte at a time.
    pub fn send_bytewise(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.send(std::slice::from_ref(b));
        }
    }

    /// Read whatever arrives within `wait`.
    pub fn read_for(&mut self, wait: Duration) -> Vec<u8> {
        let deadline = Instant::now() + wait;
        loop {
            self.fill(deadline);
            if Instant::now() >= deadline {
                return std::mem::take(&mut self.pending);
            }
        }
    }

    fn fill(&mut self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        let ms = left.as_millis().min(u16::MAX as u128) as u16;
        if poll(&mut fds, PollTimeout::from(ms)).unwrap_or(0) == 0 {
            return false;
        }
        let mut buf = [0u8; 65536];
        match nix::unistd::read(self.fd.as_raw_fd(), &mut buf) {
            Ok(n) if n > 0 => {
                self.pending.extend_from_slice(&buf[..n]);
                true
            }
            _ => false,
        }
    }

    /// Read until `n` bytes are pending (or time out), then take them.
    pub fn take(&mut self, n: usize, wait: Duration) -> Vec<u8> {
        let deadline = Instant::now() + wait;
        while self.pending.len() < n && Instant::now() < deadline {
            self.fill(deadline);
        }
        let n = n.min(self.pending.len());
        self.pending.drain(..n).collect()
    }

    /// Assert that exactly `expected` comes next.
    #[track_caller]
    pub fn expect(&mut self, expected: &[u8]) {
        let got = self.take(expected.len(), Duration::from_secs(10));
        assert_eq!(show(&got), show(expected));
    }

    /// Read until `needle` has arrived; returns everything up to and including it.
    #[track_caller]
    pub fn read_until(&mut self, needle: &[u8], wait: Duration) -> Vec<u8> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(pos) = find(&self.pending, needle) {
                return self.pending.drain(..pos + needle.len()).collect();
            }
            if Instant::now() >= deadline {
                panic!("{} never arrived; got {}", show(needle), show(&self.pending));
            }
            self.fill(deadline);
        }
    }

    /// Send a command line and assert the exact reply (including the echo if on).
    #[track_caller]
    pub fn transact(&mut self, send: &str, expected: &str) {
        self.send(send.as_bytes());
        self.expect(expected.as_bytes());
    }

    /// Read like a slow host: at most `chunk` bytes every `every`, until `needle` has arrived
    /// (counting only bytes read from now on) or `limit` passes. Returns how long it took
    /// (`None`: not within `limit`) and how many bytes were read meanwhile, up to the needle.
    pub fn read_paced_until(
        &mut self,
        chunk: usize,
        every: Duration,
        needle: Option<&[u8]>,
        limit: Duration,
    ) -> (Option<Duration>, usize) {
        let t0 = Instant::now();
        let mut seen: Vec<u8> = std::mem::take(&mut self.pending);
        let mut total = 0;
        let mut buf = vec![0u8; chunk];
        while t0.elapsed() < limit {
            std::thread::sleep(every);
            let n = match nix::unistd::read(self.fd.as_raw_fd(), &mut buf) {
                Ok(n) => n,
                Err(nix::errno::Errno::EAGAIN) => 0,
                Err(e) => panic!("read: {e}"),
            };
            total += n;
            if let Some(needle) = needle {
                seen.extend_from_slice(&buf[..n]);
                if let Some(pos) = find(&seen, needle) {
                    self.pending.extend_from_slice(&seen[pos + needle.len()..]);
                    return (Some(t0.elapsed()), total - (seen.len() - pos - needle.len()));
                }
                let keep = seen.len().saturating_sub(needle.len());
                seen.drain(..keep);
            }
        }
        (None, total)
    }

    /// Assert nothing else arrives within `wait`.
    #[track_caller]
    pub fn expect_quiet(&mut self, wait: Duration) {
        let extra = self.read_for(wait);
        assert!(extra.is_empty(), "unexpected bytes: {}", show(&extra));
    }
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Bytes as escaped text for readable assertion failures.
pub fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// Read a whole file (e.g. /proc status) as text.
pub fn read_text(path: impl AsRef<Path>) -> String {
    let mut s = String::new();
    std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut s)).unwrap_or_default();
    s
}
pub mod inproc;

/// The built-in TLS peer as a child process (`qsslsim peer`).
pub struct Peer {
    pub child: Child,
    pub addr: std::net::SocketAddr,
}

impl Peer {
    pub fn start(mode: &str) -> Peer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(["peer", "--listen", "127.0.0.1:0", "--mode", mode])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn peer");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).expect("LISTENING line");
        let addr = line.strip_prefix("LISTENING ").unwrap_or_else(|| panic!("peer said {line:?}")).trim();
        Peer { addr: addr.parse().unwrap(), child }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
