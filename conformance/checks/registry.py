"""The registry of checks and the context they receive (never globals).

Every check is one typed record in `CHECKS` (a `Check`: its name, kind, evidence and what runs
it; an alias check also its stage), and registering it is what runs it: the runner runs every
case check and probe of `CHECKS`, the alias drivers every alias check of a stage
(conformance/checks/aliases/drivers.py). `CASE_CHECKS`, `PROBES`, `ALIAS_CHECKS` and `EVIDENCE`
are views of it.

A check is registered by a decorator, which also declares when it applies, the way
Schemathesis's `skips_on_unexpected_http_status` does: a case check names the actions and
statuses whose answers it judges, a probe the actions and methods it probes and whether it
sends the operation itself (then a read-only run skips it on operations that change data), an
alias check its `AliasStage` (it runs after the checks registered before it at that stage).
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

import enum
import functools
from collections.abc import Callable, Collection, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, cast, overload

from conformance.checks.evidence import (
    NO_EVIDENCE,
    SCENARIO_EVIDENCE,
    SPEC_LINT_EVIDENCE,
    Evidence,
    EvidenceSpec,
    resolve,
    strongest,
)
from conformance.checks.failure import CheckFailure, NotChecked
from conformance.engine.owned import OwnedRecords
from conformance.engine.target import Reply, Target
from conformance.findings import Finding, ReasonKind
from conformance.findings import Kind as FindingKind
from contract.fields import JsonObject
from contract.operations import Action, Operation

if TYPE_CHECKING:
    from conformance.checks.aliases.context import AliasContext

__all__ = ["CheckFailure", "NotChecked"]  # re-exported: every check raises these

#: A reason that says the check's own filters exclude the operation (not a gap).
INAPPLICABLE = ReasonKind.INAPPLICABLE


@dataclass
class CheckContext:
    target: Target
    owned: OwnedRecords
    op: Operation
    other_apikey: str | None = None
    read_only: bool = False
    before: JsonObject | None = None  # the record as it was before an update, when relevant
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

    def read(self, path: str, *, what: str, params: JsonObject | None = None,
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

    def read_items(self, path: str, plural: str, *, what: str, params: JsonObject | None = None,
                   method: str = "GET", json_body: Any = None) -> tuple[Reply, list[JsonObject]]:
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
#: An alias check (conformance/checks/aliases/checks.py): it judges one account's entity
#: (`PublishedFields`) or a round trip (`RoundTrip`), and raises `ctx.fail(...)`.
AliasCheck = Callable[["AliasContext"], None]
P = ParamSpec("P")
C = TypeVar("C", bound="AliasContext")
R = TypeVar("R", CaseCheck, Probe, AliasCheck)

#: The statuses a check reads as success: every answer below 300 (no answer is 1xx).
SUCCESS = range(300)


class Kind(enum.Enum):
    """What a check judges, which says when it runs."""

    CASE = "case"  # one answer to a generated case, after Schemathesis's checks
    PROBE = "probe"  # once per operation, with requests of its own
    ALIAS = "alias"  # one account's custom fields, at its stage (AliasStage)


class AliasStage(enum.Enum):
    """When an alias check runs; within a stage, in the order the checks were registered."""

    #: The account answers a field list for the entity: the first failure ends the test.
    FIELD_LIST = "field list"
    #: The published fields against the accounts file: all run, one failure names every
    #: check that found problems.
    FIELDS = "fields"
    #: The steps of a round trip on one record: a field's first failing step ends its trip,
    #: and the trip ends when no field is still going.
    ROUND_TRIP = "round trip"


@dataclass(frozen=True)
class Check(Generic[R]):
    """One registered check: its name (which its failures carry), its kind, what it rests
    on, and what runs it (the check with its name and evidence on the context); an alias
    check also its stage."""

    name: str
    kind: Kind
    evidence: EvidenceSpec
    run: R
    stage: AliasStage | None = None


#: Every check, by name, in the order registered: case checks, probes and alias checks.
#: Registering a check is what runs it: the runner and the alias drivers read this.
CHECKS: dict[str, Check[Any]] = {}


def _register(check: Check[Any]) -> None:
    if check.evidence is None:
        raise TypeError(f"check {check.name} declares no evidence=: say whether Flexie "
                        "documents it, real clients show it, or we assume it")
    CHECKS[check.name] = check


class _Registered(MutableMapping[str, Any]):
    """A live view of `CHECKS`: what runs each check of one kind, by name (`CASE_CHECKS`,
    `PROBES`, `ALIAS_CHECKS`), or what every check rests on (`EVIDENCE`). Deleting from it
    unregisters; adding goes through the decorators."""

    def __init__(self, kind: Kind | None) -> None:
        self.kind = kind

    def _get(self, name: str) -> Check[Any]:
        check = CHECKS.get(name)
        if check is None or (self.kind is not None and check.kind is not self.kind):
            raise KeyError(name)
        return check

    def __getitem__(self, name: str) -> Any:
        check = self._get(name)
        return check.run if self.kind is not None else check.evidence

    def __setitem__(self, name: str, value: Any) -> None:
        raise TypeError("register a check with @case_check, @probe or @alias_check")

    def __delitem__(self, name: str) -> None:
        CHECKS.pop(self._get(name).name)

    def __iter__(self) -> Iterator[str]:
        return iter([n for n, c in CHECKS.items() if self.kind in (None, c.kind)])

    def __len__(self) -> int:
        return sum(1 for _ in self)


CASE_CHECKS: MutableMapping[str, CaseCheck] = _Registered(Kind.CASE)
PROBES: MutableMapping[str, Probe] = _Registered(Kind.PROBE)
ALIAS_CHECKS: MutableMapping[str, AliasCheck] = _Registered(Kind.ALIAS)
#: What each registered check rests on, by name (case checks, probes and alias checks).
EVIDENCE: MutableMapping[str, EvidenceSpec] = _Registered(None)


def check_evidence(name: str, op: Operation | None) -> Evidence:
    """The evidence of a registered check on an operation (unclassified: documented)."""
    return resolve(EVIDENCE.get(name), op)


def runs_as(name: str, func: Callable[Concatenate[CheckContext, P], None],
            evidence: EvidenceSpec | None = None
            ) -> Callable[Concatenate[CheckContext, P], None]:
    """`func` run with `name` as the context's running check (and its evidence on this
    operation), so its failures carry both."""
    @functools.wraps(func)
    def run(ctx: CheckContext, /, *args: P.args, **kwargs: P.kwargs) -> None:
        outer = ctx.check, ctx.evidence
        ctx.check, ctx.evidence = name, resolve(evidence, ctx.op)
        try:
            func(ctx, *args, **kwargs)
        finally:
            ctx.check, ctx.evidence = outer
    return run


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


@overload
def case_check(func: CaseCheck, *, actions: Collection[Action] | None = ...,
               statuses: Collection[int] | None = ...,
               evidence: EvidenceSpec | None = ...) -> CaseCheck: ...
@overload
def case_check(func: None = ..., *, actions: Collection[Action] | None = ...,
               statuses: Collection[int] | None = ...,
               evidence: EvidenceSpec | None = ...) -> Callable[[CaseCheck], CaseCheck]: ...


def case_check(func: CaseCheck | None = None, *, actions: Collection[Action] | None = None,
               statuses: Collection[int] | None = None,
               evidence: EvidenceSpec | None = None
               ) -> CaseCheck | Callable[[CaseCheck], CaseCheck]:
    """Register a case check: `@case_check(evidence=...)`, with `actions=..., statuses=...`
    for one that judges only answers of these actions (`op.action`) with these statuses."""
    def register(check: CaseCheck) -> CaseCheck:
        def applies(ctx: CheckContext, case: Any, reply: Reply) -> None:
            if actions is not None and ctx.op.action not in actions:
                raise NotChecked(_applies_to(actions, "operations"), INAPPLICABLE)
            if statuses is not None and reply.status not in statuses:
                raise NotChecked(f"judges answers {_statuses(statuses)}, not {reply.status}",
                                 INAPPLICABLE)
            check(ctx, case, reply)

        registered = runs_as(check.__name__, functools.wraps(check)(applies), evidence)
        _register(Check(check.__name__, Kind.CASE, cast(EvidenceSpec, evidence), registered))
        return registered
    return register(func) if func is not None else register


@overload
def probe(func: Probe, *, actions: Collection[Action] | None = ...,
          methods: Collection[str] | None = ...,
          when: Callable[[Operation], bool] | None = ..., why_not: str | None = ...,
          sends_operation: bool = ..., evidence: EvidenceSpec | None = ...) -> Probe: ...
@overload
def probe(func: None = ..., *, actions: Collection[Action] | None = ...,
          methods: Collection[str] | None = ...,
          when: Callable[[Operation], bool] | None = ..., why_not: str | None = ...,
          sends_operation: bool = ...,
          evidence: EvidenceSpec | None = ...) -> Callable[[Probe], Probe]: ...


def probe(func: Probe | None = None, *, actions: Collection[Action] | None = None,
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
                raise NotChecked(_applies_to(actions, "operations"), INAPPLICABLE)
            if methods is not None and op.method not in methods:
                raise NotChecked(_applies_to(methods, "requests"), INAPPLICABLE)
            if when is not None and not when(op):
                raise NotChecked(f"does not apply: {why_not or 'not this operation'}",
                                 INAPPLICABLE)
            if sends_operation and ctx.read_only and op.writes:
                raise NotChecked("the run is read-only")
            sent = _requests(ctx)
            check(ctx)
            if sent is not None and _requests(ctx) == sent:
                raise NotChecked("sent no request")

        registered = runs_as(check.__name__, functools.wraps(check)(applies), evidence)
        _register(Check(check.__name__, Kind.PROBE, cast(EvidenceSpec, evidence), registered))
        return registered
    return register(func) if func is not None else register


def alias_check(*, stage: AliasStage,
                evidence: Evidence) -> Callable[[Callable[[C], None]], Callable[[C], None]]:
    """Register an alias check under its name, which its failures carry, with the stage it
    runs at and its evidence: `@alias_check(stage=AliasStage.FIELDS, evidence=...)`. It takes
    the stage's context and raises `ctx.fail(problem, ...)`; registered, it runs in every
    account's verification (conformance/checks/aliases/drivers.py), after the checks
    registered before it at its stage."""
    def register(func: Callable[[C], None]) -> Callable[[C], None]:
        name = func.__name__

        @functools.wraps(func)
        def run(ctx: C) -> None:
            outer = ctx.check, ctx.evidence
            ctx.check, ctx.evidence = name, evidence
            try:
                func(ctx)
            finally:
                ctx.check, ctx.evidence = outer

        _register(Check(name, Kind.ALIAS, evidence, cast(AliasCheck, run), stage))
        return run
    return register


def alias_checks(stage: AliasStage) -> list[Check[AliasCheck]]:
    """The alias checks of a stage, in the order they run (the order registered)."""
    return [c for c in CHECKS.values() if c.kind is Kind.ALIAS and c.stage is stage]


def alias_evidence(names: Iterable[str]) -> Evidence:
    """What a failure of these alias checks rests on: the strongest of their evidence."""
    return strongest(check_evidence(name, None) for name in names)


def finding_evidence(finding: Finding) -> Evidence:
    """The evidence of a failure recorded from a failed test report: an alias test's rests on
    the checks it names as failed (`Finding.checks`), a scenario's on the lifecycle."""
    if finding.kind is FindingKind.ALIAS:
        names = list(finding.checks)
        known = names and all(n in ALIAS_CHECKS for n in names)
        return alias_evidence(names) if known else NO_EVIDENCE
    if finding.kind in (FindingKind.SCENARIO, FindingKind.STATEFUL):
        return SCENARIO_EVIDENCE
    if finding.check.startswith("spec lint"):
        return SPEC_LINT_EVIDENCE
    return NO_EVIDENCE
