"""What a run found: one typed `Finding` from the check that raises it to the HTML that shows it.

A finding is a failure (or, under `--flexie-assumptions warn`, a warning: a failure resting only
on our assumptions), a check that could not judge (not checked, with the kind of its reason), or
a test the request budget left out. Every writer builds a `Finding` and adds it to the run's
`Findings` through `Findings.add`, the one writer; the report, the verdict, the ratchet and the
terminal read the typed fields, never the wording of a message.

`Finding.to_json` is the report's failure entry (conformance.json `failures[]`, the shape
docs/report.md documents); `Finding.from_json` reads one back (a baseline, a shard to merge).
With `transport=True` the entry also carries what only the run needs (the setup flag, the alias
checks named, an evidence not yet graded) between xdist workers and the controller.

The evidence a finding rests on (`Evidence`, its levels) is defined here, the lowest layer of
the suite; conformance/checks/evidence.py says which expectation rests on which.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

# --- evidence --------------------------------------------------------------------------------

DOCUMENTED, OBSERVED, ASSUMED = "documented", "observed", "assumed"
UNCLASSIFIED = "unclassified"  # no evidence names it
LEVELS = (DOCUMENTED, OBSERVED, ASSUMED, UNCLASSIFIED)


@dataclass(frozen=True)
class Evidence:
    """A level and where it is written (a page section, a spec part, a fact, a note)."""

    level: str
    source: str

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"evidence level {self.level!r} is not one of {', '.join(LEVELS)}")

    def as_dict(self) -> dict[str, str]:
        return {"evidence": self.level, "evidence_source": self.source}

    def is_warning(self, assumptions: str) -> bool:
        """Whether a failure resting on this is only a warning: `--flexie-assumptions warn`
        and nothing but an assumption behind it."""
        return self.level == ASSUMED and assumptions == "warn"

    def graded(self, assumptions: str) -> dict[str, Any]:
        """The report's fields of a failure resting on this: its evidence, and whether the
        run lists it as a warning."""
        return {**self.as_dict(), "warning": self.is_warning(assumptions)}


#: The default for anything not classified: it fails the run under every setting.
NO_EVIDENCE = Evidence(UNCLASSIFIED, "no evidence names this expectation: it fails the run "
                                     "under every setting")


# --- what a finding is -----------------------------------------------------------------------

class Outcome(StrEnum):
    """What the finding says of its check: it failed, it failed on an assumption only (a
    warning), it could not judge, or its test was left out for lack of budget."""

    FAILED = "failed"
    WARNING = "warning"
    NOT_CHECKED = "not-checked"
    LEFT_OUT = "left-out"


class Kind(StrEnum):
    """Which kind of test found it, and so which column of the report shows it."""

    PROPERTY = "property"
    SCENARIO = "scenario"
    STATEFUL = "stateful"
    ALIAS = "alias"


class ReasonKind(StrEnum):
    """Why a check could not judge: its own filters exclude the operation or the answer (it
    was never meant for it), or it was meant to judge and could not (what a reader must know)."""

    INAPPLICABLE = "does not apply"
    CANNOT_JUDGE = "cannot judge"

    @classmethod
    def of_written(cls, reason: str) -> ReasonKind:
        """The kind of a reason read back from a written report (which holds only its text):
        the registry's filters word theirs so (conformance.checks.registry)."""
        return cls.INAPPLICABLE if reason.startswith(INAPPLICABLE_WORDING) else cls.CANNOT_JUDGE


#: How the registry's filters begin a reason (conformance/checks/registry.py), for reading a
#: written report; a run in progress carries the ReasonKind itself.
INAPPLICABLE_WORDING = ("applies to", "judges answers", "does not apply")


