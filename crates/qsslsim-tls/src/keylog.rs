//! The TLS key log (`--keylog FILE`, or `SSLKEYLOGFILE`): the session secrets of every
//! connection the module makes, whichever engine makes it, as NSS key-log lines
//! (`CLIENT_RANDOM <client random> <master secret>` for TLS 1.2 and below, the
//! `*_TRAFFIC_SECRET*` and `EXPORTER_SECRET` lines for TLS 1.3), the format Wireshark and
//! tshark read to decrypt a capture.
//!
//! One [`KeyLogWriter`] per process, [`install`]ed once at startup; the rustls configurations
//! ([`crate::ContextTls::prepare`]) and the OpenSSL contexts ([`crate::legacy`]) pick it up
//! with [`installed`]. The file is created with mode 0600 (it holds secrets) and appended
//! to, one whole line per write, so lines of parallel handshakes never interleave and a
//! reader sees each line as soon as it is written.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Appends NSS key-log lines to one file.
#[derive(Debug)]
pub struct KeyLogWriter {
    path: PathBuf,
    file: Mutex<File>,
    /// A write already failed (logged once, not at every line).
    failed: AtomicBool,
}

impl KeyLogWriter {
    /// Opens `path` for appending, creating it with mode 0600. An existing file keeps its
    /// mode; a warning is logged when others may read it. Only a regular file is taken: lines
    /// are written by the handshakes themselves, which a FIFO nobody reads (or a device)
    /// would hold up, and opening such a FIFO would not even return.
    pub fn open(path: &Path) -> io::Result<KeyLogWriter> {
        let regular = |meta: std::fs::Metadata| {
            if meta.is_file() {
                Ok(meta)
            } else {
                Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"))
            }
        };
        match std::fs::metadata(path) {
            Ok(meta) => {
                regular(meta)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let file = OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
        let mode = regular(file.metadata()?)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                "TLS key log {} is readable by others (mode {:o}): it holds session secrets",
                path.display(),
                mode & 0o777
            );
        }
        Ok(KeyLogWriter { path: path.to_path_buf(), file: Mutex::new(file), failed: AtomicBool::new(false) })
    }

    /// Where the lines go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line (`line` without its newline), in one write.
    pub fn write_line(&self, line: &str) {
        let mut bytes = String::with_capacity(line.len() + 1);
        bytes.push_str(line);
        bytes.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = file.write_all(bytes.as_bytes()).and_then(|()| file.flush()) {
            if !self.failed.swap(true, Ordering::Relaxed) {
                tracing::warn!(path = %self.path.display(), "cannot write the TLS key log: {e}");
            }
        }
    }

    /// Appends `<label> <client random> <secret>`, both in lower-case hex.
    pub fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.write_line(&format_line(label, client_random, secret));
    }
}

/// One NSS key-log line, without its newline.
pub fn format_line(label: &str, client_random: &[u8], secret: &[u8]) -> String {
    let mut line = String::with_capacity(label.len() + 2 + 2 * (client_random.len() + secret.len()));
    line.push_str(label);
    for part in [client_random, secret] {
        line.push(' ');
        for b in part {
            let _ = write!(line, "{b:02x}");
        }
    }
    line
}

/// rustls hands every secret of a handshake to this (the client side, and `qsslsim peer`).
#[derive(Debug)]
pub struct RustlsKeyLog(pub Arc<KeyLogWriter>);

impl rustls::KeyLog for RustlsKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        self.0.log(label, client_random, secret);
    }
}

static INSTALLED: OnceLock<Arc<KeyLogWriter>> = OnceLock::new();

/// Makes `writer` the key log of every connection made from now on. Once per process: a
/// second call returns the writer already installed, as an error.
pub fn install(writer: KeyLogWriter) -> Result<Arc<KeyLogWriter>, Arc<KeyLogWriter>> {
    let writer = Arc::new(writer);
    match INSTALLED.set(writer.clone()) {
        Ok(()) => {
            tracing::info!(
                path = %writer.path.display(),
                "TLS key log: the secrets of every TLS session go to {} (NSS key-log format)",
                writer.path.display()
            );
            Ok(writer)
        }
        Err(_) => Err(INSTALLED.get().cloned().expect("set failed, so it is set")),
    }
}

/// The installed key log, if any.
pub fn installed() -> Option<Arc<KeyLogWriter>> {
    INSTALLED.get().cloned()
}

/// The installed key log as rustls takes it.
pub(crate) fn for_rustls() -> Option<Arc<dyn rustls::KeyLog>> {
    installed().map(|w| Arc::new(RustlsKeyLog(w)) as Arc<dyn rustls::KeyLog>)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("qsslsim-keylog-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn lines_are_label_and_lower_case_hex() {
        assert_eq!(
            format_line("CLIENT_RANDOM", &[0x00, 0xAB], &[0x0F, 0xFF, 0x10]),
            "CLIENT_RANDOM 00ab 0fff10"
        );
    }

    #[test]
    fn a_new_file_is_private_and_lines_are_appended() {
        let path = temp("append");
        let w = KeyLogWriter::open(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        w.log("CLIENT_RANDOM", &[1], &[2]);
        drop(w);
        let w = KeyLogWriter::open(&path).unwrap();
        w.write_line("SERVER_TRAFFIC_SECRET_0 03 04");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "CLIENT_RANDOM 01 02\nSERVER_TRAFFIC_SECRET_0 03 04\n"
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn an_unopenable_path_is_an_error() {
        let dir = temp("no-such-dir");
        let e = KeyLogWriter::open(&dir.join("keys.log")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn only_a_regular_file_is_taken() {
        let e = KeyLogWriter::open(&std::env::temp_dir()).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file");
        // A FIFO nobody reads: refused at once, where opening it would block.
        let fifo = temp("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            assert_eq!(KeyLogWriter::open(&fifo).unwrap_err().to_string(), "not a regular file");
            let _ = std::fs::remove_file(&fifo);
        }
    }
}
