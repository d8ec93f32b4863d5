"""What each expectation rests on: Flexie's word, what real clients show, or our decision.

A red run against a real workspace must say at once whether Flexie broke what it documents or
the workspace merely differs from an assumption of ours. Every check declares its evidence
where it is registered (`evidence=` on the decorators of `registry.py`); Schemathesis's own
checks, which judge against the spec, are classified here, per operation where the spec's
basis differs; failures found by tests (scenarios, the state machine, the spec linter) too.

Levels, strongest first:
- `documented`: Flexie's API page or published spec says it;
- `observed`: independent code that calls the real API shows it (docs/real-clients.md facts,
  the copy in /work/shared/reference/real-clients.md);
- `assumed`: our decision, with its line in docs/contract-notes.md.

Whatever is not classified is labelled `unclassified`, and counts as a failure under every
setting (never a warning): an unknown basis never hides a failure, nor poses as Flexie's word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from contract.operations import OPERATIONS_BY_KEY, Operation

DOCUMENTED, OBSERVED, ASSUMED = "documented", "observed", "assumed"
UNCLASSIFIED = "unclassified"  # no evidence names it
LEVELS = (DOCUMENTED, OBSERVED, ASSUMED, UNCLASSIFIED)
#: Which of several a failure found by several checks shows: a known basis first, and an
#: unknown one before an assumption, so the failure is assumed only when all it rests on is.
_PRECEDENCE = (DOCUMENTED, OBSERVED, UNCLASSIFIED, ASSUMED)
NOTES = "docs/contract-notes.md"
PAGE = "Flexie's API page"
PUBLISHED = "Flexie's published spec"
CLIENTS = "real-clients.md"


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

    def graded(self, assumptions: str) -> dict[str, str | bool]:
        """The report's fields of a failure resting on this: its evidence, and whether the
        run lists it as a warning (`--flexie-assumptions warn`, and nothing but an
        assumption behind it)."""
        return {**self.as_dict(), "warning": self.level == ASSUMED and assumptions == "warn"}


def documented(source: str) -> Evidence:
    return Evidence(DOCUMENTED, source)


def observed(source: str) -> Evidence:
    return Evidence(OBSERVED, source)


def assumed(note: str) -> Evidence:
    """Our decision: `note` is the bold title of its line in docs/contract-notes.md."""
    return Evidence(ASSUMED, f"{NOTES}: {note}")


#: What a check rests on: one Evidence, or one per operation.
EvidenceSpec = Evidence | Callable[[Operation], Evidence]

#: The default for anything not classified: it fails the run under every setting.
NO_EVIDENCE = Evidence(UNCLASSIFIED, "no evidence names this expectation: it fails the run "
                                     "under every setting")


def resolve(spec: EvidenceSpec | None, op: Operation | None) -> Evidence:
    if spec is None:
        return NO_EVIDENCE
    if isinstance(spec, Evidence):
        return spec
    if op is None:
        return NO_EVIDENCE
    return spec(op)


def strongest(found: Iterable[Evidence]) -> Evidence:
    """Of several (one failure found by several checks): the strongest, so that a failure is
    assumed only when everything it rests on is assumed."""
    items = list(found)
    return min(items, key=lambda e: _PRECEDENCE.index(e.level)) if items else NO_EVIDENCE


# --- Schemathesis's own checks ---------------------------------------------------------------

def _published(op: Operation | None) -> bool:
    return op is not None and (op.in_published_spec or op.on_page)


def _status_codes(op: Operation | None) -> Evidence:
    if _published(op):
        return documented(f"{PUBLISHED} and {PAGE}: the operation and its status codes "
                          "(200, 204, 400, 404, 500)")
    return assumed("Status codes on the page")


#: Schemathesis's failure codes (`ST...`) and what the expectation behind each rests on.
_SCHEMATHESIS: dict[str, Callable[[Operation | None], Evidence]] = {
    "ST101": lambda op: documented(f"{PAGE}: 500 means something went wrong on Flexie's side"),
    "ST102": lambda op: documented(f"{PAGE}: 500 means something went wrong on Flexie's side"),
    "ST103": _status_codes,
    "ST104": lambda op: documented(f"{PAGE}: every answer is JSON, errors too"),
    "ST105": lambda op: documented(f"{PAGE}: every answer is JSON, errors too"),
    "ST106": lambda op: documented(f"{PAGE}: every answer is JSON, errors too"),
    "ST107": lambda op: assumed("Response schemas"),
    "ST108": lambda op: assumed("Response schemas"),
    "ST109": lambda op: documented(f"{PAGE}: every answer is JSON, errors too"),
    "ST110": lambda op: documented(f"{PAGE}: every answer is JSON, errors too"),
    "ST201": lambda op: assumed("Request schemas"),
    "ST202": lambda op: assumed("Request schemas"),
    "ST203": lambda op: assumed("Request schemas"),
    "ST204": lambda op: assumed("Undeclared methods"),
    "ST205": lambda op: assumed("Undeclared methods"),
    "ST301": lambda op: documented(f"{PAGE}: DELETE removes the record"),
    "ST302": lambda op: documented(f"{PAGE}: POST creates the record"),
    "ST401": lambda op: documented(f"{PUBLISHED}: every operation is secured by the apikey"),
    "ST402": lambda op: assumed("Account isolation"),
}


def schemathesis_evidence(code: str, operation: str | None) -> Evidence:
    """The evidence of a Schemathesis failure with this code (`ST103`) on an operation."""
    rule = _SCHEMATHESIS.get(code)
    return rule(OPERATIONS_BY_KEY.get(operation or "")) if rule else NO_EVIDENCE


# --- failures found by tests rather than by a registered check -------------------------------

#: Scenarios (conformance/test_scenarios.py, test_state_machine.py): lifecycles the page shows.
SCENARIO_EVIDENCE = documented(f"{PAGE}: the endpoints of the lifecycle and what each does")
SPEC_LINT_EVIDENCE = documented("the spec under test: what it says of itself")


def report_evidence(kind: str, check: str, message: str = "") -> Evidence:
    """The evidence of a failure recorded from a failed test report; an alias test's message
    starts with the checks that failed (`[created_value_reads_back, ...] where: ...`)."""
    if kind == "alias":
        from conformance.checks.registry import ALIAS_CHECKS, alias_evidence

        names = message[1:].split("]", 1)[0].split(", ") if message.startswith("[") else []
        known = names and all(n in ALIAS_CHECKS for n in names)
        return alias_evidence(names) if known else NO_EVIDENCE
    if kind in ("scenario", "stateful"):
        return SCENARIO_EVIDENCE
    if check.startswith("spec lint"):
        return SPEC_LINT_EVIDENCE
    return NO_EVIDENCE
