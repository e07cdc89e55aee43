//! The way to the host: the port as two independent directions ([`HostPort`]), and the
//! [`HostWriter`] that owns everything the module wrote until the host has read it. The
//! writer keeps the module's writes in order, finishes partial writes, paces them like a UART
//! (`ModemConfig::baud`), and keeps the port's own buffer small where the port can tell what
//! the host has not read (`Allowance`): a real module holds only a few KB between its
//! network buffer and the UART, so a control answer never waits behind tens of KB of data.
//! It reports the backlog the module releases bulk data against, and says when command input
//! must stop. docs/architecture.md, "The host writer", has the measurements behind it.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use qsslsim_modem::policy::HOST_QUEUE_BYTES;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadHalf, WriteHalf};
use tokio::time::{Instant, Sleep};
use tracing::debug;

/// What a slow host may find waiting in the port, and so the most a control answer waits
/// behind at its pace. A host that reads faster earns more (see `Allowance`).
pub const PORT_MIN: usize = 4096;
/// The most a host earns: about what a pty holds. A host this fast is bounded by the port's
/// own capacity; one that slows down from here finds at most that much waiting.
pub const PORT_MAX: usize = 16 * 1024;
/// How often a fast host's port is read, to notice when the host slows down.
const READING_EVERY: Duration = Duration::from_millis(1);
/// The port is topped up once the host has read this much of its allowance, so writes stay a
/// useful size.
const TOP_UP: usize = PORT_MIN / 2;
/// How long what waits in the port may take the host to read at the pace it has shown.
const DRAIN_TARGET: Duration = Duration::from_millis(10);
/// The host's pace is taken over at least this long, or over [`PORT_MAX`] bytes read.
const RATE_WINDOW: Duration = Duration::from_millis(20);
/// A pty counts a write as unread only once a kernel worker has moved it along, usually
/// within microseconds, rarely a few ms. Until then a reading that shows no more than before
/// the write may miss it; at a slow host's pace (the minimum allowance) such a reading is not
/// believed within this time, so the port is not topped up twice.
const SETTLE: Duration = Duration::from_millis(2);
/// The most unread bytes a port shows (a Linux pty: its line-discipline buffer, less one). A
/// reading at it means at least that much; one below it is the whole of what waits.
pub const UNREAD_CEILING: usize = 4095;
/// Most bytes handed to the port in one write (several queued writes gathered).
const WRITE_MAX: usize = 16 * 1024;
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
    /// Bytes written that the host has not read yet, if the port can tell (a pty can), up
    /// to [`UNREAD_CEILING`]. An in-memory pipe cannot: its own small capacity bounds it.
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

/// The port the writer writes to when the AT port can change hands: the local port (the pty,
/// or a test pipe), or the pipe to a network client (`net_port`). See `runtime`.
pub enum Switched<W> {
    Local(W),
    Remote(WriteHalf<DuplexStream>),
}

impl<W: PortWriter> AsyncWrite for Switched<W> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Switched::Local(w) => Pin::new(w).poll_write(cx, buf),
            Switched::Remote(w) => Pin::new(w).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Switched::Local(w) => Pin::new(w).poll_flush(cx),
            Switched::Remote(w) => Pin::new(w).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Switched::Local(w) => Pin::new(w).poll_shutdown(cx),
            Switched::Remote(w) => Pin::new(w).poll_shutdown(cx),
        }
    }
}

impl<W: PortWriter> PortWriter for Switched<W> {
    fn unread(&self) -> Option<usize> {
        match self {
            Switched::Local(w) => w.unread(),
            Switched::Remote(w) => w.unread(),
        }
    }
    fn poll_unread_below(&mut self, cx: &mut Context<'_>, bound: usize) -> Poll<usize> {
        match self {
            Switched::Local(w) => w.poll_unread_below(cx, bound),
            Switched::Remote(w) => w.poll_unread_below(cx, bound),
        }
    }
}

