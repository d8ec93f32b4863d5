"""The registry of checks and the context they receive (never globals).

A check is registered by a decorator, which also declares when it applies, the way
Schemathesis's `skips_on_unexpected_http_status` does: a case check names the actions and
statuses whose answers it judges, a probe the actions and methods it probes and whether it
sends the operation itself (then a read-only run skips it on operations that change data).
What the decorator registers runs the check with its name on the context, so a check raises
`ctx.fail(message, reply)` and the failure names the check that raised it.

A check has three outcomes, not two: it passed, it failed, or it could not judge. A check that
cannot judge (no request applies, no second key, too few records ...) raises
`ctx.not_checked(reason)`; the registered wrapper raises the same when the decorator's filters
exclude the operation or the answer, and a probe that returns without sending a request is
not checked either, so a pass always means a request was sent and its answer held.

Every check also declares its `evidence=` (conformance/checks/evidence.py): whether Flexie
documents what it expects, real clients show it, or it is our assumption (with its line in
docs/contract-notes.md); one Evidence, or a function of the operation. Failures carry it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from conformance.checks.evidence import Evidence, EvidenceSpec, resolve, strongest
from conformance.engine.owned import OwnedRecords
from conformance.engine.target import Reply, Target
from contract.operations import READS, Operation


class CheckFailure(AssertionError):
    """A check's verdict: which check, on which operation, what was expected and what came."""

    def __init__(self, check: str, operation: str, message: str,
                 reply: Reply | None = None, request: str | None = None,
                 evidence: Evidence | None = None) -> None:
        super().__init__(f"[{check}] {operation}: {message}")
        self.check = check
        self.operation = operation
        self.message = message
        self.reply = reply
        self.request = request
        self.evidence = evidence if evidence is not None else resolve(None, None)


class NotChecked(Exception):
    """A check that could not judge this operation or answer, and why (not a pass)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class CheckContext:
    target: Target
    owned: OwnedRecords
    op: Operation
    other_apikey: str | None = None
    read_only: bool = False
    before: dict | None = None  # the record as it was before an update, when relevant
    before_read: Reply | None = None  # the answer `before` was read from (None: not read)
    observe: Callable[[int], None] = lambda status: None  # a status this operation answered
    #: Under a request budget a check may spend fewer requests on each operation (paging: one
    #: page besides the whole), never fewer operations; each says so in its docstring.
    budgeted: bool = False
    #: What binding made of the case a case check judges (conformance.engine.safety.Binding).
    binding: Any = None
    check: str = field(default="", init=False)  # the check running now (set by the registry)
    evidence: Evidence | None = field(default=None, init=False)  # what the running check rests on

    def fail(self, message: str, reply: Reply | None = None, request: str | None = None,
             evidence: Evidence | None = None) -> CheckFailure:
        """The failure of the running check on this operation (for the check to raise);
        `evidence` overrides the check's own for a failure that rests on something else."""
        if not self.check:
            raise RuntimeError("ctx.fail outside a registered check: no check to name")
        return CheckFailure(self.check, self.op.key, message, reply, request,
                            evidence or self.evidence)

    def not_checked(self, reason: str) -> NotChecked:
        """The running check cannot judge here (for the check to raise), saying why."""
        return NotChecked(reason)

    def read(self, path: str, *, what: str, params: dict | None = None,
             method: str = "GET", json_body: Any = None) -> Reply:
        """A read the running check relies on (a read-back, a membership read, a listing):
        its answer must be 2xx with a JSON object, else the check fails naming the read
        (the workspace broke a read the contract documents). Never judge on an unread
        answer: an empty set read from a 500 is no proof that a record left a list."""
        reply = self.target.request(method, path, params=params, json_body=json_body)
        if not 200 <= reply.status < 300 or not isinstance(reply.json, dict):
            body = "a JSON object" if isinstance(reply.json, dict) else \
                f"{reply.content_type or 'an untyped body'}, not a JSON object"
            raise self.fail(f"{what}: {method} {path} answered HTTP {reply.status} with "
                            f"{body}; the check needs a 2xx JSON answer to judge", reply)
        return reply

    def read_items(self, path: str, plural: str, *, what: str, params: dict | None = None,
                   method: str = "GET", json_body: Any = None) -> tuple[Reply, list[dict]]:
        """A listing the running check relies on: (reply, its items under `plural`), or
        the check fails when the answer is no 2xx listing."""
        reply = self.read(path, what=what, params=params, method=method, json_body=json_body)
        items = reply.json.get(plural)
        if not isinstance(items, list):
            raise self.fail(f"{what}: {method} {path} answered HTTP {reply.status} without a "
                            f"{plural!r} list", reply)
        return reply, [i for i in items if isinstance(i, dict)]

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
#: What each registered check rests on, by name (case checks, probes and alias checks).
EVIDENCE: dict[str, EvidenceSpec] = {}


def check_evidence(name: str, op: Operation | None) -> Evidence:
    """The evidence of a registered check on an operation (unclassified: documented)."""
    return resolve(EVIDENCE.get(name), op)


def runs_as(name: str, func: F, evidence: EvidenceSpec | None = None) -> F:
    """`func` run with `name` as the context's running check (and its evidence on this
    operation), so its failures carry both."""
    @functools.wraps(func)
    def run(ctx: CheckContext, *args: Any) -> None:
        outer = ctx.check, ctx.evidence
        ctx.check, ctx.evidence = name, resolve(evidence, ctx.op)
        try:
            func(ctx, *args)
        finally:
            ctx.check, ctx.evidence = outer
    return run  # type: ignore[return-value]


