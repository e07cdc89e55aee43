"""What a typical host script does with pyserial, and nothing cleverer."""

import time

GUARD_S = 0.3  # matches --guard-time 300 in conftest.py


def command(port, line, until=b"OK\r\n"):
    """Write an AT command line and read up to (and including) `until`."""
    port.write(line.encode() + b"\r")
    got = port.read_until(until)
    assert got.endswith(until), f"{line!r}: timed out waiting for {until!r}, got {got!r}"
    return got


def lines_until_final(port):
    """readline() until a final result code; returns the lines stripped of CR/LF, blanks dropped."""
    finals = {"OK", "ERROR", "CONNECT", "NO CARRIER", "SEND OK", "SEND FAIL"}
    out = []
    while True:
        raw = port.readline()
        assert raw.endswith(b"\n"), f"readline timed out after {out!r} + {raw!r}"
        text = raw.decode("latin-1").strip("\r\n")
        if text:
            out.append(text)
        if text in finals or text.startswith("+CME ERROR:"):
            return out


def next_urc(port):
    """readline() past blank lines; the first non-blank line, CR/LF stripped."""
    for _ in range(10):
        raw = port.readline()
        assert raw.endswith(b"\n"), f"no URC line (got {raw!r})"
        text = raw.decode("latin-1").strip("\r\n")
        if text:
            return text
    raise AssertionError("only blank lines")


def setup_context(port):
    """The maker's configuration part of the flow (SPEC §11), echo on."""
    assert command(port, 'AT+QICSGP=1,1,"UNINET","","",1') == b'AT+QICSGP=1,1,"UNINET","","",1\r\r\nOK\r\n'
    assert command(port, "AT+QIACT=1") == b"AT+QIACT=1\r\r\nOK\r\n"
    assert command(port, "AT+QIACT?") == b'AT+QIACT?\r\r\n+QIACT: 1,1,1,"10.7.157.1"\r\n\r\nOK\r\n'
    for line in (
        'AT+QSSLCFG="sslversion",1,1',
        'AT+QSSLCFG="ciphersuite",1,0X0035',
        'AT+QSSLCFG="seclevel",1,1',
        'AT+QSSLCFG="cacert",1,"RAM:cacert.pem"',
    ):
        assert command(port, line) == line.encode() + b"\r\r\nOK\r\n"


def escape(port):
    """`+++` with the guard time of silence before and after; the module answers OK."""
    time.sleep(GUARD_S + 0.1)
    port.write(b"+++")
    got = port.read_until(b"OK\r\n")
    assert got == b"\r\nOK\r\n", got
