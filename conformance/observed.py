"""What a run observed, in a form that travels from xdist workers to the controller."""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from conformance.findings import Finding, Findings, ReasonKind
from contract.fields import JsonObject

if TYPE_CHECKING:
    from conformance.declared import Declared


@dataclass(frozen=True)
class Exercise:
    """Whether an operation was exercised: a positive case of it answered with success and
    judged by its checks. Otherwise why not (`reason`) and the answer that came back
    (`status`, `excerpt`), when one did."""

    exercised: bool
    reason: str | None = None
    status: int | None = None
    excerpt: str | None = None

    def outranks(self, other: Exercise | None) -> bool:
        """Exercised over not; of two not exercised, one with an answer over one without."""
        if other is None:
            return True
        if self.exercised != other.exercised:
            return self.exercised
        return not other.exercised and other.status is None and self.status is not None

    def as_dict(self) -> JsonObject:
        return {"exercised": self.exercised, "reason": self.reason, "status": self.status,
                "excerpt": self.excerpt}


class CheckCounts(TypedDict):
    """(operation, check) pairs by outcome, the not-checked ones' reasons with how many
    pairs each (most first), and the generated requests not sent (`Observed.check_counts`)."""

    passed: int
    failed: int
    not_checked: int
    reasons: dict[str, int]
    dropped: int


