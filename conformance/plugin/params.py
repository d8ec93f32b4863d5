"""What the suite's test modules are parametrized with, as pytest params: operation keys (those
naming a custom-entity table skipped when the run has none), and the tests collected only on
runs they fit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pytest

from conformance.engine.tables import NO_TABLE, needs_table
from conformance.run import Run

F = TypeVar("F", bound=Callable[..., Any])

#: The attribute `collected_if` sets on a test function: a predicate on the run.
COLLECTED_IF = "flexie_collected_if"


def params(keys: Iterable[str], ce_table: str | None) -> list[Any]:
    """pytest params of operation keys, those naming a table skipped when there is none."""
    skip = [pytest.mark.skip(reason=NO_TABLE)]
    return [pytest.param(key, id=key, marks=skip if needs_table(key) and not ce_table else ())
            for key in keys]


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
