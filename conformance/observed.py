"""What a run observed, in a form that travels from xdist workers to the controller."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Observed:
    """Per operation: status codes seen and cases sent; failures; test and scenario outcomes;
    the alias matrix. Merged across workers by `absorb`."""

    statuses: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    cases: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: list[dict] = field(default_factory=list)
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
