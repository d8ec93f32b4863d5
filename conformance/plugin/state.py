"""What the plugin keeps per pytest session: the run, in `config.stash`, and which process
this is (the only place that reads xdist's `workerinput`)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.run import Run

#: The session's run, stored by the plugin's pytest_configure once start_run built it.
RUN = pytest.StashKey[Run]()


def is_xdist_worker(config: pytest.Config) -> bool:
    """Whether this process is an xdist worker (the controller writes the reports)."""
    return hasattr(config, "workerinput")


def worker_input(config: pytest.Config) -> dict[str, Any]:
    """What the xdist controller handed this worker ({} in the controller or alone)."""
    shared = getattr(config, "workerinput", {})
    return shared if isinstance(shared, dict) else {}


def run_of(config: pytest.Config) -> Run:
    """The session's run (the plugin is configured: collection and tests have one)."""
    run = config.stash.get(RUN, None)
    if run is None:
        raise RuntimeError("the flexie plugin is not configured")
    return run


def run_if_any(config: pytest.Config) -> Run | None:
    """The session's run, or None where pytest runs without one (--help, --version, a start
    that failed): hooks that may run then ask this."""
    return config.stash.get(RUN, None)
