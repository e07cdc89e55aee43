"""The plugin seen from outside: inner pytest runs (pytester) for the failure report, errors,
teardown and xdist; `find_binary` and `QsslSim` for the rest."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_qsslsim import QsslSim, QsslsimError, find_binary

FAILING = """
def test_fails(qsslsim):
    qsslsim.serial.write(b"AT+MARKER\\r")
    assert qsslsim.serial.read_until(b"ERROR\\r\\n").endswith(b"ERROR\\r\\n")
    assert False, "on purpose"

def test_passes(qsslsim):
    qsslsim.serial.write(b"AT+PASSING\\r")
    assert qsslsim.serial.read_until(b"ERROR\\r\\n").endswith(b"ERROR\\r\\n")
"""


def section(lines, title_start):
    """The lines of the report section whose title starts with `title_start`."""
    for i, line in enumerate(lines):
        if line.lstrip("- ").startswith(title_start):
            body = []
            for rest in lines[i + 1:]:
                if rest.startswith(("-", "=", "_")):
                    break
                body.append(rest)
            return line, body
    raise AssertionError(f"no section {title_start!r} in:\n" + "\n".join(lines))


def test_failed_test_shows_trace_and_log(pytester):
    pytester.makepyfile(FAILING)
    result = pytester.runpytest("-rP")
    result.assert_outcomes(passed=1, failed=1)
    lines = result.stdout.lines

    title, trace = section(lines, "qsslsim trace:")
    assert title.rstrip(" -").endswith("/test_fails0/qsslsim/trace.jsonl"), title
    records = [json.loads(line) for line in trace]
    assert {"type": "host_in", "text": "AT+MARKER\r"}.items() <= records[0].items()
    assert records[-1]["type"] == "host_out" and "ERROR" in records[-1]["text"]

    title, log = section(lines, "qsslsim log:")
    assert title.rstrip(" -").endswith("/test_fails0/qsslsim/qsslsim.log"), title
    assert any("INFO qsslsim::daemon: ready" in line for line in log), log
    # The passing test's daemon is not reported, even with -rP showing its output.
    assert "AT+PASSING" not in result.stdout.str()
    assert sum("qsslsim trace:" in line for line in lines) == 1


def test_report_keeps_the_last_lines(pytester):
    pytester.makeini("[pytest]\nqsslsim_report_lines = 5\n")
    pytester.makepyfile(
        """
        def test_many(qsslsim):
            for i in range(20):
                qsslsim.serial.write(b"AT+N%d\\r" % i)
                qsslsim.serial.read_until(b"ERROR\\r\\n")
            assert False
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    title, trace = section(result.stdout.lines, "qsslsim trace:")
    # Each unknown command makes three records: host_in, the refusal, host_out.
    assert "last 5 of 60 lines of" in title, title
    assert len(trace) == 5 and "AT+N19" in trace[-1], trace
    title, log = section(result.stdout.lines, "qsslsim log:")
    assert "last 5 of" in title and len(log) == 5 and "AT+N19" in log[-1], log


def test_daemon_refusing_its_arguments_is_a_setup_error(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.qsslsim(args=["--scenario", "missing.toml"])
        def test_x(qsslsim):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*qsslsim exited with status 2 before READY*",
            "*--scenario missing.toml: No such file or directory*",
            "*(command: */qsslsim --demo --link * --scenario missing.toml)",
            "*qsslsim log: *",
        ]
    )


@pytest.mark.parametrize(
    "marker, message",
    [
        ('args=["--trace", "mine.jsonl"]', "--trace is set by pytest-qsslsim for each daemon*"),
        ('"--link=/tmp/x"', "--link is set by pytest-qsslsim for each daemon*"),
        ('arg=["-v"]', "@pytest.mark.qsslsim got [[]'arg'[]]; it takes positional arguments and args, demo, serial_timeout"),
        ('args="--timing realistic"', "@pytest.mark.qsslsim(args=...) wants a list*"),
    ],
)
def test_marker_mistakes_are_explained(pytester, marker, message):
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.qsslsim({marker})
        def test_x(qsslsim):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*" + message])
    result.stdout.no_fnmatch_line("*During handling*")


def test_marker_is_registered(pytester):
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.qsslsim(*args, args=[[]...[]], demo=True, serial_timeout=5.0):*"])


