//! The control socket (`--control PATH`): a Unix socket, mode 0600, speaking JSON lines. Each
//! request line gets one reply line, `{"ok":true,...}` or `{"ok":false,"error":"..."}`; a
//! malformed request gets an error reply and the daemon carries on. `events` streams trace
//! records until the client goes away.
//!
//! Requests: `{"verb":"fault","fault":{"kind":"pdp_lost","ctx":1}}`,
//! `{"verb":"dtr","level":"low"}`, `{"verb":"clock","time":"2026-01-01T00:00:00Z"}` (or the
//! module's `yy/MM/dd,hh:mm:ss±zz`), `{"verb":"state"}`, `{"verb":"events"}`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use qsslsim_modem::Fault;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tracing::debug;

use crate::runtime::ControlHandle;

#[derive(Debug, Deserialize)]
#[serde(tag = "verb", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    Fault { fault: Fault },
    Dtr { level: Level },
    Clock { time: String },
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

/// Bind the socket (replacing a stale one) with mode 0600 and serve it.
pub fn listen(path: &Path, control: ControlHandle) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            tokio::spawn(client(stream, control.clone()));
        }
    }))
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
            Answer::Stream(mut records) => {
                if reply(&mut write, json!({ "ok": true })).await.is_err() {
                    return;
                }
                while let Ok(record) = records.recv().await {
                    let value = serde_json::to_value(&record).unwrap_or(Value::Null);
                    if reply(&mut write, value).await.is_err() {
                        return;
                    }
                }
                return;
            }
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
            control.fault(fault).await;
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
