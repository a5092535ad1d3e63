"""Test-only crash points: the process kills itself (SIGKILL) at a named point of a write sequence.

``CASEBOOK_TEST_CRASH_AT=<name>`` in the environment of a ``casebook`` process makes it die, exactly
as a power cut or the OOM killer would, when it reaches ``crash_point(<name>)`` — so a test can prove
that the next run finishes the work. Only the test suite sets this variable; unset (always, in
production) a crash point is one dictionary look-up. Names in use:

- ``after-catalog-commit``: ``publish`` (``casebook sync``, ``serve``), after the catalog's commit,
  before the search index follows it;
- ``after-save-commit``: a staff save, after its commit, before the search index follows it.
"""

from __future__ import annotations

import os
import signal

ENV = "CASEBOOK_TEST_CRASH_AT"


def crash_point(name: str) -> None:
    """SIGKILL this process when ``CASEBOOK_TEST_CRASH_AT`` names this point (test-only)."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
