"""Tests collected only on the runs they fit (`collected_if`): a test declared for another
kind of run is neither collected nor skipped. (Operation params: conformance/declared.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from conformance.run import Run

F = TypeVar("F", bound=Callable[..., Any])

#: The attribute `collected_if` sets on a test function: a predicate on the run.
COLLECTED_IF = "flexie_collected_if"


def collected_if(fits: Callable[[Run], bool]) -> Callable[[F], F]:
    """The test is collected only on a run it `fits`; on any other it is neither collected nor
    skipped (the plugin's pytest_pycollect_makeitem reads this)."""
    def mark(test: F) -> F:
        setattr(test, COLLECTED_IF, fits)
        return test
    return mark


def fits(test: object, run: Run) -> bool:
    """Whether `test` is collected on `run` (see collected_if)."""
    predicate = getattr(test, COLLECTED_IF, None)
    return predicate is None or bool(predicate(run))