/// UART pacing: writes of about 10 ms worth, the next one not before `next`.
struct Pacing {
    baud: u32,
    chunk: usize,
    next: Instant,
    timer: Pin<Box<Sleep>>,
}

/// The small-backlog rule, for ports that show what the host has not read: the port may hold
/// what the host reads in [`DRAIN_TARGET`] at the pace it has shown, at least [`PORT_MIN`].
/// A slow host so never has more than a few KiB between it and a control answer. A host fast
/// enough to earn [`PORT_MAX`] empties the port within a millisecond or two: for it the
/// port's own capacity is the bound, as for any program writing to a pty, and the port is
/// read only now and then, to notice when the host slows down.
#[derive(Debug)]
struct Allowance {
    bytes: usize,
    /// What waits in the port: exact after a reading below [`UNREAD_CEILING`], an upper bound
    /// (grown by each write) while readings stay at the ceiling. For a fast host, the last
    /// reading.
    in_port: usize,
    /// Bytes ever written to the port.
    written: u64,
    /// Start of the current pace window: when, and about how far the host had read.
    window: Option<(Instant, u64)>,
    /// The last write: when, and what the port showed before it, if it had been read since
    /// the write before.
    last_write: Option<(Instant, Option<usize>)>,
    /// Whether `in_port` is a reading, with no write since.
    read_since_write: bool,
    /// When the port was last read.
    last_reading: Option<Instant>,
}

impl Allowance {
    fn new() -> Self {
        Allowance {
            bytes: PORT_MIN,
            in_port: 0,
            written: 0,
            window: None,
            last_write: None,
            read_since_write: false,
            last_reading: None,
        }
    }

    /// Whether the host has earned the most: the port's capacity bounds it.
    fn fast(&self) -> bool {
        self.bytes >= PORT_MAX
    }

    fn wrote(&mut self, n: usize, now: Instant) {
        self.written += n as u64;
        if !self.fast() {
            self.last_write = Some((now, self.read_since_write.then_some(self.in_port)));
            self.read_since_write = false;
            self.in_port += n;
        }
    }

    /// Until when a reading may still miss the last write (see [`SETTLE`]).
    fn settles_at(&self) -> Option<Instant> {
        self.last_write.map(|(t, _)| t + SETTLE)
    }

    /// Whether a fast host's port is due to be read (see [`READING_EVERY`]).
    fn reading_due(&self, now: Instant) -> bool {
        self.fast() && self.last_reading.is_none_or(|t| now >= t + READING_EVERY)
    }

    /// The port showed `unread` bytes the host has not read, at `now`. False if the reading
    /// was not believed (see [`SETTLE`]).
    fn observe(&mut self, unread: usize, now: Instant) -> bool {
        if self.bytes == PORT_MIN {
            if let Some((t, Some(before))) = self.last_write {
                if now < t + SETTLE && unread <= before && !self.read_since_write {
                    return false;
                }
            }
        }
        self.last_reading = Some(now);
        self.read_since_write = unread < UNREAD_CEILING;
        self.in_port = if unread >= UNREAD_CEILING && !self.fast() {
            // More may wait than the port shows: keep the bound.
            self.in_port.max(unread)
        } else {
            unread
        };
        // About where the host has read to: behind by what waits beyond what the port shows,
        // which changes little while the port stays full, so the pace over a window holds.
        let read = self.written.saturating_sub(unread as u64);
        let Some((t0, r0)) = self.window else {
            self.window = Some((now, read));
            return true;
        };
        let (took, done) = (now.saturating_duration_since(t0), read.saturating_sub(r0));
        if took >= RATE_WINDOW || done >= PORT_MAX as u64 {
            let pace = done as f64 / took.as_secs_f64().max(1e-6);
            self.bytes = ((pace * DRAIN_TARGET.as_secs_f64()) as usize).clamp(PORT_MIN, PORT_MAX);
            self.window = Some((now, read));
        }
        true
    }

