#!/usr/bin/env python3
"""qsslsim benchmark suite (Python 3 standard library only).

Every figure is printed next to a reference measured in the same run, with the ratio and a
target. Misses are reported, never fatal; the exit status is 1 only when a measurement could
not be made at all (stall, wrong bytes, protocol error), since that is a bug, not a miss.

Run it after a release build (`make bench` does both):

    cargo build --release -p qsslsim && python3 bench/run.py

Sizes and counts (environment):

    QSSLSIM_BENCH_MB        transparent-mode transfer per direction, MiB      (default 64)
    QSSLSIM_BENCH_BUF_MB    buffer- and push-mode transfers, MiB              (default 16)
    QSSLSIM_BENCH_ITERS     AT->OK / echo round trips per side                 (default 2000)
    QSSLSIM_BENCH_STARTS    exec->READY launches per side                      (default 20)
    QSSLSIM_BENCH_REPEAT    rounds of the transparent and echo transfers (medians) (default 5)
    QSSLSIM_BIN             the daemon (default target/release/qsslsim)
    QSSLSIM_BENCH_SOCAT     socat (default: socat on PATH, else /usr/bin/socat)

`--quick` shrinks everything (4 MiB, 1 MiB, 300 iterations, 5 launches, 1 round) for a smoke run;
`--only NAME[,NAME]` runs a subset (latency, startup, transparent, tcp, echo, buffer, push,
slowhost). Only 127.0.0.1 is ever connected to: the TLS and plain TCP peers are `qsslsim peer`
on loopback.
"""

import argparse
import atexit
import datetime
import errno
import os
import platform
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import termios
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MiB = 1024 * 1024
GUARD_MS = 200  # --guard-time for the daemon, so +++ takes 0.6 s instead of 3 s
SEND_CHUNK = 1460  # AT+QSSLSEND maximum
RECV_CHUNK = 1500  # AT+QSSLRECV maximum
IO_CHUNK = 64 * 1024  # bytes offered per write()/asked per read() on the pty
STALL_S = 20.0  # no progress for this long is a stall


class BenchError(Exception):
    """A measurement that could not be made (stall, wrong bytes, protocol error)."""


# ---------------------------------------------------------------------------------------------
# child processes: every one is registered and stopped on any exit path

CHILDREN = []
TMP = tempfile.mkdtemp(prefix="qsslsim-bench-")


def spawn(argv, name):
    path = os.path.join(TMP, f"{name}-{time.monotonic_ns()}.log")
    with open(path, "wb") as log:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
    p.bench_log = path
    CHILDREN.append(p)
    return p


def stop(p):
    if p is None or p.poll() is not None:
        return
    try:
        p.terminate()
        p.wait(timeout=3)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=3)
    except ProcessLookupError:
        pass


def stop_all():
    for p in reversed(CHILDREN):
        stop(p)
    CHILDREN.clear()


KEEP_TMP = False  # set when something failed: the children's logs stay for a look


def cleanup():
    stop_all()
    if KEEP_TMP:
        print(f"logs of the processes kept in {TMP}", file=sys.stderr)
    else:
        shutil.rmtree(TMP, ignore_errors=True)


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)


atexit.register(cleanup)
for _sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(_sig, _on_signal)


def read_first_line(p, timeout):
    """The child's first stdout line, without blocking forever."""
    fd = p.stdout.fileno()
    line = b""
    deadline = time.monotonic() + timeout
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise BenchError(f"{p.args[0]}: no first line within {timeout} s (log {p.bench_log})")
        b = os.read(fd, 1)
        if not b:
            raise BenchError(f"{p.args[0]} exited ({p.wait()}) before its first line (log {p.bench_log})")
        line += b
    return line.decode().rstrip("\n")


def start_peer(mode, proto="tls"):
    p = spawn([BIN, "peer", "--listen", "127.0.0.1:0", "--mode", mode, "--proto", proto], f"peer-{proto}-{mode}")
    line = read_first_line(p, 10)
    m = re.fullmatch(r"LISTENING 127\.0\.0\.1:(\d+)", line)
    if not m:
        raise BenchError(f"peer printed {line!r}")
    return p, int(m.group(1))


def start_daemon(extra=()):
    p = spawn([BIN, "--guard-time", str(GUARD_MS), *extra], "qsslsim")
    line = read_first_line(p, 10)
    if not line.startswith("READY "):
        raise BenchError(f"daemon printed {line!r}")
    return p, line[len("READY "):]


def start_socat(second, name):
    link = os.path.join(TMP, f"{name}.pty")
    p = spawn([SOCAT, "-d", "-d", f"PTY,link={link},raw,echo=0", second], f"socat-{name}")
    deadline = time.monotonic() + 10
    while not os.path.exists(link):
        if p.poll() is not None:
            raise BenchError(f"socat exited ({p.returncode}); log {p.bench_log}")
        if time.monotonic() > deadline:
            raise BenchError("socat did not create its pty")
        time.sleep(0.001)
    return p, link


class Cpu(tuple):
    """(ns on CPU, times scheduled in) summed over a process's live threads, from
    /proc/<pid>/task/*/schedstat; subtract two samples to get a transfer's cost."""

    def __sub__(self, other):
        return Cpu((self[0] - other[0], self[1] - other[1]))


def cpu_ns(pid):
    total, slices = 0, 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    fields = f.read().split()
                total += int(fields[0])
                slices += int(fields[2])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        return Cpu((0, 0))
    return Cpu((total, slices))


def rss_kb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


# ---------------------------------------------------------------------------------------------
# the pty, opened the way pyserial does


def make_raw(fd):
    a = termios.tcgetattr(fd)
    a[0] &= ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP | termios.INLCR
              | termios.IGNCR | termios.ICRNL | termios.IXON | termios.IXOFF)
    a[1] &= ~termios.OPOST
    a[2] &= ~(termios.CSIZE | termios.PARENB)
    a[2] |= termios.CS8 | termios.CREAD | termios.CLOCAL
    a[3] &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.ISIG | termios.IEXTEN)
    a[6][termios.VMIN] = 1
    a[6][termios.VTIME] = 0
    # TCSANOW, not tty.setraw's TCSAFLUSH: input already queued must not be thrown away.
    termios.tcsetattr(fd, termios.TCSANOW, a)


def log_tail(p):
    """The interesting end of a child's stderr: a panic message if there is one."""
    try:
        with open(p.bench_log, errors="replace") as f:
            lines = [l.strip() for l in f if l.strip()]
    except OSError:
        return ""
    for i, l in enumerate(lines):
        if "panicked" in l:
            return " ".join(lines[i:i + 2])
    return " | ".join(lines[-3:])


