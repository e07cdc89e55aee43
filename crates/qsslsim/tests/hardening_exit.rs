//! Every way out of the daemon removes the link and the control socket, and a reader of its
//! stdout or stderr going away never kills it: a closed stdout (`qsslsim --demo | true`), a
//! closed stderr under `-v` (`2>&1 | tee log` then Ctrl+C), SIGHUP, an error after the link
//! was made, a panic on the main thread.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("qsslsim-hardening-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// A child process that is killed if the test panics.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    fn signal(&self, sig: Signal) {
        kill(Pid::from_raw(self.0.id() as i32), sig).unwrap();
    }

    /// The exit code (None: killed by a signal), within `secs`.
    fn exit_code(&mut self, secs: u64) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the daemon did not exit within {secs} s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The write end of a pipe whose read end is already closed: every write fails with EPIPE.
fn closed_pipe() -> Stdio {
    let (read, write) = nix::unistd::pipe().unwrap();
    drop(read);
    Stdio::from(write)
}

/// Wait until the control socket answers `state` (the daemon is up and past its banner).
fn wait_for_control(control: &Path, child: &mut Proc) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut s) = UnixStream::connect(control) {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(b"{\"verb\":\"state\"}\n").unwrap();
            let mut line = String::new();
            if BufReader::new(s).read_line(&mut line).is_ok() && line.starts_with(r#"{"ok":true"#) {
                return;
            }
        }
        if let Some(status) = child.0.try_wait().unwrap() {
            panic!("the daemon exited early: {status}");
        }
        assert!(Instant::now() < deadline, "the control socket never answered");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_gone(paths: &[&Path]) {
    for p in paths {
        assert!(std::fs::symlink_metadata(p).is_err(), "{} was left behind", p.display());
    }
}

fn daemon(args: &[&str], stdout: Stdio, stderr: Stdio) -> Proc {
    Proc(
        Command::new(env!("CARGO_BIN_EXE_qsslsim")).args(args).stdout(stdout).stderr(stderr).spawn().unwrap(),
    )
}

/// `qsslsim --demo --link X | true` exited 101 ("failed printing to stdout: Broken pipe") and
/// left the link.
#[test]
fn a_closed_stdout_neither_kills_the_daemon_nor_leaves_its_files() {
    let (link, control) = (tmp("out.pty"), tmp("out.sock"));
    let mut d = daemon(
        &["--demo", "--link", link.to_str().unwrap(), "--control", control.to_str().unwrap()],
        closed_pipe(),
        Stdio::null(),
    );
    wait_for_control(&control, &mut d);
    // The banner and the demo text have been written into the closed pipe by now; the daemon
    // still serves.
    std::thread::sleep(Duration::from_millis(200));
    wait_for_control(&control, &mut d);
    assert!(std::fs::read_link(&link).unwrap().starts_with("/dev/pts/"));
    d.signal(Signal::SIGTERM);
    assert_eq!(d.exit_code(20), Some(0));
    assert_gone(&[&link, &control]);
}

/// `qsslsim -v ... 2>&1 | tee log`, then Ctrl+C: the logger's EPIPE turned SIGINT into exit
/// 101 with the link and the control socket left behind.
#[test]
fn a_closed_stderr_under_verbose_logging_neither_kills_the_daemon_nor_leaves_its_files() {
    let (link, control) = (tmp("err.pty"), tmp("err.sock"));
    let mut d = daemon(
        &["-vv", "--link", link.to_str().unwrap(), "--control", control.to_str().unwrap()],
        Stdio::null(),
        closed_pipe(),
    );
    wait_for_control(&control, &mut d);
    std::thread::sleep(Duration::from_millis(200));
    wait_for_control(&control, &mut d);
    d.signal(Signal::SIGINT);
    assert_eq!(d.exit_code(20), Some(0));
    assert_gone(&[&link, &control]);
}

/// SIGHUP (the terminal the daemon ran in closed) killed it with its files left behind.
#[test]
fn sighup_shuts_down_cleanly() {
    let (link, control) = (tmp("hup.pty"), tmp("hup.sock"));
    let mut d = daemon(
        &["--link", link.to_str().unwrap(), "--control", control.to_str().unwrap()],
        Stdio::null(),
        Stdio::null(),
    );
    wait_for_control(&control, &mut d);
    d.signal(Signal::SIGHUP);
    assert_eq!(d.exit_code(20), Some(0));
    assert_gone(&[&link, &control]);
}

/// A failure after the link was made (here: the control socket's directory does not exist)
/// returned 1 and left the link.
#[test]
fn an_error_after_the_link_was_made_leaves_nothing() {
    let link = tmp("late.pty");
    let control = tmp("no-such-dir").join("control.sock");
    let mut d = daemon(
        &["--link", link.to_str().unwrap(), "--control", control.to_str().unwrap()],
        Stdio::null(),
        Stdio::null(),
    );
    assert_eq!(d.exit_code(20), Some(1));
    assert_gone(&[&link, &link.with_file_name("late.pty.lock")]);
}

/// A panic on the main thread (debug builds can be told to panic after READY) ends the process
/// with 101, and the link, its lock and the control socket are removed on the way.
#[test]
fn a_panic_on_the_main_thread_removes_the_link_and_the_socket() {
    let (link, control) = (tmp("panic.pty"), tmp("panic.sock"));
    let mut d = Proc(
        Command::new(env!("CARGO_BIN_EXE_qsslsim"))
            .args(["--link", link.to_str().unwrap(), "--control", control.to_str().unwrap()])
            .env("QSSLSIM_TEST_PANIC_AFTER_READY", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut ready = String::new();
    BufReader::new(d.0.stdout.take().unwrap()).read_line(&mut ready).unwrap();
    assert!(ready.starts_with("READY /dev/pts/"), "{ready:?}");
    assert_eq!(d.exit_code(20), Some(101));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut d.0.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("QSSLSIM_TEST_PANIC_AFTER_READY"), "{err}");
    assert_gone(&[&link, &control, &link.with_file_name("panic.pty.lock")]);
}
