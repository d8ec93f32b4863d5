"""The suite's pytest marks and params: the `flexie` mark that declares a test
(conformance/declared.py says what it holds), the params of operation and alias tests that
declare their own operation, and tests collected only on the runs they fit (`collected_if`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pytest

from conformance.declared import FIELDS, MARK, Kind, alias_operations
from conformance.engine.tables import NO_TABLE, needs_table
from conformance.run import Run
from contract.operations import OPERATIONS_BY_KEY

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


def declare(**facts: object) -> pytest.MarkDecorator:
    """The mark that declares a test or a parameter: `pytest.mark.flexie(**facts)`."""
    unknown = set(facts) - FIELDS
    if unknown:
        raise TypeError(f"@pytest.mark.{MARK}: unknown fields {sorted(unknown)}")
    return pytest.mark.flexie(**facts)


def operation_params(keys: Iterable[str], kind: Kind, ce_table: str | None) -> list[object]:
    """One pytest param per operation key, declaring the operation and its group; those
    naming a custom-entity table skipped when the run has none."""
    params: list[object] = []
    for key in keys:
        op = OPERATIONS_BY_KEY.get(key)
        marks = [declare(kind=kind, exercises=(key,), group=op.group if op else None)]
        if needs_table(key) and not ce_table:
            marks.append(pytest.mark.skip(reason=NO_TABLE))
        params.append(pytest.param(key, id=key, marks=marks))
    return params


def alias_param(*values: object, id: str, entity: str, check: str) -> object:
    """A pytest param of an alias test, declaring its check, entity and operations."""
    return pytest.param(*values, id=id, marks=declare(
        kind=Kind.ALIAS, check=check, entity=entity, exercises=alias_operations(entity, check)))
