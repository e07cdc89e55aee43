//! The control socket's accept loop when the process is out of file descriptors: it reports
//! the failure and backs off (doubling up to a second) instead of retrying at once in a loop
//! (the old loop spun at 120 % CPU), and serves the waiting client once descriptors are back.
//! A file of its own: it lowers this test process's descriptor limit.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Log lines, captured from every thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn count(&self, needle: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap()).matches(needle).count()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_failures_back_off_and_the_client_is_served_later() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .init();
    let path = std::env::temp_dir().join(format!("qsslsim-hardening-{}-accept.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    let _task = qsslsim::control::listen(&path, qsslsim::runtime::ControlHandle { tx }).unwrap();

    // A low descriptor limit, then use up every descriptor but one, which the client takes:
    // the daemon side's accept has none left.
    // SAFETY: plain libc calls on this process's own limits and descriptors.
    let mut limit = nix::libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    assert_eq!(unsafe { nix::libc::getrlimit(nix::libc::RLIMIT_NOFILE, &mut limit) }, 0);
    let low = nix::libc::rlimit { rlim_cur: 256.min(limit.rlim_max), rlim_max: limit.rlim_max };
    assert_eq!(unsafe { nix::libc::setrlimit(nix::libc::RLIMIT_NOFILE, &low) }, 0);
    let mut hog = Vec::new();
    while let Ok(f) = std::fs::File::open("/dev/null") {
        hog.push(f);
    }
    drop(hog.pop());
    let client = UnixStream::connect(&path).expect("connect with the last descriptor");

    tokio::time::sleep(Duration::from_millis(700)).await;
    let failures = log.count("control socket: accept failed");
    // Retries at 0, 1, 3, 7, 15, ..., 511 ms: about ten in 0.7 s, however fast the machine.
    assert!(failures >= 1, "a failing accept is reported");
    assert!(failures <= 12, "{failures} accept failures logged in 0.7 s: not backing off");

    // Descriptors are back: the waiting client is accepted (within the current pause, <= 1 s)
    // and served.
    drop(hog);
    client.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    (&client).write_all(b"garbage\n").unwrap();
    let mut line = String::new();
    BufReader::new(&client).read_line(&mut line).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["error"].as_str().unwrap().starts_with("bad request"), "{line:?}");
    let _ = std::fs::remove_file(&path);
}
