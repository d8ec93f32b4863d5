"""Request pacing and the request budget, shared by every process of one run.

With `-n 2` two xdist workers send requests to the same workspace: a rate limit or a budget
kept per process would let the run as a whole send twice as much. Both live in one small
file that every process of the run opens (its path travels from the xdist controller to the
workers); an exclusive `flock` makes each read-modify-write atomic across processes, and a
thread lock across the threads of one process.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.settings import Settings


class BudgetSpent(Exception):
    """The run's request budget is spent: the request was not sent."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request budget of {limit} is spent")
        self.limit = limit


def budget_spent_in(exc: BaseException | None) -> BudgetSpent | None:
    """The budget's stop wherever it hides: the exception itself, inside an exception group
    (Schemathesis groups its checks' failures), or as the cause or context of another
    (Hypothesis's and Schemathesis's wrapping)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, BudgetSpent):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            return next(filter(None, map(budget_spent_in, exc.exceptions)), None)
        exc = exc.__cause__ or exc.__context__
    return None


_STATE = struct.Struct("<qqd")  # requests counted, exempt requests, next free slot (epoch s)


class SharedPace:
    """At most `per_second` requests per second and at most `budget` requests in all,
    across every process that opens the same `path`."""

    def __init__(self, path: Path, *, per_second: float | None = None,
                 budget: int | None = None) -> None:
        self.path = path
        self.interval = 1.0 / per_second if per_second else 0.0
        self.budget = budget
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def _state(self) -> Iterator[list]:
        """The shared state, locked for this process and thread; written back on exit."""
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                raw = os.pread(self._fd, _STATE.size, 0)
                state = list(_STATE.unpack(raw)) if len(raw) == _STATE.size else [0, 0, 0.0]
                yield state
                os.pwrite(self._fd, _STATE.pack(*state), 0)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def take(self, *, exempt: bool = False) -> None:
        """Claim one request: wait for its slot under the rate limit, and count it against
        the budget (`exempt`: counted apart, e.g. cleanup of the run's own records).
        Raises BudgetSpent, without waiting, when the budget allows no more."""
        with self._state() as state:
            if not exempt and self.budget is not None and state[0] >= self.budget:
                raise BudgetSpent(self.budget)
            state[1 if exempt else 0] += 1
            now = time.time()
            slot = max(now, state[2])
            state[2] = slot + self.interval
        if slot > now:
            time.sleep(slot - now)

    def spent(self) -> tuple[int, int]:
        """(requests counted against the budget, exempt requests) so far, by all processes."""
        with self._state() as state:
            return int(state[0]), int(state[1])

    def remaining(self) -> int | None:
        if self.budget is None:
            return None
        return max(0, self.budget - self.spent()[0])


_PACES: dict[Path, SharedPace] = {}


def pace_file(settings: Settings) -> Path:
    """Where the run's shared pace lives: named by the controller, the same for its workers."""
    return settings.pace_file or settings.reports / f".pace-{settings.run_id}"


def shared_pace(settings: Settings) -> SharedPace | None:
    """The run's pace, one per process and file; None when the run has neither a rate limit
    nor a budget (then requests are not even counted here, so nothing slows them)."""
    if not settings.rate_limit and settings.budget is None:
        return None
    path = pace_file(settings)
    if path not in _PACES:
        _PACES[path] = SharedPace(path, per_second=settings.rate_limit, budget=settings.budget)
    return _PACES[path]
