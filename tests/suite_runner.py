"""Run the conformance suite as a user would (a subprocess), for the self-tests.

No wall-clock limit by default: a loaded 2-core machine may take several times longer than a
quiet one, and a run that hangs is CI's to stop, not a verdict of the test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SuiteRun:
    code: int
    output: str


def run_suite(*args: str, reports: Path, timeout: float | None = None, env: dict | None = None,
              seed: int = 20261127) -> SuiteRun:
    cmd = [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
           "--flexie-reports", str(reports), "--flexie-seed", str(seed), *args]
    # The outer test's PYTEST_CURRENT_TEST would name the inner run's setup traffic.
    inherited = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**inherited, **(env or {})})
    return SuiteRun(proc.returncode, proc.stdout + proc.stderr)


def made_once(tmp_path_factory: Any, name: str, make: Callable[[Path], None]) -> Path:
    """A folder `make` fills once per session, by the first xdist worker that asks; the others
    wait for it and read it. Without xdist it lives in this session's own base folder."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name
    with FileLock(str(shared) + ".lock"):
        done = shared / ".made"
        if not done.exists():
            make(shared)
            done.touch()
    return shared


#: The operations no run exercises with a success, and why (issue 21's exception): writes to
#: records the API cannot create aim at ids no workspace assigns.
WRITES_A_RUN_MAY_NOT_MAKE = {
    "PUT /workflows/{id}": "a live run may not update workflows",
    "DELETE /workflows/{id}": "a live run may not delete workflows",
    "POST /emails/{id}/send": "a live run may not send emails",
}


def not_exercised(doc: dict) -> dict[str, str]:
    """Operations whose test ran but no positive case of which was answered with success:
    the start of why."""
    from conformance.report.results import NOT_RUN

    return {o["key"]: o["exercise"]["reason"].split(" it did not create")[0]
            for o in doc["operations"]
            if not o["exercise"]["exercised"] and o["exercise"]["reason"] != NOT_RUN}
