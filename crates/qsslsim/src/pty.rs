//! The pseudo-terminal the host talks to: opened with `openpty`, slave set raw (no echo, no
//! canonical mode, no signals, no CR/NL mapping, no flow control) so binary data passes
//! untouched, one slave descriptor held open inside the daemon so the master never sees
//! hang-ups when clients come and go, and the master driven through tokio's `AsyncFd`, split
//! into a reader and a writer ([`HostPort`]).
//!
//! The writer can tell how much the host has not read yet: `FIONREAD` on the slave descriptor
//! the daemon holds counts the bytes written to the master that no client has read. It counts
//! the slave's line-discipline buffer only (at most 4095 bytes on Linux), not the pty's
//! buffers in front of it: for a slow host the writer keeps the port below that anyway (see
//! `host_writer::PORT_MIN`), and a reading below it shows that nothing waits in front. A read
//! that (nearly) empties the slave's buffer wakes the master's writers; partial reads do not,
//! so the writer also polls on a short timer.

use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::openpty;
use nix::sys::termios::{self, SetArg};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::host_writer::{HostPort, PortWriter};

nix::ioctl_read_bad!(fionread, nix::libc::FIONREAD, nix::libc::c_int);

/// First interval of the unread poll, and its cap while the host reads nothing.
const POLL_MIN: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(8);
/// A count that has not moved for this long is not believed: the port is written to anyway and
/// its own buffer takes over. A host that reads, however slowly, moves the count well within
/// it; one that stopped reading fills the pty and the write waits there. Without this, a count
/// the kernel kept showing while the host found nothing to read stalled output for good.
const UNCHANGED_LIMIT: Duration = Duration::from_millis(100);

/// A pty pair; [`HostPort::split`] gives its two directions.
pub struct Pty {
    shared: Arc<Shared>,
    path: PathBuf,
}

struct Shared {
    master: AsyncFd<OwnedFd>,
    /// Held so that the pty stays usable while no client has it open, and to measure what
    /// the host has not read.
    slave: OwnedFd,
}

impl Pty {
    pub fn open() -> io::Result<Pty> {
        let pair = openpty(None, None).map_err(io::Error::from)?;
        let mut tio = termios::tcgetattr(&pair.slave).map_err(io::Error::from)?;
        termios::cfmakeraw(&mut tio);
        tio.local_flags
            .remove(termios::LocalFlags::ECHO | termios::LocalFlags::ICANON | termios::LocalFlags::ISIG);
        tio.input_flags
            .remove(termios::InputFlags::IXON | termios::InputFlags::IXOFF | termios::InputFlags::ICRNL);
        tio.output_flags.remove(termios::OutputFlags::OPOST);
        termios::tcsetattr(&pair.slave, SetArg::TCSANOW, &tio).map_err(io::Error::from)?;
        let path = nix::unistd::ttyname(&pair.slave).map_err(io::Error::from)?;
        let flags = OFlag::from_bits_truncate(
            fcntl(pair.master.as_raw_fd(), FcntlArg::F_GETFL).map_err(io::Error::from)?,
        );
        fcntl(pair.master.as_raw_fd(), FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))
            .map_err(io::Error::from)?;
        // SAFETY: `OwnedFd` keeps the descriptor open and unchanged for as long as the
        // `AsyncFd` owns it.
        let master =
            unsafe { AsyncFd::register(pair.master) }.map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Pty { shared: Arc::new(Shared { master, slave: pair.slave }), path })
    }

    /// The slave's device path (e.g. `/dev/pts/3`), which clients open.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl HostPort for Pty {
    type Reader = PtyReader;
    type Writer = PtyWriter;
    fn split(self) -> (PtyReader, PtyWriter) {
        let writer = PtyWriter {
            shared: self.shared.clone(),
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            armed: false,
            interval: POLL_MIN,
            last: 0,
            last_since: tokio::time::Instant::now(),
        };
        (PtyReader(self.shared), writer)
    }
}

/// What the host writes.
pub struct PtyReader(Arc<Shared>);

impl AsyncRead for PtyReader {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.0.master.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|fd| nix::unistd::read(fd.as_raw_fd(), unfilled).map_err(io::Error::from)) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                // EIO: no slave open right now (cannot happen while we hold one); retry later.
                Ok(Err(e)) if e.raw_os_error() == Some(nix::libc::EIO) => {
                    guard.clear_ready();
                    continue;
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

/// What the host reads.
pub struct PtyWriter {
    shared: Arc<Shared>,
    /// The timer of the unread poll, and whether it runs.
    timer: Pin<Box<Sleep>>,
    armed: bool,
    interval: Duration,
    /// The unread count the poll last saw, and since when it has shown it.
    last: usize,
    last_since: tokio::time::Instant,
}

impl PtyWriter {
    fn measure(&self) -> usize {
        let mut n: nix::libc::c_int = 0;
        // SAFETY: FIONREAD writes one c_int through the pointer, which is valid for that.
        match unsafe { fionread(self.shared.slave.as_raw_fd(), &mut n) } {
            Ok(_) => usize::try_from(n).unwrap_or(0),
            Err(_) => 0,
        }
    }
}

impl PortWriter for PtyWriter {
    fn unread(&self) -> Option<usize> {
        Some(self.measure())
    }

    fn poll_unread_below(&mut self, cx: &mut Context<'_>, bound: usize) -> Poll<usize> {
        loop {
            // A read that empties the slave's buffer wakes the master's writers. Each wake-up
            // (or the first look) is taken, then the count read after it, so none is missed.
            let woken = match self.shared.master.poll_write_ready(cx) {
                Poll::Ready(Ok(mut guard)) => {
                    guard.clear_ready();
                    true
                }
                // The port failed: let the write report it.
                Poll::Ready(Err(_)) => return Poll::Ready(0),
                Poll::Pending => false,
            };
            let fired = woken || !self.armed || self.timer.as_mut().poll(cx).is_ready();
            if !fired {
                return Poll::Pending;
            }
            let unread = self.measure();
            if unread < bound {
                self.armed = false;
                self.interval = POLL_MIN;
                return Poll::Ready(unread);
            }
            // Partial reads wake nobody: look again soon, less often while nothing changes.
            if unread != self.last {
                self.last = unread;
                self.last_since = tokio::time::Instant::now();
                self.interval = POLL_MIN;
            } else if self.last_since.elapsed() >= UNCHANGED_LIMIT {
                tracing::debug!(unread, "the pty's unread count has not moved: writing anyway");
                self.armed = false;
                self.interval = POLL_MIN;
                self.last_since = tokio::time::Instant::now();
                return Poll::Ready(0);
            } else if !woken {
                self.interval = (self.interval * 2).min(POLL_MAX);
            }
            self.timer.as_mut().reset(tokio::time::Instant::now() + self.interval);
            self.armed = true;
        }
    }
}

impl AsyncWrite for PtyWriter {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        // Try first: the unread poll may have cleared the write readiness of a writable port.
        match nix::unistd::write(self.shared.master.get_ref(), buf) {
            Err(nix::errno::Errno::EAGAIN) => {}
            other => return Poll::Ready(other.map_err(io::Error::from)),
        }
        loop {
            let mut guard = ready!(self.shared.master.poll_write_ready(cx))?;
            match guard.try_io(|fd| nix::unistd::write(fd, buf).map_err(io::Error::from)) {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
