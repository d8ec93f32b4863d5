"""What a run observed, in a form that travels from xdist workers to the controller."""

from __future__ import annotations

import threading
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
    scenarios: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    aliases: dict[str, dict] = field(default_factory=dict)
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

    def export(self) -> dict:
        return {"statuses": {k: sorted(v) for k, v in self.statuses.items()},
                "cases": dict(self.cases), "failures": self.failures,
                "aliases": self.aliases}

    def absorb(self, data: dict) -> None:
        for key, codes in data.get("statuses", {}).items():
            self.statuses[key].update(codes)
        for key, count in data.get("cases", {}).items():
            self.cases[key] += count
        self.failures.extend(data.get("failures", []))
        self.aliases.update(data.get("aliases", {}))
