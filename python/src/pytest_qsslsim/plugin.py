"""The pytest side: the `qsslsim` fixture, the `qsslsim` marker, options, and the failure report.

Registered through the `pytest11` entry point, so installing the package is all it takes.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

import pytest

from .daemon import QsslSim, QsslsimError, find_binary, tail_lines

MARKER_KWARGS = ("args", "demo", "serial_timeout")

_DAEMONS = pytest.StashKey[List[QsslSim]]()
_REPORTED = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qsslsim", "qsslsim LTE module emulator")
    group.addoption(
        "--qsslsim-bin",
        metavar="PATH",
        default=None,
        help="the qsslsim binary (default: $QSSLSIM_BIN, then qsslsim on PATH, then "
        "target/debug or target/release of a checkout above the rootdir or cwd)",
    )
    parser.addini(
        "qsslsim_args",
        type="args",
        default=[],
        help="daemon options for every test, e.g. --guard-time 300 (markers add to them)",
    )
    parser.addini(
        "qsslsim_report_lines",
        default="200",
        help="how many trailing lines of the trace and of the log a failed test shows (default 200)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "qsslsim(*args, args=[...], demo=True, serial_timeout=5.0): options for the test's "
        "qsslsim daemon: extra command-line arguments, demo=False to run without --demo, and "
        "the pyserial read timeout of qsslsim.serial",
    )


def _options(node: pytest.Item) -> Dict[str, Any]:
    """Every `qsslsim` marker from module to function: their args add up in that order; for
    `demo` and `serial_timeout` the closest marker wins."""
    options: Dict[str, Any] = {"args": [], "demo": True, "serial_timeout": 5.0}
    for mark in reversed(list(node.iter_markers("qsslsim"))):
        unknown = set(mark.kwargs) - set(MARKER_KWARGS)
        if unknown:
            raise QsslsimError(
                f"@pytest.mark.qsslsim got {sorted(unknown)}; it takes "
                f"positional arguments and {', '.join(MARKER_KWARGS)}"
            )
        extra = mark.kwargs.get("args", [])
        if isinstance(extra, str):
            raise QsslsimError(
                f"@pytest.mark.qsslsim(args=...) wants a list, e.g. "
                f'args=["--timing", "realistic"], not {extra!r}'
            )
        options["args"] += [str(a) for a in mark.args] + [str(a) for a in extra]
        for key in ("demo", "serial_timeout"):
            if key in mark.kwargs:
                options[key] = mark.kwargs[key]
    return options


@pytest.fixture
def qsslsim(request: pytest.FixtureRequest, tmp_path) -> Iterator[QsslSim]:
    """A qsslsim daemon of this test's own, `--demo` unless the marker says `demo=False`.

    Yields a `QsslSim`: `.port` (the pty), `.serial` (pyserial, opened on first use),
    `.fault(kind, **fields)`, `.ctl(request)`, `.state()`, `.events()`, `.trace_path`,
    `.log_path`. Stopped after the test (serial port closed first, then SIGTERM).
    """
    config = request.config
    try:
        options = _options(request.node)
        binary = find_binary(
            config.getoption("qsslsim_bin"), search_from=[config.rootpath, config.invocation_params.dir]
        )
        sim = QsslSim(
            binary,
            # A directory of its own: the test keeps the rest of tmp_path.
            tmp_path / "qsslsim",
            args=list(config.getini("qsslsim_args")) + options["args"],
            demo=options["demo"],
            serial_timeout=options["serial_timeout"],
        )
    except QsslsimError as e:
        problem = str(e)
    else:
        request.node.stash.setdefault(_DAEMONS, []).append(sim)
        try:
            sim.start()
            problem = None
        except QsslsimError as e:
            problem = f"{e}\n(command: {' '.join(sim.argv)})"
    # Outside the except blocks, so the report shows the reason once, not a chain.
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    try:
        yield sim
    finally:
        # Exited by itself, not through stop(): a crash, or a fault the test did not expect.
        died = not sim.stopped and sim.process is not None and sim.process.poll() is not None
        status = sim.stop()
    if died:
        pytest.fail(
            f"qsslsim exited during the test with status {status}; see the qsslsim log section",
            pytrace=False,
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """On the first failed phase of a test that used the fixture, append the tail of each
    daemon's trace and log to the report."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed or item.stash.get(_REPORTED, False):
        return
    daemons = item.stash.get(_DAEMONS, [])
    if not daemons:
        return
    item.stash[_REPORTED] = True
    try:
        count = int(item.config.getini("qsslsim_report_lines"))
    except ValueError:
        count = 200
    for sim in daemons:
        for title, path in (("trace", sim.trace_path), ("log", sim.log_path)):
            try:
                text = path.read_text(errors="replace")
            except OSError as e:
                report.sections.append((f"qsslsim {title} {path}", f"(unreadable: {e})"))
                continue
            shown, total = tail_lines(text, count)
            if total > count:
                header = f"qsslsim {title}: last {count} of {total} lines of {path}"
            else:
                header = f"qsslsim {title}: {path}"
            report.sections.append((header, shown or "(empty)"))