@dataclass
class Observed:
    """Per operation: status codes seen and cases sent; failures; test and scenario outcomes;
    the alias matrix. Merged across workers by `absorb`.

    `failures` are the findings the suite recorded itself (the runner, per case and probe;
    session setup): they travel from the workers. `test_failures` are failed pytest reports, one
    per node id, recorded where the reports are logged (on the xdist controller too, so they do
    not travel); `conformance.report.results` keeps one of them only when nothing else recorded the
    test's failure. `outcomes` and `scenarios` are likewise per node id, from the reports.
    """

    statuses: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    cases: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: Findings = field(default_factory=Findings)
    test_failures: dict[str, Finding] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    #: What each test whose outcome is recorded declares (conformance/declared.py), per node id.
    tests: dict[str, Declared] = field(default_factory=dict)
    #: Tests the request budget stopped (node ids), recorded on the controller.
    left_out: list[str] = field(default_factory=list)
    #: The budget's plan (conformance.plugin.budget.Plan as a dict), made where tests are collected.
    plan: JsonObject | None = None
    scenarios: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    aliases: dict[str, JsonObject] = field(default_factory=dict)
    #: Per operation, each check's outcome (PASSED, FAILED or NOT_CHECKED), merged by
    #: precedence: failed over passed over not checked (one case passed: it is judged).
    checks: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    #: Per operation, why each check whose outcome is NOT_CHECKED could not judge.
    reasons: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    #: The kind of each reason above (by its text): the check's own filters exclude the
    #: operation, or the check could not judge it; carried from the NotChecked that gave it.
    reason_kinds: dict[str, ReasonKind] = field(default_factory=dict)
    #: Per operation, generated requests the safety guard refused to send (invalid ones it
    #: could not prove harmless): not sent, so nothing was checked on them.
    dropped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: Per operation, whether a positive case was answered with success (see Exercise).
    exercises: dict[str, Exercise] = field(default_factory=dict)
    #: Requests and retries: this process's meter once `use_meter` linked it (the runner does,
    #: so a worker exports its own), plus what workers sent (absorbed on the controller).
    traffic: Traffic = field(default_factory=lambda: Traffic())
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def response(self, key: str, status: int | None) -> None:
        """One test case of an operation, and the status it answered (None: not counted)."""
        with self._lock:
            if status is not None:
                self.statuses[key].add(status)
            self.cases[key] += 1

    def check(self, key: str, name: str, outcome: str, reason: str | None = None,
              kind: ReasonKind | None = None) -> None:
        """One outcome of a check on an operation; the stronger one stays. A reason without
        its kind is one read back from a written report (ReasonKind.of_written)."""
        with self._lock:
            if reason:
                self.reason_kinds.setdefault(reason, kind or ReasonKind.of_written(reason))
            self._merge_check(key, name, outcome, reason)

    def _merge_check(self, key: str, name: str, outcome: str, reason: str | None) -> None:
        held = self.checks[key].get(name)
        if held is not None and _RANK[held] <= _RANK[outcome]:
            if held == outcome == NOT_CHECKED and reason and name not in self.reasons[key]:
                self.reasons[key][name] = reason
            return
        self.checks[key][name] = outcome
        if outcome == NOT_CHECKED:
            self.reasons[key][name] = reason or "no reason given"
        else:
            self.reasons[key].pop(name, None)

    def exercise(self, key: str, outcome: Exercise) -> None:
        """One positive case of an operation (or why none could be sent); the stronger stays."""
        with self._lock:
            if outcome.outranks(self.exercises.get(key)):
                self.exercises[key] = outcome

    def drop(self, key: str) -> None:
        """A generated request of the operation that the safety guard refused to send."""
        with self._lock:
            self.dropped[key] += 1

    def outcome(self, nodeid: str, state: str) -> None:
        if self.outcomes.get(nodeid) != "failed":
            self.outcomes[nodeid] = state

    def test_failure(self, nodeid: str, failure: Finding) -> None:
        """A failed report of a test; the first one (setup or call) is the one that counts."""
        self.test_failures.setdefault(nodeid, failure)

    def scenario(self, name: str, group: str, state: str, duration: float) -> None:
        previous = self.scenarios.get(name)
        if previous is None or previous[1] != "failed":
            self.scenarios[name] = (group, state, duration)

    def use_meter(self, local: Traffic) -> None:
        """Count into this process's meter from now on (what it absorbed so far kept)."""
        if local is not self.traffic:
            local.absorb(self.traffic.export())
            self.traffic = local

    def total_traffic(self, local: Traffic | None) -> Traffic:
        """Everything the run sent: what was observed here, and this process's own meter
        when the runner never linked it (an xdist controller: preflight, field reads)."""
        if local is None or local is self.traffic:
            return self.traffic
        total = Traffic()
        total.absorb(self.traffic.export())
        total.absorb(local.export())
        return total

    def export(self) -> JsonObject:
        return {"statuses": {k: sorted(v) for k, v in self.statuses.items()},
                "cases": dict(self.cases), "failures": self.failures.to_json(),
                "aliases": self.aliases, "traffic": self.traffic.export(),
                "checks": {k: dict(v) for k, v in self.checks.items()},
                "reasons": {k: dict(v) for k, v in self.reasons.items()},
                "reason_kinds": {k: str(v) for k, v in self.reason_kinds.items()},
                "dropped": dict(self.dropped), "plan": self.plan,
                "exercises": {k: e.as_dict() for k, e in self.exercises.items()}}

    def absorb(self, data: JsonObject) -> None:
        for key, codes in data.get("statuses", {}).items():
            self.statuses[key].update(codes)
        for key, count in data.get("cases", {}).items():
            self.cases[key] += count
        self.failures.absorb(data.get("failures", []))
        self.aliases.update(data.get("aliases", {}))
        self.plan = self.plan or data.get("plan")
        self.traffic.absorb(data.get("traffic", {}))
        reasons = data.get("reasons", {})
        with self._lock:
            for reason, kind in data.get("reason_kinds", {}).items():
                self.reason_kinds.setdefault(reason, ReasonKind(kind))
            for key, outcomes in data.get("checks", {}).items():
                for name, outcome in outcomes.items():
                    self._merge_check(key, name, outcome, reasons.get(key, {}).get(name))
            for key, count in data.get("dropped", {}).items():
                self.dropped[key] += count
        for key, outcome in data.get("exercises", {}).items():
            self.exercise(key, Exercise(**outcome))

    def check_counts(self) -> CheckCounts:
        """(operation, check) pairs by outcome, the reasons of the not checked with how
        many pairs each, and the generated requests not sent."""
        counts = {PASSED: 0, FAILED: 0, NOT_CHECKED: 0}
        reasons: dict[str, int] = defaultdict(int)
        for key, outcomes in self.checks.items():
            for name, outcome in outcomes.items():
                counts[outcome] += 1
                if outcome == NOT_CHECKED:
                    reasons[self.reasons.get(key, {}).get(name, "no reason given")] += 1
        return {"passed": counts[PASSED], "failed": counts[FAILED],
                "not_checked": counts[NOT_CHECKED],
                "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
                "dropped": sum(self.dropped.values())}


PASSED, FAILED, NOT_CHECKED = "passed", "failed", "not-checked"
#: The terminal line's one name for the reasons a check's own filters give (its actions,
#: methods, statuses): the check was never meant for that operation or answer.
INAPPLICABLE = str(ReasonKind.INAPPLICABLE)
_RANK = {FAILED: 0, PASSED: 1, NOT_CHECKED: 2}


