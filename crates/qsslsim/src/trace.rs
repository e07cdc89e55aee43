//! The trace: one JSON object per line with a timestamp — bytes each way on the port (as
//! escaped text, so `grep AT+QSSLOPEN` finds them), the module's events (URCs, socket
//! transitions, faults, the precise cause of every failure) — written to `--trace FILE` and
//! streamed to `ctl events` subscribers.

use std::io::Write;
use std::time::SystemTime;

use qsslsim_modem::Event;
use serde::Serialize;
use tokio::sync::broadcast;

#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Milliseconds since the daemon started (on the daemon's clock).
    pub t_ms: u64,
    /// Wall-clock time, RFC 3339.
    pub ts: String,
    #[serde(flatten)]
    pub what: What,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum What {
    /// Bytes the host wrote to the port.
    HostIn { text: String },
    /// Bytes the module wrote to the port.
    HostOut { text: String },
    /// Something the module reports.
    Module(Event),
}

/// Where records go.
pub struct Tracer {
    file: Option<std::io::BufWriter<std::fs::File>>,
    subscribers: broadcast::Sender<Record>,
    start: tokio::time::Instant,
}

impl Tracer {
    pub fn new(path: Option<&std::path::Path>) -> std::io::Result<Tracer> {
        let file = match path {
            Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p)?)),
            None => None,
        };
        let (subscribers, _) = broadcast::channel(1024);
        Ok(Tracer { file, subscribers, start: tokio::time::Instant::now() })
    }

    /// A receiver of every record from now on (`ctl events`).
    pub fn subscribe(&self) -> broadcast::Receiver<Record> {
        self.subscribers.subscribe()
    }

    /// Whether anybody listens (so callers can skip building records).
    pub fn active(&self) -> bool {
        self.file.is_some() || self.subscribers.receiver_count() > 0
    }

    pub fn host_in(&mut self, bytes: &[u8]) {
        if self.active() {
            self.record(What::HostIn { text: bytes.escape_ascii().to_string() });
        }
    }

    pub fn host_out(&mut self, bytes: &[u8]) {
        if self.active() {
            self.record(What::HostOut { text: bytes.escape_ascii().to_string() });
        }
    }

    pub fn module(&mut self, event: Event) {
        if self.active() {
            self.record(What::Module(event));
        }
    }

    fn record(&mut self, what: What) {
        let ts = time::OffsetDateTime::from(SystemTime::now())
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let record = Record { t_ms: self.start.elapsed().as_millis() as u64, ts, what };
        if let Some(f) = &mut self.file {
            if serde_json::to_writer(&mut *f, &record).is_ok() {
                let _ = f.write_all(b"\n");
                let _ = f.flush();
            }
        }
        let _ = self.subscribers.send(record);
    }
}
