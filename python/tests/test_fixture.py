"""The `qsslsim` fixture used directly: the port, the control socket, events, the marker."""

import json
import os
import stat
from pathlib import Path

import pytest
import serial

from pytest_qsslsim import QsslsimError

OK = b"\r\nOK\r\n"


def expect(port, want: bytes) -> None:
    """Exactly these bytes next (or the port's timeout)."""
    assert port.read(len(want)) == want


def command(port, line: bytes, response: bytes) -> None:
    """One command line, echo on: the module repeats the line, then answers."""
    port.write(line + b"\r")
    expect(port, line + b"\r" + response)


def test_port_serial_and_paths(qsslsim, tmp_path):
    port = qsslsim.serial
    assert isinstance(port, serial.Serial) and port.is_open
    assert port.timeout == 5.0
    assert qsslsim.serial is port  # the same port every time
    command(port, b"AT", OK)

    # Everything of this daemon's lives under the test's tmp_path, the pty link included.
    base = tmp_path / "qsslsim"
    assert Path(qsslsim.port) == base / "modem.pty"
    assert os.path.realpath(qsslsim.port) == qsslsim.pty and qsslsim.pty.startswith("/dev/")
    assert qsslsim.control_path == base / "control.sock"
    assert stat.S_ISSOCK(qsslsim.control_path.stat().st_mode)
    assert qsslsim.trace_path == base / "trace.jsonl"
    assert qsslsim.argv[1] == "--demo" and "-v" in qsslsim.argv

    # The trace already holds the exchange; the log is the daemon's -v output.
    records = qsslsim.trace()
    assert {"type": "host_in", "text": "AT\r"}.items() <= records[0].items()
    assert "ready" in qsslsim.log_text()


def test_demo_preloads_the_ca_and_reaches_the_echo_peer(qsslsim):
    port = qsslsim.serial
    command(port, b'AT+QFLST="RAM:*"', b'\r\n+QFLST: "RAM:cacert.pem",615\r\n' + OK)
    command(port, b"AT+QIACT=1", OK)
    command(port, b'AT+QSSLCFG="cacert",1,"RAM:cacert.pem"', OK)
    command(port, b'AT+QSSLOPEN=1,1,4,"192.0.2.2",8011,1', OK)
    expect(port, b"\r\n+QSSLOPEN: 4,0\r\n")
    command(port, b"AT+QSSLSEND=4,5", b"\r\n> ")
    port.write(b"hello")
    expect(port, b'hello\r\nSEND OK\r\n\r\n+QSSLURC: "recv",4,5\r\n')
    expect(port, b"hello")


def test_fault_is_applied_and_seen_by_the_host(qsslsim):
    port = qsslsim.serial
    command(port, b"AT+QIACT=1", OK)
    command(port, b'AT+QSSLCFG="cacert",1,"RAM:cacert.pem"', OK)
    assert qsslsim.fault("refuse_connect") == {"ok": True}
    command(port, b'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0', OK)
    expect(port, b"\r\n+QSSLOPEN: 4,566\r\n")
    failure = [r for r in qsslsim.trace() if r.get("event") == "failure"][-1]
    assert failure["code"] == 566 and "refuse_connect" in failure["cause"]


def test_fault_with_fields(qsslsim):
    port = qsslsim.serial
    command(port, b"AT+QIACT=1", OK)
    command(port, b'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0', OK)
    expect(port, b"\r\n+QSSLOPEN: 4,0\r\n")
    qsslsim.fault("pdp_lost", ctx=1)
    expect(port, b'\r\n+QSSLURC: "closed",4\r\n')
    expect(port, b'\r\n+QIURC: "pdpdeact",1\r\n')
    assert qsslsim.state()["pdp_active"] == []


def test_refused_fault_raises_with_the_daemons_reason(qsslsim):
    with pytest.raises(QsslsimError, match="unknown variant `no_such_fault`") as refused:
        qsslsim.fault("no_such_fault")
    assert refused.value.reply["ok"] is False
    with pytest.raises(QsslsimError, match="missing field `ctx`"):
        qsslsim.fault("pdp_lost")
    # The daemon carries on.
    command(qsslsim.serial, b"AT", OK)


def test_ctl_returns_any_reply(qsslsim):
    state = qsslsim.ctl({"verb": "state"})
    assert state["ok"] is True and state["state"]["sockets"] == []
    bad = qsslsim.ctl({"verb": "reboot"})
    assert bad["ok"] is False and "unknown variant `reboot`" in bad["error"]
    assert qsslsim.ctl({"verb": "clock", "time": "2030-01-02T03:04:05Z"}) == {"ok": True}
    command(qsslsim.serial, b"AT+CCLK?", b'\r\n+CCLK: "30/01/02,03:04:05+00"\r\n' + OK)
    with pytest.raises(QsslsimError, match="bad time"):
        qsslsim.clock("yesterday")


