"""Custom-field aliases per account: published as expected, and each one round-trips.

Parametrized from the accounts file (--flexie-accounts; the embedded mock's demo accounts by
default). One test per account and entity compares the published fields with the expected
ones; one test per expected field writes, reads back, updates, filters and refuses invalid
values.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.accounts import entity_kind, entity_path
from conformance.aliases import base_payload, owned_for, published_fields, target_for
from conformance.plugin import current
from contract.fields import FILTER_TYPE

pytestmark = pytest.mark.aliases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    plan = current().alias_plan
    if "entity" in metafunc.fixturenames and "field" not in metafunc.fixturenames:
        names = ("account", "entity")
        params = [pytest.param(a, e, id=f"{a.name}-{e}")
                  for a in plan.accounts for e in a.entities()]
    elif "field" in metafunc.fixturenames:
        names = ("account", "field")
        params = [pytest.param(a, f, id=f"{a.name}-{f.entity}-{f.alias}")
                  for a in plan.accounts for f in a.fields]
    else:
        return
    if not params:
        reason = "no accounts file: pass --flexie-accounts to verify custom-field aliases"
        params = [pytest.param(None, None, id="no-accounts", marks=pytest.mark.skip(reason))]
    metafunc.parametrize(names, params)


def _published(account, entity):
    session = current()
    key = (account.name, entity)
    if key not in session.alias_plan.published:
        target = target_for(session, session.alias_plan, account)
        session.alias_plan.published[key] = published_fields(target, entity)
    return session.alias_plan.published[key]


def test_fields_match_expectation(account, entity):
    plan = current().alias_plan
    published = _published(account, entity)
    where = f"account {account.name}, {entity}"
    if published is None:
        pytest.fail(f"{where}: {entity_path(entity)}/list/fields did not answer a field list")
    custom = {f.get("alias"): f for f in published if f.get("custom")}
    expected = {f.alias: f for f in account.expected(entity)}
    problems = []
    for alias, exp in expected.items():
        got = custom.get(alias)
        plan.record(account.name, entity, alias, type=exp.type, expected=True,
                    present=got is not None)
        if got is None:
            problems.append(f"missing alias {alias!r}")
            plan.record(account.name, entity, alias, detail="missing", round_trip="skipped")
            continue
        type_ok = got.get("type") == exp.type
        missing_options = sorted(set(exp.options) - set(got.get("options") or []))
        plan.record(account.name, entity, alias, type_ok=type_ok and not missing_options)
        if not type_ok:
            problems.append(f"alias {alias!r} is {got.get('type')!r}, expected {exp.type!r}")
            plan.record(account.name, entity, alias, detail=f"type {got.get('type')}")
        if missing_options:
            problems.append(f"alias {alias!r} lacks option(s) {', '.join(missing_options)}")
            plan.record(account.name, entity, alias,
                        detail="missing options: " + ", ".join(missing_options))
    for alias, got in custom.items():
        if alias not in expected:
            problems.append(f"unexpected alias {alias!r}")
            plan.record(account.name, entity, alias, type=str(got.get("type", "")),
                        expected=False, present=True, detail="unexpected",
                        round_trip="skipped")
    assert not problems, f"{where}: " + "; ".join(problems)


def _filter_input(value) -> tuple[str, object]:
    """(operator, input) that find a record by the value: `in` for lists, `eq` otherwise."""
    if isinstance(value, list):
        return "in", value[:1]
    return "eq", value


@settings(max_examples=3, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_field_round_trips(account, field, data):
    from strategies import invalid_value_for, value_for, values_equal

    session = current()
    plan = session.alias_plan
    published = _published(account, field.entity) or []
    definition = next((f for f in published if f.get("alias") == field.alias
                       and f.get("custom")), None)
    if definition is None:
        pytest.skip(f"alias {field.alias!r} is missing (reported by test_fields_match_"
                    "expectation)")
    where = f"account {account.name}, {field.entity}, alias {field.alias!r}"
    target = target_for(session, plan, account)
    owned = owned_for(session, target, account)
    kind, base = entity_kind(field.entity), entity_path(field.entity)
    plan.record(account.name, field.entity, field.alias, round_trip="failed")
    try:
        first = data.draw(value_for(definition), label="written")
        body = {**base_payload(owned, field.entity, published), field.alias: first}
        created = target.request("POST", f"{base}/new", json_body=body)
        record = (created.json or {}).get(kind.singular) if isinstance(created.json, dict) \
            else None
        assert created.status in (200, 201) and isinstance(record, dict), \
            f"{where}: create answered {created.status}: {created.text[:200]}"
        owned.ledger.created(kind.name, f"{base}/{record['id']}")
        path = f"{base}/{record['id']}"
        read = target.request("GET", path).json[kind.singular]
        assert values_equal(definition, first, read.get(field.alias)), \
            f"{where}: wrote {first!r}, read back {read.get(field.alias)!r}"

        second = data.draw(value_for(definition), label="updated")
        updated = target.request("PUT", path, json_body={field.alias: second})
        assert updated.status == 200, f"{where}: update answered {updated.status}"
        read = target.request("GET", path).json[kind.singular]
        assert values_equal(definition, second, read.get(field.alias)), \
            f"{where}: updated to {second!r}, read back {read.get(field.alias)!r}"

        if second not in (None, [], ""):
            operator, text = _filter_input(second)
            found = target.request("POST", base, json_body={"limit": 100, "filters": [{
                "type": FILTER_TYPE[definition["type"]], "alias": field.alias, "strict": True,
                "starts": False, "ends": False, "value": {"operator": operator, "input": text}}]})
            ids = [r.get("id") for r in (found.json or {}).get(kind.plural, [])] \
                if found.status == 200 and isinstance(found.json, dict) else None
            assert ids is not None and record["id"] in ids, \
                f"{where}: filter {operator} {text!r} answered {found.status}, ids {ids}"

        invalid = invalid_value_for(definition)
        if invalid is not None:
            bad = data.draw(invalid, label="invalid")
            refused = target.request("PUT", path, json_body={field.alias: bad})
            assert refused.status == 400, \
                f"{where}: invalid value {bad!r} answered {refused.status}, expected 400"
        gone = target.request("DELETE", path)
        if gone.status in (200, 204):
            owned.ledger.deleted(path)
    finally:
        owned.ledger.cleanup(lambda p: target.request("DELETE", p).status)
    plan.record(account.name, field.entity, field.alias, round_trip="passed")
