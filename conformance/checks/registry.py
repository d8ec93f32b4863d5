"""The registry of checks and the context they receive (never globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.owned import OwnedRecords
from conformance.target import Reply, Target
from contract.operations import Operation


class CheckFailure(AssertionError):
    """A check's verdict: which check, on which operation, what was expected and what came."""

    def __init__(self, check: str, operation: str, message: str,
                 reply: Reply | None = None, request: str | None = None) -> None:
        super().__init__(f"[{check}] {operation}: {message}")
        self.check = check
        self.operation = operation
        self.message = message
        self.reply = reply
        self.request = request


@dataclass
class CheckContext:
    target: Target
    owned: OwnedRecords
    op: Operation
    other_apikey: str | None = None
    read_only: bool = False
    before: dict | None = None  # the record as it was before an update, when relevant
    extra: dict = field(default_factory=dict)
    observe: Callable[[int], None] = lambda status: None  # a status this operation answered

    def fail(self, check: str, message: str, reply: Reply | None = None,
             request: str | None = None) -> CheckFailure:
        return CheckFailure(check, self.op.key, message, reply, request)


CaseCheck = Callable[[CheckContext, Any, Reply], None]
Probe = Callable[[CheckContext], None]
CASE_CHECKS: dict[str, CaseCheck] = {}
PROBES: dict[str, Probe] = {}


def case_check(func: CaseCheck) -> CaseCheck:
    CASE_CHECKS[func.__name__] = func
    return func


def probe(func: Probe) -> Probe:
    PROBES[func.__name__] = func
    return func