class Port:
    """A nonblocking pty slave. Input that arrives while writing is kept in `self.buf`, so a
    write never deadlocks against output the other side is blocked on. `owner` is the process
    holding the master, named in errors when the pty hangs up."""

    def __init__(self, path, owner=None):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        make_raw(self.fd)
        self.owner = owner
        self.buf = bytearray()
        self.poll = select.poll()
        self.poll.register(self.fd, select.POLLIN)

    def close(self):
        os.close(self.fd)

    def hung_up(self):
        msg = "the pty hung up (its master was closed)"
        if self.owner is not None:
            rc = self.owner.poll()
            msg += f"; {os.path.basename(self.owner.args[0])} " + (
                f"exited with {rc}" if rc is not None else "is still running")
            tail = log_tail(self.owner)
            if tail:
                msg += f"; its stderr: {tail}"
        return BenchError(msg)

    def raw_read(self, n=IO_CHUNK):
        """One nonblocking read: b'' if nothing is there; a hang-up is an error."""
        try:
            data = os.read(self.fd, n)
        except BlockingIOError:
            return b""
        except OSError as e:
            if e.errno == errno.EIO:
                raise self.hung_up() from None
            raise
        if not data:
            raise self.hung_up()
        return data

    def raw_write(self, data):
        try:
            return os.write(self.fd, data)
        except BlockingIOError:
            return 0
        except OSError as e:
            if e.errno == errno.EIO:
                raise self.hung_up() from None
            raise

    def _take(self, data):
        self.buf += data

    def read_some(self, timeout):
        """One read; b'' on timeout."""
        if not self.poll.poll(timeout * 1000):
            return b""
        data = self.raw_read()
        self._take(data)
        return data

    def write_all(self, data, stall=STALL_S):
        mv = memoryview(data)
        last = time.monotonic()
        while mv:
            r, w, _ = select.select([self.fd], [self.fd], [], 1.0)
            if r:
                self._take(self.raw_read())
            if w:
                n = self.raw_write(mv[:IO_CHUNK])
                if n:
                    mv = mv[n:]
                    last = time.monotonic()
            if time.monotonic() - last > stall:
                raise BenchError(f"pty writer stalled: {len(mv)} bytes not accepted for {stall:.0f} s")

    def read_until(self, token, timeout=10.0, what=None):
        """Everything up to and including `token`; what follows stays in self.buf."""
        deadline = time.monotonic() + timeout
        while True:
            i = self.buf.find(token)
            if i >= 0:
                out = bytes(self.buf[: i + len(token)])
                del self.buf[: i + len(token)]
                return out
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"waiting for {what or token!r}: got {bytes(self.buf[-200:])!r} "
                                 f"after {timeout} s")
            self.read_some(min(left, 0.5))

    def command(self, line, expect=b"\r\nOK\r\n", timeout=10.0):
        self.write_all(line.encode() + b"\r")
        return self.read_until(expect, timeout, what=f"{expect!r} after {line}")


def module_init(port):
    """ATE0 (echo off, as every exchange below expects), RTS/CTS flow control (as host stacks
    set it: a transparent upload waits for the server instead of losing bytes) and the PDP
    context."""
    got = port.command("ATE0")
    if not got.endswith(b"\r\nOK\r\n"):
        raise BenchError(f"ATE0 answered {got!r}")
    port.command("AT+IFC=2,2")
    port.command("AT+QIACT=1")


# ---------------------------------------------------------------------------------------------
# AT response stream parser (ATE0): framed lines, the `> ` prompt, +QSSLRECV data blocks and
# push-mode `+QSSLURC: "recv",<id>,<len>` data


RE_PUSH = re.compile(rb'\+QSSLURC: "recv",(\d+),(\d+)')
RE_RECV = re.compile(rb"\+QSSLRECV: (\d+)")


class AtStream:
    def __init__(self, port):
        self.port = port
        self.buf = port.buf  # shares the bytes the port already holds
        self.pos = 0
        self.raw_left = 0  # data bytes still to come in the current block
        self.crlf_after = False  # +QSSLRECV data ends with its own CR LF
        self.events = []
        self.data_sink = lambda data: None  # called with each data piece

    def _parse(self):
        b = self.buf
        while True:
            if self.raw_left:
                n = min(self.raw_left, len(b) - self.pos)
                if n <= 0:
                    break
                piece = bytes(b[self.pos:self.pos + n])
                self.pos += n
                self.raw_left -= n
                self.data_sink(piece)
                continue
            avail = len(b) - self.pos
            if self.crlf_after:
                if avail < 2:
                    break
                if b[self.pos:self.pos + 2] != b"\r\n":
                    raise BenchError(f"+QSSLRECV data not followed by CR LF: {bytes(b[self.pos:self.pos+40])!r}")
                self.pos += 2
                self.crlf_after = False
                continue
            if avail < 2:
                break
            if b[self.pos:self.pos + 2] != b"\r\n":
                raise BenchError(f"unframed output at stream position: {bytes(b[self.pos:self.pos+60])!r}")
            if avail < 3:
                break
            if b[self.pos + 2] == ord(">"):
                if avail < 4:
                    break
                if b[self.pos + 3] == ord(" "):
                    self.pos += 4
                    self.events.append(("prompt", b"> "))
                    continue
            e = b.find(b"\r\n", self.pos + 2)
            if e < 0:
                break
            line = bytes(b[self.pos + 2:e])
            self.pos = e + 2
            m = RE_PUSH.fullmatch(line)
            if m:
                self.raw_left = int(m.group(2))
                self.events.append(("push", int(m.group(2))))
                continue
            m = RE_RECV.fullmatch(line)
            if m:
                n = int(m.group(1))
                self.raw_left = n
                self.crlf_after = n > 0
                self.events.append(("recv", n))
                continue
            self.events.append(("line", line))
        if self.pos > 1 << 20 or (self.pos and self.pos == len(b)):
            del b[: self.pos]
            self.pos = 0

    def next_event(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            self._parse()
            if self.events:
                return self.events.pop(0)
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"no AT output for {timeout} s; pending {bytes(self.buf[self.pos:][-120:])!r}")
            self.port.read_some(min(left, 0.5))

    def until_line(self, want, timeout=10.0, on_event=None):
        """Events up to the line `want` (bytes); others go to on_event or are an error."""
        deadline = time.monotonic() + timeout
        while True:
            ev = self.next_event(max(0.0, deadline - time.monotonic()))
            if ev == ("line", want):
                return
            if on_event and on_event(ev):
                continue
            raise BenchError(f"expected {want!r}, got {ev!r}")


# ---------------------------------------------------------------------------------------------
# data patterns

