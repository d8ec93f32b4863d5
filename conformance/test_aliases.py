"""Custom-field aliases per account: published as expected, and each one round-trips.

Parametrized from the accounts file (--flexie-accounts; the embedded mock's demo accounts by
default). One test per account and entity runs the published-fields checks, one test per
expected field the round-trip checks; both live in conformance/checks/aliases.py.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.checks.aliases import (
    check_published_fields,
    check_round_trip,
    published_definition,
)
from conformance.context import current

pytestmark = pytest.mark.aliases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    plan = current().alias_plan
    accounts = plan.accounts if plan is not None else []
    if "field" in metafunc.fixturenames:
        names = ("account", "entity", "field")
        params = [pytest.param(a, e, f, id=f"{a.name}-{e}-{f.alias}")
                  for a in accounts for e, f in a.expected()]
    elif "entity" in metafunc.fixturenames:
        names = ("account", "entity")
        params = [pytest.param(a, e, id=f"{a.name}-{e}") for a in accounts for e in a.entities()]
    else:
        return
    if not params:
        reason = "no accounts file: pass --flexie-accounts to verify custom-field aliases"
        params = [pytest.param(*(None,) * len(names), id="no-accounts",
                               marks=pytest.mark.skip(reason))]
    metafunc.parametrize(names, params)


def test_fields_match_expectation(account, entity):
    check_published_fields(current(), account, entity)


@settings(max_examples=3, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_field_round_trips(account, entity, field, data):
    run = current()
    definition = published_definition(run, account, entity, field.alias)
    if definition is None:
        pytest.skip(f"alias {field.alias!r} is missing (reported by test_fields_match_"
                    "expectation)")
    check_round_trip(run, account, entity, definition, data)
