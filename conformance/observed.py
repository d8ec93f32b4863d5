"""What a run observed, in a form that travels from xdist workers to the controller."""

from __future__ import annotations

import os
import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Observed:
    """Per operation: status codes seen and cases sent; failures; test and scenario outcomes;
    the alias matrix. Merged across workers by `absorb`.

    `failures` are the findings the suite recorded itself (the runner, per case and probe;
    session setup): they travel from the workers. `test_failures` are failed pytest reports, one
    per node id, recorded where the reports are logged (on the xdist controller too, so they do
    not travel); `conformance.results` keeps one of them only when nothing else recorded the
    test's failure. `outcomes` and `scenarios` are likewise per node id, from the reports.
    """

    statuses: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    cases: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: list[dict] = field(default_factory=list)
    test_failures: dict[str, dict] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    #: Tests the request budget stopped (node ids), recorded on the controller.
    left_out: list[str] = field(default_factory=list)
    scenarios: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    aliases: dict[str, dict] = field(default_factory=dict)
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

    def outcome(self, nodeid: str, state: str) -> None:
        if self.outcomes.get(nodeid) != "failed":
            self.outcomes[nodeid] = state

    def test_failure(self, nodeid: str, failure: dict) -> None:
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

    def export(self) -> dict:
        return {"statuses": {k: sorted(v) for k, v in self.statuses.items()},
                "cases": dict(self.cases), "failures": self.failures,
                "aliases": self.aliases, "traffic": self.traffic.export()}

    def absorb(self, data: dict) -> None:
        for key, codes in data.get("statuses", {}).items():
            self.statuses[key].update(codes)
        for key, count in data.get("cases", {}).items():
            self.cases[key] += count
        self.failures.extend(data.get("failures", []))
        self.aliases.update(data.get("aliases", {}))
        self.traffic.absorb(data.get("traffic", {}))


#: The bucket of requests no test sent: preflight, reading the account's fields, creating the
#: records the suite works on, and the cleanup at the end.
SETUP_BUCKET = "setup and cleanup"


def current_bucket() -> str:
    """Who is sending now, from the test pytest says is running: the operation a runner test
    names (`test_probes[GET /x]` -> `GET /x`), another test's name (`test_task_lifecycle`), or
    SETUP_BUCKET outside a test's call phase (session setup, fixtures, cleanup)."""
    running = os.environ.get("PYTEST_CURRENT_TEST")
    if not running or not running.endswith("(call)"):
        return SETUP_BUCKET
    name = running.rsplit(" (", 1)[0].split("::")[-1]
    func, bracket, rest = name.partition("[")
    if bracket and func in _RUNNER_TESTS and rest.endswith("]"):
        return rest[:-1]
    return name


_RUNNER_TESTS = ("test_probes", "test_operation", "test_coverage")


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

    def export(self) -> dict:
        return {"requests": dict(self.requests), "retries": dict(self.retries),
                "waited_s": self.waited_s}

    def absorb(self, data: dict) -> None:
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