# The source peer writes this 16 KiB block over and over (see crates/qsslsim/src/peer.rs).
SOURCE_BLOCK = bytes(ord("a") + (i % 26) for i in range(16 * 1024))
SOURCE_WIDE = SOURCE_BLOCK * (2 + (IO_CHUNK + 2 * RECV_CHUNK) // len(SOURCE_BLOCK))


class SourceChecker:
    """Checks that received bytes continue the source peer's stream from its first byte."""

    def __init__(self, target=None):
        self.offset = 0
        self.bad_at = None
        self.target = target
        self.t_first = None  # when the first bytes were seen
        self.t_done = None  # when `target` bytes had been seen

    def __call__(self, data):
        n = len(data)
        if self.t_first is None:
            self.t_first = time.perf_counter()
        if self.bad_at is None:
            pos = self.offset % len(SOURCE_BLOCK)
            if SOURCE_WIDE[pos:pos + n] != data:
                exp = SOURCE_WIDE[pos:pos + n]
                i = next((k for k in range(n) if exp[k] != data[k]), n)
                self.bad_at = (self.offset + i, bytes(data[max(0, i - 8):i + 24]),
                               bytes(exp[max(0, i - 8):i + 24]))
        self.offset += n
        if self.t_done is None and self.target is not None and self.offset >= self.target:
            self.t_done = time.perf_counter()


def host_payload(nbytes):
    """What the host sends upstream: lowercase letters, so never a '+' for the escape detector."""
    block = bytes(ord("a") + (i * 7 % 26) for i in range(MiB))
    return (block * (nbytes // MiB + 1))[:nbytes]


# ---------------------------------------------------------------------------------------------
# delivery confirmation: the peer's TCP bytes_received, from `ss -ti`


def peer_tcp(port):
    """tcp_info of the peer's established connection on `port` (the one with the most bytes
    received) as a dict of the numeric `name:value` fields `ss -ti` prints, plus `t`: when
    it was taken (perf_counter)."""
    t0 = time.perf_counter()
    out = subprocess.run([SS, "-tinH", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, timeout=10).stdout
    t1 = time.perf_counter()
    best = None
    for line in out.splitlines():
        # A plain TCP connection that has received nothing yet has no bytes_received field.
        if "bytes_received:" not in line and "rtt:" not in line:
            continue
        info = {k: int(v) for k, v in re.findall(r"\b([a-z_]+):(\d+)\b", line)}
        info.setdefault("bytes_received", 0)
        info.setdefault("data_segs_in", 0)
        if best is None or info.get("bytes_received", 0) > best.get("bytes_received", 0):
            best = info
    if best is not None:
        best.setdefault("lastrcv", 0)
        best["t"] = (t0 + t1) / 2
    return best


def wait_delivered(peer_port, nbytes, t_start, out=None):
    """Seconds from t_start until the peer's TCP had received the last byte: polls until the
    count covers `nbytes` and is stable, then backs off by the kernel's `lastrcv` (ms).
    The final tcp_info goes into `out` (a dict) if given."""
    if not SS:
        return 0.0  # no `ss`: the caller falls back to the time the writes took
    prev = None
    deadline = time.monotonic() + STALL_S
    while time.monotonic() < deadline:
        info = peer_tcp(peer_port)
        if info and info["bytes_received"] >= nbytes and prev and info["bytes_received"] == prev["bytes_received"]:
            if out is not None:
                out.update(info)
            return info["t"] - info["lastrcv"] / 1000.0 - t_start
        prev = info
        time.sleep(0.05)
    raise BenchError(f"peer received {prev and prev['bytes_received']} of {nbytes} bytes (TCP, incl. TLS "
                     f"overhead) and stopped growing")


def wait_handshake(peer_port, timeout=10.0):
    """socat connects on its own: wait until the peer has sent its handshake and is idle."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = peer_tcp(peer_port)
        if info and info["bytes_received"] > 0:
            time.sleep(0.2)
            return
        time.sleep(0.02)
    raise BenchError("socat did not connect to the peer")


# ---------------------------------------------------------------------------------------------
# 1. AT->OK round trip, and the socat PIPE echo reference


def rtt_block(port, msg, expect, n, out):
    fd, poll, ns, read = port.fd, port.poll.poll, time.perf_counter_ns, port.raw_read
    want = len(expect)
    for _ in range(n):
        t0 = ns()
        os.write(fd, msg)
        got = b""
        while len(got) < want:
            if not poll(5000):
                raise BenchError(f"round trip stalled: sent {msg!r}, got {got!r} after 5 s")
            got += read(4096)
        t1 = ns()
        if got != expect:
            raise BenchError(f"sent {msg!r}, expected {expect!r}, got {got!r}")
        out.append((t1 - t0) / 1000.0)


def pct(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q / 100.0 * (len(s) - 1))))]


def bench_latency(R):
    d, dpath = start_daemon()
    s, slink = start_socat("PIPE", "echo")
    qp, sp = Port(dpath, d), Port(slink, s)
    try:
        module_init(qp)
        for c in ("ATI", "AT+CSQ", "AT+QIACT?", 'AT+QSSLCFG="seclevel",0'):
            qp.command(c)
        R["rss_q"] = rss_kb(d.pid)
        q, r = [], []
        rtt_block(qp, b"AT\r", b"\r\nOK\r\n", 200, [])  # warm-up
        rtt_block(sp, b"AT\r\n", b"AT\r\n", 200, [])
        R["rss_s"] = rss_kb(s.pid)
        block = 250
        while len(q) < ITERS:  # alternate blocks so both see the same machine state
            k = min(block, ITERS - len(q))
            rtt_block(qp, b"AT\r", b"\r\nOK\r\n", k, q)
            rtt_block(sp, b"AT\r\n", b"AT\r\n", k, r)
        R["at_q"], R["at_s"] = q, r
        R["rss_q_after"] = rss_kb(d.pid)
    finally:
        qp.close()
        sp.close()
        stop(d)
        stop(s)


# ---------------------------------------------------------------------------------------------
# 2. exec -> READY


def bench_startup(R):
    q, r = [], []
    for i in range(STARTS):
        link = os.path.join(TMP, f"start-{i}.pty")
        t0 = time.perf_counter()
        p = spawn([BIN, "--link", link], "start")
        line = read_first_line(p, 10)
        t1 = time.perf_counter()
        if i == 0:  # READY must mean the pty accepts input
            port = Port(line.split(" ", 1)[1])
            port.command("AT", expect=b"AT\r\r\nOK\r\n", timeout=5)
            port.close()
        stop(p)
        CHILDREN.remove(p)
        if not line.startswith("READY "):
            raise BenchError(f"first line {line!r}")
        q.append((t1 - t0) * 1000)

        link = os.path.join(TMP, f"start-s{i}.pty")
        t0 = time.perf_counter()
        p = spawn([SOCAT, f"PTY,link={link},raw,echo=0", "PIPE"], "start-socat")
        while not os.path.lexists(link):
            if p.poll() is not None:
                raise BenchError(f"socat exited {p.returncode}")
            time.sleep(0.0002)
        t1 = time.perf_counter()
        stop(p)
        CHILDREN.remove(p)
        r.append((t1 - t0) * 1000)
    R["start_q"], R["start_s"] = q, r


def wait_connected(peer_port, proto, timeout=10.0):
    """socat connects on its own: for TLS wait for its handshake; for plain TCP, where socat
    sends nothing before the data, until the peer has an established connection."""
    if proto == "tls":
        return wait_handshake(peer_port, timeout)
    if not SS:
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run([SS, "-tnH", "state", "established", f"( sport = :{peer_port} )"],
                             capture_output=True, text=True, timeout=10).stdout
        if out.strip():
            time.sleep(0.1)
            return
        time.sleep(0.02)
    raise BenchError("socat did not connect to the peer")


# ---------------------------------------------------------------------------------------------
# 3. transparent mode, both directions, against socat OPENSSL (TLS) and socat TCP (plain TCP)

# Per protocol: the module's transparent-mode open, its close, and socat's second address.
TRANSPARENT = {
    "tls": ('AT+QSSLOPEN=1,0,0,"127.0.0.1",{port},2', "AT+QSSLCLOSE=0,0", "OPENSSL:127.0.0.1:{port},verify=0"),
    "tcp": ('AT+QIOPEN=1,0,"TCP","127.0.0.1",{port},0,2', "AT+QICLOSE=0,0", "TCP:127.0.0.1:{port}"),
}


def escape_and_close(port, rest_is_data=None, close="AT+QSSLCLOSE=0,0"):
    """+++ with the guard times, expect OK, then close the socket at once. Returns the seconds
    from the last '+' to OK (the guard time plus the emulator's own delay), or None when no
    OK came within STALL_S while the server kept sending (the socket is then left open)."""
    time.sleep(GUARD_MS / 1000.0 * 1.5)
    port.write_all(b"+++")
    t0 = time.perf_counter()
    if rest_is_data is not None:  # data may still be in flight before OK: drain and discard
        deadline = time.monotonic() + STALL_S
        tail = b""
        while True:
            chunk = bytes(port.buf)
            port.buf.clear()
            hay = tail + chunk
            i = hay.find(b"\r\nOK\r\n")
            if i >= 0:
                port.buf += hay[i + 6:]
                break
            tail = hay[-5:]
            if time.monotonic() > deadline:
                return None  # the daemon is stopped by the caller
            port.read_some(0.5)
    else:
        port.read_until(b"\r\nOK\r\n", 10, "OK after +++")
    t_ok = time.perf_counter() - t0
    # A "recv" URC may come first if the server keeps sending: skip lines until OK.
    port.write_all(close.encode() + b"\r")
    port.read_until(b"\r\nOK\r\n", 10, f"OK after {close}")
    return t_ok


def tcp_segs(tcp0, tcp1):
    """Data segments the peer's TCP received during the transfer."""
    if "data_segs_in" in tcp0 and "data_segs_in" in tcp1:
        return tcp1["data_segs_in"] - tcp0["data_segs_in"]
    return None


def tls_overhead(tcp0, tcp1, nbytes):
    """Bytes the peer's TCP received beyond the payload: TLS record headers and tags."""
    if "bytes_received" in tcp0 and "bytes_received" in tcp1:
        return tcp1["bytes_received"] - tcp0["bytes_received"] - nbytes
    return None


def socat_cipher(p):
    try:
        with open(p.bench_log, errors="replace") as f:
            m = re.search(r"SSL connection using (\S+)", f.read())
            return m.group(1) if m else "?"
    except OSError:
        return "?"


def up_qsslsim(nbytes, payload, proto="tls"):
    opener, close, _ = TRANSPARENT[proto]
    peer, pport = start_peer("sink", proto)
    d, path = start_daemon()
    port = Port(path, d)
    try:
        module_init(port)
        port.command(opener.format(port=pport), expect=b"\r\nCONNECT\r\n", timeout=15)
        if port.buf:
            raise BenchError(f"unexpected bytes after CONNECT: {bytes(port.buf[:60])!r}")
        c0, p0 = cpu_ns(d.pid), cpu_ns(peer.pid)
        tcp0, tcp1 = (peer_tcp(pport) if SS else None) or {}, {}
        t0 = time.perf_counter()
        port.write_all(payload)
        t_written = time.perf_counter() - t0
        t_del = max(t_written, wait_delivered(pport, nbytes, t0, tcp1))
        cpu, pcpu = cpu_ns(d.pid) - c0, cpu_ns(peer.pid) - p0
        if port.buf:
            raise BenchError(f"unexpected output during upload: {bytes(port.buf[:80])!r}")
        t_esc = escape_and_close(port, close=close)
        return {"written": t_written, "delivered": t_del, "escape": t_esc, "hwm": rss_kb(d.pid, "VmHWM"),
                "cpu": cpu, "peer_cpu": pcpu, "tls_overhead": tls_overhead(tcp0, tcp1, nbytes),
                "segs": tcp_segs(tcp0, tcp1)}
    finally:
        port.close()
        stop(d)
        stop(peer)


def up_socat(nbytes, payload, proto="tls"):
    peer, pport = start_peer("sink", proto)
    s, link = start_socat(TRANSPARENT[proto][2].format(port=pport), f"up-{proto}")
    port = Port(link, s)
    try:
        wait_connected(pport, proto)
        c0, p0 = cpu_ns(s.pid), cpu_ns(peer.pid)
        tcp0, tcp1 = (peer_tcp(pport) if SS else None) or {}, {}
        t0 = time.perf_counter()
        port.write_all(payload)
        t_written = time.perf_counter() - t0
        t_del = max(t_written, wait_delivered(pport, nbytes, t0, tcp1))
        cpu, pcpu = cpu_ns(s.pid) - c0, cpu_ns(peer.pid) - p0
        return {"written": t_written, "delivered": t_del, "hwm": rss_kb(s.pid, "VmHWM"),
                "cpu": cpu, "peer_cpu": pcpu, "tls_overhead": tls_overhead(tcp0, tcp1, nbytes),
                "segs": tcp_segs(tcp0, tcp1), "cipher": socat_cipher(s)}
    finally:
        port.close()
        stop(s)
        stop(peer)


def read_stream(port, nbytes, checker, t0=None):
    """Read `nbytes` of raw data (the port's buffer first). Returns seconds from t0 (or from
    the first byte) to the last byte."""
    got = 0
    if port.buf:
        first = bytes(port.buf[:nbytes])
        del port.buf[: len(first)]
        checker(first)
        got += len(first)
        if t0 is None:
            t0 = time.perf_counter()
    poll, read = port.poll.poll, port.raw_read
    while got < nbytes:
        if not poll(STALL_S * 1000):
            raise BenchError(f"stream stalled after {got} of {nbytes} bytes")
        data = read()
        if not data:
            continue
        if t0 is None:
            t0 = time.perf_counter()
        if got + len(data) > nbytes:
            port.buf += data[nbytes - got:]
            data = data[: nbytes - got]
        checker(data)
        got += len(data)
    return time.perf_counter() - t0


def down_qsslsim(nbytes, proto="tls"):
    opener, close, _ = TRANSPARENT[proto]
    peer, pport = start_peer("source", proto)
    d, path = start_daemon()
    port = Port(path, d)
    try:
        module_init(port)
        c0, p0 = cpu_ns(d.pid), cpu_ns(peer.pid)
        port.command(opener.format(port=pport), expect=b"\r\nCONNECT\r\n", timeout=15)
        t0 = time.perf_counter()  # the data starts right after CONNECT
        chk = SourceChecker()
        secs = read_stream(port, nbytes, chk, t0)
        cpu, pcpu = cpu_ns(d.pid) - c0, cpu_ns(peer.pid) - p0
        if chk.bad_at:
            raise BenchError("wrong bytes at offset %d: got %r, expected %r" % chk.bad_at)
        t_esc = escape_and_close(port, rest_is_data=True, close=close)
        return {"secs": secs, "escape": t_esc, "hwm": rss_kb(d.pid, "VmHWM"), "cpu": cpu, "peer_cpu": pcpu}
    finally:
        port.close()
        stop(d)
        stop(peer)


def down_socat(nbytes, proto="tls"):
    peer, pport = start_peer("source", proto)
    c0, p0 = Cpu((0, 0)), cpu_ns(peer.pid)
    s, link = start_socat(TRANSPARENT[proto][2].format(port=pport), f"down-{proto}")
    port = Port(link, s)
    try:
        chk = SourceChecker()
        secs = read_stream(port, nbytes, chk, None)  # clock starts at the first byte read
        cpu, pcpu = cpu_ns(s.pid) - c0, cpu_ns(peer.pid) - p0
        if chk.bad_at:
            raise BenchError("socat: wrong bytes at offset %d: got %r, expected %r" % chk.bad_at)
        return {"secs": secs, "hwm": rss_kb(s.pid, "VmHWM"), "cpu": cpu, "peer_cpu": pcpu}
    finally:
        port.close()
        stop(s)
        stop(peer)


def bench_transparent(R):
    """REPEAT rounds, each alternating qsslsim and socat per direction; the medians count."""
    n = TRANS_MB * MiB
    payload = host_payload(n)
    for k in ("up_q", "up_s", "down_q", "down_s"):
        R[k] = []
    for _ in range(REPEAT):
        R["up_q"].append(up_qsslsim(n, payload))
        R["up_s"].append(up_socat(n, payload))
        R["down_q"].append(down_qsslsim(n))
        R["down_s"].append(down_socat(n))


def bench_tcp(R):
    """Plain TCP transparent mode (AT+QIOPEN ...,0,2) against socat TCP, both directions, to the
    peer's plain TCP sink and source; REPEAT rounds, alternating, the medians count."""
    n = TRANS_MB * MiB
    payload = host_payload(n)
    for k in ("tup_q", "tup_s", "tdown_q", "tdown_s"):
        R[k] = []
    for _ in range(REPEAT):
        R["tup_q"].append(up_qsslsim(n, payload, "tcp"))
        R["tup_s"].append(up_socat(n, payload, "tcp"))
        R["tdown_q"].append(down_qsslsim(n, "tcp"))
        R["tdown_s"].append(down_socat(n, "tcp"))


def duplex(port, payload, stall=STALL_S):
    """Write `payload` while reading the echo back and comparing it; returns (seconds from the
    first write to the last echoed byte, first mismatch or None)."""
    fd = port.fd
    mv = memoryview(payload)
    n = len(payload)
    sent = got = 0
    bad = None
    if port.buf:
        raise BenchError(f"unexpected bytes before the echo test: {bytes(port.buf[:60])!r}")
    t0 = last = time.perf_counter()
    while got < n:
        r, w, _ = select.select([fd], [fd] if sent < n else [], [], 1.0)
        if r:
            data = port.raw_read()
            if data:
                if got + len(data) > n:
                    raise BenchError(f"echo returned {got + len(data) - n} bytes more than sent")
                if bad is None and payload[got:got + len(data)] != data:
                    exp = payload[got:got + len(data)]
                    i = next(k for k in range(len(data)) if exp[k] != data[k])
                    bad = (got + i, bytes(data[max(0, i - 8):i + 16]), bytes(exp[max(0, i - 8):i + 16]))
                got += len(data)
                last = time.perf_counter()
        if w:
            k = port.raw_write(mv[sent:sent + IO_CHUNK])
            if k:
                sent += k
                last = time.perf_counter()
        if time.perf_counter() - last > stall:
            raise BenchError(f"echo stalled: sent {sent}, got back {got} of {n}")
    return time.perf_counter() - t0, bad


def echo_qsslsim(payload):
    peer, pport = start_peer("echo")
    d, path = start_daemon()
    port = Port(path, d)
    try:
        module_init(port)
        port.command(f'AT+QSSLOPEN=1,0,0,"127.0.0.1",{pport},2', expect=b"\r\nCONNECT\r\n", timeout=15)
        secs, bad = duplex(port, payload)
        if bad:
            raise BenchError("transparent echo: wrong bytes at offset %d: got %r, expected %r" % bad)
        escape_and_close(port)
        return secs
    finally:
        port.close()
        stop(d)
        stop(peer)


def echo_socat(payload):
    peer, pport = start_peer("echo")
    s, link = start_socat(f"OPENSSL:127.0.0.1:{pport},verify=0", "echo")
    port = Port(link, s)
    try:
        wait_handshake(pport)
        secs, bad = duplex(port, payload)
        if bad:
            raise BenchError("socat echo: wrong bytes at offset %d: got %r, expected %r" % bad)
        return secs
    finally:
        port.close()
        stop(s)
        stop(peer)


def bench_echo(R):
    """Binary integrity (all 256 byte values, '+', CR, LF, Ctrl+Z) through an echo peer, full
    duplex, in transparent mode; socat the same. REPEAT rounds, alternating, medians count."""
    n = BUF_MB * MiB
    payload = os.urandom(n)
    R["echo_q"], R["echo_s"] = [], []
    for _ in range(REPEAT):
        R["echo_q"].append(echo_qsslsim(payload))
        R["echo_s"].append(echo_socat(payload))
    R["becho"] = buffer_echo(os.urandom(min(n, MiB)))


# ---------------------------------------------------------------------------------------------
# 4. buffer mode (QSSLSEND / QSSLRECV) and push mode


def open_socket(port, at, pport, mode):
    port.write_all(f'AT+QSSLOPEN=1,0,0,"127.0.0.1",{pport},{mode}\r'.encode())
    at.until_line(b"OK")
    t0 = time.perf_counter()
    at.until_line(b"+QSSLOPEN: 0,0", timeout=15)
    return time.perf_counter() - t0


def close_socket(port, at, on_event=None):
    port.write_all(b"AT+QSSLCLOSE=0,0\r")
    at.until_line(b"OK", on_event=on_event or (lambda ev: ev[0] == "line" and ev[1].startswith(b"+QSSLURC")))


def bench_buffer_send(R):
    n = BUF_MB * MiB
    payload = host_payload(n)
    peer, pport = start_peer("sink")
    d, path = start_daemon()
    port = Port(path, d)
    try:
        module_init(port)
        at = AtStream(port)
        R["open_q"] = open_socket(port, at, pport, 0)
        fails = 0
        fail_wait = 0.0
        sent = 0
        mv = memoryview(payload)
        t0 = time.perf_counter()
        while sent < n:
            k = min(SEND_CHUNK, n - sent)
            port.write_all(b"AT+QSSLSEND=0,%d\r" % k)
            ev = at.next_event()
            if ev != ("prompt", b"> "):
                raise BenchError(f"AT+QSSLSEND: expected '> ', got {ev!r}")
            port.write_all(mv[sent:sent + k])
            while True:
                ev = at.next_event()
                if ev == ("line", b"SEND OK"):
                    sent += k
                    break
                if ev == ("line", b"SEND FAIL"):
                    fails += 1
                    tf = time.perf_counter()
                    time.sleep(0.001)
                    fail_wait += time.perf_counter() - tf
                    break
                if ev[0] == "line" and ev[1].startswith(b"+QSSLURC"):
                    continue
                raise BenchError(f"after QSSLSEND data: {ev!r}")
        t_acc = time.perf_counter() - t0
        t_del = max(t_acc, wait_delivered(pport, n, t0))
        close_socket(port, at)
        R["bsend"] = {"accepted": t_acc, "delivered": t_del, "fails": fails, "fail_wait": fail_wait,
                      "ops": (n + SEND_CHUNK - 1) // SEND_CHUNK}
    finally:
        port.close()
        stop(d)
        stop(peer)


def bench_buffer_recv(R):
    n = BUF_MB * MiB
    peer, pport = start_peer("source")
    d, path = start_daemon()
    port = Port(path, d)
    try:
        module_init(port)
        at = AtStream(port)
        chk = SourceChecker()
        at.data_sink = chk
        open_socket(port, at, pport, 0)
        at.until_line(b'+QSSLURC: "recv",0')
        got, empties, urc_wait, urcs, ops = 0, 0, 0.0, 0, 0
        t0 = time.perf_counter()
        while chk.offset < n:
            port.write_all(b"AT+QSSLRECV=0,%d\r" % RECV_CHUNK)
            ops += 1
            while True:
                ev = at.next_event()
                if ev[0] == "recv":
                    got = ev[1]
                    continue
                if ev == ("line", b"OK"):
                    break
                if ev == ("line", b'+QSSLURC: "recv",0'):
                    urcs += 1
                    continue
                raise BenchError(f"AT+QSSLRECV: unexpected {ev!r}")
            if got == 0:  # empty: wait for the URC like a host would
                empties += 1
                tw = time.perf_counter()
                at.until_line(b'+QSSLURC: "recv",0', timeout=STALL_S)
                urc_wait += time.perf_counter() - tw
        secs = time.perf_counter() - t0
        got_bytes = chk.offset
        if chk.bad_at:
            raise BenchError("AT+QSSLRECV: wrong bytes at offset %d: got %r, expected %r" % chk.bad_at)
        close_socket(port, at)
        R["brecv"] = {"secs": secs, "bytes": got_bytes, "ops": ops, "empties": empties,
                      "urc_wait": urc_wait, "urcs": urcs}
    finally:
        port.close()
        stop(d)
        stop(peer)


def bench_push(R):
    n = BUF_MB * MiB
    peer, pport = start_peer("source")
    d, path = start_daemon()
    port = Port(path, d)
    try:
        module_init(port)
        at = AtStream(port)
        chk = SourceChecker(target=n)
        at.data_sink = chk
        port.write_all(f'AT+QSSLOPEN=1,0,0,"127.0.0.1",{pport},1\r'.encode())
        at.until_line(b"OK")
        at.until_line(b"+QSSLOPEN: 0,0", timeout=15)
        t0 = time.perf_counter()  # push data follows the open URC
        frames, sizes = 0, {}
        while chk.t_done is None:
            ev = at.next_event(STALL_S)
            if ev[0] != "push":
                raise BenchError(f"push mode: unexpected {ev!r}")
            frames += 1
            sizes[ev[1]] = sizes.get(ev[1], 0) + 1
        secs = chk.t_done - t0
        got_bytes = n  # t_done is when the n-th byte came
        if chk.bad_at:
            raise BenchError("push mode: wrong bytes at offset %d: got %r, expected %r" % chk.bad_at)
        tc = time.perf_counter()
        close_socket(port, at, on_event=lambda ev: ev[0] == "push" or
                     (ev[0] == "line" and ev[1].startswith(b"+QSSLURC")))
        R["push_close"] = time.perf_counter() - tc
        big = max(sizes, key=sizes.get)
        R["push"] = {"secs": secs, "bytes": got_bytes, "frames": frames, "common": big,
                     "common_n": sizes[big]}
    finally:
        port.close()
        stop(d)
        stop(peer)


def buffer_echo(payload):
    """Buffer mode against an echo peer: QSSLSEND chunks at most a window ahead of what
    QSSLRECV has read back; every byte compared. Returns a dict of counts and seconds."""
    peer, pport = start_peer("echo")
    d, path = start_daemon()
    port = Port(path, d)
    try:
        module_init(port)
        at = AtStream(port)
        back = bytearray()
        at.data_sink = back.extend
        open_socket(port, at, pport, 0)
        n = len(payload)
        mv = memoryview(payload)
        sent = fails = empties = 0
        urcs = [0]
        window = 32 * SEND_CHUNK

        def urc(ev):
            if ev == ("line", b'+QSSLURC: "recv",0'):
                urcs[0] += 1
                return True
            return False

        def next_non_urc():
            while True:
                ev = at.next_event()
                if not urc(ev):
                    return ev

        t0 = time.perf_counter()
        while len(back) < n:
            while sent < n and sent - len(back) < window:
                k = min(SEND_CHUNK, n - sent)
                port.write_all(b"AT+QSSLSEND=0,%d\r" % k)
                ev = next_non_urc()
                if ev != ("prompt", b"> "):
                    raise BenchError(f"AT+QSSLSEND: expected '> ', got {ev!r}")
                port.write_all(mv[sent:sent + k])
                ev = next_non_urc()
                if ev == ("line", b"SEND OK"):
                    sent += k
                elif ev == ("line", b"SEND FAIL"):
                    fails += 1
                    break
                else:
                    raise BenchError(f"after QSSLSEND data: {ev!r}")
            port.write_all(b"AT+QSSLRECV=0,%d\r" % RECV_CHUNK)
            ev = next_non_urc()
            if ev[0] != "recv":
                raise BenchError(f"AT+QSSLRECV: expected +QSSLRECV, got {ev!r}")
            got = ev[1]
            ev = next_non_urc()
            if ev != ("line", b"OK"):
                raise BenchError(f"AT+QSSLRECV: expected OK after the data, got {ev!r}")
            if got == 0 and len(back) < n:
                empties += 1
                before = urcs[0]
                deadline = time.monotonic() + STALL_S
                while urcs[0] == before:
                    ev = at.next_event(max(0.0, deadline - time.monotonic()))
                    if not urc(ev):
                        raise BenchError(f"waiting for the recv URC: {ev!r}")
        secs = time.perf_counter() - t0
        if bytes(back) != payload:
            i = next((k for k in range(min(len(back), n)) if back[k] != payload[k]), min(len(back), n))
            raise BenchError(f"buffer echo: wrong bytes at offset {i}: got {bytes(back[i:i+16])!r}, "
                             f"expected {payload[i:i+16]!r}")
        close_socket(port, at)
        return {"secs": secs, "bytes": n, "fails": fails, "empties": empties, "urcs": urcs[0]}
    finally:
        port.close()
        stop(d)
        stop(peer)


# A host that reads like a 921600-baud UART (~100 KB/s): slower than the server sends, which is
# the normal case for a real module. Commands and +++ must still get through.
SLOW_CHUNK, SLOW_PAUSE, SLOW_LIMIT = 1024, 0.010, 5.0


def paced_drain(port, token, secs):
    """Read SLOW_CHUNK bytes every SLOW_PAUSE s until `token` (after the call started) or
    `secs` pass. Returns (seconds until token, or None; bytes read)."""
    t0 = time.perf_counter()
    tail = bytes(port.buf)
    port.buf.clear()
    drained = len(tail)
    while True:
        if token and token in tail:
            return time.perf_counter() - t0, drained
        if time.perf_counter() - t0 > secs:
            return None, drained
        if port.poll.poll(100):
            x = port.raw_read(SLOW_CHUNK)
            drained += len(x)
            tail = tail[-8:] + x
        time.sleep(SLOW_PAUSE)


def bench_slowhost(R):
    peer, pport = start_peer("source")
    d, path = start_daemon()
    port = Port(path, d)
    try:
        module_init(port)
        port.command(f'AT+QSSLOPEN=1,0,0,"127.0.0.1",{pport},2', expect=b"\r\nCONNECT\r\n", timeout=15)
        paced_drain(port, None, 1.0)  # steady state; also >= the guard time of silence
        port.write_all(b"+++")
        R["slow_esc"], R["slow_esc_bytes"] = paced_drain(port, b"\r\nOK\r\n", SLOW_LIMIT)
    finally:
        port.close()
        stop(d)
        stop(peer)
    peer, pport = start_peer("source")
    d, path = start_daemon()
    port = Port(path, d)
    try:
        module_init(port)
        port.write_all(f'AT+QSSLOPEN=1,0,0,"127.0.0.1",{pport},1\r'.encode())
        paced_drain(port, None, 1.0)  # OK, +QSSLOPEN, then push data
        port.write_all(b"AT+QSSLCLOSE=0,0\r")
        R["slow_close"], R["slow_close_bytes"] = paced_drain(port, b"\r\nOK\r\n", SLOW_LIMIT)
    finally:
        port.close()
        stop(d)
        stop(peer)


def bench_buffer(R):
    bench_buffer_send(R)
    bench_buffer_recv(R)


# ---------------------------------------------------------------------------------------------
# report


ROWS = []


def row(name, value, ref, ratio, target, result):
    ROWS.append((name, value, ref, ratio, target, result))


def verdict(ok):
    return "PASS" if ok else "MISS"


def mbps(nbytes, secs):
    return nbytes / MiB / secs if secs and secs > 0 else float("nan")


def report(R, errors):
    if "at_q" in R:
        q50, s50 = statistics.median(R["at_q"]), statistics.median(R["at_s"])
        q99, s99 = pct(R["at_q"], 99), pct(R["at_s"], 99)
        row(f"AT->OK round trip p50 (n={len(R['at_q'])})", f"{q50:.1f} us", f"{s50:.1f} us socat echo",
            f"{q50 / s50:.2f}x", "<= 1.5x", verdict(q50 <= 1.5 * s50))
        row("AT->OK round trip p99", f"{q99:.1f} us", f"{s99:.1f} us socat echo", f"{q99 / s99:.2f}x",
            "info", "-")
        row("idle RSS (VmRSS)", f"{R['rss_q'] / 1024:.1f} MB", f"{R['rss_s'] / 1024:.1f} MB socat",
            f"{R['rss_q'] / R['rss_s']:.2f}x", "< 10 MB", verdict(R["rss_q"] < 10 * 1024))
    elif "latency" in errors:
        row("AT->OK round trip p50", "ERROR", "", "", "<= 1.5x", "ERROR")
    if "start_q" in R:
        q, s = statistics.median(R["start_q"]), statistics.median(R["start_s"])
        row(f"exec -> READY, median of {len(R['start_q'])}", f"{q:.1f} ms", f"{s:.1f} ms socat pty",
            f"{q / s:.2f}x", "< 50 ms", verdict(q < 50))
    elif "startup" in errors:
        row("exec -> READY", "ERROR", "", "", "< 50 ms", "ERROR")
    n = TRANS_MB * MiB
    up_ref = down_ref = None
    if R.get("up_q") and len(R.get("up_s", [])) == len(R["up_q"]):
        q = statistics.median(mbps(n, r["delivered"]) for r in R["up_q"])
        s = statistics.median(mbps(n, r["delivered"]) for r in R["up_s"])
        up_ref = q
        row(f"transparent host->server, {TRANS_MB} MiB", f"{q:.1f} MB/s", f"{s:.1f} MB/s socat",
            f"{q / s:.2f}x", ">= 0.95x", verdict(q >= 0.95 * s))
        q2 = statistics.median(mbps(n, r["written"]) for r in R["up_q"])
        s2 = statistics.median(mbps(n, r["written"]) for r in R["up_s"])
        row("  (pty writes accepted only)", f"{q2:.1f} MB/s", f"{s2:.1f} MB/s socat", f"{q2 / s2:.2f}x",
            "info", "-")
    if R.get("down_q") and len(R.get("down_s", [])) == len(R["down_q"]):
        q = statistics.median(mbps(n, r["secs"]) for r in R["down_q"])
        s = statistics.median(mbps(n, r["secs"]) for r in R["down_s"])
        down_ref = q
        row(f"transparent server->host, {TRANS_MB} MiB", f"{q:.1f} MB/s", f"{s:.1f} MB/s socat",
            f"{q / s:.2f}x", ">= 0.95x", verdict(q >= 0.95 * s))
    if "transparent" in errors:
        row("transparent mode", "ERROR", "", "", ">= 0.95x", "ERROR")
    if R.get("tup_q") and len(R.get("tup_s", [])) == len(R["tup_q"]):
        q = statistics.median(mbps(n, r["delivered"]) for r in R["tup_q"])
        s = statistics.median(mbps(n, r["delivered"]) for r in R["tup_s"])
        row(f"TCP transparent host->server, {TRANS_MB} MiB", f"{q:.1f} MB/s", f"{s:.1f} MB/s socat TCP",
            f"{q / s:.2f}x", ">= 0.95x", verdict(q >= 0.95 * s))
    if R.get("tdown_q") and len(R.get("tdown_s", [])) == len(R["tdown_q"]):
        q = statistics.median(mbps(n, r["secs"]) for r in R["tdown_q"])
        s = statistics.median(mbps(n, r["secs"]) for r in R["tdown_s"])
        row(f"TCP transparent server->host, {TRANS_MB} MiB", f"{q:.1f} MB/s", f"{s:.1f} MB/s socat TCP",
            f"{q / s:.2f}x", ">= 0.95x", verdict(q >= 0.95 * s))
    if "tcp" in errors:
        row("TCP transparent mode", "ERROR", "", "", ">= 0.95x", "ERROR")
    if R.get("echo_s"):
        nb = BUF_MB * MiB
        q = statistics.median(mbps(nb, t) for t in R["echo_q"])
        s = statistics.median(mbps(nb, t) for t in R["echo_s"])
        row(f"transparent echo, binary, {BUF_MB} MiB", f"{q:.1f} MB/s", f"{s:.1f} MB/s socat", f"{q / s:.2f}x",
            ">= 0.95x", verdict(q >= 0.95 * s))
    if "becho" in R:
        b = R["becho"]
        v = mbps(b["bytes"], b["secs"])
        row(f"buffer echo, binary, {b['bytes'] // MiB} MiB", f"{v:.2f} MB/s", "-", "-", "bytes intact", "PASS")
    if "echo" in errors:
        row("echo integrity", "ERROR", "", "", "bytes intact", "ERROR")
    nb = BUF_MB * MiB

    def vs(val, ref, label):
        if ref:
            return f"{ref:.1f} MB/s {label}", f"{val / ref:.2f}x"
        return "-", "-"

    if "bsend" in R:
        v = mbps(nb, R["bsend"]["delivered"] or R["bsend"]["accepted"])
        rtxt, rat = vs(v, up_ref, "transparent")
        row(f"buffer QSSLSEND 1460 B, {BUF_MB} MiB", f"{v:.2f} MB/s", rtxt, rat, "info", "-")
    if "brecv" in R:
        v = mbps(R["brecv"]["bytes"], R["brecv"]["secs"])
        rtxt, rat = vs(v, down_ref, "transparent")
        row(f"buffer QSSLRECV 1500 B, {BUF_MB} MiB", f"{v:.2f} MB/s", rtxt, rat, "info", "-")
    if "buffer" in errors:
        row("buffer mode", "ERROR", "", "", "info", "ERROR")
    if "push" in R:
        v = mbps(R["push"]["bytes"], R["push"]["secs"])
        rtxt, rat = vs(v, down_ref, "transparent")
        row(f"push mode URC 'recv', {BUF_MB} MiB", f"{v:.2f} MB/s", rtxt, rat, "info", "-")
    if "push" in errors:
        row("push mode", "ERROR", "", "", "info", "ERROR")

    esc_idle = statistics.median(r["escape"] for r in R["up_q"]) * 1000 if R.get("up_q") else None
    esc_ref = f"{esc_idle:.0f} ms idle" if esc_idle else f"guard {GUARD_MS} ms"
    esc_base = esc_idle or GUARD_MS
    esc_target = GUARD_MS + 100
    if R.get("down_q"):
        v = statistics.median(r["escape"] if r["escape"] is not None else float("inf")
                              for r in R["down_q"]) * 1000
        row("+++ -> OK, server streaming, fast host",
            f"{v:.0f} ms" if v != float("inf") else f"none in {STALL_S:.0f} s", esc_ref, f"{v / esc_base:.2f}x",
            f"<= {esc_target} ms", verdict(v <= esc_target))
    if "slow_esc" in R:
        v = R["slow_esc"]
        row("+++ -> OK, server streaming, 100 KB/s host", f"{v * 1000:.0f} ms" if v else f"none in {SLOW_LIMIT:.0f} s",
            esc_ref, f"{v * 1000 / esc_base:.2f}x" if v else "inf",
            f"<= {esc_target} ms", verdict(v is not None and v * 1000 <= esc_target))
    if "slow_close" in R:
        v = R["slow_close"]
        ref = R.get("push_close")
        row("push AT+QSSLCLOSE -> OK, 100 KB/s host", f"{v * 1000:.0f} ms" if v else f"none in {SLOW_LIMIT:.0f} s",
            f"{ref * 1000:.0f} ms fast host" if ref else "-",
            (f"{v / ref:.0f}x" if v else "inf") if ref else "-",
            "<= 300 ms", verdict(v is not None and v <= 0.3))
    if "slowhost" in errors:
        row("slow host", "ERROR", "", "", "", "ERROR")

    heads = ("figure", "qsslsim", "reference (same run)", "ratio", "target", "result")
    widths = [max(len(str(r[i])) for r in ROWS + [heads]) for i in range(6)]
    line = "  ".join("-" * w for w in widths)
    print()
    print("  ".join(h.ljust(w) for h, w in zip(heads, widths)))
    print(line)
    for r in ROWS:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print(line)

    notes = []
    if "at_q" in R:
        notes.append(f"AT round trip: qsslsim min {min(R['at_q']):.1f} us / max {max(R['at_q']):.1f} us; "
                     f"socat min {min(R['at_s']):.1f} us / max {max(R['at_s']):.1f} us; "
                     f"RSS after {len(R['at_q']) + 200} ATs {R['rss_q_after'] / 1024:.1f} MB")
    if "start_q" in R:
        notes.append(f"exec -> READY: qsslsim min {min(R['start_q']):.1f} / max {max(R['start_q']):.1f} ms; "
                     f"socat min {min(R['start_s']):.1f} / max {max(R['start_s']):.1f} ms")
    def spread(rs, key, total):
        return "/".join(f"{mbps(total, r[key]):.0f}" for r in rs)

    if R.get("up_q") and R.get("up_s"):
        u, us_ = R["up_q"], R["up_s"]
        notes.append(f"host->server MB/s per round (delivered): qsslsim {spread(u, 'delivered', n)}, "
                     f"socat {spread(us_, 'delivered', n)}; +++ -> OK "
                     f"{statistics.median(r['escape'] for r in u) * 1000:.0f} ms with --guard-time {GUARD_MS}; "
                     f"peak RSS qsslsim {max(r['hwm'] for r in u) / 1024:.1f} MB, "
                     f"socat {max(r['hwm'] for r in us_) / 1024:.1f} MB")
    if R.get("down_q") and R.get("down_s"):
        dq, ds = R["down_q"], R["down_s"]
        notes.append(f"server->host MB/s per round: qsslsim {spread(dq, 'secs', n)}, socat {spread(ds, 'secs', n)}; "
                     f"bytes verified; +++ -> OK per round while data flowed: "
                     f"{'/'.join('%.0f' % (r['escape'] * 1000) if r['escape'] else 'none' for r in dq)} ms; peak RSS qsslsim {max(r['hwm'] for r in dq) / 1024:.1f} MB, "
                     f"socat {max(r['hwm'] for r in ds) / 1024:.1f} MB")
    def cpu_per_mib(rs, key="cpu"):
        return statistics.median(r[key][0] / 1e6 / TRANS_MB for r in rs)

    def slices_per_mib(rs, key="cpu"):
        return statistics.median(r[key][1] / TRANS_MB for r in rs)

    if R.get("up_q") and R.get("up_s") and R["up_q"][0].get("tls_overhead"):
        def rec(rs):  # AES-GCM in TLS 1.2: 29 bytes per record (5 header, 8 nonce, 16 tag)
            return statistics.median(n / (r["tls_overhead"] / 29.0) for r in rs if r["tls_overhead"])
        notes.append(f"host->server TLS records at the peer (from its TCP byte count, 29 B overhead per "
                     f"record): qsslsim ~{rec(R['up_q']):.0f} B per record, socat ~{rec(R['up_s']):.0f} B; "
                     f"TCP data segments: qsslsim {statistics.median(r['segs'] or 0 for r in R['up_q']):.0f}, "
                     f"socat {statistics.median(r['segs'] or 0 for r in R['up_s']):.0f}; "
                     f"socat negotiated {R['up_s'][0].get('cipher', '?')}")
    for d_, label in (("up", "host->server"), ("down", "server->host")):
        if R.get(d_ + "_q") and R.get(d_ + "_s"):
            q, s = R[d_ + "_q"], R[d_ + "_s"]
            notes.append(f"{label} CPU per MiB (median, all threads, incl. TLS and handshake): qsslsim "
                         f"{cpu_per_mib(q):.2f} ms, socat {cpu_per_mib(s):.2f} ms; the TLS peer "
                         f"{cpu_per_mib(q, 'peer_cpu'):.2f} ms vs {cpu_per_mib(s, 'peer_cpu'):.2f} ms; "
                         f"times scheduled per MiB: qsslsim {slices_per_mib(q):.0f}, socat {slices_per_mib(s):.0f}, "
                         f"peer {slices_per_mib(q, 'peer_cpu'):.0f} vs {slices_per_mib(s, 'peer_cpu'):.0f}")
    if R.get("tup_q") and R.get("tup_s"):
        u, us_ = R["tup_q"], R["tup_s"]
        notes.append(f"TCP host->server MB/s per round (delivered): qsslsim {spread(u, 'delivered', n)}, "
                     f"socat {spread(us_, 'delivered', n)}; TCP data segments: qsslsim "
                     f"{statistics.median(r['segs'] or 0 for r in u):.0f}, socat "
                     f"{statistics.median(r['segs'] or 0 for r in us_):.0f}; +++ -> OK "
                     f"{statistics.median(r['escape'] for r in u) * 1000:.0f} ms")
    if R.get("tdown_q") and R.get("tdown_s"):
        dq, ds = R["tdown_q"], R["tdown_s"]
        notes.append(f"TCP server->host MB/s per round: qsslsim {spread(dq, 'secs', n)}, "
                     f"socat {spread(ds, 'secs', n)}; bytes verified")
    for d_, label in (("tup", "TCP host->server"), ("tdown", "TCP server->host")):
        if R.get(d_ + "_q") and R.get(d_ + "_s"):
            q, s = R[d_ + "_q"], R[d_ + "_s"]
            notes.append(f"{label} CPU per MiB (median, all threads): qsslsim {cpu_per_mib(q):.2f} ms, "
                         f"socat {cpu_per_mib(s):.2f} ms; the TCP peer {cpu_per_mib(q, 'peer_cpu'):.2f} ms vs "
                         f"{cpu_per_mib(s, 'peer_cpu'):.2f} ms; times scheduled per MiB: qsslsim "
                         f"{slices_per_mib(q):.0f}, socat {slices_per_mib(s):.0f}")
    if R.get("echo_s"):
        nb = BUF_MB * MiB
        notes.append(f"echo MB/s per round: qsslsim {'/'.join('%.0f' % mbps(nb, t) for t in R['echo_q'])}, "
                     f"socat {'/'.join('%.0f' % mbps(nb, t) for t in R['echo_s'])}")
    if "becho" in R:
        b = R["becho"]
        notes.append(f"buffer echo: {b['bytes']} random bytes sent and read back intact, SEND FAIL {b['fails']}x, "
                     f"{b['empties']} empty reads, {b['urcs']} recv URCs")
    if "bsend" in R:
        b = R["bsend"]
        notes.append(f"QSSLSEND: {b['ops']} sends, accepted in {b['accepted']:.3f} s "
                     f"({b['accepted'] / b['ops'] * 1e6:.0f} us per send: command, '> ', data, SEND OK), "
                     f"delivered after {b['delivered']:.3f} s; SEND FAIL {b['fails']}x "
                     f"({b['fail_wait'] * 1000:.0f} ms backing off); +QSSLOPEN URC {R['open_q'] * 1000:.1f} ms after OK")
    if "brecv" in R:
        b = R["brecv"]
        notes.append(f"QSSLRECV: {b['ops']} reads in {b['secs']:.3f} s ({b['secs'] / b['ops'] * 1e6:.0f} us each), "
                     f"{b['empties']} empty (waited {b['urc_wait'] * 1000:.0f} ms for the recv URC), bytes verified")
    if "push" in R:
        p = R["push"]
        notes.append(f"push: {p['frames']} URC frames, most common length {p['common']} ({p['common_n']}x), "
                     f"bytes verified")
    if "slow_esc_bytes" in R:
        notes.append(f"100 KB/s host ({SLOW_CHUNK} B reads every {SLOW_PAUSE * 1000:.0f} ms): it read "
                     f"{R['slow_esc_bytes']} bytes between writing +++ and "
                     f"{'seeing OK' if R['slow_esc'] else 'giving up'}, and {R['slow_close_bytes']} bytes between "
                     f"writing AT+QSSLCLOSE=0,0 (push mode) and "
                     f"{'seeing OK' if R['slow_close'] else 'giving up'}")
    for nline in notes:
        print("  * " + nline)
    for name, msg in errors.items():
        print(f"  ! {name}: {msg}")


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    socat_v = subprocess.run([SOCAT, "-V"], capture_output=True, text=True).stdout.splitlines()
    socat_v = next((l.strip() for l in socat_v if l.startswith("socat version")), "socat ?")
    return (f"{datetime.datetime.now().isoformat(timespec='seconds')}  {platform.node()}  "
            f"Linux {platform.release()}  {os.cpu_count()} CPUs ({cpu})  Python {platform.python_version()}  "
            f"{socat_v}  load {loadavg()}")


def main():
    global BIN, SOCAT, SS, TRANS_MB, BUF_MB, ITERS, STARTS, REPEAT, KEEP_TMP
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    ap.add_argument("--only", default="", help="comma list: latency,startup,transparent,tcp,echo,buffer,push,slowhost")
    args = ap.parse_args()
    env = os.environ.get
    TRANS_MB = int(env("QSSLSIM_BENCH_MB", "4" if args.quick else "64"))
    BUF_MB = int(env("QSSLSIM_BENCH_BUF_MB", "1" if args.quick else "16"))
    ITERS = int(env("QSSLSIM_BENCH_ITERS", "300" if args.quick else "2000"))
    STARTS = int(env("QSSLSIM_BENCH_STARTS", "5" if args.quick else "20"))
    REPEAT = max(1, int(env("QSSLSIM_BENCH_REPEAT", "1" if args.quick else "5")))
    BIN = env("QSSLSIM_BIN", os.path.join(ROOT, "target", "release", "qsslsim"))
    SOCAT = env("QSSLSIM_BENCH_SOCAT") or shutil.which("socat") or "/usr/bin/socat"
    SS = shutil.which("ss")
    for what, path in (("qsslsim", BIN), ("socat", SOCAT)):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {what} not found at {path} (build with `cargo build --release -p qsslsim`)")
    print("qsslsim benchmarks:", machine())
    print(f"sizes: transparent {TRANS_MB} MiB each way x {REPEAT} rounds, buffer/push/echo {BUF_MB} MiB, {ITERS} round trips, "
          f"{STARTS} launches; delivery confirmed via {'ss -ti bytes_received' if SS else 'NOTHING (no ss)'}")
    only = set(filter(None, args.only.split(",")))
    steps = [("latency", bench_latency), ("startup", bench_startup), ("transparent", bench_transparent),
             ("tcp", bench_tcp), ("echo", bench_echo), ("buffer", bench_buffer), ("push", bench_push), ("slowhost", bench_slowhost)]
    R, errors = {}, {}
    t_all = time.perf_counter()
    for name, fn in steps:
        if only and name not in only:
            continue
        t = time.perf_counter()
        print(f"  {name} ...", end="", flush=True)
        try:
            fn(R)
            print(f" {time.perf_counter() - t:.1f} s", flush=True)
        except (BenchError, OSError) as e:
            errors[name] = str(e)
            print(f" ERROR after {time.perf_counter() - t:.1f} s: {e}", flush=True)
        finally:
            stop_all()
    report(R, errors)
    print(f"total {time.perf_counter() - t_all:.1f} s; load average at the end {loadavg()}")
    KEEP_TMP = bool(errors)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
