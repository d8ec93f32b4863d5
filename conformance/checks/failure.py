"""What a check raises: a `CheckFailure` that names the check and what it judged, or
`NotChecked` when it could not judge. Case checks, probes and alias checks raise the same two,
so the runner, the alias drivers and the report read one type."""

from __future__ import annotations

from conformance.checks.evidence import Evidence, resolve
from conformance.engine.target import Reply
from conformance.findings import ReasonKind


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

    def __init__(self, reason: str, kind: ReasonKind = ReasonKind.CANNOT_JUDGE) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind  # INAPPLICABLE: the check's own filters exclude the operation