def checks_line(counts: CheckCounts, kinds: Mapping[str, ReasonKind] | None = None) -> str:
    """The terminal summary's line on what the checks judged, and what they could not;
    `kinds`: each reason's kind (Observed.reason_kinds), else read from its text."""
    kinds = kinds or {}
    line = (f"flexie: {counts['passed']:,} checks passed, {counts['failed']:,} failed, "
            f"{counts['not_checked']:,} not checked")
    grouped: dict[str, int] = defaultdict(int)
    for reason, n in counts["reasons"].items():
        kind = kinds.get(reason) or ReasonKind.of_written(reason)
        grouped[INAPPLICABLE if kind is ReasonKind.INAPPLICABLE else reason] += n
    reasons = sorted(grouped.items(), key=lambda kv: (-kv[1], kv[0]))
    if reasons:
        shown = "; ".join(f"{reason} ({n:,})" for reason, n in reasons[:4])
        line += f" (reasons: {shown}{'; ...' if len(reasons) > 4 else ''})"
    if counts["dropped"]:
        line += (f"; {counts['dropped']:,} generated requests not sent (the safety guard "
                 "could not prove them harmless)")
    return line


#: The bucket of requests no test sent: preflight, reading the account's fields, creating the
#: records the suite works on, and the cleanup at the end.
SETUP_BUCKET = "setup and cleanup"


_SENDER = threading.local()


#: The bucket of the test whose call phase runs now, in any thread (set by the plugin).
_CALLING: list[str] = []


@contextmanager
def sending_as(bucket: str) -> Iterator[None]:
    """Requests of this thread are `bucket`'s (a test run in a thread of its own,
    conformance/plugin/fleet.py)."""
    _SENDER.bucket = bucket
    try:
        yield
    finally:
        _SENDER.bucket = None


@contextmanager
def calling(bucket: str) -> Iterator[None]:
    """Requests sent while a test's call phase runs are `bucket`'s: the operation an
    operation's test declares (`GET /x`), another test's name (`test_task_lifecycle`)."""
    _CALLING.append(bucket)
    try:
        yield
    finally:
        _CALLING.pop()


def current_bucket() -> str:
    """Who is sending now: this thread's test (`sending_as`), the test in its call phase
    (`calling`), or SETUP_BUCKET outside a test's call phase (session setup, fixtures,
    cleanup)."""
    own = getattr(_SENDER, "bucket", None)
    return own or (_CALLING[-1] if _CALLING else SETUP_BUCKET)


@dataclass
class Traffic:
    """What a run cost the workspace: requests sent and retries after 429/503, per bucket
    (an operation key, a test name or SETUP_BUCKET), and the seconds spent waiting.

    A retry is also a request: `requests` counts every one that left."""

    requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    retries: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    waited_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def sent(self, bucket: str | None = None) -> None:
        with self._lock:
            self.requests[bucket or current_bucket()] += 1

    def retried(self, wait_s: float, bucket: str | None = None) -> None:
        with self._lock:
            self.retries[bucket or current_bucket()] += 1
            self.waited_s += wait_s

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def total_retries(self) -> int:
        return sum(self.retries.values())

    def export(self) -> JsonObject:
        return {"requests": dict(self.requests), "retries": dict(self.retries),
                "waited_s": self.waited_s}

    def absorb(self, data: JsonObject) -> None:
        with self._lock:
            for key, count in data.get("requests", {}).items():
                self.requests[key] += count
            for key, count in data.get("retries", {}).items():
                self.retries[key] += count
            self.waited_s += float(data.get("waited_s", 0.0))


_METERS: weakref.WeakValueDictionary[str, Traffic] = weakref.WeakValueDictionary()


def meter(run_id: str) -> Traffic:
    """The one traffic meter of a run in this process: every target built for the run (the
    main one, other accounts', the cleanup's) counts into it, so nothing sent goes uncounted."""
    found = _METERS.get(run_id)
    if found is None:
        found = _METERS[run_id] = Traffic()
    return found


def traffic_line(traffic: Traffic) -> str:
    """The terminal summary's line on what the run cost the workspace."""
    setup = traffic.requests.get(SETUP_BUCKET, 0)
    line = f"flexie: sent {traffic.total_requests:,} requests ({setup:,} in setup and cleanup)"
    if traffic.total_retries:
        line += (f"; {traffic.total_retries:,} retried after 429/503, "
                 f"{traffic.waited_s:.0f} s waited")
    else:
        line += "; none answered 429/503"
    return line
