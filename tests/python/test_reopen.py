"""Closing and reopening the port (pyserial close()/open(), or a new Serial) keeps the module's
state: settings, PDP context, open sockets and their buffered data."""

import serial

from athost import command, lines_until_final, next_urc, setup_context

DATA = b"Test data from SSL"


def test_reopen_keeps_state(daemon, port):
    setup_context(port)
    assert command(port, "ATE0") == b"ATE0\r\r\nOK\r\n"
    assert command(port, "AT+CMEE=2") == b"\r\nOK\r\n"
    assert command(port, 'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0') == b"\r\nOK\r\n"
    assert next_urc(port) == "+QSSLOPEN: 4,0"
    assert command(port, "AT+QSSLSEND=4,18", until=b"> ") == b"\r\n> "
    port.write(DATA)
    assert port.read_until(b"SEND OK\r\n") == b"\r\nSEND OK\r\n"
    assert next_urc(port) == '+QSSLURC: "recv",4'

    # pyserial's own close()/open() on the same object.
    port.close()
    port.open()
    assert command(port, "AT") == b"\r\nOK\r\n"  # still ATE0
    port.write(b'AT+QFDEL="missing"\r')
    assert lines_until_final(port) == ["+CME ERROR: File not found"]  # still CMEE=2
    port.close()

    # A new Serial object, as a second script run would make.
    with serial.Serial(daemon.path, baudrate=115200, timeout=2) as again:
        again.write(b'AT+QSSLCFG="seclevel",1\r')
        assert lines_until_final(again) == ['+QSSLCFG: "seclevel",1,1', "OK"]
        again.write(b"AT+QIACT?\r")
        assert lines_until_final(again) == ['+QIACT: 1,1,1,"10.7.157.1"', "OK"]
        again.write(b"AT+QSSLSTATE=4\r")
        lines = lines_until_final(again)
        assert lines[0].startswith('+QSSLSTATE: 4,"SSLClient","192.0.2.2",8010,'), lines
        assert lines[0].endswith(',2,1,4,0,"uart1",1'), lines
        # The data that arrived before the close is still buffered.
        got = command(again, "AT+QSSLRECV=4,1500")
        assert got == b"\r\n+QSSLRECV: 18\r\n" + DATA + b"\r\n\r\nOK\r\n"
        assert command(again, "AT+QSSLCLOSE=4") == b"\r\nOK\r\n"


def test_many_reopens(daemon):
    with serial.Serial(daemon.path, baudrate=115200, timeout=2) as s:
        assert command(s, "AT+CMEE=0") == b"AT+CMEE=0\r\r\nOK\r\n"
    for i in range(30):
        with serial.Serial(daemon.path, baudrate=115200, timeout=2) as s:
            if i % 3 == 0:
                s.write(b"AT+CMEE?\r")
                assert lines_until_final(s) == ["AT+CMEE?", "+CMEE: 0", "OK"]
            else:
                assert command(s, "AT") == b"AT\r\r\nOK\r\n"
