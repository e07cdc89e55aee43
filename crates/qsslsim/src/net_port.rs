//! The AT port over the network: `--tcp ADDR:PORT` (raw bytes, pyserial's `socket://`) and
//! `--rfc2217 ADDR:PORT` (Telnet COM-PORT-OPTION, pyserial's `rfc2217://`). This module owns
//! the listeners, the rule of one client at a time, and the per-client adapter that turns a
//! TCP connection into a [`Session`] the event loop (`runtime`) plugs in as the AT port.
//!
//! - **Loopback unless asked.** An address that is not loopback is refused unless
//!   `--listen-any` is given ([`check_address`]).
//! - **One client at a time**, across all endpoints (they are one serial port): a second
//!   client is closed at once with a log line naming the one connected (policy
//!   `net-port-clients`).
//! - A session carries the client's bytes and its control-line changes in one ordered channel
//!   ([`FromClient`]), and the module's output through a small in-memory pipe, so a client
//!   that stops reading holds the module's output back like a full serial port.
//! - Per client, a reader task (socket → decoder → session) and a writer task (session →
//!   encoder → socket, with the decoder's answers first) run until either side ends; then the
//!   client's slot is free again. The Telnet/RFC 2217 decoding itself is `rfc2217`.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, WriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tracing::{debug, info, warn};

use crate::rfc2217;

/// The pipe between the module's output and a client's writer task: what may wait there on
/// top of the socket's own buffer.
pub const OUTPUT_PIPE_BYTES: usize = 4096;
/// The socket send buffer asked for on the listeners (accepted sockets inherit it), so that
/// a client that stops reading holds the module's output back soon, as a serial port would.
pub const SOCKET_SEND_BUFFER: u32 = 16 * 1024;
/// Messages from a client's reader task that may wait for the event loop.
const INPUT_MESSAGES: usize = 8;
/// Bytes read from a client at once.
const READ_CHUNK: usize = 4096;
/// Pause after a failed `accept` (out of descriptors, say) before the next one.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How a network endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Raw bytes both ways (`--tcp`).
    Tcp,
    /// Telnet with COM-PORT-OPTION (`--rfc2217`).
    Rfc2217,
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Via::Tcp => "tcp",
            Via::Rfc2217 => "rfc2217",
        })
    }
}

impl Via {
    /// The word the daemon prints on stdout after `READY` for a bound endpoint.
    pub fn banner(self) -> &'static str {
        match self {
            Via::Tcp => "TCP",
            Via::Rfc2217 => "RFC2217",
        }
    }
}

/// What a client sent, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromClient {
    /// Bytes for the module.
    Data(Vec<u8>),
    /// A control-line or port-setting change.
    Line(Line),
}

/// Control lines and settings a client changes (RFC 2217 only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// DTR asserted (`true`) or dropped (`false`).
    Dtr(bool),
    /// RTS asserted (`true`) or not.
    Rts(bool),
    /// SET-BAUDRATE.
    Baud(u32),
    /// Drop what is held from the client (`input`) and/or for it (`output`).
    Purge { input: bool, output: bool },
    /// A setting that changes nothing here (framing, break, flow-control mode, signature):
    /// logged and traced.
    Note(String),
}

/// A connected client, handed to the event loop, which makes it the AT port until
/// `input` closes.
pub struct Session {
    /// `rfc2217 client 127.0.0.1:40312`, for logs and traces.
    pub label: String,
    pub via: Via,
    pub input: mpsc::Receiver<FromClient>,
    pub output: WriteHalf<DuplexStream>,
}

impl Session {
    /// A session and the far ends of its two channels: what tests (and the adapter) drive.
    pub fn pair(label: String, via: Via) -> (Session, mpsc::Sender<FromClient>, DuplexStream) {
        let (module_side, client_side) = tokio::io::duplex(OUTPUT_PIPE_BYTES);
        let (_unused, output) = tokio::io::split(module_side);
        let (tx, input) = mpsc::channel(INPUT_MESSAGES);
        (Session { label, via, input, output }, tx, client_side)
    }
}

/// Refuse a listening address that is not loopback unless `listen_any`.
pub fn check_address(flag: &str, addr: SocketAddr, listen_any: bool) -> Result<(), String> {
    if addr.ip().is_loopback() || listen_any {
        Ok(())
    } else {
        Err(format!(
            "{flag} {addr}: not a loopback address; anybody who can reach it would drive the module. \
             Pass --listen-any to allow it (e.g. inside a container), or use 127.0.0.1"
        ))
    }
}

