"""Driving the emulated module the way host code drives the real one, byte for byte.

The `qsslsim` fixture comes from the pytest-qsslsim plugin (`pip install ./python` in the
qsslsim repository): each test gets a fresh `qsslsim --demo`, whose echo is on (ATE1), whose
192.0.2.2:8010 and :8011 lead to a TLS echo server on loopback, and which has the test CA on
the module as RAM:cacert.pem. Nothing else is needed: no conftest.py, no network.
"""

import re
import time

import pytest

# A short +++ guard time keeps the transparent-mode test quick (the module's default is 1 s).
GUARD_TIME_MS = 300
# Every test in this file: the daemon gets these arguments on top of --demo.
pytestmark = pytest.mark.qsslsim(args=["--guard-time", str(GUARD_TIME_MS)])

OK = b"\r\nOK\r\n"


@pytest.fixture
def modem(qsslsim):
    """The AT port: a raw pyserial port (timeout 5 s) the plugin opened and will close."""
    return qsslsim.serial


def expect(port, want: bytes) -> None:
    """Read exactly len(want) bytes (or until the port's timeout) and compare."""
    got = port.read(len(want))
    assert got == want, f"expected {want!r}, got {got!r}"


def command(port, line: str, response: bytes) -> None:
    """Send one command line; with echo on the module first repeats the line and its <CR>."""
    port.write(line.encode() + b"\r")
    expect(port, line.encode() + b"\r" + response)


def read_until(port, terminator: bytes) -> bytes:
    got = port.read_until(terminator)
    assert got.endswith(terminator), f"no {terminator!r} in {got!r}"
    return got


def quiet(port, seconds: float = 0.2) -> None:
    """Nothing more arrives for a while (no stray URC)."""
    timeout, port.timeout = port.timeout, seconds
    try:
        extra = port.read(1)
    finally:
        port.timeout = timeout
    assert extra == b"", f"unexpected output {extra + port.read(port.in_waiting)!r}"


def activate_and_configure(port) -> None:
    """The maker's preamble: APN, PDP context 1, SSL context 1 verifying the server."""
    command(port, 'AT+QICSGP=1,1,"UNINET","","",1', OK)
    command(port, "AT+QIACT=1", OK)
    command(port, "AT+QIACT?", b'\r\n+QIACT: 1,1,1,"10.7.157.1"\r\n' + OK)
    command(port, 'AT+QSSLCFG="sslversion",1,1', OK)
    command(port, 'AT+QSSLCFG="ciphersuite",1,0X0035', OK)
    command(port, 'AT+QSSLCFG="seclevel",1,1', OK)
    command(port, 'AT+QSSLCFG="cacert",1,"RAM:cacert.pem"', OK)


