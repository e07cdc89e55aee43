//! The pseudo-terminal the host talks to: opened with `openpty`, slave set raw (no echo, no
//! canonical mode, no signals, no CR/NL mapping, no flow control) so binary data passes
//! untouched, one slave descriptor held open inside the daemon so the master never sees
//! hang-ups when clients come and go, and the master driven through tokio's `AsyncFd`.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::openpty;
use nix::sys::termios::{self, SetArg};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The master side, readable and writable from tokio.
pub struct Pty {
    master: AsyncFd<OwnedFd>,
    /// Held so that the pty stays usable while no client has it open.
    _slave: OwnedFd,
    path: PathBuf,
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
        let path = std::fs::read_link(format!("/proc/self/fd/{}", pair.slave.as_raw_fd()))?;
        let flags = OFlag::from_bits_truncate(
            fcntl(pair.master.as_raw_fd(), FcntlArg::F_GETFL).map_err(io::Error::from)?,
        );
        fcntl(pair.master.as_raw_fd(), FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))
            .map_err(io::Error::from)?;
        // SAFETY: `OwnedFd` keeps the descriptor open and unchanged for as long as the
        // `AsyncFd` owns it.
        let master =
            unsafe { AsyncFd::register(pair.master) }.map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Pty { master, _slave: pair.slave, path })
    }

    /// The slave's device path (e.g. `/dev/pts/3`), which clients open.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl AsyncRead for Pty {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.master.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|fd| nix::unistd::read(fd.as_raw_fd(), unfilled).map_err(io::Error::from)) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                // EIO: no slave open right now (cannot happen while we hold one); retry later.
                Ok(Err(e)) if e.raw_os_error() == Some(libc::EIO) => {
                    guard.clear_ready();
                    continue;
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for Pty {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.master.poll_write_ready(cx))?;
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
