"""Request pacing and the request budget, shared by every process of one run.

With `-n 2` two xdist workers send requests to the same workspace: a rate limit or a budget
kept per process would let the run as a whole send twice as much. Both live in small files
that every process of the run opens (their path travels from the xdist controller to the
workers); an exclusive `flock` makes each read-modify-write atomic across processes, and a
thread lock across the threads of one process.

The budget is the run's, one for every workspace; the rate limit is each workspace's own
(a workspace is a base URL and the key that names its account: Flexie limits each on its
own), so accounts verified side by side do not wait for each other. A process never has
more than `--flexie-concurrency` requests in flight, whichever workspace they go to.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.config.settings import Settings


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
    def _state(self) -> Iterator[list[float]]:
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

    def defer(self, seconds: float) -> None:
        """No request before `seconds` from now (the workspace asked to wait: a 429)."""
        with self._state() as state:
            state[2] = max(state[2], time.time() + seconds)

    def spent(self) -> tuple[int, int]:
        """(requests counted against the budget, exempt requests) so far, by all processes."""
        with self._state() as state:
            return int(state[0]), int(state[1])

    def remaining(self) -> int | None:
        if self.budget is None:
            return None
        return max(0, self.budget - self.spent()[0])


class WorkspacePace:
    """What one request to one workspace waits for: the run's budget (shared by every
    workspace) and the workspace's own rate limit (shared by every process of the run)."""

    def __init__(self, budget: SharedPace | None, rate: SharedPace | None) -> None:
        self.budget = budget
        self.rate = rate

    @property
    def interval(self) -> float:
        return self.rate.interval if self.rate is not None else 0.0

    def take(self, *, exempt: bool = False) -> None:
        """Count the request against the budget (BudgetSpent: not sent, no wait), then wait
        for the workspace's next free slot."""
        if self.budget is not None:
            self.budget.take(exempt=exempt)
        if self.rate is not None:
            self.rate.take(exempt=exempt)

    def defer(self, seconds: float) -> None:
        """The workspace asked to wait: every process and thread sending to it waits too."""
        if self.rate is not None:
            self.rate.defer(seconds)


_PACES: dict[Path, SharedPace] = {}
_WORKSPACES: dict[tuple[Path, str], WorkspacePace] = {}
_SLOTS: dict[int, threading.BoundedSemaphore] = {}


def pace_file(settings: Settings) -> Path:
    """Where the run's shared budget lives (each workspace's rate beside it, see rate_file):
    named by the controller, the same for its workers."""
    return settings.pace_file or settings.reports / f".pace-{settings.run_id}"


def rate_file(settings: Settings, workspace: str) -> Path:
    """Where one workspace's rate limit lives: beside the budget, named by a digest of the
    workspace (its URL and key: the key never reaches the disk)."""
    base = pace_file(settings)
    digest = hashlib.sha256(workspace.encode()).hexdigest()[:16]
    return base.with_name(f"{base.name}-{digest}")


def remove_pace_files(settings: Settings) -> None:
    """The run's budget and every workspace's rate file (the controller, at start and end)."""
    base = pace_file(settings)
    for path in (base, *base.parent.glob(f"{base.name}-*")):
        path.unlink(missing_ok=True)


def _shared(path: Path, *, per_second: float | None = None,
            budget: int | None = None) -> SharedPace:
    if path not in _PACES:
        _PACES[path] = SharedPace(path, per_second=per_second, budget=budget)
    return _PACES[path]


def shared_pace(settings: Settings) -> SharedPace | None:
    """The run's budget, one per process and file; None without a budget."""
    if settings.budget is None:
        return None
    return _shared(pace_file(settings), budget=settings.budget)


def workspace_pace(settings: Settings, workspace: str) -> WorkspacePace | None:
    """The pace of requests to `workspace` (its URL and key); None when the run has neither a
    rate limit nor a budget (then requests are not even counted here, so nothing slows them)."""
    if not settings.rate_limit and settings.budget is None:
        return None
    key = (pace_file(settings), workspace)
    if key not in _WORKSPACES:
        rate = _shared(rate_file(settings, workspace), per_second=settings.rate_limit) \
            if settings.rate_limit else None
        _WORKSPACES[key] = WorkspacePace(shared_pace(settings), rate)
    return _WORKSPACES[key]


def connection_slots(limit: int) -> threading.BoundedSemaphore:
    """The process's cap on requests in flight at once (`--flexie-concurrency`)."""
    if limit not in _SLOTS:
        _SLOTS[limit] = threading.BoundedSemaphore(max(1, limit))
    return _SLOTS[limit]
