//! The trace: one JSON object per line with a timestamp — bytes each way on the port, the
//! module's events (URCs, socket transitions, faults, the precise cause of every failure) —
//! written to `--trace FILE` and streamed to `ctl events` subscribers.
//!
//! This module owns the record format and where records go. The event loop only builds a
//! record and hands it over: the file is written by a thread of its own fed through a bounded
//! queue, so a slow or stalled disk never stalls the port. When the queue is full (more than
//! [`FILE_QUEUE_RECORDS`] records or [`FILE_QUEUE_BYTES`] of text waiting) the record is not
//! queued but counted, and as soon as there is room again a `{"type":"lagged","lost":N}`
//! record goes into the file first: nothing is dropped silently, and the port never waits for
//! the disk. Subscribers get a broadcast buffer of [`SUBSCRIBER_BUFFER`] records each; one that
//! falls further behind gets the same `lagged` record (see `control.rs`).
//!
//! Port bytes (`host_in`, `host_out`) are in `text` one character per byte (bytes 0x80–0xFF as
//! U+0080–U+00FF), so JSON's own escaping is the only one: `"AT+QSSLOPEN=1,1,4,\"x\",1\r"` in
//! the file is exactly the bytes `AT+QSSLOPEN=1,1,4,"x",1<CR>`, and [`text_bytes`] (or
//! Python's `text.encode("latin-1")`) gives them back. Lines are written as ASCII ([`json_line`]:
//! characters above U+007F as `\u00XX`), so no reader splits a record at U+0085 and `grep`
//! sees every line whole.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, SystemTime};

use qsslsim_modem::Event;
use serde::Serialize;
use tokio::sync::broadcast;
use tracing::warn;

/// Records the file queue holds before new ones are counted as lost.
pub const FILE_QUEUE_RECORDS: usize = 8192;
/// Bytes of record text the file queue holds before new records are counted as lost.
pub const FILE_QUEUE_BYTES: usize = 4 * 1024 * 1024;
/// Records a `ctl events` subscriber may fall behind before it is told it lost some.
pub const SUBSCRIBER_BUFFER: usize = 4096;
/// How long closing the trace waits for the file writer to write what is queued.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

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
    /// Bytes the host wrote to the port (see [`bytes_text`]).
    HostIn { text: String },
    /// Bytes the module wrote to the port (see [`bytes_text`]).
    HostOut { text: String },
    /// Something the module reports.
    Module(Event),
    /// A network client on the AT port (`--tcp`, `--rfc2217`): `connected`, `disconnected`,
    /// `dtr_on`, `dtr_off`, `rts_on`, `rts_off`, `baud`, `purge`, `setting`; `detail` names
    /// the client and the value.
    Port { event: String, detail: String },
    /// This many records before this one did not reach this reader (the trace file, or a
    /// `ctl events` client) because it fell behind.
    Lagged { lost: u64 },
}

impl Record {
    /// Roughly what the record costs in the file queue.
    fn weight(&self) -> usize {
        match &self.what {
            What::HostIn { text } | What::HostOut { text } => 96 + text.len() * 2,
            _ => 512,
        }
    }
}