/// Bind a listener with a small send buffer (see [`SOCKET_SEND_BUFFER`]).
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    // Best effort: the kernel may round it; a failure only costs a larger buffer.
    let _ = socket.set_send_buffer_size(SOCKET_SEND_BUFFER);
    socket.bind(addr)?;
    socket.listen(16)
}

/// The one AT port all endpoints share: who holds it.
#[derive(Clone)]
pub struct Gate {
    slot: Arc<Semaphore>,
    holder: Arc<Mutex<String>>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate { slot: Arc::new(Semaphore::new(1)), holder: Arc::default() }
    }
}

impl Gate {
    fn enter(&self, label: &str) -> Result<OwnedSemaphorePermit, String> {
        match self.slot.clone().try_acquire_owned() {
            Ok(permit) => {
                *self.holder.lock().unwrap_or_else(|e| e.into_inner()) = label.to_string();
                Ok(permit)
            }
            Err(_) => Err(self.holder.lock().unwrap_or_else(|e| e.into_inner()).clone()),
        }
    }
}

/// Accept clients on `listener` for as long as the daemon runs; each one that gets the port
/// becomes a [`Session`] sent to `sessions`. `baud` is what an RFC 2217 query reports first.
pub async fn serve(listener: TcpListener, via: Via, gate: Gate, sessions: mpsc::Sender<Session>, baud: u32) {
    let shown = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                warn!(endpoint = %shown, error = %e, "--{via}: accept failed; retrying");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let label = format!("{via} client {peer}");
        let permit = match gate.enter(&label) {
            Ok(permit) => permit,
            Err(holder) => {
                warn!(
                    endpoint = %shown,
                    "refused {label}: the AT port already has a client ({holder}); one at a time, \
                     like a serial port"
                );
                drop(stream);
                continue;
            }
        };
        if sessions.is_closed() {
            return;
        }
        tokio::spawn(client(stream, label, via, sessions.clone(), permit, baud));
    }
}

/// What the reader task tells the writer task.
enum ToWriter {
    /// Telnet answers, already encoded.
    Reply(Vec<u8>),
    /// FLOWCONTROL-SUSPEND / -RESUME.
    Suspend(bool),
}

async fn client(
    stream: TcpStream,
    label: String,
    via: Via,
    sessions: mpsc::Sender<Session>,
    permit: OwnedSemaphorePermit,
    baud: u32,
) {
    let _ = stream.set_nodelay(true);
    let (session, input, module_out) = Session::pair(label.clone(), via);
    if sessions.send(session).await.is_err() {
        return;
    }
    info!("{label} connected: it is the AT port until it disconnects");
    let (sock_rx, sock_tx) = stream.into_split();
    let (to_writer, from_reader) = mpsc::unbounded_channel();
    let mut reader = tokio::spawn(read_client(sock_rx, via, baud, input, to_writer));
    let mut writer = tokio::spawn(write_client(sock_tx, via, module_out, from_reader));
    tokio::select! {
        _ = &mut reader => {
            // The client is gone or closed its side; what the writer still has goes nowhere.
            writer.abort();
        }
        _ = &mut writer => reader.abort(),
    }
    info!("{label} disconnected; the module keeps its state and the port is free");
    drop(permit);
}