def test_events_are_live_from_subscription(qsslsim):
    events = qsslsim.events(timeout=5)
    qsslsim.fault("refuse_connect")
    first = next(events)
    assert first["type"] == "module" and first["event"] == "fault" and first["fault"] == "refuse_connect"

    port = qsslsim.serial
    command(port, b"AT+QIACT=1", OK)
    command(port, b'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0', OK)
    failure = events.wait_for(event="failure", code=566)
    assert failure["id"] == 4 and "refuse_connect" in failure["cause"]
    urc = events.wait_for(lambda r: r.get("text", "").startswith("+QSSLOPEN"))
    assert urc == {**urc, "type": "module", "event": "urc", "text": "+QSSLOPEN: 4,566"}

    # Several subscribers each get every record.
    with qsslsim.events() as second:
        command(port, b"ATI", b"\r\nQuectel\r\nEG915Q-GL\r\nRevision: EG915QGLR01A01M08\r\n" + OK)
        assert second.wait_for(type="host_in")["text"] == "ATI\r"
    assert events.wait_for(type="host_in")["text"] == "ATI\r"


def test_events_time_out_instead_of_hanging(qsslsim):
    events = qsslsim.events(timeout=0.2)
    with pytest.raises(TimeoutError):
        next(events)
    with pytest.raises(TimeoutError, match="no qsslsim event with {'event': 'failure'}"):
        events.wait_for(event="failure", timeout=0.2)


def test_events_end_when_the_daemon_stops(qsslsim):
    events = qsslsim.events()
    qsslsim.process.terminate()
    qsslsim.process.wait(5)
    assert list(events) == []
    # Without this the fixture would report the exit as an error at teardown.
    assert qsslsim.stop() == 0


@pytest.mark.qsslsim(args=["--model", "EG912U-GL"])
def test_marker_args(qsslsim):
    assert qsslsim.argv[-2:] == ["--model", "EG912U-GL"]
    command(qsslsim.serial, b"AT+GMM", b"\r\nEG912U-GL\r\n" + OK)


@pytest.mark.qsslsim(demo=False)
def test_marker_demo_false(qsslsim):
    assert "--demo" not in qsslsim.argv
    port = qsslsim.serial
    # No preloaded CA, and the maker's address is not routed anywhere: the sandbox refuses.
    command(port, b'AT+QFLST="RAM:*"', OK)
    command(port, b"AT+QIACT=1", OK)
    events = qsslsim.events()
    command(port, b'AT+QSSLOPEN=1,1,4,"192.0.2.2",8010,0', OK)
    expect(port, b"\r\n+QSSLOPEN: 4,566\r\n")
    assert "not a loopback address" in events.wait_for(event="failure")["cause"]


@pytest.mark.qsslsim("--guard-time", "300")
class TestMarkersAddUp:
    @pytest.mark.qsslsim(args=["--at-port", "usbmodem"], serial_timeout=0.5)
    def test_class_and_function_markers(self, qsslsim):
        assert qsslsim.argv[-4:] == ["--guard-time", "300", "--at-port", "usbmodem"]
        assert qsslsim.serial.timeout == 0.5
        assert qsslsim.serial.read(1) == b""  # nothing to read: gives up after 0.5 s

    def test_class_marker_alone(self, qsslsim):
        assert qsslsim.argv[-2:] == ["--guard-time", "300"]
        assert qsslsim.serial.timeout == 5.0


def test_open_serial_gives_another_port(qsslsim):
    command(qsslsim.serial, b"ATE0", OK)
    with qsslsim.open_serial(timeout=2) as again:
        again.write(b"AT\r")
        assert again.read(6) == OK  # the same module: echo stays off


def test_stop_closes_the_port_first_and_cleans_up(qsslsim):
    port = qsslsim.serial
    link, control = Path(qsslsim.port), qsslsim.control_path
    assert qsslsim.stop() == 0  # SIGTERM: a clean exit
    assert not port.is_open
    assert not qsslsim.running
    assert not link.exists() and not control.exists()
    assert qsslsim.stop() == 0  # twice is fine
    with pytest.raises(QsslsimError, match="cannot reach qsslsim's control socket"):
        qsslsim.state()


@pytest.mark.qsslsim(args=["--tcp", "127.0.0.1:0", "--rfc2217", "127.0.0.1:0"])
def test_network_at_port_urls(qsslsim):
    assert qsslsim.tcp_url.startswith("socket://127.0.0.1:")
    assert qsslsim.rfc2217_url.startswith("rfc2217://127.0.0.1:")
    assert qsslsim.url == qsslsim.tcp_url
    with qsslsim.open_url() as port:
        command(port, b"ATE0", OK)
    # The state stays for the next client, here over RFC 2217, and then for the pty.
    for _ in range(50):
        try:
            with qsslsim.open_url(qsslsim.rfc2217_url) as port:
                port.write(b"AT\r")
                assert port.read(6) == OK
                break
        except (serial.SerialException, OSError):
            pass  # the first client's close has not reached the daemon yet
    else:
        pytest.fail("no second client admitted")


def test_no_network_port_without_the_flag(qsslsim):
    assert qsslsim.url is None
    with pytest.raises(QsslsimError, match="--tcp"):
        qsslsim.open_url()