/// Port bytes as trace text: one character per byte (Latin-1), so the only escaping is
/// JSON's and no byte is lost.
pub fn bytes_text(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The bytes of a trace `text` field (`None` if it holds a character above U+00FF, which a
/// trace never writes).
pub fn text_bytes(text: &str) -> Option<Vec<u8>> {
    text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// A record as one line of ASCII JSON, newline included (the trace file's and `ctl events`'
/// format).
pub fn json_line(record: &Record) -> Vec<u8> {
    let mut line = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut line, AsciiOnly);
    if record.serialize(&mut ser).is_err() {
        line.clear();
        line.extend_from_slice(br#"{"type":"error","error":"unserializable record"}"#);
    }
    line.push(b'\n');
    line
}

/// serde_json's compact format with every character above U+007F escaped.
struct AsciiOnly;

impl serde_json::ser::Formatter for AsciiOnly {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> std::io::Result<()> {
        let mut from = 0;
        for (i, c) in fragment.char_indices() {
            if !c.is_ascii() {
                w.write_all(&fragment.as_bytes()[from..i])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
                from = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[from..])
    }
}

/// A record stamped now.
fn stamp(start: tokio::time::Instant, what: What) -> Record {
    let ts = time::OffsetDateTime::from(SystemTime::now())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Record { t_ms: start.elapsed().as_millis() as u64, ts, what }
}

/// Where records go.
pub struct Tracer {
    file: Option<FileQueue>,
    subscribers: broadcast::Sender<Record>,
    start: tokio::time::Instant,
}

impl Tracer {
    pub fn new(path: Option<&std::path::Path>) -> std::io::Result<Tracer> {
        let file = match path {
            Some(p) => Some(FileQueue::spawn(std::fs::File::create(p)?, p)?),
            None => None,
        };
        let (subscribers, _) = broadcast::channel(SUBSCRIBER_BUFFER);
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
            self.record(What::HostIn { text: bytes_text(bytes) });
        }
    }

    pub fn host_out(&mut self, bytes: &[u8]) {
        if self.active() {
            self.record(What::HostOut { text: bytes_text(bytes) });
        }
    }

    pub fn module(&mut self, event: Event) {
        if self.active() {
            self.record(What::Module(event));
        }
    }

    /// Something a network client on the AT port did (see [`What::Port`]).
    pub fn port(&mut self, event: &str, detail: &str) {
        if self.active() {
            self.record(What::Port { event: event.to_string(), detail: detail.to_string() });
        }
    }

    /// Records the file missed so far because its queue was full (0 without a file).
    pub fn file_lost(&self) -> u64 {
        self.file.as_ref().map_or(0, |f| f.lost_total)
    }

    fn record(&mut self, what: What) {
        let record = stamp(self.start, what);
        let subscribed = self.subscribers.receiver_count() > 0;
        match &mut self.file {
            Some(file) if subscribed => {
                file.push(record.clone(), self.start);
                let _ = self.subscribers.send(record);
            }
            Some(file) => file.push(record, self.start),
            None => {
                let _ = self.subscribers.send(record);
            }
        }
    }
}

/// The trace file's queue and the thread that empties it.
struct FileQueue {
    tx: Option<mpsc::SyncSender<Record>>,
    /// Weight of the records queued and not yet written.
    queued: Arc<AtomicUsize>,
    /// Records not queued since the last `lagged` record got in.
    lost: u64,
    lost_total: u64,
    /// Told when the writer has written everything and closed the file.
    done: mpsc::Receiver<()>,
}

impl FileQueue {
    fn spawn(file: std::fs::File, path: &std::path::Path) -> std::io::Result<FileQueue> {
        let (tx, rx) = mpsc::sync_channel::<Record>(FILE_QUEUE_RECORDS);
        let (done_tx, done) = mpsc::channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let shown = path.display().to_string();
        let counter = queued.clone();
        std::thread::Builder::new().name("qsslsim-trace".into()).spawn(move || {
            write_records(file, &shown, rx, &counter);
            let _ = done_tx.send(());
        })?;
        Ok(FileQueue { tx: Some(tx), queued, lost: 0, lost_total: 0, done })
    }

    /// Queue a record, or count it lost if the queue is full; a pending `lagged` record goes
    /// in first.
    fn push(&mut self, record: Record, start: tokio::time::Instant) {
        if self.lost > 0 {
            let marker = stamp(start, What::Lagged { lost: self.lost });
            if !self.offer(marker) {
                self.lost += 1;
                self.lost_total += 1;
                return;
            }
            self.lost = 0;
        }
        if !self.offer(record) {
            self.lost += 1;
            self.lost_total += 1;
        }
    }

    fn offer(&mut self, record: Record) -> bool {
        let Some(tx) = &self.tx else { return false };
        let weight = record.weight();
        if self.queued.load(Ordering::Relaxed) + weight > FILE_QUEUE_BYTES {
            return false;
        }
        self.queued.fetch_add(weight, Ordering::Relaxed);
        match tx.try_send(record) {
            Ok(()) => true,
            Err(_) => {
                self.queued.fetch_sub(weight, Ordering::Relaxed);
                false
            }
        }
    }
}

impl Drop for FileQueue {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            if self.lost > 0 {
                // Closing: waiting for room is fine now (bounded by CLOSE_WAIT below).
                let marker = stamp(tokio::time::Instant::now(), What::Lagged { lost: self.lost });
                self.queued.fetch_add(marker.weight(), Ordering::Relaxed);
                send_within(&tx, marker, CLOSE_WAIT);
            }
        }
        if self.done.recv_timeout(CLOSE_WAIT).is_err() {
            warn!(
                queued_bytes = self.queued.load(Ordering::Relaxed),
                "the trace file did not take the last records within {CLOSE_WAIT:?}; they are lost"
            );
        }
    }
}

/// `SyncSender::send` with a bound on the wait (std has none).
fn send_within(tx: &mpsc::SyncSender<Record>, mut record: Record, wait: Duration) {
    let until = std::time::Instant::now() + wait;
    loop {
        match tx.try_send(record) {
            Err(mpsc::TrySendError::Full(r)) if std::time::Instant::now() < until => {
                record = r;
                std::thread::sleep(Duration::from_millis(5));
            }
            _ => return,
        }
    }
}

/// The writer thread: write each record as a JSON line, flush whenever the queue is empty.
/// A write error is logged once and the records after it are discarded (still taken off the
/// queue, so the event loop never waits).
fn write_records(file: std::fs::File, path: &str, rx: mpsc::Receiver<Record>, queued: &AtomicUsize) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
    let mut failed = false;
    while let Ok(record) = rx.recv() {
        let mut batch = Some(record);
        while let Some(record) = batch.take() {
            queued.fetch_sub(record.weight(), Ordering::Relaxed);
            if !failed {
                if let Err(e) = out.write_all(&json_line(&record)) {
                    warn!(path, error = %e, "cannot write the trace file; tracing to it stops");
                    failed = true;
                }
            }
            batch = rx.try_recv().ok();
        }
        if !failed {
            if let Err(e) = out.flush() {
                warn!(path, error = %e, "cannot write the trace file; tracing to it stops");
                failed = true;
            }
        }
    }
    if !failed {
        let _ = out.flush();
    }
}
