"""The rate limit and the request budget hold for the run as a whole, across processes."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from conformance.engine.pacing import BudgetSpent, SharedPace


def _spend(path: str, budget: int, attempts: int, queue) -> None:
    pace = SharedPace(Path(path), budget=budget)
    sent = 0
    for _ in range(attempts):
        try:
            pace.take()
            sent += 1
        except BudgetSpent:
            pass
    queue.put(sent)


def test_two_processes_never_exceed_one_budget(tmp_path: Path):
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_spend, args=(str(tmp_path / "pace"), 50, 100,
                                                          queue)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert queue.get() + queue.get() == 50
    assert SharedPace(tmp_path / "pace", budget=50).spent() == (50, 0)


def _paced(path: str, count: int) -> None:
    pace = SharedPace(Path(path), per_second=20)
    for _ in range(count):
        pace.take()


def test_two_processes_share_one_rate_limit(tmp_path: Path):
    started = time.monotonic()
    procs = [multiprocessing.Process(target=_paced, args=(str(tmp_path / "pace"), 10))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    # 20 requests at 20 per second: the last one leaves 19 intervals after the first.
    assert time.monotonic() - started >= 0.9


def test_exempt_requests_are_counted_apart(tmp_path: Path):
    pace = SharedPace(tmp_path / "pace", budget=1)
    pace.take()
    with pytest.raises(BudgetSpent):
        pace.take()
    pace.take(exempt=True)  # cleanup of the run's own records is never refused
    assert pace.spent() == (1, 1) and pace.remaining() == 0
