"""Accounts verified side by side: each account's alias tests run in a thread of their own,
at most `--flexie-concurrency` accounts at once.

pytest still calls and reports every alias test itself, in its own order. When it calls the
first one, `Fleet` hands every alias test of the session to a pool, grouped by account: one
account's tests run one after another in collection order, as a run of that account alone
runs them. Each test's call then waits for its own outcome and raises what it raised. So the
tests, their outcomes and the verdict are a sequential run's; what overlaps is the waiting
for each workspace's own rate limit (conformance/engine/pacing.py).

Not used under a request budget (the plan is an order, and the tests it leaves out must be
the ones a sequential run leaves out), in an xdist worker (it runs only the tests the
controller sends it), or with `--flexie-concurrency 1`.

Safety holds per account: every round trip deletes its record in a `finally`, in its own
thread. Ctrl-C (or the session ending early) stops each account before its next request or
test; `stop` waits for those cleanups before the run's own cleanup and reports.
"""

from __future__ import annotations

import ast
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.declared import Kind, declared, traffic_bucket
from conformance.engine import stopping
from conformance.observed import sending_as
from conformance.plugin.state import is_xdist_worker
from conformance.run import Run

_PARSING = threading.RLock()


def _one_parse_at_a_time() -> None:
    """CPython before 3.12 keeps the AST constructor's recursion depth per interpreter, not
    per thread: two threads in `ast.parse` at once (Hypothesis describing a lambda, pytest
    formatting a failure) fail with "SystemError: AST constructor recursion depth mismatch".
    With tests in threads, every `ast.parse` of the process takes one lock."""
    if sys.version_info >= (3, 12) or getattr(ast.parse, "flexie_locked", False):
        return
    parse = ast.parse

    def locked(*args: Any, **kwargs: Any) -> ast.AST:
        with _PARSING:
            tree: ast.AST = parse(*args, **kwargs)
            return tree

    locked.flexie_locked = True  # type: ignore[attr-defined]  # a mark on the wrapper
    ast.parse = locked  # type: ignore[assignment]  # same call, one signature for the overloads


@dataclass
class _Outcome:
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


def is_account_alias_test(item: pytest.Item) -> bool:
    """Whether the test is one of an account's alias tests (what a fleet runs, and what a
    shard keeps per account): it declares the alias kind and is given an account."""
    found = declared(item)
    return found is not None and found.kind is Kind.ALIAS and account_of(item) is not None


def account_of(item: pytest.Item) -> str | None:
    """The account an alias test verifies (None: not one of an account's tests)."""
    callspec = getattr(item, "callspec", None)
    account = callspec.params.get("account") if callspec is not None else None
    return getattr(account, "name", None)


class Fleet:
    """The alias tests of a session, running per account in a bounded pool of threads."""

    def __init__(self, items: list[pytest.Item], width: int, run: Run) -> None:
        self.run = run
        groups: dict[str, list[pytest.Item]] = {}
        for item in items:
            groups.setdefault(account_of(item) or "", []).append(item)
        self.outcomes = {item.nodeid: _Outcome() for item in items}
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(width, len(groups))),
                                        thread_name_prefix="flexie-account")
        for group in groups.values():
            self._pool.submit(self._run_account, group)

    def _run_account(self, items: list[pytest.Item]) -> None:
        for item in items:
            outcome = self.outcomes[item.nodeid]
            try:
                if self._stopping.is_set():
                    raise pytest.skip.Exception("the run stopped before this test")
                with sending_as(traffic_bucket(item)):
                    item.obj(**self._arguments(item))  # type: ignore[attr-defined]  # Function's
            except BaseException as exc:  # the test's outcome, raised again by `call`
                outcome.error = exc
            finally:
                outcome.done.set()

    def _arguments(self, item: pytest.Item) -> dict[str, object]:
        """What pytest would call the test with: its parameters and the session's run (the
        one fixture an alias test takes; pytest has not set up the others' fixtures yet)."""
        arguments = dict(item.callspec.params)  # type: ignore[attr-defined]  # a Function's
        if "run" in getattr(item, "fixturenames", ()):
            arguments["run"] = self.run
        return arguments

    def call(self, item: pytest.Item) -> None:
        """The test's outcome, once its account's thread reached it: returns or raises."""
        outcome = self.outcomes[item.nodeid]
        outcome.done.wait()
        if outcome.error is not None:
            raise outcome.error

    def stop(self, *, interrupted: bool) -> None:
        """No further test starts; an interrupted run also stops each account before its
        next request. Returns once every account's thread (and its cleanup) is done."""
        self._stopping.set()
        if interrupted:
            stopping.request()
        self._pool.shutdown(wait=True, cancel_futures=True)


#: The session's fleet, once its first alias test started it.
FLEET = pytest.StashKey[Fleet]()


def eligible(run: Run, config: pytest.Config) -> bool:
    s = run.settings
    return s.concurrency > 1 and s.budget is None and not is_xdist_worker(config)


def call(run: Run, item: pytest.Item) -> bool | None:
    """`pytest_pyfunc_call` for an alias test of a fleet: True once it ran (in its account's
    thread); None for any other test, which pytest calls as usual."""
    if not is_account_alias_test(item) or not eligible(run, item.config):
        return None
    fleet = item.config.stash.get(FLEET, None)
    if fleet is None:
        stopping.install()  # Ctrl-C stops every account between two requests
        _one_parse_at_a_time()
        tests = [i for i in item.session.items if is_account_alias_test(i)]
        fleet = item.config.stash[FLEET] = Fleet(tests, run.settings.concurrency, run)
    fleet.call(item)
    return True


def stop(config: pytest.Config, *, interrupted: bool) -> None:
    """The session's fleet, if one started, stops (see Fleet.stop)."""
    fleet = config.stash.get(FLEET, None)
    if fleet is not None:
        fleet.stop(interrupted=interrupted)
