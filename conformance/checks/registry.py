"""The registry of checks and the context they receive (never globals).

A check is registered by a decorator, which also declares when it applies, the way
Schemathesis's `skips_on_unexpected_http_status` does: a case check names the actions and
statuses whose answers it judges, a probe the actions and methods it probes and whether it
sends the operation itself (then a read-only run skips it on operations that change data).
What the decorator registers runs the check with its name on the context, so a check raises
`ctx.fail(message, reply)` and the failure names the check that raised it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

from conformance.owned import OwnedRecords
from conformance.target import Reply, Target
from contract.operations import READS, Operation


class CheckFailure(AssertionError):
    """A check's verdict: which check, on which operation, what was expected and what came."""

    def __init__(self, check: str, operation: str, message: str,
                 reply: Reply | None = None, request: str | None = None) -> None:
        super().__init__(f"[{check}] {operation}: {message}")
        self.check = check
        self.operation = operation
        self.message = message
        self.reply = reply
        self.request = request


@dataclass
class CheckContext:
    target: Target
    owned: OwnedRecords
    op: Operation
    other_apikey: str | None = None
    read_only: bool = False
    before: dict | None = None  # the record as it was before an update, when relevant
    observe: Callable[[int], None] = lambda status: None  # a status this operation answered
    check: str = field(default="", init=False)  # the check running now (set by the registry)

    def fail(self, message: str, reply: Reply | None = None,
             request: str | None = None) -> CheckFailure:
        """The failure of the running check on this operation (for the check to raise)."""
        if not self.check:
            raise RuntimeError("ctx.fail outside a registered check: no check to name")
        return CheckFailure(self.check, self.op.key, message, reply, request)

    def __repr__(self) -> str:  # no key in tracebacks: only what names the situation
        return (f"CheckContext(op={self.op.key!r}, check={self.check!r}, target={self.target!r}, "
                f"other_apikey={'[REDACTED]' if self.other_apikey else None!r}, "
                f"read_only={self.read_only!r})")


CaseCheck = Callable[[CheckContext, Any, Reply], None]
Probe = Callable[[CheckContext], None]
F = TypeVar("F", bound=Callable[..., None])

#: The statuses a check reads as success: every answer below 300 (no answer is 1xx).
SUCCESS = range(300)

CASE_CHECKS: dict[str, CaseCheck] = {}
PROBES: dict[str, Probe] = {}


def runs_as(name: str, func: F) -> F:
    """`func` run with `name` as the context's running check, so its failures carry it."""
    @functools.wraps(func)
    def run(ctx: CheckContext, *args: Any) -> None:
        outer, ctx.check = ctx.check, name
        try:
            func(ctx, *args)
        finally:
            ctx.check = outer
    return run  # type: ignore[return-value]


def case_check(func: CaseCheck | None = None, *, actions: Collection[str] | None = None,
               statuses: Collection[int] | None = None) -> Any:
    """Register a case check: `@case_check`, or `@case_check(actions=..., statuses=...)` for
    one that judges only answers of these actions (`op.action`) with these statuses."""
    def register(check: CaseCheck) -> CaseCheck:
        def applies(ctx: CheckContext, case: Any, reply: Reply) -> None:
            if actions is not None and ctx.op.action not in actions:
                return
            if statuses is not None and reply.status not in statuses:
                return
            check(ctx, case, reply)

        registered = runs_as(check.__name__, functools.wraps(check)(applies))
        CASE_CHECKS[check.__name__] = registered
        return registered
    return register(func) if func is not None else register


def probe(func: Probe | None = None, *, actions: Collection[str] | None = None,
          methods: Collection[str] | None = None,
          when: Callable[[Operation], bool] | None = None,
          sends_operation: bool = False) -> Any:
    """Register a probe: `@probe`, or `@probe(...)` for one that probes only operations of
    these actions and methods, for which `when(op)` holds; `sends_operation`: it sends the
    operation's own method to its path, so a read-only run skips operations that change
    data."""
    def register(check: Probe) -> Probe:
        def applies(ctx: CheckContext) -> None:
            op = ctx.op
            if actions is not None and op.action not in actions:
                return
            if methods is not None and op.method not in methods:
                return
            if when is not None and not when(op):
                return
            if sends_operation and ctx.read_only and op.effect != READS:
                return
            check(ctx)

        registered = runs_as(check.__name__, functools.wraps(check)(applies))
        PROBES[check.__name__] = registered
        return registered
    return register(func) if func is not None else register


#: Alias checks (conformance/checks/aliases.py): each returns its problems, none if it passed.
AliasCheck = Callable[[Any], list[str]]
ALIAS_CHECKS: dict[str, AliasCheck] = {}


def alias_check(func: AliasCheck) -> AliasCheck:
    """Register an alias check under its name, which its failures carry."""
    ALIAS_CHECKS[func.__name__] = func
    return func
