//! The control socket (`--control PATH`): a Unix socket, mode 0600, speaking JSON lines. Each
//! request line gets one reply line, `{"ok":true,...}` or `{"ok":false,"error":"..."}`; a
//! malformed request gets an error reply and the daemon carries on. `events` streams trace
//! records until the client goes away; a client that falls more than
//! [`crate::trace::SUBSCRIBER_BUFFER`] records behind gets `{"type":"lagged","lost":N}` and
//! the stream goes on.
//!
//! The socket is private from its first moment: it is bound inside a fresh mode-0700 directory
//! next to PATH, made 0600 there, and renamed into place, so nobody else can connect in
//! between (a umask would be process-wide, and `fchmod` before `bind` works only on Linux). At
//! most [`MAX_CLIENTS`] clients are served at once; one more gets an error line and is closed,
//! so clients cannot take the file descriptors the connections need. A failing `accept` (out
//! of descriptors) is retried after a pause that doubles up to [`ACCEPT_BACKOFF_MAX`], instead
//! of at once in a loop.
//!
//! Requests: `{"verb":"fault","fault":{"kind":"pdp_lost","ctx":1}}`,
//! `{"verb":"dtr","level":"low"}`, `{"verb":"clock","time":"2026-01-01T00:00:00Z"}` (or the
//! module's `yy/MM/dd,hh:mm:ss±zz`), `{"verb":"state"}`, `{"verb":"events"}`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use qsslsim_modem::Fault;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::Semaphore;
use tracing::{debug, warn};

use crate::trace::{json_line, Record, What};

use crate::runtime::ControlHandle;

#[derive(Debug, Deserialize)]
#[serde(tag = "verb", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    Fault { fault: Fault },
    Dtr { level: Level },
    Clock { time: String },
    Power { on: bool },
    // Empty struct variants (not unit) so that unknown fields are rejected.
    State {},
    Events {},
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    High,
}

/// Clients served at once.
pub const MAX_CLIENTS: usize = 16;
/// First pause after a failed `accept`; it doubles on each failure in a row.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(1);
/// Longest pause after failed `accept`s.
pub const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Bind the socket privately (mode 0600 from the start), put it at `path` (replacing what is
/// there: the caller has checked it is a stale socket or that it may take it over) and serve
/// it.
pub fn listen(path: &Path, control: ControlHandle) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = bind_private(path)?;
    Ok(tokio::spawn(serve(listener, control)))
}

/// Bind in a new 0700 directory beside `path`, chmod 0600 there, rename into place.
fn bind_private(path: &Path) -> std::io::Result<UnixListener> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = private_dir(parent)?;
    let inner = dir.join("s");
    let bound = std::os::unix::net::UnixListener::bind(&inner).and_then(|listener| {
        std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o600))?;
        std::fs::rename(&inner, path)?;
        Ok(listener)
    });
    let _ = std::fs::remove_file(&inner);
    let _ = std::fs::remove_dir(&dir);
    let listener = bound?;
    listener.set_nonblocking(true)?;
    UnixListener::from_std(listener)
}

/// A new directory in `parent` only we can enter (0700; the umask can only narrow it).
fn private_dir(parent: &Path) -> std::io::Result<std::path::PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let mut attempt = 0u32;
    loop {
        let dir =
            parent.join(format!(".qsslsim-{}-{:x}", std::process::id(), nanos.as_nanos() as u32 ^ attempt));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            other => return other.map(|()| dir),
        }
    }
}

async fn serve(listener: UnixListener, control: ControlHandle) {
    let slots = Arc::new(Semaphore::new(MAX_CLIENTS));
    let mut backoff = Duration::ZERO;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                backoff = Duration::ZERO;
                match slots.clone().try_acquire_owned() {
                    Ok(slot) => {
                        let control = control.clone();
                        tokio::spawn(async move {
                            client(stream, control).await;
                            drop(slot);
                        });
                    }
                    Err(_) => {
                        tokio::spawn(refuse(stream));
                    }
                }
            }
            Err(e) => {
                backoff = (backoff * 2).clamp(ACCEPT_BACKOFF_MIN, ACCEPT_BACKOFF_MAX);
                warn!(error = %e, retry_in = ?backoff, "control socket: accept failed");
                tokio::time::sleep(backoff).await;
            }
        }
    }
}

/// One client too many: say so and close.
async fn refuse(stream: UnixStream) {
    let (_, mut write) = stream.into_split();
    let error = format!("too many control clients ({MAX_CLIENTS} at once); try again later");
    let line = json!({ "ok": false, "error": error });
    let _ = tokio::time::timeout(Duration::from_secs(1), reply(&mut write, line)).await;
}

