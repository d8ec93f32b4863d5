"""Custom-field aliases per account: published as expected, and each one round-trips.

Parametrized from the accounts file (--flexie-accounts; the embedded mock's demo accounts by
default). One test per account and entity runs the published-fields checks; the round-trip
checks run in one test per expected field (Hypothesis searches three examples of each), or
under a request budget in one test per account and entity that judges every field on one
record (seeded values, a fraction of the requests). Only one of the two forms is defined, so
the other is neither collected nor skipped. The checks live in conformance/checks/aliases/checks.py.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.checks.aliases.drivers import (
    check_entity_round_trip,
    check_published_fields,
    check_round_trip,
    published_definition,
)
from conformance.declared import Kind
from conformance.plugin.params import alias_param, collected_if
from conformance.plugin.state import run_of
from conformance.run import Run
from contract.accounts import AccountSpec
from contract.fields import Field

pytestmark = [pytest.mark.aliases, pytest.mark.flexie(kind=Kind.ALIAS)]


def batched(run: Run) -> bool:
    """Under a request budget the round trips are batched per account and entity."""
    return run.settings.budget is not None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run = run_of(metafunc.config)
    plan = run.alias_plan
    accounts = plan.accounts
    if "field" in metafunc.fixturenames:
        names: tuple[str, ...] = ("account", "entity", "field")
        params = [alias_param(a, e, f, id=f"{a.name}-{e}-{f.alias}", entity=e,
                              check="round_trip")
                  for a in accounts for e, f in a.expected()]
    elif metafunc.definition.name == "test_entity_round_trips":
        names = ("account", "entity")
        params = [alias_param(a, e, id=f"{a.name}-{e}", entity=e, check="round_trip")
                  for a in accounts for e in a.entities() if a.fields_of(e)]
    elif "entity" in metafunc.fixturenames:
        names = ("account", "entity")
        params = [alias_param(a, e, id=f"{a.name}-{e}", entity=e, check="fields")
                  for a in accounts for e in a.entities()]
    else:
        return
    if not params:
        reason = "no accounts file: pass --flexie-accounts to verify custom-field aliases"
        if plan.everyone and run.settings.shard:
            reason = ("no account of the accounts file is in shard "
                      "{}/{}".format(*run.settings.shard))
        params = [pytest.param(*(None,) * len(names), id="no-accounts",
                               marks=pytest.mark.skip(reason))]
    metafunc.parametrize(names, params)


@pytest.mark.flexie(check="fields", cost=1, tier=2)
def test_fields_match_expectation(account: AccountSpec, entity: str, run: Run) -> None:
    check_published_fields(run, account, entity)


@collected_if(lambda run: not batched(run))
@pytest.mark.flexie(check="round_trip", cost=21, tier=4)
@settings(max_examples=3, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_field_round_trips(account: AccountSpec, entity: str, field: Field, run: Run,
                           data: st.DataObject) -> None:
    definition = published_definition(run, account, entity, field.alias)
    if definition is None:
        pytest.skip(f"alias {field.alias!r} is missing (reported by test_fields_match_"
                    "expectation)")
    check_round_trip(run, account, entity, definition, data)


@collected_if(batched)
@pytest.mark.flexie(check="round_trip", cost=12, tier=2)
def test_entity_round_trips(account: AccountSpec, entity: str, run: Run) -> None:
    """Every expected field of the entity the account publishes, on one record."""
    definitions = [d for f in account.fields_of(entity)
                   if (d := published_definition(run, account, entity, f.alias))]
    if not definitions:
        pytest.skip("no expected alias is published (reported by test_fields_match_"
                    "expectation)")
    check_entity_round_trip(run, account, entity, definitions)
