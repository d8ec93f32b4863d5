"""How the engine says that a test does not apply or that the run cannot go on, without pytest.

The engine raises these; the pytest plugin (conformance/plugin/) turns them into pytest's
outcomes: `NotApplicable` is a `unittest.SkipTest`, which pytest reports as a skip with its
text as the reason, and `SetupStopped` becomes `pytest.exit` (exit 1) in one process, or the
error of the one test that needed the setup in an xdist worker.
"""

from __future__ import annotations

import unittest


class StartupError(Exception):
    """The run cannot start: one readable line saying why (bad input, unusable target)."""


class NotApplicable(unittest.SkipTest):
    """The test checks nothing on this run (read-only, no case could be sent, no probe
    applies ...): it is skipped, its message the reason."""


class SetupStopped(Exception):
    """Setting up the run's records (or its first request) broke the contract: the finding
    is recorded, and the run stops with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