/// Longest request line; a longer one is answered with an error and the connection closed.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

async fn client(stream: UnixStream, control: ControlHandle) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut raw = Vec::new();
    loop {
        raw.clear();
        match (&mut reader).take(MAX_REQUEST_BYTES as u64 + 1).read_until(b'\n', &mut raw).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if raw.len() > MAX_REQUEST_BYTES && raw.last() != Some(&b'\n') {
            let error = format!("request longer than {MAX_REQUEST_BYTES} bytes");
            let _ = reply(&mut write, json!({ "ok": false, "error": error })).await;
            return;
        }
        let line = String::from_utf8_lossy(&raw);
        if line.trim().is_empty() {
            continue;
        }
        match answer(&line, &control).await {
            Answer::Reply(value) => {
                if reply(&mut write, value).await.is_err() {
                    return;
                }
            }
            Answer::Stream(records) => {
                if reply(&mut write, json!({ "ok": true })).await.is_ok() {
                    stream_records(records, &mut write).await;
                }
                return;
            }
        }
    }
}

/// `events`: every record until the client goes away or the daemon stops. A client that fell
/// behind by more than the broadcast buffer gets a `lagged` record (stamped like the record
/// after it) counting what it missed, and the stream goes on.
async fn stream_records(
    mut records: tokio::sync::broadcast::Receiver<Record>,
    write: &mut tokio::net::unix::OwnedWriteHalf,
) {
    let mut lost = 0u64;
    loop {
        let record = match records.recv().await {
            Ok(record) => record,
            Err(RecvError::Lagged(n)) => {
                lost += n;
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        if lost > 0 {
            warn!(lost, "a ctl events client fell behind; told it how many records it lost");
            let marker = Record { t_ms: record.t_ms, ts: record.ts.clone(), what: What::Lagged { lost } };
            if write.write_all(&json_line(&marker)).await.is_err() {
                return;
            }
            lost = 0;
        }
        if write.write_all(&json_line(&record)).await.is_err() {
            return;
        }
    }
}

/// What a request line gets back.
pub enum Answer {
    Reply(Value),
    /// `events`: `{"ok":true}` then these records.
    Stream(tokio::sync::broadcast::Receiver<crate::trace::Record>),
}

/// Answer one request line (the whole protocol, minus the socket).
pub async fn answer(line: &str, control: &ControlHandle) -> Answer {
    let request = match serde_json::from_str::<Request>(line) {
        Ok(r) => r,
        Err(e) => return Answer::Reply(json!({ "ok": false, "error": format!("bad request: {e}") })),
    };
    debug!(?request, "control request");
    Answer::Reply(match request {
        Request::Fault { fault } => {
            let probe = fault.clone();
            match control.inspect(move |m| m.check_fault(&probe)).await {
                Some(Err(why)) => json!({ "ok": false, "error": why }),
                _ => {
                    control.fault(fault).await;
                    json!({ "ok": true })
                }
            }
        }
        Request::Power { on } => {
            control.fault(if on { Fault::PowerOn } else { Fault::PowerOff }).await;
            json!({ "ok": true })
        }
        Request::Dtr { level } => {
            control.dtr(matches!(level, Level::High)).await;
            json!({ "ok": true })
        }
        Request::Clock { time } => match parse_time(&time) {
            Some((utc, zone)) => {
                control.clock(utc, zone).await;
                json!({ "ok": true })
            }
            None => {
                json!({ "ok": false, "error": format!("bad time {time:?}: use RFC 3339 or yy/MM/dd,hh:mm:ss±zz") })
            }
        },
        Request::State {} => match control.inspect(|m| m.snapshot()).await {
            Some(state) => json!({ "ok": true, "state": state }),
            None => json!({ "ok": false, "error": "the module is shutting down" }),
        },
        Request::Events {} => match control.subscribe().await {
            Some(records) => return Answer::Stream(records),
            None => json!({ "ok": false, "error": "the module is shutting down" }),
        },
    })
}

/// RFC 3339 (the zone stays as it was), or the module's own `yy/MM/dd,hh:mm:ss±zz` (which
/// sets the zone too).
pub fn parse_time(text: &str) -> Option<(time::OffsetDateTime, Option<i8>)> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|utc| (utc, None))
        .or_else(|| qsslsim_modem::clock::parse_cclk(text).map(|(utc, zone)| (utc, Some(zone))))
}

async fn reply(write: &mut tokio::net::unix::OwnedWriteHalf, value: Value) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(&value).unwrap_or_default();
    line.push(b'\n');
    write.write_all(&line).await
}