@dataclass(frozen=True)
class Finding:
    """One finding of a run, typed from the check to the report.

    `request` is the curl line that reproduces it and `answer` an excerpt of what came back,
    both redacted by the writer (as the report is again when written). `evidence` is None
    until the report grades a finding recorded from a failed test report; `test` is the node
    id of the test it belongs to, `group` the report's group; `ident` overrides the stable id
    (`kind|operation|check`) where the finding names a place that is no operation (the spec
    linter's). `checks` are the checks an alias test named as failed; `setup` marks the
    finding that stopped the run's setup.
    """

    check: str
    operation: str | None = None
    outcome: Outcome = Outcome.FAILED
    kind: Kind = Kind.PROPERTY
    message: str = ""
    evidence: Evidence | None = None
    status: int | None = None
    answer: str | None = None
    request: str | None = None
    test: str | None = None
    group: str | None = None
    replay: str | None = None
    ident: str | None = None
    checks: tuple[str, ...] = ()
    reason_kind: ReasonKind | None = None
    setup: bool = False

    @property
    def id(self) -> str:
        """The stable id a baseline compares by."""
        return self.ident or f"{self.kind}|{self.operation or ''}|{self.check}"

    @property
    def warning(self) -> bool:
        return self.outcome is Outcome.WARNING

    @property
    def blocking(self) -> bool:
        """Whether it fails the run: a failure, not a warning (nor a not-checked)."""
        return self.outcome is Outcome.FAILED

    def graded(self, evidence: Evidence, assumptions: str) -> Finding:
        """The finding resting on `evidence`: a warning when only an assumption is behind it
        and the run says so (`--flexie-assumptions warn`), else a failure."""
        outcome = Outcome.WARNING if evidence.is_warning(assumptions) else Outcome.FAILED
        return replace(self, evidence=evidence, outcome=outcome)

    def with_(self, **changes: Any) -> Finding:
        """A copy with some fields changed (the report resolves the test, group, replay)."""
        return replace(self, **changes)

    def to_json(self, *, transport: bool = False) -> dict[str, Any]:
        """The report's failure entry; with `transport`, what travels between processes."""
        evidence = self.evidence or NO_EVIDENCE
        out: dict[str, Any] = {
            **evidence.as_dict(), "warning": self.warning,
            "id": self.id, "kind": str(self.kind), "operation": self.operation,
            "group": self.group, "check": self.check, "message": self.message,
            "curl": self.request or None, "status": self.status, "response_excerpt": self.answer,
            "nodeid": self.test, "replay": self.replay,
        }
        if transport:
            out.update(outcome=str(self.outcome), graded=self.evidence is not None,
                       ident=self.ident, checks=list(self.checks), setup=self.setup,
                       reason_kind=str(self.reason_kind) if self.reason_kind else None)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        """A finding from a report's failure entry (or a transported one)."""
        graded = data.get("graded", bool(data.get("evidence")))
        evidence = Evidence(str(data["evidence"]), str(data.get("evidence_source") or "")) \
            if graded and data.get("evidence") else None
        kind = Kind(data.get("kind") or Kind.PROPERTY)
        operation = data.get("operation") or None
        check = str(data["check"])
        ident = data.get("ident") if "ident" in data else data.get("id")
        if ident == f"{kind}|{operation or ''}|{check}":
            ident = None
        outcome = Outcome(data["outcome"]) if data.get("outcome") else \
            Outcome.WARNING if data.get("warning") else Outcome.FAILED
        reason_kind = data.get("reason_kind")
        return cls(check=check, operation=operation, outcome=outcome, kind=kind,
                   message=str(data.get("message") or ""), evidence=evidence,
                   status=data.get("status"), answer=data.get("response_excerpt"),
                   request=data.get("curl") or None, test=data.get("nodeid") or None,
                   group=data.get("group") or None, replay=data.get("replay") or None,
                   ident=ident or None, checks=tuple(data.get("checks") or ()),
                   reason_kind=ReasonKind(reason_kind) if reason_kind else None,
                   setup=bool(data.get("setup")))


@dataclass
class Findings:
    """The findings of a run (of this process, and those absorbed from xdist workers).
    `add` is the one way in."""

    _items: list[Finding] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, finding: Finding) -> Finding:
        if not isinstance(finding, Finding):
            raise TypeError(f"a finding is a Finding, not {type(finding).__name__}")
        with self._lock:
            self._items.append(finding)
        return finding

    def __iter__(self) -> Iterator[Finding]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def to_json(self) -> list[dict[str, Any]]:
        """Every finding as it travels between processes."""
        return [f.to_json(transport=True) for f in self._items]

    def absorb(self, data: Iterable[Mapping[str, Any]]) -> None:
        """Findings another process exported (`to_json`)."""
        for entry in data:
            self.add(Finding.from_json(entry))


__all__ = ["ASSUMED", "DOCUMENTED", "LEVELS", "NO_EVIDENCE", "OBSERVED", "UNCLASSIFIED",
           "Evidence", "Finding", "Findings", "Kind", "Outcome", "ReasonKind"]
