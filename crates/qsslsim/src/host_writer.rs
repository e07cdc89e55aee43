//! The way to the host: the port as two independent directions ([`HostPort`]), and the
//! [`HostWriter`] that owns everything the module wrote until the host has read it. The
//! writer keeps the module's writes in order, finishes partial writes, paces them like a UART
//! (`ModemConfig::baud`), and keeps the port's own buffer small: a real module holds only a
//! few KB between its network buffer and the UART, so a control answer never waits behind
//! tens of KB of data. It reports the backlog the module releases bulk data against, and
//! says when command input must stop.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadHalf, WriteHalf};
use tokio::time::{Instant, Sleep};
use tracing::debug;

/// Bytes the port may hold that the host has not read. Written only down to [`PORT_LOW`] and
/// then topped up to this, so writes stay a useful size.
pub const PORT_HIGH: usize = 4096;
/// Unread bytes in the port below which the writer tops it up again.
pub const PORT_LOW: usize = PORT_HIGH / 2;
/// Backlog below which the module releases bulk data: while the port holds this much or more
/// and nothing is queued, the writer watches the host read so the module hears when to go on.
const RELEASE_BELOW: usize = 4096;
/// Backlog beyond which the daemon stops reading commands, so a host that sends commands
/// and never reads blocks on the port instead of growing memory. Raw transparent data is
/// still read (it makes no output).
pub const COMMAND_STOP_BYTES: usize = 256 * 1024;

/// The serial port as the daemon sees it, split so that reading and writing never wait for
/// each other.
pub trait HostPort: Send + 'static {
    type Reader: AsyncRead + Unpin + Send + 'static;
    type Writer: PortWriter;
    fn split(self) -> (Self::Reader, Self::Writer);
}

/// The writing half of a [`HostPort`].
pub trait PortWriter: AsyncWrite + Unpin + Send + 'static {
    /// Bytes written that the host has not read yet, if the port can tell (a pty can). An
    /// in-memory pipe cannot: its own small capacity bounds it instead.
    fn unread(&self) -> Option<usize> {
        None
    }

    /// Ready with the unread count once fewer than `bound` bytes are unread; until then
    /// pending, woken when the host reads. Ports that cannot tell are always ready.
    fn poll_unread_below(&mut self, _cx: &mut Context<'_>, _bound: usize) -> Poll<usize> {
        Poll::Ready(0)
    }
}

/// In-memory host pipes (tests): the pipe's capacity is the port's buffer.
impl HostPort for DuplexStream {
    type Reader = ReadHalf<DuplexStream>;
    type Writer = WriteHalf<DuplexStream>;
    fn split(self) -> (Self::Reader, Self::Writer) {
        tokio::io::split(self)
    }
}

impl PortWriter for WriteHalf<DuplexStream> {}

/// UART pacing: writes of about 10 ms worth, the next one not before `next`.
struct Pacing {
    baud: u32,
    chunk: usize,
    next: Instant,
    timer: Pin<Box<Sleep>>,
}

/// Everything on its way to the host, in order.
pub struct HostWriter<W: PortWriter> {
    port: W,
    queue: VecDeque<Vec<u8>>,
    /// Bytes of `queue.front()` already written.
    offset: usize,
    /// Bytes in `queue` not yet written.
    queued: usize,
    /// Bytes written that the host has not read, as last measured (0 if the port cannot tell).
    unread: usize,
    /// Whether the port can tell how much the host has not read.
    measurable: bool,
    pacing: Option<Pacing>,
}

impl<W: PortWriter> HostWriter<W> {
    pub fn new(port: W, baud: Option<u32>) -> Self {
        let pacing = baud.filter(|b| *b > 0).map(|baud| Pacing {
            baud,
            chunk: (baud as usize / 1000).max(1),
            next: Instant::now(),
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
        });
        let measurable = port.unread().is_some();
        HostWriter { port, queue: VecDeque::new(), offset: 0, queued: 0, unread: 0, measurable, pacing }
    }

    /// Queue one module write.
    pub fn push(&mut self, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            self.queued += bytes.len();
            self.queue.push_back(bytes);
        }
    }

    /// What the host has yet to read: queued here plus unread in the port.
    pub fn backlog(&self) -> usize {
        self.queued + self.unread
    }

    /// Whether commands may still be read (see [`COMMAND_STOP_BYTES`]).
    pub fn takes_commands(&self) -> bool {
        self.backlog() < COMMAND_STOP_BYTES
    }

    /// Whether [`Self::progress`] has anything to wait for: output to write, or a full port
    /// the module is waiting on.
    pub fn is_active(&self) -> bool {
        !self.queue.is_empty() || self.unread >= RELEASE_BELOW
    }

    /// Write what may be written now; resolves once the backlog has changed (bytes written,
    /// or the host read from a full port). Cancel-safe: a write is accounted in the same poll
    /// that makes it.
    pub async fn progress(&mut self) {
        poll_fn(|cx| self.poll_progress(cx)).await
    }

    fn poll_progress(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.queue.is_empty() {
            // Nothing to write: only watch the host read, so the module hears of room.
            return match self.port.poll_unread_below(cx, RELEASE_BELOW) {
                Poll::Ready(unread) => {
                    self.unread = unread;
                    Poll::Ready(())
                }
                Poll::Pending => Poll::Pending,
            };
        }
        if let Some(p) = &mut self.pacing {
            if p.next > Instant::now() {
                if p.timer.deadline() != p.next {
                    p.timer.as_mut().reset(p.next);
                }
                if p.timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
            }
        }
        let mut limit = self.queue.front().map_or(0, Vec::len) - self.offset;
        if let Some(p) = &self.pacing {
            limit = limit.min(p.chunk);
        }
        if self.measurable {
            // Top the port up only once the host has read it down to PORT_LOW.
            let Poll::Ready(unread) = self.port.poll_unread_below(cx, PORT_LOW + 1) else {
                return Poll::Pending;
            };
            self.unread = unread;
            limit = limit.min(PORT_HIGH - unread);
        }
        let front = self.queue.front().expect("not empty");
        let chunk = &front[self.offset..self.offset + limit];
        match Pin::new(&mut self.port).poll_write(cx, chunk) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(n)) => {
                self.wrote(n);
                Poll::Ready(())
            }
            Poll::Ready(Err(e)) => {
                self.failed(e);
                Poll::Ready(())
            }
        }
    }

    fn wrote(&mut self, n: usize) {
        if let Some(p) = &mut self.pacing {
            let start = p.next.max(Instant::now());
            p.next = start + Duration::from_secs_f64(n as f64 * 10.0 / f64::from(p.baud));
        }
        self.offset += n;
        self.queued -= n;
        if self.measurable {
            self.unread += n;
        }
        if self.queue.front().is_some_and(|f| self.offset == f.len()) {
            self.queue.pop_front();
            self.offset = 0;
        }
    }

    fn failed(&mut self, e: io::Error) {
        debug!(error = %e, bytes = self.queued, "host write failed; output discarded");
        self.queue.clear();
        self.queued = 0;
        self.offset = 0;
    }
}
