"""Alias checks: each account publishes the custom fields the accounts file expects of it, and
each expected field round-trips through the API.

Every check is a small named function in `ALIAS_CHECKS` that returns readable problems (none:
it passed). Two drivers run them: `check_published_fields` compares one account's entity
with the file, `check_round_trip` writes, reads back, updates, filters and refuses invalid
values of one field on a fresh record. A failure is a `CheckFailure` naming the checks that
found problems and the account, entity and alias, so a report line says what to fix.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis.strategies import DataObject, SearchStrategy

from conformance.aliases import owned_for, plan_of, published_fields, target_for
from conformance.checks.evidence import CLIENTS, PAGE, assumed, documented, strongest
from conformance.checks.registry import (
    ALIAS_CHECKS,
    ALIAS_EVIDENCE,
    CheckFailure,
    alias_check,
)
from conformance.context import RunContext
from conformance.owned import OwnedRecords
from conformance.target import Reply, Target
from contract.accounts import AccountSpec, entity_kind, entity_path
from contract.fields import FILTER_TYPE, Field
from strategies import invalid_value_for, value_for, values_equal

#: The published-fields checks, in the order their results-matrix rows are written.
FIELD_CHECKS = ("expected_aliases_published", "alias_types_match", "alias_options_published",
                "no_unexpected_aliases")
#: The round-trip steps; each needs the one before it, so the first failing one ends it.
ROUND_TRIP = ("created_value_reads_back", "updated_value_reads_back", "filter_finds_value",
              "invalid_value_refused")
#: What the account's fields listing and a round trip rest on (the expected aliases are the
#: admin's own, from the accounts file).
_FIELDS_LISTED = documented(f"{PAGE}: list/fields lists the account's fields, custom ones "
                            "under their own aliases")
_WRITTEN = documented(f"{PAGE}: a record is written with the account's aliases and read back")


def _run(names: tuple[str, ...], ctx: Any, where: str, *, stop_at_failure: bool) -> None:
    """Run the named checks; one failure names every check that found problems."""
    failed: list[str] = []
    problems: list[str] = []
    for name in names:
        found = ALIAS_CHECKS[name](ctx)
        if found:
            failed.append(name)
            problems.extend(found)
            if stop_at_failure:
                break
    if problems:
        raise CheckFailure(", ".join(failed), where, "; ".join(problems),
                           evidence=strongest(ALIAS_EVIDENCE[n] for n in failed))


# --- published fields ----------------------------------------------------------------------

@dataclass
class PublishedFields:
    """One account's entity: the custom fields the file expects and the ones it publishes."""

    run: RunContext
    account: str
    entity: str
    expected: dict[str, Field]
    published: list[dict] | None

    @property
    def custom(self) -> dict[str, dict]:
        return {f.get("alias"): f for f in self.published or () if f.get("custom")}

    def record(self, alias: str, **values: Any) -> None:
        plan_of(self.run).record(self.account, self.entity, alias, **values)

    def present(self) -> Iterator[tuple[str, Field, dict]]:
        """(alias, expected, published) for each expected alias the account publishes."""
        custom = self.custom
        for alias, exp in self.expected.items():
            if alias in custom:
                yield alias, exp, custom[alias]


@alias_check(evidence=documented(f"{PAGE}: list/fields lists the fields; {CLIENTS} #8"))
def field_list_published(ctx: PublishedFields) -> list[str]:
    if ctx.published is None:
        return [f"{entity_path(ctx.entity)}/list/fields did not answer a field list"]
    return []


@alias_check(evidence=_FIELDS_LISTED)
def expected_aliases_published(ctx: PublishedFields) -> list[str]:
    problems, custom = [], ctx.custom
    for alias, exp in ctx.expected.items():
        ctx.record(alias, type=exp.type, expected=True, present=alias in custom)
        if alias not in custom:
            problems.append(f"missing alias {alias!r}")
            ctx.record(alias, detail="missing", round_trip="skipped")
    return problems


@alias_check(evidence=_FIELDS_LISTED)
def alias_types_match(ctx: PublishedFields) -> list[str]:
    problems = []
    for alias, exp, got in ctx.present():
        ctx.record(alias, type_ok=got.get("type") == exp.type)
        if got.get("type") != exp.type:
            problems.append(f"alias {alias!r} is {got.get('type')!r}, expected {exp.type!r}")
            ctx.record(alias, detail=f"type {got.get('type')}")
    return problems