    /// Whether the host has read enough of the port to top it up.
    fn tops_up(&self) -> bool {
        self.fast() || self.in_port + TOP_UP <= self.bytes
    }

    /// Readings below this let the port be topped up.
    fn awaited(&self) -> usize {
        (self.bytes - TOP_UP + 1).min(UNREAD_CEILING)
    }

    /// How much may be written now.
    fn room(&self) -> usize {
        if self.fast() {
            usize::MAX
        } else {
            self.bytes.saturating_sub(self.in_port)
        }
    }

    /// How much of the backlog the module should count: the allowance a fast host earned
    /// beyond [`PORT_MIN`] does not hold bulk data back.
    fn counted(&self, backlog: usize) -> usize {
        backlog.saturating_sub(self.bytes - PORT_MIN)
    }
}

/// Everything on its way to the host, in order.
pub struct HostWriter<W: PortWriter> {
    port: W,
    queue: VecDeque<Vec<u8>>,
    /// Bytes of `queue.front()` already written.
    offset: usize,
    /// Bytes in `queue` not yet written.
    queued: usize,
    /// For ports that can tell how much the host has not read.
    allowance: Option<Allowance>,
    /// Waits out [`SETTLE`] after a reading that was not believed.
    settle: Pin<Box<Sleep>>,
    /// Queued writes gathered for one port write.
    scratch: Vec<u8>,
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
        let allowance = port.unread().map(|_| Allowance::new());
        let settle = Box::pin(tokio::time::sleep_until(Instant::now()));
        HostWriter {
            port,
            queue: VecDeque::new(),
            offset: 0,
            queued: 0,
            allowance,
            settle,
            scratch: Vec::new(),
            pacing,
        }
    }

    /// Write to `port` from now on; returns the old port and the bytes still queued for it,
    /// which are dropped (they were meant for whoever held the port before). The new port
    /// starts with a fresh allowance and pacing.
    pub fn replace_port(&mut self, port: W) -> (W, usize) {
        let dropped = self.discard();
        self.allowance = port.unread().map(|_| Allowance::new());
        if let Some(p) = &mut self.pacing {
            p.next = Instant::now();
        }
        (std::mem::replace(&mut self.port, port), dropped)
    }

    /// Drop everything queued and not yet written (a purge); returns how many bytes.
    pub fn discard(&mut self) -> usize {
        let dropped = self.queued;
        self.queue.clear();
        self.queued = 0;
        self.offset = 0;
        dropped
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
        self.queued + self.allowance.as_ref().map_or(0, |a| a.in_port)
    }

    /// The backlog the module releases bulk data against (`Modem::host_backlog`): for a
    /// host that has shown a fast pace, less the extra it may have waiting.
    pub fn module_backlog(&self) -> usize {
        match &self.allowance {
            Some(a) => a.counted(self.backlog()),
            None => self.backlog(),
        }
    }

    /// Whether commands may still be read (see [`COMMAND_STOP_BYTES`]).
    pub fn takes_commands(&self) -> bool {
        self.backlog() < COMMAND_STOP_BYTES
    }

    /// Whether [`Self::progress`] has anything to wait for: output to write, or a full port
    /// the module is waiting on.
    pub fn is_active(&self) -> bool {
        !self.queue.is_empty() || self.module_backlog() >= HOST_QUEUE_BYTES
    }

    /// Write what may be written now; resolves once the backlog has changed (bytes written,
    /// or the host read from a full port). Cancel-safe: a write is accounted in the same poll
    /// that makes it.
    pub async fn progress(&mut self) {
        poll_fn(|cx| self.poll_progress(cx)).await
    }

    fn poll_progress(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.queue.is_empty() {
            // Nothing to write: watch the host read until the module may release more. Only
            // a reading below the ceiling can show that (one at it may mean more).
            while self.is_active() {
                let Some(a) = &self.allowance else { return Poll::Pending };
                let bound = (HOST_QUEUE_BYTES + a.bytes - PORT_MIN).min(UNREAD_CEILING);
                ready!(self.poll_reading(cx, bound));
            }
            return Poll::Ready(());
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
        let mut limit = self.queued.min(WRITE_MAX);
        if let Some(p) = &self.pacing {
            limit = limit.min(p.chunk);
        }
        if let Some(a) = &mut self.allowance {
            let now = Instant::now();
            if a.reading_due(now) {
                a.observe(self.port.unread().unwrap_or(0), now);
            }
        }
        // Top the port up once the host has read TOP_UP of what it may hold.
        while let Some(awaited) = self.allowance.as_ref().filter(|a| !a.tops_up()).map(Allowance::awaited) {
            ready!(self.poll_reading(cx, awaited));
        }
        if let Some(a) = &self.allowance {
            limit = limit.min(a.room());
        }
        // Queued writes go out together, as they would reach the host through a busy port.
        let front = self.queue.front().expect("not empty");
        let chunk = if front.len() - self.offset >= limit {
            &front[self.offset..self.offset + limit]
        } else {
            self.scratch.clear();
            let mut offset = self.offset;
            for w in &self.queue {
                let part = &w[offset..(offset + limit - self.scratch.len()).min(w.len())];
                self.scratch.extend_from_slice(part);
                offset = 0;
                if self.scratch.len() == limit {
                    break;
                }
            }
            &self.scratch[..]
        };
        match Pin::new(&mut self.port).poll_write(cx, chunk) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(0)) => {
                self.failed(io::ErrorKind::WriteZero.into());
                Poll::Ready(())
            }
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

    /// Wait for a reading of the port below `bound` that can be believed (see [`SETTLE`]).
    fn poll_reading(&mut self, cx: &mut Context<'_>, bound: usize) -> Poll<()> {
        loop {
            let unread = ready!(self.port.poll_unread_below(cx, bound));
            let Some(a) = &mut self.allowance else { return Poll::Ready(()) };
            if a.observe(unread, Instant::now()) {
                return Poll::Ready(());
            }
            let at = a.settles_at().expect("a write to settle");
            self.settle.as_mut().reset(at);
            ready!(self.settle.as_mut().poll(cx));
        }
    }

    fn wrote(&mut self, n: usize) {
        if let Some(p) = &mut self.pacing {
            let start = p.next.max(Instant::now());
            p.next = start + Duration::from_secs_f64(n as f64 * 10.0 / f64::from(p.baud));
        }
        self.queued -= n;
        if let Some(a) = &mut self.allowance {
            a.wrote(n, Instant::now());
        }
        let mut left = n;
        while let Some(front) = self.queue.front() {
            let rest = front.len() - self.offset;
            if left < rest {
                self.offset += left;
                break;
            }
            left -= rest;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The host reads `per_step` bytes every 100 µs for `total` from a port that holds at
    /// most 16 KiB, the writer filling it as the allowance says; returns the allowance then.
    fn run(a: &mut Allowance, t: &mut Instant, per_step: usize, total: Duration) -> usize {
        const CAPACITY: usize = 16 << 10;
        let mut unread = a.in_port.min(CAPACITY);
        let end = *t + total;
        while *t < end {
            if a.reading_due(*t) || !a.tops_up() {
                a.observe(unread.min(UNREAD_CEILING), *t);
            }
            if a.tops_up() {
                let add = a.room().min(CAPACITY - unread);
                a.wrote(add, *t);
                unread += add;
            }
            *t += Duration::from_micros(100);
            unread -= unread.min(per_step);
        }
        a.bytes
    }

    #[test]
    fn a_slow_host_gets_the_minimum() {
        let (mut a, mut t) = (Allowance::new(), Instant::now());
        // 100 KB/s.
        assert_eq!(run(&mut a, &mut t, 10, Duration::from_secs(1)), PORT_MIN);
    }

    #[test]
    fn a_fast_host_earns_the_maximum_and_loses_it_when_it_slows() {
        let (mut a, mut t) = (Allowance::new(), Instant::now());
        // 40 MB/s, then 100 KB/s: once the host has read what the port held, about 200 ms.
        assert_eq!(run(&mut a, &mut t, 4000, ms(20)), PORT_MAX);
        assert!(a.fast());
        assert_eq!(run(&mut a, &mut t, 10, ms(250)), PORT_MIN);
    }

    #[test]
    fn a_medium_host_gets_ten_milliseconds_worth() {
        let (mut a, mut t) = (Allowance::new(), Instant::now());
        // 1 MB/s: about 10 KB in 10 ms.
        let got = run(&mut a, &mut t, 100, Duration::from_secs(1));
        assert!((9_000..=11_000).contains(&got), "{got}");
    }

    #[test]
    fn readings_at_the_ceiling_keep_the_bound() {
        let (mut a, t) = (Allowance::new(), Instant::now());
        a.wrote(100_000, t - Duration::from_secs(1));
        a.observe(UNREAD_CEILING, t);
        assert_eq!(a.in_port, 100_000, "the bound stays");
        a.observe(10, t);
        assert_eq!(a.in_port, 10);
        assert_eq!(a.counted(10_000), 10_000);
    }

    #[test]
    fn at_a_slow_pace_a_reading_that_misses_the_last_write_is_not_believed_until_it_settles() {
        let (mut a, t) = (Allowance::new(), Instant::now());
        a.observe(2000, t);
        a.wrote(2096, t);
        assert!(!a.observe(2000, t + ms(1)), "the write is not counted yet");
        assert_eq!(a.in_port, 4096);
        assert!(a.observe(4000, t + ms(1)), "the write is counted");
        a.wrote(96, t + ms(1));
        assert!(a.observe(1000, t + ms(4)), "settled: the host read");
        assert_eq!(a.in_port, 1000);
        // Writes with no reading between them (command answers): nothing to compare with.
        a.wrote(10, t + ms(5));
        a.wrote(10, t + ms(5));
        assert!(a.observe(0, t + ms(5)));
    }

    /// A port that takes every write and shows a fixed unread count.
    struct Shows(usize);

    impl AsyncWrite for Shows {
        fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    impl PortWriter for Shows {
        fn unread(&self) -> Option<usize> {
            Some(self.0)
        }
        fn poll_unread_below(&mut self, _: &mut Context<'_>, bound: usize) -> Poll<usize> {
            if self.0 < bound {
                Poll::Ready(self.0)
            } else {
                Poll::Pending
            }
        }
    }

    fn poll_once(w: &mut HostWriter<Shows>) -> Poll<()> {
        w.poll_progress(&mut Context::from_waker(std::task::Waker::noop()))
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_port_is_waited_on_not_polled_in_a_loop() {
        let mut w = HostWriter::new(Shows(0), None);
        w.push(vec![b'x'; PORT_MIN]);
        assert_eq!(poll_once(&mut w), Poll::Ready(()));
        assert_eq!(w.backlog(), PORT_MIN, "written, not read");
        // The host reads nothing; the pty shows its ceiling (it may hold more).
        w.port.0 = UNREAD_CEILING;
        tokio::time::advance(Duration::from_millis(5)).await;
        assert!(w.is_active(), "the module waits for room");
        assert_eq!(poll_once(&mut w), Poll::Pending, "a reading at the ceiling shows no room");
        w.push(vec![b'y'; 100]);
        assert_eq!(poll_once(&mut w), Poll::Pending, "nor room to top up");
        // The host reads.
        w.port.0 = 100;
        assert_eq!(poll_once(&mut w), Poll::Ready(()));
        assert_eq!(w.backlog(), 200);
    }

    #[test]
    fn the_module_counts_only_what_exceeds_the_extra_allowance() {
        let mut a = Allowance::new();
        a.bytes = PORT_MAX;
        assert_eq!(a.counted(PORT_MAX), PORT_MIN);
        assert_eq!(a.counted(1000), 0);
    }
}
