"""The maker's worked flow (SPEC §11) as a pyserial host script would run it, in buffer, push
and transparent mode, plus URC timing and binary data."""

import time

import pytest

from athost import command, escape, lines_until_final, next_urc, setup_context

DATA = b"Test data from SSL"


def test_buffer_mode(port):
    setup_context(port)
    assert (
        command(port, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0') == b'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0\r\r\nOK\r\n'
    )
    assert next_urc(port) == "+QSSLOPEN: 4,0"

    # Variable length, ended by Ctrl+Z (echoed data, no echo of the Ctrl+Z).
    assert command(port, "AT+QSSLSEND=4", until=b"> ") == b"AT+QSSLSEND=4\r\r\n> "
    port.write(DATA + b"\x1a")
    assert port.read_until(b"SEND OK\r\n") == DATA + b"\r\nSEND OK\r\n"
    assert next_urc(port) == '+QSSLURC: "recv",4'

    # Fixed length.
    assert command(port, "AT+QSSLSEND=4,18", until=b"> ") == b"AT+QSSLSEND=4,18\r\r\n> "
    port.write(DATA)
    assert port.read_until(b"SEND OK\r\n") == DATA + b"\r\nSEND OK\r\n"
    # The buffer was not drained: no second "recv" URC.
    port.timeout = 0.3
    assert port.read(100) == b""
    port.timeout = 2

    got = command(port, "AT+QSSLRECV=4,1500")
    assert got == b"AT+QSSLRECV=4,1500\r\r\n+QSSLRECV: 36\r\n" + DATA + DATA + b"\r\n\r\nOK\r\n"
    assert command(port, "AT+QSSLRECV=4,1500") == b"AT+QSSLRECV=4,1500\r\r\n+QSSLRECV: 0\r\n\r\nOK\r\n"

    port.write(b"AT+QSSLSTATE\r")
    lines = lines_until_final(port)
    assert lines[0] == "AT+QSSLSTATE" and lines[-1] == "OK" and len(lines) == 3, lines
    assert lines[1].startswith('+QSSLSTATE: 4,"SSLClient","192.0.2.2",8010,'), lines
    assert lines[1].endswith(',2,1,4,0,"uart1",1'), lines
    assert command(port, "AT+QSSLCLOSE=4") == b"AT+QSSLCLOSE=4\r\r\nOK\r\n"
    assert command(port, "AT+QSSLSTATE") == b"AT+QSSLSTATE\r\r\nOK\r\n"
    assert command(port, "AT+QIDEACT=1") == b"AT+QIDEACT=1\r\r\nOK\r\n"


def test_push_mode(port):
    setup_context(port)
    assert command(port, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8011,1').endswith(b"\r\r\nOK\r\n")
    assert next_urc(port) == "+QSSLOPEN: 4,0"
    assert command(port, "AT+QSSLSEND=4,18", until=b"> ") == b"AT+QSSLSEND=4,18\r\r\n> "
    port.write(DATA)
    assert port.read_until(b"SEND OK\r\n") == DATA + b"\r\nSEND OK\r\n"
    # The URC header is a line; the payload follows raw, its length given in the header.
    header = next_urc(port)
    assert header == '+QSSLURC: "recv",4,18'
    n = int(header.rsplit(",", 1)[1])
    assert port.read(n) == DATA
    assert command(port, "AT+QSSLCLOSE=4") == b"AT+QSSLCLOSE=4\r\r\nOK\r\n"


def test_transparent_mode(port):
    setup_context(port)
    got = command(port, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8011,2', until=b"CONNECT\r\n")
    assert got == b'AT+QSSLOPEN=1,1,4,"192.0.2.2",8011,2\r\r\nCONNECT\r\n'
    raw = b"raw bytes \x1a\x1b\r\nAT\r\n" + bytes(range(256))
    port.write(raw)
    assert port.read(len(raw)) == raw  # the echo peer sends it back, untouched
    # `+++` inside the data stream (no guard time) is data.
    port.write(b"a+++b")
    assert port.read(5) == b"a+++b"
    escape(port)

    # Back in command mode; the connection stays, now in buffer mode (access_mode 0).
    port.write(b"AT+QSSLSTATE=4\r")
    lines = lines_until_final(port)
    assert lines[1].endswith(',2,1,4,0,"uart1",1') and lines[-1] == "OK", lines

    # Return with ATO, and with AT+QISWTMD.
    assert command(port, "ATO", until=b"CONNECT\r\n") == b"ATO\r\r\nCONNECT\r\n"
    port.write(DATA)
    assert port.read(len(DATA)) == DATA
    escape(port)
    assert command(port, "AT+QISWTMD=4,2", until=b"CONNECT\r\n") == b"AT+QISWTMD=4,2\r\r\nCONNECT\r\n"
    port.write(DATA)
    assert port.read(len(DATA)) == DATA
    escape(port)
    assert command(port, "AT+QSSLCLOSE=4") == b"AT+QSSLCLOSE=4\r\r\nOK\r\n"
    assert command(port, "AT+QIDEACT=1") == b"AT+QIDEACT=1\r\r\nOK\r\n"


def test_urc_after_ok_is_a_separate_read(port):
    """read_until(OK) stops at OK; the URC is what the next readline()s return."""
    setup_context(port)
    got = command(port, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0')
    assert got == b'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0\r\r\nOK\r\n'
    assert port.readline() == b"\r\n"
    assert port.readline() == b"+QSSLOPEN: 4,0\r\n"
    assert command(port, "AT+QSSLSEND=4,18", until=b"> ").endswith(b"> ")
    port.write(DATA)
    assert port.read_until(b"SEND OK\r\n") == DATA + b"\r\nSEND OK\r\n"
    assert port.readline() == b"\r\n"
    assert port.readline() == b'+QSSLURC: "recv",4\r\n'


def test_naive_host_discarding_after_ok_still_gets_urcs(start_daemon):
    """SPEC §1 (HW): a host that reads up to OK and throws the rest away relies on the URC
    coming in a later write. With the realistic timing profile (URC gap 100 ms, open URC
    about 2 s later) it still gets every URC."""
    d = start_daemon("--timing", "realistic")
    port = d.port()
    port.timeout = 5
    try:
        setup_context(port)
        command(port, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0')
        port.reset_input_buffer()
        assert next_urc(port) == "+QSSLOPEN: 4,0"
        command(port, "AT+QSSLSEND=4,18", until=b"> ")
        port.write(DATA)
        port.read_until(b"SEND OK\r\n")
        port.reset_input_buffer()
        assert next_urc(port) == '+QSSLURC: "recv",4'
    finally:
        port.close()


@pytest.mark.parametrize("echo", [True, False], ids=["echo", "ate0"])
def test_binary_send_and_recv(port, echo):
    payload = bytes(range(256)) * 5 + b"\r\nOK\r\n\r\nERROR\r\n> \x1a\x1b+++" + bytes(range(255, -1, -1))[:158]
    payload = payload[:1460]
    assert len(payload) == 1460  # the most one AT+QSSLSEND takes (SPEC §2)
    if not echo:
        assert command(port, "ATE0") == b"ATE0\r\r\nOK\r\n"
    command(port, "AT+QIACT=1")
    command(port, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0')
    assert next_urc(port) == "+QSSLOPEN: 4,0"
    command(port, f"AT+QSSLSEND=4,{len(payload)}", until=b"> ")
    port.write(payload)
    expect = (payload if echo else b"") + b"\r\nSEND OK\r\n"
    assert port.read(len(expect)) == expect
    assert next_urc(port) == '+QSSLURC: "recv",4'

    # Read it back the way a host reads length-prefixed data: header line, exactly n bytes,
    # then the rest up to OK. Loop until all of it came back (TLS may split it).
    received = b""
    deadline = time.monotonic() + 10
    while len(received) < len(payload):
        assert time.monotonic() < deadline, f"only {len(received)} bytes came back"
        port.write(b"AT+QSSLRECV=4,1500\r")
        if echo:
            assert port.readline() == b"AT+QSSLRECV=4,1500\r\r\n"
        else:
            assert port.readline() == b"\r\n"
        header = port.readline()
        assert header.startswith(b"+QSSLRECV: ") and header.endswith(b"\r\n"), header
        n = int(header[len(b"+QSSLRECV: ") : -2])
        received += port.read(n)
        tail = b"\r\n\r\nOK\r\n" if n else b"\r\nOK\r\n"
        assert port.read(len(tail)) == tail
        if n == 0:
            time.sleep(0.05)
    assert received == payload
    command(port, "AT+QSSLCLOSE=4")
