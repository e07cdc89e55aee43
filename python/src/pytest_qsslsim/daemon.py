"""One running qsslsim daemon, usable with or without pytest.

`QsslSim` starts the binary with a pty link, a control socket and a trace of its own, waits for
the `READY <pty>` line, and then offers the pty (`port`, `serial`), the control socket (`ctl`,
`fault`, `events`, `state`) and the files it wrote (`trace_path`, `log_path`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence

import serial

# Unix socket paths are limited to 108 bytes on Linux (104 on macOS); stay well below.
MAX_SOCKET_PATH = 100
# Options the plugin always passes itself: each daemon needs paths of its own.
OWNED_OPTIONS = ("--link", "--control", "--trace")


class QsslsimError(Exception):
    """The daemon did not start, died, or refused a control request.

    `reply` is the daemon's parsed reply when there was one.
    """

    def __init__(self, message: str, reply: Optional[Dict[str, Any]] = None):
        super().__init__(message)
        self.reply = reply


def connect(sock: socket.socket, path: Path) -> None:
    try:
        sock.connect(str(path))
    except OSError as e:
        raise QsslsimError(f"cannot reach qsslsim's control socket {path} (is the daemon running?): {e}") from e


class EventStream:
    """Trace records from the control socket's `events` subscription, one dict each.

    The subscription is live when the constructor returns: every record the daemon produces
    from then on is delivered, in order. Iterating yields records until the daemon goes away;
    if none arrives within `timeout` seconds, `TimeoutError` is raised (a test waiting for an
    event that never comes fails instead of hanging).
    """

    def __init__(self, control_path: Path, timeout: float = 5.0):
        self.timeout = timeout
        self._buffer = b""
        self._sock: Optional[socket.socket] = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.settimeout(timeout)
            connect(self._sock, control_path)
            self._sock.sendall(b'{"verb":"events"}\n')
            line = self._read_line(timeout)
        except BaseException:
            self.close()
            raise
        if line is None:
            self.close()
            raise QsslsimError("qsslsim closed the control socket instead of answering `events`")
        reply = json.loads(line)
        if reply.get("ok") is not True:
            self.close()
            raise QsslsimError(f"qsslsim refused `events`: {reply.get('error', line)}", reply)

    def _read_line(self, timeout: float) -> Optional[bytes]:
        """The next line without its newline; None at end of stream."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            if self._sock is None:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no qsslsim trace event within {timeout} s")
            self._sock.settimeout(left)
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                raise TimeoutError(f"no qsslsim trace event within {timeout} s") from None
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def next(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """The next record; `TimeoutError` after `timeout` (default: the stream's) seconds,
        `StopIteration` once the daemon has closed the stream."""
        line = self._read_line(self.timeout if timeout is None else timeout)
        if line is None:
            raise StopIteration
        return json.loads(line)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        return self

    def __next__(self) -> Dict[str, Any]:
        return self.next()

    def wait_for(
        self,
        predicate: Optional[Callable[[Dict[str, Any]], bool]] = None,
        timeout: Optional[float] = None,
        **fields: Any,
    ) -> Dict[str, Any]:
        """The first record whose fields equal `fields` (and that satisfies `predicate`, if
        given), e.g. `wait_for(event="failure", code=566)`. Records before it are skipped.
        `TimeoutError`, listing what was skipped, if none comes within `timeout` seconds."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        skipped: List[Dict[str, Any]] = []
        while True:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                record = self.next(left)
            except (TimeoutError, StopIteration) as e:
                seen = "\n".join(json.dumps(r) for r in skipped[-20:]) or "(nothing)"
                why = "the stream ended" if isinstance(e, StopIteration) else f"{timeout} s passed"
                raise TimeoutError(
                    f"no qsslsim event with {fields!r} before {why}; last records seen:\n{seen}"
                ) from None
            if all(record.get(k) == v for k, v in fields.items()) and (
                predicate is None or predicate(record)
            ):
                return record
            skipped.append(record)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class QsslSim:
    """A qsslsim daemon with files of its own under `workdir`.

    Start it with `start()` (or `with QsslSim(...) as sim:`), stop it with `stop()`.
    """

    def __init__(
        self,
        binary: os.PathLike,
        workdir: os.PathLike,
        args: Sequence[str] = (),
        demo: bool = True,
        serial_timeout: float = 5.0,
        ready_timeout: float = 10.0,
        verbose: bool = True,
    ):
        for arg in args:
            name = str(arg).split("=", 1)[0]
            if name in OWNED_OPTIONS:
                raise QsslsimError(
                    f"{name} is set by pytest-qsslsim for each daemon; use .port, .trace_path "
                    f"or .control_path instead of passing it"
                )
        self.binary = Path(binary)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.serial_timeout = serial_timeout
        self.ready_timeout = ready_timeout
        #: The pty link the daemon makes (`--link`); open this.
        self.port = str(self.workdir / "modem.pty")
        #: The pty device itself (`/dev/pts/N`, from the READY line); set by `start()`.
        self.pty: Optional[str] = None
        self.trace_path = self.workdir / "trace.jsonl"
        #: The daemon's stderr: its log.
        self.log_path = self.workdir / "qsslsim.log"
        self.stdout_path = self.workdir / "stdout.txt"
        self._socket_dir: Optional[str] = None
        control = self.workdir / "control.sock"
        if len(str(control).encode()) > MAX_SOCKET_PATH:
            self._socket_dir = tempfile.mkdtemp(prefix="qsslsim-")
            control = Path(self._socket_dir) / "control.sock"
        self.control_path = control
        self.argv: List[str] = [str(self.binary)]
        if demo:
            self.argv.append("--demo")
        self.argv += [
            "--link", self.port,
            "--control", str(self.control_path),
            "--trace", str(self.trace_path),
        ]
        if verbose:
            self.argv.append("-v")
        self.argv += [str(a) for a in args]
        #: pyserial URLs of the network AT port, when the arguments ask for one (`--tcp
        #: 127.0.0.1:0` gives `socket://127.0.0.1:<port>`, `--rfc2217 ...` gives
        #: `rfc2217://...`); set by `start()` from the lines after READY.
        self.tcp_url: Optional[str] = None
        self.rfc2217_url: Optional[str] = None
        self._endpoints = sum(
            1 for a in self.argv if str(a).split("=", 1)[0] in ("--tcp", "--rfc2217")
        )
        self.process: Optional[subprocess.Popen] = None
        self._serial: Optional[serial.Serial] = None
        self._streams: List[EventStream] = []
        #: True once `stop()` has run.
        self.stopped = False

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> "QsslSim":
        """Run the daemon and wait for its `READY <pty>` line; `QsslsimError` (with the log) if
        it exits first or stays silent for `ready_timeout` seconds."""
        env = dict(os.environ, NO_COLOR="1")
        with open(self.stdout_path, "wb") as out, open(self.log_path, "wb") as err:
            self.process = subprocess.Popen(
                self.argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env
            )
        deadline = time.monotonic() + self.ready_timeout
        while True:
            text = self.stdout_path.read_bytes()
            if b"\n" in text:
                first = text.split(b"\n", 1)[0].decode(errors="replace")
                if not first.startswith("READY "):
                    self.stop()
                    raise QsslsimError(f"qsslsim's first line is {first!r}, not READY <pty>")
                self.pty = first[len("READY "):]
                # One `TCP ADDR:PORT` / `RFC2217 ADDR:PORT` line per endpoint follows READY.
                lines = text.decode(errors="replace").split("\n")[1:-1]
                if len(lines) >= self._endpoints:
                    for line in lines[: self._endpoints]:
                        kind, _, addr = line.partition(" ")
                        if kind == "TCP" and self.tcp_url is None:
                            self.tcp_url = "socket://" + addr
                        elif kind == "RFC2217" and self.rfc2217_url is None:
                            self.rfc2217_url = "rfc2217://" + addr
                    return self
            code = self.process.poll()
            if code is not None:
                self.stop()
                raise QsslsimError(
                    f"qsslsim exited with status {code} before READY: {self._log_tail(20)}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise QsslsimError(
                    f"qsslsim printed no READY line within {self.ready_timeout} s: {self._log_tail(20)}"
                )
            time.sleep(0.01)

    def stop(self, timeout: float = 5.0) -> Optional[int]:
        """Close the serial port and event streams, then SIGTERM the daemon, wait up to
        `timeout` seconds, and SIGKILL it if it is still there. Returns its exit status."""
        if self._serial is not None:
            self._serial.close()
        for stream in self._streams:
            stream.close()
        self._streams.clear()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stopped = True
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None
        return None if self.process is None else self.process.returncode

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> "QsslSim":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- the AT port --------------------------------------------------------------------------

    @property
    def serial(self) -> serial.Serial:
        """The AT port, opened with pyserial on first use (raw, `timeout=serial_timeout`)."""
        if self._serial is None:
            self._serial = self.open_serial()
        return self._serial

    def open_serial(self, **kwargs: Any) -> serial.Serial:
        """Another pyserial port on the pty (yours to close), e.g. to test reopening."""
        kwargs.setdefault("baudrate", 115200)  # irrelevant on a pty, but pyserial wants one
        kwargs.setdefault("timeout", self.serial_timeout)
        return serial.Serial(self.port, **kwargs)

    @property
    def url(self) -> Optional[str]:
        """The network AT port as a pyserial URL: `tcp_url`, else `rfc2217_url`, else None."""
        return self.tcp_url or self.rfc2217_url

    def open_url(self, url: Optional[str] = None, **kwargs: Any) -> serial.SerialBase:
        """A pyserial port on the network AT port (`url` by default; yours to close). While it
        is open it is the AT port: the pty is set aside, and a second client is refused."""
        target = url or self.url
        if target is None:
            raise QsslsimError(
                "this daemon has no network AT port: add args=[\"--tcp\", \"127.0.0.1:0\"] "
                "(or --rfc2217) to the qsslsim marker"
            )
        kwargs.setdefault("timeout", self.serial_timeout)
        return serial.serial_for_url(target, **kwargs)

    # -- the control socket -------------------------------------------------------------------

    def ctl(self, request: Dict[str, Any], timeout: float = 10.0) -> Dict[str, Any]:
        """Send one control request (e.g. `{"verb": "state"}`) and return the parsed reply,
        `{"ok": false, "error": ...}` included. For `events` use `events()`."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            connect(sock, self.control_path)
            sock.sendall(json.dumps(request).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        if not data:
            raise QsslsimError(f"qsslsim closed the control socket without answering {request!r}")
        return json.loads(data.split(b"\n", 1)[0])

    def _checked(self, request: Dict[str, Any], what: str) -> Dict[str, Any]:
        reply = self.ctl(request)
        if reply.get("ok") is not True:
            raise QsslsimError(f"qsslsim refused {what}: {reply.get('error', reply)}", reply)
        return reply

    def fault(self, kind: str, **fields: Any) -> Dict[str, Any]:
        """Inject a fault now, e.g. `fault("pdp_lost", ctx=1)` or
        `fault("server_close", socket=4, after_bytes=100)` (vocabulary: docs/faults.md).
        `QsslsimError` with the daemon's reason if it refuses."""
        fault = {"kind": kind, **fields}
        return self._checked({"verb": "fault", "fault": fault}, f"fault {json.dumps(fault)}")

    def state(self) -> Dict[str, Any]:
        """The module's state: port mode, PDP and SSL contexts, sockets, files."""
        return self._checked({"verb": "state"}, "state")["state"]

    def dtr(self, level: str) -> None:
        """Set the DTR pin, "low" or "high"."""
        self._checked({"verb": "dtr", "level": level}, f"dtr {level}")

    def clock(self, time_text: str) -> None:
        """Set the module clock: RFC 3339 or `yy/MM/dd,hh:mm:ss±zz`."""
        self._checked({"verb": "clock", "time": time_text}, f"clock {time_text}")

    def events(self, timeout: float = 5.0) -> EventStream:
        """Subscribe to trace records. Records from the moment this returns are delivered;
        the stream is closed when the daemon stops."""
        stream = EventStream(self.control_path, timeout)
        self._streams.append(stream)
        return stream

    # -- files --------------------------------------------------------------------------------

    def trace(self) -> List[Dict[str, Any]]:
        """Every trace record written so far (the file is flushed after each one)."""
        if not self.trace_path.exists():
            return []
        return [json.loads(line) for line in self.trace_path.read_text().splitlines() if line]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _log_tail(self, lines: int) -> str:
        text = tail_lines(self.log_text(), lines)[0].strip()
        return f"its log ({self.log_path}):\n{text}" if text else f"its log ({self.log_path}) is empty"


def tail_lines(text: str, count: int, width: int = 1000) -> "tuple[str, int]":
    """The last `count` lines of `text` (each cut to `width` characters) and the total number
    of lines."""
    lines = text.splitlines()
    kept = [line if len(line) <= width else line[:width] + " …" for line in lines[-count:]]
    return "\n".join(kept), len(lines)


def find_binary(
    explicit: Optional[str] = None,
    environ: Optional[Dict[str, str]] = None,
    search_from: Iterable[os.PathLike] = (),
) -> Path:
    """Where the qsslsim binary is.

    1. `explicit` (the `--qsslsim-bin` option), else `$QSSLSIM_BIN` (a relative path is tried
       against the current directory, then each of `search_from`);
    2. `qsslsim` on `$PATH`;
    3. `target/debug/qsslsim` or `target/release/qsslsim` (the newer if both exist) in the
       first of `search_from` or its parents that has one.

    `QsslsimError` saying what was tried if none exists.
    """
    environ = os.environ if environ is None else environ
    roots = [Path(p).resolve() for p in search_from]
    named, source = (explicit, "--qsslsim-bin") if explicit else (environ.get("QSSLSIM_BIN"), "QSSLSIM_BIN")
    if named:
        path = Path(named).expanduser()
        candidates = [path] if path.is_absolute() else [Path.cwd() / path] + [r / path for r in roots]
        for candidate in candidates:
            if candidate.is_file():
                return candidate.resolve()
        raise QsslsimError(f"{source}={named} does not exist")
    on_path = shutil.which("qsslsim", path=environ.get("PATH"))
    if on_path:
        return Path(on_path)
    tried = set()
    for root in roots:
        for directory in (root, *root.parents):
            if directory in tried:
                continue
            tried.add(directory)
            builds = [directory / "target" / b / "qsslsim" for b in ("debug", "release")]
            builds = [b for b in builds if b.is_file()]
            if builds:
                return max(builds, key=lambda b: b.stat().st_mtime)
    where = ", ".join(str(r) for r in roots) or "nowhere"
    raise QsslsimError(
        "no qsslsim binary: set QSSLSIM_BIN or --qsslsim-bin, put qsslsim on PATH, or build it "
        f"(`cargo build -p qsslsim`) in a checkout above {where}"
    )