@alias_check(evidence=_FIELDS_LISTED)
def alias_options_published(ctx: PublishedFields) -> list[str]:
    problems = []
    for alias, exp, got in ctx.present():
        missing = sorted(set(exp.options) - set(got.get("options") or []))
        if missing:
            problems.append(f"alias {alias!r} lacks option(s) {', '.join(missing)}")
            ctx.record(alias, type_ok=False, detail="missing options: " + ", ".join(missing))
    return problems


@alias_check(evidence=_FIELDS_LISTED)
def no_unexpected_aliases(ctx: PublishedFields) -> list[str]:
    problems = []
    for alias, got in ctx.custom.items():
        if alias not in ctx.expected:
            problems.append(f"unexpected alias {alias!r}")
            ctx.record(alias, type=str(got.get("type", "")), expected=False, present=True,
                       detail="unexpected", round_trip="skipped")
    return problems


def check_published_fields(run: RunContext, account: AccountSpec, entity: str) -> None:
    """The account publishes exactly the custom fields the file expects on `entity`."""
    ctx = PublishedFields(run, account.name, entity,
                          {f.alias: f for f in account.fields_of(entity)},
                          published_fields(run, account, entity))
    where = f"account {account.name}, {entity}"
    _run(("field_list_published",), ctx, where, stop_at_failure=True)
    _run(FIELD_CHECKS, ctx, where, stop_at_failure=False)


# --- round trip ----------------------------------------------------------------------------

#: Per-process serials for unique numbers; the run id keeps them apart between runs.
_SERIAL = itertools.count()
_SERIAL_BASE = 1_000_000_000


def run_serial(run_id: str) -> int:
    """A large integer unique to this run and call, inside the 32-bit range of integers."""
    run_part = zlib.crc32(run_id.encode()) % 100_000 * 10_000  # below INT_MAX - base
    return _SERIAL_BASE + run_part + next(_SERIAL) % 10_000


def unique_value(owned: OwnedRecords, definition: dict, data: DataObject) -> Any:
    """A value valid for the field's type that no earlier record has, where the type allows
    one; a drawn valid value for the types with too few values to promise it (select ...)."""
    ftype = definition.get("type")
    if ftype == "email":
        return owned.unique_email()
    if ftype in ("text", "textarea", "region"):
        return owned.unique()
    if ftype == "url":
        return f"https://{owned.unique()}.example.com/"
    if ftype in ("integer", "number", "phone", "date", "datetime"):
        serial = run_serial(owned.run_id)
        return {
            "integer": serial, "number": serial, "phone": f"+{serial}",
            "date": (dt.date(1900, 1, 1) + dt.timedelta(days=serial % 73_000)).isoformat(),
            "datetime": (dt.datetime(1970, 1, 2, tzinfo=dt.UTC)
                         + dt.timedelta(seconds=serial)).isoformat(),
        }[ftype]
    return data.draw(value_for(definition), label=f"unique {definition.get('alias')}")


def base_payload(owned: OwnedRecords, entity: str, published: list[dict],
                 data: DataObject) -> dict:
    """A valid create body: the kind's example, fresh unique values (valid for their type)
    and drawn values for required custom fields."""
    kind = entity_kind(entity)
    custom = [f for f in published if f.get("custom")]
    # The example may keep its custom aliases; required and unique ones are filled below.
    owned.custom_fields[kind.name] = [{**f, "required": False, "unique": False} for f in custom]
    body = owned.payload(kind.name)
    for f in custom:
        if f.get("unique"):
            body[f["alias"]] = unique_value(owned, f, data)
        elif f.get("required"):
            body[f["alias"]] = data.draw(value_for(f), label=f"required {f['alias']}")
    return body


