"""Fixtures that run qsslsim for each test and hand the test a serial port.

Nothing here needs more than python3, pyserial, pytest and a built qsslsim binary:

    cargo build -p qsslsim            # or: cargo build --release -p qsslsim
    pip install pyserial pytest
    python3 -m pytest examples/pytest

The binary is $QSSLSIM_BIN if set, else target/release/qsslsim under the repository root, else
target/debug/qsslsim.
"""

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import serial

REPO_ROOT = Path(__file__).resolve().parents[2]

# How long the daemon may take to print READY.
READY_TIMEOUT_S = 10.0
# pyserial read timeout: every read in the tests gives up after this long.
SERIAL_TIMEOUT_S = 5.0
# A short +++ guard time keeps the transparent-mode test quick (the default is 1000 ms).
GUARD_TIME_MS = 300


def qsslsim_binary() -> Path:
    """Where the qsslsim binary is: $QSSLSIM_BIN, else release, else debug build."""
    env = os.environ.get("QSSLSIM_BIN")
    if env:
        path = Path(env)
        if not path.is_absolute() and not path.exists():
            path = REPO_ROOT / path
        if not path.exists():
            pytest.fail(f"QSSLSIM_BIN={env} does not exist")
        return path.resolve()
    for build in ("release", "debug"):
        path = REPO_ROOT / "target" / build / "qsslsim"
        if path.exists():
            return path
    pytest.fail("no qsslsim binary: run `cargo build -p qsslsim` or set QSSLSIM_BIN")


@dataclass
class Daemon:
    """A running qsslsim: its pty, control socket, trace and log files."""

    binary: Path
    process: subprocess.Popen
    pty: str
    control: Path
    trace: Path
    log: Path

    def ctl(self, *args: str) -> str:
        """Run `qsslsim ctl --control <socket> <args...>` and return its stdout."""
        done = subprocess.run(
            [str(self.binary), "ctl", "--control", str(self.control), *args],
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert done.returncode == 0, f"qsslsim ctl {args}: {done.stderr}"
        return done.stdout

    def trace_text(self) -> str:
        return self.trace.read_text() if self.trace.exists() else ""


def wait_for_ready(process: subprocess.Popen, stdout_file: Path, log: Path) -> str:
    """Poll the daemon's stdout file until its first line, `READY <pty path>`, is complete."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        text = stdout_file.read_text()
        if "\n" in text:
            first = text.split("\n", 1)[0]
            assert first.startswith("READY "), f"unexpected first line {first!r}"
            return first[len("READY "):]
        if process.poll() is not None:
            pytest.fail(f"qsslsim exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.02)
    pytest.fail(f"no READY line within {READY_TIMEOUT_S} s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, as a CI job's cleanup would send; SIGKILL only if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def qsslsim(tmp_path):
    """Start `qsslsim --demo` with a control socket and a trace; stop it after the test.

    --demo starts the built-in TLS echo peer, routes 192.0.2.2:8010 and :8011 to it and
    preloads the test CA as UFS:cacert.pem and RAM:cacert.pem. Nothing leaves loopback.
    """
    binary = qsslsim_binary()
    stdout_file = tmp_path / "qsslsim.out"
    log = tmp_path / "qsslsim.log"
    control = tmp_path / "control.sock"
    trace = tmp_path / "trace.jsonl"
    args = [
        str(binary),
        "--demo",
        "--control", str(control),
        "--trace", str(trace),
        "--guard-time", str(GUARD_TIME_MS),
        "-v",
    ]
    with open(stdout_file, "wb") as out, open(log, "wb") as err:
        process = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    try:
        pty = wait_for_ready(process, stdout_file, log)
        # Shown by pytest only when the test fails: where to look for the cause.
        print(f"qsslsim on {pty}; log {log}; trace {trace}")
        yield Daemon(binary, process, pty, control, trace, log)
    finally:
        stop(process)


@pytest.fixture
def modem(qsslsim):
    """The emulated module's AT port, opened with pyserial (the baud rate is irrelevant on a pty)."""
    port = serial.Serial(qsslsim.pty, baudrate=115200, timeout=SERIAL_TIMEOUT_S)
    try:
        yield port
    finally:
        port.close()