def _applies_to(values: Collection[str], what: str) -> str:
    return f"applies to {'/'.join(sorted(values))} {what}"


def _statuses(statuses: Collection[int]) -> str:
    if statuses is SUCCESS:
        return "below 300"
    return "/".join(str(s) for s in sorted(statuses))


def _requests(ctx: CheckContext) -> int | None:
    """Requests this process has sent so far (None: the target keeps no count)."""
    traffic = getattr(ctx.target, "traffic", None)
    return getattr(traffic, "total_requests", None)


def _declare(name: str, evidence: EvidenceSpec | None) -> None:
    if evidence is None:
        raise TypeError(f"check {name} declares no evidence=: say whether Flexie documents "
                        "it, real clients show it, or we assume it")
    EVIDENCE[name] = evidence


@overload
def case_check(func: CaseCheck, *, actions: Collection[str] | None = ...,
               statuses: Collection[int] | None = ...,
               evidence: EvidenceSpec | None = ...) -> CaseCheck: ...
@overload
def case_check(func: None = ..., *, actions: Collection[str] | None = ...,
               statuses: Collection[int] | None = ...,
               evidence: EvidenceSpec | None = ...) -> Callable[[CaseCheck], CaseCheck]: ...


def case_check(func: CaseCheck | None = None, *, actions: Collection[str] | None = None,
               statuses: Collection[int] | None = None,
               evidence: EvidenceSpec | None = None
               ) -> CaseCheck | Callable[[CaseCheck], CaseCheck]:
    """Register a case check: `@case_check(evidence=...)`, with `actions=..., statuses=...`
    for one that judges only answers of these actions (`op.action`) with these statuses."""
    def register(check: CaseCheck) -> CaseCheck:
        def applies(ctx: CheckContext, case: Any, reply: Reply) -> None:
            if actions is not None and ctx.op.action not in actions:
                raise NotChecked(_applies_to(actions, "operations"))
            if statuses is not None and reply.status not in statuses:
                raise NotChecked(f"judges answers {_statuses(statuses)}, not {reply.status}")
            check(ctx, case, reply)

        _declare(check.__name__, evidence)
        registered = runs_as(check.__name__, functools.wraps(check)(applies), evidence)
        CASE_CHECKS[check.__name__] = registered
        return registered
    return register(func) if func is not None else register


@overload
def probe(func: Probe, *, actions: Collection[str] | None = ...,
          methods: Collection[str] | None = ...,
          when: Callable[[Operation], bool] | None = ..., why_not: str | None = ...,
          sends_operation: bool = ..., evidence: EvidenceSpec | None = ...) -> Probe: ...
@overload
def probe(func: None = ..., *, actions: Collection[str] | None = ...,
          methods: Collection[str] | None = ...,
          when: Callable[[Operation], bool] | None = ..., why_not: str | None = ...,
          sends_operation: bool = ...,
          evidence: EvidenceSpec | None = ...) -> Callable[[Probe], Probe]: ...


def probe(func: Probe | None = None, *, actions: Collection[str] | None = None,
          methods: Collection[str] | None = None,
          when: Callable[[Operation], bool] | None = None, why_not: str | None = None,
          sends_operation: bool = False,
          evidence: EvidenceSpec | None = None) -> Probe | Callable[[Probe], Probe]:
    """Register a probe: `@probe`, or `@probe(...)` for one that probes only operations of
    these actions and methods, for which `when(op)` holds (`why_not`: the reason it gives
    where `when` excludes an operation); `sends_operation`: it sends the operation's own
    method to its path, so a read-only run skips operations that change data."""
    def register(check: Probe) -> Probe:
        def applies(ctx: CheckContext) -> None:
            op = ctx.op
            if actions is not None and op.action not in actions:
                raise NotChecked(_applies_to(actions, "operations"))
            if methods is not None and op.method not in methods:
                raise NotChecked(_applies_to(methods, "requests"))
            if when is not None and not when(op):
                raise NotChecked(f"does not apply: {why_not or 'not this operation'}")
            if sends_operation and ctx.read_only and op.effect != READS:
                raise NotChecked("the run is read-only")
            sent = _requests(ctx)
            check(ctx)
            if sent is not None and _requests(ctx) == sent:
                raise NotChecked("sent no request")

        _declare(check.__name__, evidence)
        registered = runs_as(check.__name__, functools.wraps(check)(applies), evidence)
        PROBES[check.__name__] = registered
        return registered
    return register(func) if func is not None else register


#: Alias checks (conformance/checks/aliases/checks.py): each returns its problems, none if it
#: passed.
AliasCheck = Callable[[Any], list[str]]
ALIAS_CHECKS: dict[str, AliasCheck] = {}


def alias_check(*, evidence: Evidence) -> Callable[[AliasCheck], AliasCheck]:
    """Register an alias check under its name, which its failures carry, with its evidence:
    `@alias_check(evidence=...)`."""
    def register(func: AliasCheck) -> AliasCheck:
        _declare(func.__name__, evidence)
        ALIAS_CHECKS[func.__name__] = func
        return func
    return register


def alias_evidence(names: Iterable[str]) -> Evidence:
    """What a failure of these alias checks rests on: the strongest of their evidence."""
    return strongest(check_evidence(name, None) for name in names)