def open_buffer_mode(port) -> None:
    """Socket 4 to the demo echo server in buffer mode; the result comes as a URC after OK."""
    command(port, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0', OK)
    expect(port, b"\r\n+QSSLOPEN: 4,0\r\n")


def test_at_answers_ok_with_echo(modem):
    command(modem, "AT", OK)
    # Echo off: only the response comes back (the ATE0 line itself is still echoed).
    command(modem, "ATE0", OK)
    modem.write(b"AT\r")
    expect(modem, OK)
    modem.write(b"ATI\r")
    expect(modem, b"\r\nQuectel\r\nEG915Q-GL\r\nRevision: EG915QGLR01A01M08\r\n" + OK)
    # An unknown command is a plain ERROR.
    modem.write(b"AT+NOSUCH\r")
    expect(modem, b"\r\nERROR\r\n")


def test_makers_buffer_mode_flow(modem):
    activate_and_configure(modem)
    open_buffer_mode(modem)

    # Variable length: the prompt, the data (echoed), Ctrl+Z (not echoed) sends it.
    command(modem, "AT+QSSLSEND=4", b"\r\n> ")
    modem.write(b"Test data from SSL\x1a")
    expect(modem, b"Test data from SSL\r\nSEND OK\r\n")
    # The echo server answers; data arriving in an empty buffer is announced once.
    expect(modem, b'\r\n+QSSLURC: "recv",4\r\n')

    # Fixed length: exactly 18 bytes, no terminator.
    command(modem, "AT+QSSLSEND=4,18", b"\r\n> ")
    modem.write(b"Test data from SSL")
    expect(modem, b"Test data from SSL\r\nSEND OK\r\n")
    # The buffer was not read yet, so no second "recv" URC.
    quiet(modem)

    command(
        modem,
        "AT+QSSLRECV=4,1500",
        b"\r\n+QSSLRECV: 36\r\nTest data from SSLTest data from SSL\r\n" + OK,
    )
    command(modem, "AT+QSSLRECV=4,1500", b"\r\n+QSSLRECV: 0\r\n" + OK)

    # State: id, "SSLClient", address, port, local port (varies), state 2 = connected,
    # PDP context, server id, access mode 0 = buffer, AT port, SSL context.
    modem.write(b"AT+QSSLSTATE\r")
    state = read_until(modem, OK)
    assert re.fullmatch(
        rb'AT\+QSSLSTATE\r\r\n\+QSSLSTATE: 4,"SSLClient","192\.0\.2\.2",8010,\d+,2,1,4,0,"uart1",1\r\n\r\nOK\r\n',
        state,
    ), state

    command(modem, "AT+QSSLCLOSE=4", OK)
    command(modem, "AT+QSSLSTATE", OK)
    command(modem, "AT+QIGETERROR", b"\r\n+QIGETERROR: 0,operate successfully\r\n" + OK)


def test_push_mode_delivers_data_in_the_urc(modem):
    activate_and_configure(modem)
    command(modem, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8011,1', OK)
    expect(modem, b"\r\n+QSSLOPEN: 4,0\r\n")
    command(modem, "AT+QSSLSEND=4,18", b"\r\n> ")
    modem.write(b"Test data from SSL")
    expect(modem, b"Test data from SSL\r\nSEND OK\r\n")
    # Length in the URC, then the raw bytes with nothing after them.
    expect(modem, b'\r\n+QSSLURC: "recv",4,18\r\nTest data from SSL')
    quiet(modem)
    command(modem, "AT+QSSLCLOSE=4", OK)


def test_transparent_mode_and_the_escape(modem):
    activate_and_configure(modem)
    command(modem, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8011,2', b"\r\nCONNECT\r\n")
    # Raw bytes both ways: no echo from the module, only the server's answer.
    modem.write(b"hello\x1a\x1b\r\n")
    expect(modem, b"hello\x1a\x1b\r\n")
    # +++ counts only with silence before and after it (the daemon runs with a short guard time).
    guard = GUARD_TIME_MS / 1000
    time.sleep(guard * 1.5)
    modem.write(b"+++")
    expect(modem, OK)
    # Back in command mode; the connection stays up, now in buffer mode (access mode 0).
    modem.write(b"AT+QSSLSTATE=4\r")
    state = read_until(modem, OK)
    assert state.endswith(b',2,1,4,0,"uart1",1\r\n\r\nOK\r\n'), state
    # ATO returns to the same connection.
    command(modem, "ATO", b"\r\nCONNECT\r\n")
    modem.write(b"again")
    expect(modem, b"again")
    time.sleep(guard * 1.5)
    modem.write(b"+++")
    expect(modem, OK)
    command(modem, "AT+QSSLCLOSE=4", OK)


def test_pdp_loss_injected_through_the_control_socket(qsslsim, modem):
    activate_and_configure(modem)
    open_buffer_mode(modem)

    qsslsim.fault("pdp_lost", ctx=1)
    # Each socket on the context reports "closed", then the context itself goes.
    expect(modem, b'\r\n+QSSLURC: "closed",4\r\n')
    expect(modem, b'\r\n+QIURC: "pdpdeact",1\r\n')

    # The socket waits in state 4 (closing) until the host closes it.
    modem.write(b"AT+QSSLSTATE=4\r")
    assert read_until(modem, OK).endswith(b',4,1,4,0,"uart1",1\r\n\r\nOK\r\n')
    command(modem, "AT+QSSLSEND=4,5", b"\r\nERROR\r\n")
    command(modem, "AT+QIGETERROR", b"\r\n+QIGETERROR: 567,socket has been closed\r\n" + OK)
    command(modem, "AT+QSSLCLOSE=4", OK)
    command(modem, "AT+QIACT?", OK)

    # The control socket's view of the module agrees.
    state = qsslsim.state()
    assert state["pdp_active"] == [] and state["sockets"] == []


def test_refused_open_and_its_cause_in_the_events(qsslsim, modem):
    activate_and_configure(modem)
    events = qsslsim.events()  # live from here on
    # Arm a fault for the next open: the host sees only the module's code...
    qsslsim.fault("refuse_connect")
    command(modem, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0', OK)
    expect(modem, b"\r\n+QSSLOPEN: 4,566\r\n")
    command(modem, "AT+QIGETERROR", b"\r\n+QIGETERROR: 566,socket connect failed\r\n" + OK)

    # ...while the trace says why.
    failure = events.wait_for(event="failure", id=4)
    assert failure["code"] == 566 and "refuse_connect" in failure["cause"], failure

    # The fault was used up: the next open succeeds.
    open_buffer_mode(modem)


def test_server_close_keeps_what_already_arrived(qsslsim, modem):
    activate_and_configure(modem)
    open_buffer_mode(modem)
    command(modem, "AT+QSSLSEND=4,18", b"\r\n> ")
    modem.write(b"Test data from SSL")
    expect(modem, b'Test data from SSL\r\nSEND OK\r\n\r\n+QSSLURC: "recv",4\r\n')

    qsslsim.fault("server_close", socket=4)
    expect(modem, b'\r\n+QSSLURC: "closed",4\r\n')
    # What arrived before the close can still be read; after that the socket is done.
    command(modem, "AT+QSSLRECV=4,1500", b"\r\n+QSSLRECV: 18\r\nTest data from SSL\r\n" + OK)
    command(modem, "AT+QSSLRECV=4,1500", b"\r\nERROR\r\n")
    command(modem, "AT+QIGETERROR", b"\r\n+QIGETERROR: 567,socket has been closed\r\n" + OK)
    command(modem, "AT+QSSLCLOSE=4", OK)