def test_a_daemon_that_dies_fails_the_test_at_teardown(pytester):
    pytester.makepyfile(
        """
        def test_x(qsslsim):
            qsslsim.process.kill()
            qsslsim.process.wait()
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_x*", "*qsslsim exited during the test with status -9*", "*qsslsim log: *"]
    )


def test_teardown_stops_the_daemon_and_removes_its_paths(pytester):
    out = pytester.path / "seen.json"
    pytester.makepyfile(
        f"""
        import json

        def test_x(qsslsim):
            json.dump(
                {{"pid": qsslsim.process.pid, "port": qsslsim.port, "control": str(qsslsim.control_path)}},
                open({str(out)!r}, "w"),
            )
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    seen = json.loads(out.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(seen["pid"], 0)
    assert not os.path.lexists(seen["port"]) and not os.path.lexists(seen["control"])


def test_ini_arguments_come_before_the_markers(pytester):
    pytester.makeini("[pytest]\nqsslsim_args = --guard-time 300 --model 'EG915U CN'\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.qsslsim("--at-port", "usbat")
        def test_x(qsslsim):
            assert qsslsim.argv[-6:] == ["--guard-time", "300", "--model", "EG915U CN", "--at-port", "usbat"]
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_qsslsim_bin_option(pytester, monkeypatch):
    real = find_binary(search_from=[Path(__file__).parent])
    monkeypatch.setenv("QSSLSIM_BIN", "/nonexistent/qsslsim")
    pytester.makepyfile(
        f"""
        def test_x(qsslsim):
            assert str(qsslsim.binary) == {str(real)!r}
        """
    )
    pytester.runpytest(f"--qsslsim-bin={real}").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*QSSLSIM_BIN=/nonexistent/qsslsim does not exist*"])


def test_no_binary_anywhere(pytester, monkeypatch):
    monkeypatch.delenv("QSSLSIM_BIN", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    pytester.makepyfile("def test_x(qsslsim):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no qsslsim binary: set QSSLSIM_BIN or --qsslsim-bin, put qsslsim on PATH*"])


def test_repository_build_found_from_the_rootdir(pytester, monkeypatch):
    """A suite inside a checkout finds target/debug/qsslsim above its rootdir."""
    real = find_binary(search_from=[Path(__file__).parent])
    monkeypatch.delenv("QSSLSIM_BIN", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    build = pytester.path / "checkout" / "target" / "debug"
    build.mkdir(parents=True)
    (build / "qsslsim").symlink_to(real)
    suite = pytester.path / "checkout" / "tests" / "modem"
    suite.mkdir(parents=True)
    (suite / "pytest.ini").write_text("[pytest]\n")
    (suite / "test_x.py").write_text(
        "def test_x(qsslsim):\n"
        f"    assert str(qsslsim.binary) == {str(build / 'qsslsim')!r}\n"
        "    qsslsim.serial.write(b'AT\\r')\n"
        "    assert qsslsim.serial.read(9) == b'AT\\r\\r\\nOK\\r\\n'\n"
    )
    pytester.runpytest(str(suite)).assert_outcomes(passed=1)


def fake_binary(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_find_binary_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    explicit = fake_binary(tmp_path / "a" / "qsslsim")
    env = fake_binary(tmp_path / "b" / "qsslsim")
    on_path = fake_binary(tmp_path / "c" / "qsslsim")
    debug = fake_binary(tmp_path / "repo" / "target" / "debug" / "qsslsim")
    release = fake_binary(tmp_path / "repo" / "target" / "release" / "qsslsim")
    os.utime(debug, (1, 1))  # release is the newer build
    inside = tmp_path / "repo" / "crates" / "x"
    inside.mkdir(parents=True)
    environ = {"QSSLSIM_BIN": str(env), "PATH": str(on_path.parent)}

    assert find_binary(str(explicit), environ, [inside]) == explicit
    assert find_binary(None, environ, [inside]) == env
    assert find_binary(None, {"PATH": str(on_path.parent)}, [inside]) == on_path
    assert find_binary(None, {"PATH": "/nonexistent"}, [inside]) == release
    os.utime(release, (0, 0))
    assert find_binary(None, {"PATH": "/nonexistent"}, [tmp_path / "elsewhere", inside]) == debug
    # A relative QSSLSIM_BIN: the current directory first, then the search roots.
    assert find_binary(None, {"QSSLSIM_BIN": "target/debug/qsslsim"}, [tmp_path / "repo"]) == debug
    assert find_binary(None, {"QSSLSIM_BIN": "b/qsslsim"}, [tmp_path / "repo"]) == env
    with pytest.raises(QsslsimError, match="no qsslsim binary"):
        find_binary(None, {"PATH": "/nonexistent"}, [tmp_path / "a"])


def test_long_work_directory_keeps_the_socket_path_short(tmp_path):
    workdir = tmp_path / ("deep-" * 20) / "qsslsim"
    with QsslSim(find_binary(search_from=[Path(__file__).parent]), workdir) as sim:
        assert len(str(sim.control_path)) <= 100
        assert stat.S_ISSOCK(sim.control_path.stat().st_mode)
        assert sim.state()["sockets"] == []
        assert Path(sim.port).parent == workdir and sim.trace_path.parent == workdir
        socket_dir = sim.control_path.parent
    assert not socket_dir.exists()


def test_xdist_workers_get_daemons_of_their_own(pytester):
    pytest.importorskip("xdist")
    seen = pytester.mkdir("seen")
    pytester.makepyfile(
        f"""
        import json, os
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_x(qsslsim, tmp_path, n):
            assert qsslsim.port.startswith(str(tmp_path))
            qsslsim.serial.write(b"AT+QIACT=1\\r")
            assert qsslsim.serial.read_until(b"OK\\r\\n") == b"AT+QIACT=1\\r\\r\\nOK\\r\\n"
            qsslsim.fault("pdp_lost", ctx=1)
            assert qsslsim.serial.read_until(b"1\\r\\n") == b'\\r\\n+QIURC: "pdpdeact",1\\r\\n'
            record = {{"worker": os.environ["PYTEST_XDIST_WORKER"], "port": qsslsim.port,
                       "pty": qsslsim.pty, "control": str(qsslsim.control_path)}}
            with open(os.path.join({str(seen)!r}, "%d.json" % n), "w") as f:
                json.dump(record, f)

        def test_failing(qsslsim):
            qsslsim.serial.write(b"AT+FROMWORKER\\r")
            qsslsim.serial.read_until(b"ERROR\\r\\n")
            assert False
        """
    )
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, failed=1)
    # The report sections travel from the worker to the controller's output.
    result.stdout.fnmatch_lines(["*qsslsim trace: */popen-gw?/test_failing0/qsslsim/trace.jsonl*", "*AT+FROMWORKER*"])
    records = [json.loads(p.read_text()) for p in seen.iterdir()]
    assert len(records) == 6
    assert {r["worker"] for r in records} == {"gw0", "gw1"}
    for key in ("port", "control"):
        assert len({r[key] for r in records}) == 6, records
