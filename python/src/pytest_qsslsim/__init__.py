"""pytest-qsslsim: a qsslsim daemon per test, with its pty, control socket and trace.

    def test_at(qsslsim):
        qsslsim.serial.write(b"AT\\r")
        assert qsslsim.serial.read(9) == b"AT\\r\\r\\nOK\\r\\n"

The fixture and the marker come from `pytest_qsslsim.plugin` (loaded by pytest through the
`pytest11` entry point); `QsslSim` works without pytest too.
"""

from .daemon import EventStream, QsslSim, QsslsimError, find_binary

__all__ = ["EventStream", "QsslSim", "QsslsimError", "find_binary"]
__version__ = "0.1.0"
