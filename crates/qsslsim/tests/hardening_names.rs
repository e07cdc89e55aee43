//! `--link` and `--control` never destroy what is not theirs: a file, a directory or someone
//! else's symlink is refused; a live daemon's link or socket is refused unless `--force`; a
//! stale link or socket is replaced; on exit a daemon removes only what is still its own.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::Daemon;

fn tmp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("qsslsim-hardening-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// Run a daemon that is expected to refuse to start: its output, within 20 s.
fn refused(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qsslsim"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the daemon started instead of refusing {args:?}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn answers(control: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(control) else { return false };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"{\"verb\":\"state\"}\n").unwrap();
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).is_ok() && line.starts_with(r#"{"ok":true"#)
}

/// `--link FILE` and `--control FILE` deleted whatever was at FILE.
#[test]
fn files_directories_and_foreign_symlinks_are_never_replaced() {
    let file = tmp("precious.txt");
    std::fs::write(&file, "do not delete\n").unwrap();
    for flag in ["--link", "--control"] {
        let out = refused(&[flag, file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{flag}: {}", stderr(&out));
        assert!(stderr(&out).contains("regular file is there; refusing to replace it"), "{}", stderr(&out));
        assert!(out.stdout.is_empty(), "no READY");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "do not delete\n");
    }
    let dir = tmp("precious-dir");
    let _ = std::fs::create_dir(&dir);
    let out = refused(&["--link", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("directory is there"), "{}", stderr(&out));
    assert!(dir.is_dir());
    let foreign = tmp("foreign.pty");
    std::os::unix::fs::symlink(&file, &foreign).unwrap();
    let out = refused(&["--link", foreign.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not one qsslsim made"), "{}", stderr(&out));
    assert_eq!(std::fs::read_link(&foreign).unwrap(), file);
    // --force takes over qsslsim's names only, never a file.
    let out = refused(&["--force", "--link", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "do not delete\n");
    // Nothing left over from the refusals (the lock file next to the link is removed too).
    assert!(!tmp("precious.txt.lock").exists() && !tmp("foreign.pty.lock").exists());
    let _ = std::fs::remove_dir(&dir);
}

/// A second daemon given a live daemon's `--link` or `--control` took it over silently and,
/// on exit, removed it while the first still ran.
#[test]
fn a_live_daemons_link_and_socket_are_refused_unless_forced() {
    let (link, control) = (tmp("live.pty"), tmp("live.sock"));
    let first = Daemon::start(&["--link", link.to_str().unwrap(), "--control", control.to_str().unwrap()]);
    assert_eq!(std::fs::read_link(&link).unwrap(), first.pty);

    let out = refused(&["--link", link.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("in use by a running qsslsim") && err.contains(&format!("pid {}", first.child.id())),
        "{err}"
    );
    let out = refused(&["--control", control.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("served by a running daemon"), "{}", stderr(&out));
    // The refusals touched nothing.
    assert_eq!(std::fs::read_link(&link).unwrap(), first.pty);
    assert!(answers(&control));

    // --force takes both over; the first daemon, stopping, leaves them to the second.
    let second =
        Daemon::start(&["--force", "--link", link.to_str().unwrap(), "--control", control.to_str().unwrap()]);
    assert_eq!(std::fs::read_link(&link).unwrap(), second.pty);
    assert_eq!(first.stop(), Some(0));
    assert_eq!(std::fs::read_link(&link).unwrap(), second.pty);
    assert!(answers(&control), "the second daemon's socket survives the first one's exit");
    let mut p = second.port();
    p.transact("AT\r", "AT\r\r\nOK\r\n");
    drop(p);
    assert_eq!(second.stop(), Some(0));
    assert!(std::fs::symlink_metadata(&link).is_err());
    assert!(std::fs::symlink_metadata(&control).is_err());
    assert!(std::fs::symlink_metadata(tmp("live.pty.lock")).is_err());
}

/// What a crashed daemon leaves (a symlink to a pty that no longer exists, a socket nobody
/// listens on, a lock file nobody holds) is replaced without `--force`.
#[test]
fn a_dead_daemons_link_socket_and_lock_are_replaced() {
    let (link, control) = (tmp("stale.pty"), tmp("stale.sock"));
    std::os::unix::fs::symlink("/dev/pts/999999", &link).unwrap();
    drop(UnixListener::bind(&control).unwrap());
    std::fs::write(tmp("stale.pty.lock"), "qsslsim 999999\n").unwrap();
    let d = Daemon::start(&["--link", link.to_str().unwrap(), "--control", control.to_str().unwrap()]);
    assert_eq!(std::fs::read_link(&link).unwrap(), d.pty);
    assert!(answers(&control));
    assert_eq!(d.stop(), Some(0));
    assert!(std::fs::symlink_metadata(&link).is_err());
    assert!(std::fs::symlink_metadata(&control).is_err());
}
