"""The plugin's own tests. They run against an installed copy (`pip install ./python`), which
is how `make pytest` runs them; `pytester` runs inner test sessions for the report, marker and
xdist behaviour."""

from pathlib import Path

import pytest

from pytest_qsslsim import find_binary

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def binary_for_inner_runs(monkeypatch):
    """Inner pytester sessions run in a temporary directory, far from any checkout: hand them
    the binary this run uses ($QSSLSIM_BIN, or the repository's build found from here)."""
    monkeypatch.setenv("QSSLSIM_BIN", str(find_binary(search_from=[Path(__file__).parent])))
