"""Plain commands the way host scripts read them: read_until(b"OK\\r\\n") and readline()."""

from athost import command, lines_until_final

REVISION = "Revision: EG915QGLR01A01M08"


def test_at_read_until_ok(port):
    assert command(port, "AT") == b"AT\r\r\nOK\r\n"
    # Lower case and a CRLF line end (LF ignored, not echoed) read the same.
    port.write(b"at\r\n")
    assert port.read_until(b"OK\r\n") == b"at\r\r\nOK\r\n"


def test_ati_readline_with_echo(port):
    port.write(b"ATI\r")
    lines = [port.readline() for _ in range(6)]
    assert lines == [
        b"ATI\r\r\n",
        b"Quectel\r\n",
        b"EG915Q-GL\r\n",
        REVISION.encode() + b"\r\n",
        b"\r\n",
        b"OK\r\n",
    ]


def test_ati_echo_off(port):
    assert command(port, "ATE0") == b"ATE0\r\r\nOK\r\n"
    assert command(port, "ATI") == b"\r\nQuectel\r\nEG915Q-GL\r\n" + REVISION.encode() + b"\r\n\r\nOK\r\n"
    port.write(b"ATI\r")
    assert lines_until_final(port) == ["Quectel", "EG915Q-GL", REVISION, "OK"]


def test_error_and_cme_error(port):
    assert command(port, "AT+FOO", until=b"ERROR\r\n") == b"AT+FOO\r\r\nERROR\r\n"
    assert command(port, "AT+CMEE=1") == b"AT+CMEE=1\r\r\nOK\r\n"
    port.write(b'AT+QFDEL="missing"\r')
    assert lines_until_final(port) == ['AT+QFDEL="missing"', "+CME ERROR: 405"]
    assert command(port, "AT+CMEE=2") == b"AT+CMEE=2\r\r\nOK\r\n"
    port.write(b'AT+QFDEL="missing"\r')
    assert lines_until_final(port) == ['AT+QFDEL="missing"', "+CME ERROR: File not found"]


def test_qsslcfg_query_and_test_form(port):
    assert command(port, "ATE0") == b"ATE0\r\r\nOK\r\n"
    port.write(b'AT+QSSLCFG="sslversion",1\r')
    assert lines_until_final(port) == ['+QSSLCFG: "sslversion",1,4', "OK"]
    port.write(b"AT+QSSLCFG=?\r")
    lines = lines_until_final(port)
    assert lines[-1] == "OK"
    assert len(lines) == 21, lines
    assert all(line.startswith('+QSSLCFG: "') for line in lines[:-1])
    assert '+QSSLCFG: "seclevel",(0-5),(0-2)' in lines  # SPEC §3, HW
    items = [line.split('"')[1] for line in lines[:-1]]
    assert items[:2] == ["sslversion", "seclevel"] and items[-1] == "alpn"
