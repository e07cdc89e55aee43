"""The AT port over the network, as a pyserial host reaches it: `socket://` for `--tcp` and
`rfc2217://` for `--rfc2217`, with the DTR line, one client at a time, and the module's state
kept from one client to the next."""

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import serial

from athost import GUARD_S, command, lines_until_final

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("QSSLSIM_BIN", REPO / "target" / "debug" / "qsslsim"))


class NetDaemon:
    """`qsslsim --demo --tcp 127.0.0.1:0 --rfc2217 127.0.0.1:0`; `tcp`/`rfc2217` are the URLs."""

    def __init__(self):
        if not BIN.exists():
            pytest.fail(f"{BIN} not found: run `cargo build -p qsslsim` or set QSSLSIM_BIN", pytrace=False)
        self.proc = subprocess.Popen(
            [str(BIN), "--demo", "--guard-time", str(int(GUARD_S * 1000)),
             "--tcp", "127.0.0.1:0", "--rfc2217", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        lines = []
        got = threading.Event()

        def read_stdout():
            for _ in range(3):
                lines.append(self.proc.stdout.readline().decode(errors="replace").strip())
            got.set()
            for _ in self.proc.stdout:  # --demo's banner
                pass

        threading.Thread(target=read_stdout, daemon=True).start()
        if not got.wait(15):
            self.stop()
            pytest.fail(f"qsslsim did not start: {lines!r}", pytrace=False)
        assert lines[0].startswith("READY "), lines
        self.pty = lines[0].split(" ", 1)[1]
        endpoints = dict(line.split(" ", 1) for line in lines[1:])
        self.tcp = "socket://" + endpoints["TCP"]
        self.rfc2217 = "rfc2217://" + endpoints["RFC2217"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def net():
    d = NetDaemon()
    yield d
    d.stop()


def open_when_free(url, deadline_s=5):
    """A new client once the previous one's close has reached the daemon."""
    deadline = time.monotonic() + deadline_s
    while True:
        port = serial.serial_for_url(url, timeout=2)
        port.write(b"AT\r")
        if port.read_until(b"OK\r\n").endswith(b"OK\r\n"):
            return port
        port.close()
        assert time.monotonic() < deadline, f"{url}: no client admitted"
        time.sleep(0.05)


def test_socket_url_round_trip(net):
    with serial.serial_for_url(net.tcp, timeout=2) as port:
        assert command(port, "AT") == b"AT\r\r\nOK\r\n"
        assert command(port, "AT+GMR") == b"AT+GMR\r\r\nEG915QGLR01A01M08\r\n\r\nOK\r\n"


def test_rfc2217_dtr_drop_leaves_transparent_mode(net):
    with serial.serial_for_url(net.rfc2217, timeout=2) as port:
        # pyserial negotiated the options, baud rate, framing, DTR/RTS and purges on open.
        assert port.cts and port.dsr
        port.baudrate = 9600  # accepted, logged; the module's AT+IPR is its own
        assert command(port, "ATE0") == b"ATE0\r\r\nOK\r\n"
        assert command(port, "AT+QIACT=1") == b"\r\nOK\r\n"
        assert command(port, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8011,2', until=b"CONNECT\r\n") == b"\r\nCONNECT\r\n"
        port.write(b"\xff\x00hello\xff")  # through Telnet's IAC escaping both ways
        assert port.read(8) == b"\xff\x00hello\xff"
        port.dtr = False  # AT&D1: back to command mode, the connection kept
        assert port.read_until(b"OK\r\n") == b"\r\nOK\r\n"
        port.dtr = True
        port.write(b"AT+QSSLSTATE=4\r")
        lines = lines_until_final(port)
        assert lines[0].startswith('+QSSLSTATE: 4,"SSLClient","192.0.2.2",8011,'), lines
        assert lines[-1] == "OK"


def test_one_client_at_a_time_and_state_kept_between_clients(net):
    first = serial.serial_for_url(net.tcp, timeout=2)
    assert command(first, "ATE0") == b"ATE0\r\r\nOK\r\n"
    # A second client, on either endpoint, is closed at once.
    host, port = net.tcp[len("socket://"):].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as second:
        assert second.recv(16) == b""
    # pyserial's RFC 2217 open fails on the closed socket (as a SerialException or the OSError
    # of its negotiation write, depending on timing).
    with pytest.raises((serial.SerialException, OSError)):
        serial.serial_for_url(net.rfc2217, timeout=2)
    assert command(first, "AT") == b"\r\nOK\r\n"
    first.close()
    # The next client finds the module as the first left it (ATE0: no echo).
    again = open_when_free(net.rfc2217)
    assert command(again, "AT") == b"\r\nOK\r\n"
    again.close()
    # And so does the pty once no client has the port (bytes written to it while the daemon
    # has not yet seen the client leave are dropped, by design: try again until answered).
    with serial.Serial(net.pty, baudrate=115200, timeout=0.2) as pty:
        deadline = time.monotonic() + 10
        while True:
            pty.write(b"AT\r")
            got = pty.read_until(b"OK\r\n")
            if got:
                pty.timeout = 2
                if not got.endswith(b"OK\r\n"):
                    got += pty.read_until(b"OK\r\n")
                assert got == b"\r\nOK\r\n"
                break
            assert time.monotonic() < deadline, "the pty never answered after the clients left"