/// Socket → (RFC 2217 decoding) → the event loop; answers to the writer task first, so they
/// precede whatever the module makes of the same bytes.
async fn read_client(
    mut sock: tokio::net::tcp::OwnedReadHalf,
    via: Via,
    baud: u32,
    input: mpsc::Sender<FromClient>,
    to_writer: mpsc::UnboundedSender<ToWriter>,
) {
    let mut telnet = (via == Via::Rfc2217).then(|| rfc2217::Server::new(baud));
    if let Some(t) = &mut telnet {
        let _ = to_writer.send(ToWriter::Reply(t.take_output()));
    }
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let Some(t) = &mut telnet else {
            if input.send(FromClient::Data(buf[..n].to_vec())).await.is_err() {
                return;
            }
            continue;
        };
        let events = t.receive(&buf[..n]);
        let answers = t.take_output();
        if !answers.is_empty() {
            let _ = to_writer.send(ToWriter::Reply(answers));
        }
        for event in events {
            let msg = match event {
                rfc2217::Event::Data(d) => FromClient::Data(d),
                rfc2217::Event::Dtr(on) => FromClient::Line(Line::Dtr(on)),
                rfc2217::Event::Rts(on) => FromClient::Line(Line::Rts(on)),
                rfc2217::Event::Baud(rate) => FromClient::Line(Line::Baud(rate)),
                rfc2217::Event::Purge { input, output } => FromClient::Line(Line::Purge { input, output }),
                rfc2217::Event::Suspend(on) => {
                    debug!(suspend = on, "RFC 2217 flow control from the client");
                    let _ = to_writer.send(ToWriter::Suspend(on));
                    continue;
                }
                rfc2217::Event::Break(on) => FromClient::Line(Line::Note(format!("break {}", on_off(on)))),
                rfc2217::Event::Framing(name, v) => FromClient::Line(Line::Note(framing(name, v))),
                rfc2217::Event::FlowControl(v) => FromClient::Line(Line::Note(format!(
                    "flow control {}",
                    match v {
                        1 => "none",
                        2 => "XON/XOFF",
                        _ => "RTS/CTS",
                    }
                ))),
                rfc2217::Event::Signature(s) => FromClient::Line(Line::Note(format!("signature {s:?}"))),
            };
            if input.send(msg).await.is_err() {
                return;
            }
        }
    }
}

/// A framing setting in words (RFC 2217 codes: parity 1-5 none/odd/even/mark/space, stop
/// size 1-3 one/two/one and a half).
fn framing(name: &str, v: u8) -> String {
    let word = match (name, v) {
        ("parity", 1) => "none",
        ("parity", 2) => "odd",
        ("parity", 3) => "even",
        ("parity", 4) => "mark",
        ("parity", 5) => "space",
        ("stop bits", 3) => "1.5",
        _ => return format!("{name} {v}"),
    };
    format!("{name} {word}")
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// The module's output (and the reader's answers) → (IAC doubling) → socket.
async fn write_client(
    mut sock: tokio::net::tcp::OwnedWriteHalf,
    via: Via,
    mut module_out: DuplexStream,
    mut from_reader: mpsc::UnboundedReceiver<ToWriter>,
) {
    let mut suspended = false;
    let mut buf = vec![0u8; READ_CHUNK];
    let mut encoded = Vec::new();
    loop {
        tokio::select! {
            biased;
            msg = from_reader.recv() => match msg {
                Some(ToWriter::Reply(bytes)) => {
                    if sock.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Some(ToWriter::Suspend(on)) => suspended = on,
                None => return,
            },
            read = module_out.read(&mut buf), if !suspended => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let out = if via == Via::Rfc2217 {
                    encoded.clear();
                    rfc2217::escape_into(&buf[..n], &mut encoded);
                    &encoded[..]
                } else {
                    &buf[..n]
                };
                if sock.write_all(out).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_without_listen_any() {
        for ok in ["127.0.0.1:1", "127.1.2.3:5", "[::1]:7"] {
            assert!(check_address("--tcp", ok.parse().unwrap(), false).is_ok(), "{ok}");
        }
        for bad in ["0.0.0.0:1", "192.0.2.1:5", "[::]:7"] {
            let err = check_address("--rfc2217", bad.parse().unwrap(), false).unwrap_err();
            assert!(err.contains("--listen-any"), "{err}");
            assert!(check_address("--tcp", bad.parse().unwrap(), true).is_ok());
        }
    }

    #[test]
    fn framing_in_words() {
        assert_eq!(framing("parity", 1), "parity none");
        assert_eq!(framing("parity", 3), "parity even");
        assert_eq!(framing("stop bits", 1), "stop bits 1");
        assert_eq!(framing("stop bits", 3), "stop bits 1.5");
        assert_eq!(framing("data bits", 7), "data bits 7");
    }

    #[test]
    fn the_gate_admits_one_and_names_it_to_the_next() {
        let gate = Gate::default();
        let first = gate.enter("tcp client A").unwrap();
        assert_eq!(gate.enter("rfc2217 client B").unwrap_err(), "tcp client A");
        drop(first);
        assert!(gate.enter("tcp client C").is_ok());
    }
}
