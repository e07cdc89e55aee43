"""Fixtures for the pyserial host tests: the real qsslsim daemon on a pty, and a pyserial port.

The binary is $QSSLSIM_BIN, or target/debug/qsslsim of this repository (build it first with
`cargo build -p qsslsim`). Every test gets a daemon of its own, started with `--demo` (built-in
TLS echo peer; 192.0.2.2:8010 and :8011 routed to it on 127.0.0.1; the test CA preloaded as
RAM:cacert.pem) and `--guard-time 300` (the `+++` escape needs 300 ms of silence each side).
"""

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
import serial

from athost import GUARD_S

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("QSSLSIM_BIN", REPO / "target" / "debug" / "qsslsim"))


class Daemon:
    """A running `qsslsim --demo`; `path` is its pty."""

    def __init__(self, *extra):
        if not BIN.exists():
            pytest.fail(f"{BIN} not found: run `cargo build -p qsslsim` or set QSSLSIM_BIN", pytrace=False)
        self.proc = subprocess.Popen(
            [str(BIN), "--demo", "--guard-time", str(int(GUARD_S * 1000)), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        ready = {}

        def read_stdout():
            first = self.proc.stdout.readline().decode(errors="replace")
            ready["line"] = first
            # --demo prints the flow to type after READY: keep the pipe drained.
            for _ in self.proc.stdout:
                pass

        self._reader = threading.Thread(target=read_stdout, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 15
        while "line" not in ready:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                pytest.fail(f"qsslsim did not print READY (exit {self.proc.returncode})", pytrace=False)
            time.sleep(0.01)
        line = ready["line"]
        assert line.startswith("READY "), line
        self.path = line.split(" ", 1)[1].strip()

    def port(self):
        return serial.Serial(self.path, baudrate=115200, timeout=2)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def start_daemon():
    """Factory: start_daemon(*extra_args) -> Daemon; all are stopped after the test."""
    started = []

    def start(*extra):
        d = Daemon(*extra)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


@pytest.fixture
def daemon(start_daemon):
    return start_daemon()


@pytest.fixture
def port(daemon):
    """serial.Serial(pty, baudrate=115200, timeout=2) on a fresh `qsslsim --demo`."""
    s = daemon.port()
    yield s
    s.close()