@dataclass
class RoundTrip:
    """One expected field on a fresh record of its account, step by step."""

    target: Target
    owned: OwnedRecords
    data: DataObject
    entity: str
    definition: dict
    published: list[dict]
    path: str | None = None  # the record the steps work on, once created
    record_id: int | None = None
    written: Any = None  # the value the record holds now

    @property
    def alias(self) -> str:
        return str(self.definition["alias"])

    def draw(self, strategy: SearchStrategy, label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def read_back(self) -> tuple[Reply, Any, bool]:
        """(reply, the field's value, whether the reply held the record) of a fresh GET."""
        reply = self.target.request("GET", self.path or "")
        body = reply.json if reply.status == 200 and isinstance(reply.json, dict) else {}
        record = body.get(entity_kind(self.entity).singular)
        if not isinstance(record, dict):
            return reply, None, False
        return reply, record.get(self.alias), True


def _read_back_problems(rt: RoundTrip, verb: str, value: Any) -> list[str]:
    reply, read, found = rt.read_back()
    if not found:
        return [f"{verb} {value!r}, then GET {rt.path} answered {reply.status} without the "
                "record"]
    if not values_equal(rt.definition, value, read):
        return [f"{verb} {value!r}, read back {read!r}"]
    return []


@alias_check(evidence=_WRITTEN)
def created_value_reads_back(rt: RoundTrip) -> list[str]:
    kind, base = entity_kind(rt.entity), entity_path(rt.entity)
    first = rt.draw(value_for(rt.definition), "written")
    body = {**base_payload(rt.owned, rt.entity, rt.published, rt.data), rt.alias: first}
    created = rt.target.request("POST", f"{base}/new", json_body=body)
    record = created.json.get(kind.singular) if isinstance(created.json, dict) else None
    if created.status not in (200, 201) or not isinstance(record, dict) or "id" not in record:
        return [f"create answered {created.status}: {created.text[:200]}"]
    rt.record_id, rt.path, rt.written = record["id"], f"{base}/{record['id']}", first
    rt.owned.ledger.created(kind.name, rt.path)
    return _read_back_problems(rt, "wrote", first)


@alias_check(evidence=_WRITTEN)
def updated_value_reads_back(rt: RoundTrip) -> list[str]:
    second = rt.draw(value_for(rt.definition), "updated")
    updated = rt.target.request("PUT", rt.path or "", json_body={rt.alias: second})
    if updated.status != 200:
        return [f"update answered {updated.status}"]
    rt.written = second
    return _read_back_problems(rt, "updated to", second)


def _filter_input(value: Any) -> tuple[str, Any]:
    """(operator, input) that find a record by the value: `in` for lists, `eq` otherwise."""
    if isinstance(value, list):
        return "in", value[:1]
    return "eq", value


@alias_check(evidence=documented(f"{PAGE}: POST listings take filters on any alias"))
def filter_finds_value(rt: RoundTrip) -> list[str]:
    if rt.written in (None, [], ""):
        return []
    kind = entity_kind(rt.entity)
    operator, text = _filter_input(rt.written)
    found = rt.target.request("POST", entity_path(rt.entity), json_body={"limit": 100, "filters": [{
        "type": FILTER_TYPE[rt.definition["type"]], "alias": rt.alias, "strict": True,
        "starts": False, "ends": False, "value": {"operator": operator, "input": text}}]})
    ids = [r.get("id") for r in (found.json or {}).get(kind.plural, [])] \
        if found.status == 200 and isinstance(found.json, dict) else None
    if ids is None or rt.record_id not in ids:
        return [f"filter {operator} {text!r} answered {found.status}, ids {ids}"]
    return []


@alias_check(evidence=assumed("Invalid values"))
def invalid_value_refused(rt: RoundTrip) -> list[str]:
    invalid = invalid_value_for(rt.definition)
    if invalid is None:
        return []
    bad = rt.draw(invalid, "invalid")
    refused = rt.target.request("PUT", rt.path or "", json_body={rt.alias: bad})
    if refused.status != 400:
        return [f"invalid value {bad!r} answered {refused.status}, expected 400"]
    return []


def published_definition(run: RunContext, account: AccountSpec, entity: str,
                         alias: str) -> dict | None:
    """The account's published definition of a custom alias (None: it is missing)."""
    return next((f for f in published_fields(run, account, entity) or ()
                 if f.get("alias") == alias and f.get("custom")), None)


def check_round_trip(run: RunContext, account: AccountSpec, entity: str, definition: dict,
                     data: DataObject) -> None:
    """The field of `definition` round-trips on a fresh record, which is deleted after."""
    plan = plan_of(run)
    alias = str(definition["alias"])
    target = target_for(run, account)
    owned = owned_for(run, target, account)
    rt = RoundTrip(target, owned, data, entity, definition,
                   published_fields(run, account, entity) or [])
    plan.record(account.name, entity, alias, round_trip="failed")
    try:
        _run(ROUND_TRIP, rt, f"account {account.name}, {entity}, alias {alias!r}",
             stop_at_failure=True)
        if rt.path and target.request("DELETE", rt.path).status in (200, 204):
            owned.ledger.deleted(rt.path)
    finally:
        owned.ledger.cleanup(lambda p: target.request("DELETE", p).status)
    plan.record(account.name, entity, alias, round_trip="passed")
