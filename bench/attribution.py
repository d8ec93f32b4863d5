"""Attribution: a fault counts as caught only when a check meant for it names it.

A red run proves little by itself: with one fault injected, the suite may fail on a check
that has nothing to do with it (noise, a neighbouring assumption) or only on failures that
`--flexie-assumptions warn` lists as warnings. The suite's conformance.json lists each failure
with its `check`, `operation` and `warning`; the catalogue says which checks are meant for
each fault (`workspace.faults.Fault.caught_by`, which tests/test_suite_self_test.py proves).
A fault is caught by the first failure, in the report's order, whose check is meant for it
and that is not a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from workspace.faults import FAULTS, FaultSpec


@dataclass(frozen=True)
class Finding:
    """One failure of conformance.json, as much of it as attribution needs."""

    check: str
    operation: str | None = None
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.check} @ {self.operation}" if self.operation else self.check


def findings(report: dict[str, Any]) -> list[Finding]:
    """The failures of a conformance.json document, in its order."""
    return [Finding(str(f.get("check") or "?"), f.get("operation") or None,
                    bool(f.get("warning")))
            for f in report.get("failures") or []]


def meant_for(fault: str) -> frozenset[str]:
    """The checks meant to report `fault`: a catalogue name or a route-scoped spec."""
    return frozenset(FAULTS[FaultSpec.parse(fault).fault].caught_by)


def first_meant(found: Iterable[Finding], fault: str) -> Finding | None:
    """The first failure (not a warning) whose check is meant for `fault`, if any."""
    meant = meant_for(fault)
    return next((f for f in found if f.check in meant and not f.warning), None)


def first_other(found: Sequence[Finding]) -> Finding | None:
    """The first failure that is not a warning: what a red run that missed the fault shows."""
    return next((f for f in found if not f.warning), None)
