"""Alias checks: each account publishes the custom fields the accounts file expects of it, and
each expected field round-trips through the API.

Every check is a small named function registered with `@alias_check(stage=..., evidence=...)`:
it takes its stage's context (conformance/checks/aliases/context.py) and raises
`ctx.fail(problem, ...)` with readable problems. Registering is what runs it: the drivers
(conformance/checks/aliases/drivers.py) run every check of a stage, in the order registered:
`FIELD_LIST` and `FIELDS` compare one account's entity with the file, `ROUND_TRIP` writes,
reads back, updates, filters and refuses invalid values on a fresh record.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from hypothesis.errors import Unsatisfiable

from conformance.checks.aliases.context import PublishedFields, RoundTrip
from conformance.checks.evidence import CLIENTS, PAGE, assumed, documented
from conformance.checks.registry import AliasStage, alias_check
from conformance.engine.owned import Drawer, OwnedRecords, unique_value
from conformance.engine.target import Reply
from contract.accounts import entity_kind, entity_path
from contract.fields import FILTER_TYPE, JsonObject
from strategies import invalid_value_for, value_for, values_equal

# The published-fields checks run in the order their results-matrix rows are written; the
# round-trip steps each need the one before it, so a field's first failing one ends its
# round trip (a batch's other fields go on). The order is the order below.
#: What the account's fields listing and a round trip rest on (the expected aliases are the
#: admin's own, from the accounts file).
_FIELDS_LISTED = documented(f"{PAGE}: list/fields lists the account's fields, custom ones "
                            "under their own aliases")
_WRITTEN = documented(f"{PAGE}: a record is written with the account's aliases and read back")


# --- published fields ----------------------------------------------------------------------

@alias_check(stage=AliasStage.FIELD_LIST,
             evidence=documented(f"{PAGE}: list/fields lists the fields; {CLIENTS} #8"))
def field_list_published(ctx: PublishedFields) -> None:
    if ctx.published is None:
        raise ctx.fail(f"{entity_path(ctx.entity)}/list/fields did not answer a field list")


@alias_check(stage=AliasStage.FIELDS, evidence=_FIELDS_LISTED)
def expected_aliases_published(ctx: PublishedFields) -> None:
    problems, custom = [], ctx.custom
    for alias, exp in ctx.expected.items():
        ctx.record(alias, type=exp.type, expected=True, present=alias in custom)
        if alias not in custom:
            problems.append(f"missing alias {alias!r}")
            ctx.record(alias, detail="missing", round_trip="skipped")
    if problems:
        raise ctx.fail(*problems)


@alias_check(stage=AliasStage.FIELDS, evidence=_FIELDS_LISTED)
def alias_types_match(ctx: PublishedFields) -> None:
    problems = []
    for alias, exp, got in ctx.present():
        ctx.record(alias, type_ok=got.get("type") == exp.type)
        if got.get("type") != exp.type:
            problems.append(f"alias {alias!r} is {got.get('type')!r}, expected {exp.type!r}")
            ctx.record(alias, detail=f"type {got.get('type')}")
    if problems:
        raise ctx.fail(*problems)


@alias_check(stage=AliasStage.FIELDS, evidence=_FIELDS_LISTED)
def alias_options_published(ctx: PublishedFields) -> None:
    problems = []
    for alias, exp, got in ctx.present():
        missing = sorted(set(exp.options) - set(got.get("options") or []))
        if missing:
            problems.append(f"alias {alias!r} lacks option(s) {', '.join(missing)}")
            ctx.record(alias, type_ok=False, detail="missing options: " + ", ".join(missing))
    if problems:
        raise ctx.fail(*problems)


@alias_check(stage=AliasStage.FIELDS, evidence=_FIELDS_LISTED)
def no_unexpected_aliases(ctx: PublishedFields) -> None:
    problems = []
    for alias, got in ctx.custom.items():
        if alias not in ctx.expected:
            problems.append(f"unexpected alias {alias!r}")
            ctx.record(alias, type=str(got.get("type", "")), expected=False, present=True,
                       detail="unexpected", round_trip="skipped")
    if problems:
        raise ctx.fail(*problems)


# --- round trip ----------------------------------------------------------------------------

#: Creates and updates a batch sends again without the aliases a refusal named.
_BATCH_ATTEMPTS = 3


def base_payload(owned: OwnedRecords, entity: str, published: list[JsonObject],
                 data: Drawer) -> JsonObject:
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


def _fold(value: Any) -> str:
    """Text as a lenient filter may compare it: no accents, case or repeated blanks."""
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def clearly_differs(definition: JsonObject, old: Any, new: Any) -> bool:
    """Whether a filter for `old` cannot match a record holding `new` under any reading of
    "equals" a workspace may have: case- and accent-blind, substring or date-only matching."""
    if old in (None, [], "") or values_equal(definition, old, new):
        return False
    if isinstance(old, list):
        return isinstance(new, list) and _fold(old[0]) not in {_fold(v) for v in new}
    if definition.get("type") == "datetime":
        try:
            apart = abs(dt.datetime.fromisoformat(old) - dt.datetime.fromisoformat(new))
        except (TypeError, ValueError):
            return False
        return apart > dt.timedelta(days=2)
    if isinstance(old, str) and isinstance(new, str):
        return _fold(old) not in _fold(new) and _fold(new) not in _fold(old)
    return True


def _read_back_problems(rt: RoundTrip, verb: str) -> list[str]:
    reply, record = rt.read_back()
    if record is None:
        what = (repr(rt.written[rt.active()[0]["alias"]]) if not rt.batched
                else f"{len(rt.active())} aliases")
        return rt.all_fail(f"{verb} {what}, then GET {rt.path} answered {reply.status} "
                           "without the record")
    problems = []
    for d in rt.active():
        value, read = rt.written[d["alias"]], record.get(d["alias"])
        if not values_equal(d, value, read):
            problems.append(rt.alias_fails(d["alias"], f"{verb} {value!r}, read back {read!r}"))
    return problems


def _named(text: str, aliases: Iterable[str]) -> list[str]:
    """The aliases a workspace's answer names (as a word of its own)."""
    return [a for a in aliases if re.search(rf"(?<![\w.-]){re.escape(a)}(?![\w-])", text)]


def _send_values(rt: RoundTrip, method: str, path: str, base: JsonObject,
                 values: dict[str, Any], ok: tuple[int, ...],
                 what: str) -> tuple[Reply, list[str]]:
    """Send `base` with `values`; a batch refused by an answer that names some of the
    aliases marks those failed, with the answer, and is sent again without them. A refusal
    that names none (or a field's own) fails every field still going."""
    problems: list[str] = []
    for attempt in range(1, _BATCH_ATTEMPTS + 1):
        reply = rt.target.request(method, path, json_body={**base, **values})
        if reply.status in ok:
            return reply, problems
        answer = f"{what} answered {reply.status}: {reply.text[:200]}"
        named = _named(reply.text, values) if rt.batched else []
        if not named or attempt == _BATCH_ATTEMPTS:
            return reply, [*problems, *rt.all_fail(answer)]
        problems.append(f"{', '.join(map(repr, named))}: {answer}")
        for alias in named:
            rt.alias_fails(alias, answer)
            values.pop(alias)
    raise AssertionError("unreachable")


def _label(rt: RoundTrip, word: str, d: JsonObject) -> str:
    return f"{word} {d['alias']}" if rt.batched else word


def _first_value(rt: RoundTrip, d: JsonObject) -> Any:
    if rt.batched and d.get("unique"):
        return unique_value(rt.owned, d, rt.data)  # where the type can, no record holds it
    return rt.draw(value_for(d), _label(rt, "written", d))


@alias_check(stage=AliasStage.ROUND_TRIP, evidence=_WRITTEN)
def created_value_reads_back(rt: RoundTrip) -> None:
    kind, base = entity_kind(rt.entity), entity_path(rt.entity)
    values = {str(d["alias"]): _first_value(rt, d) for d in rt.active()}
    body = base_payload(rt.owned, rt.entity, rt.published, rt.data)
    created, problems = _send_values(rt, "POST", f"{base}/new", body, values, (200, 201),
                                     "create")
    record = created.json.get(kind.singular) if isinstance(created.json, dict) else None
    if created.status not in (200, 201) or not isinstance(record, dict) or "id" not in record:
        if created.status in (200, 201):
            problems += rt.all_fail(f"create answered {created.status}: "
                                    f"{created.text[:200]}")
        if problems:
            raise rt.fail(*problems)
        return
    rt.record_id, rt.path, rt.written = record["id"], f"{base}/{record['id']}", values
    rt.owned.ledger.created(kind.name, rt.path)
    problems += _read_back_problems(rt, "wrote")
    if problems:
        raise rt.fail(*problems)


def _new_value(rt: RoundTrip, d: JsonObject) -> Any:
    """The update's value; in a batch one a filter for the old value cannot match, where
    the type has one (so a dropped update or an ignored filter cannot pass by chance)."""
    if not rt.batched:
        return rt.draw(value_for(d), "updated")
    old = rt.written[d["alias"]]
    if d.get("unique"):
        new = old
        for _ in range(3):  # fresh values of one run may contain each other (run-1, run-12)
            new = unique_value(rt.owned, d, rt.data)
            if clearly_differs(d, old, new):
                break
        return new
    new = _draw_where(rt, d, lambda v: clearly_differs(d, old, v))
    if values_equal(d, old, new):
        new = _draw_where(rt, d, lambda v: not values_equal(d, old, v))
    return new


def _draw_where(rt: RoundTrip, d: JsonObject, keep: Callable[[Any], bool]) -> Any:
    """A valid value that `keep` accepts; the value the field holds where there is none (a
    select of one option)."""
    try:
        return rt.draw(value_for(d).filter(keep), _label(rt, "updated", d))
    except Unsatisfiable:
        return rt.written[d["alias"]]


@alias_check(stage=AliasStage.ROUND_TRIP, evidence=_WRITTEN)
def updated_value_reads_back(rt: RoundTrip) -> None:
    values = {str(d["alias"]): _new_value(rt, d) for d in rt.active()}
    updated, problems = _send_values(rt, "PUT", rt.path or "", {}, values, (200,), "update")
    if updated.status != 200:
        problems = problems if rt.batched else [f"update answered {updated.status}"]
        if problems:
            raise rt.fail(*problems)
        return
    rt.before = {a: rt.written[a] for a in values}
    rt.written.update(values)
    problems += _read_back_problems(rt, "updated to")
    if problems:
        raise rt.fail(*problems)


def _filter_input(value: Any) -> tuple[str, Any]:
    """(operator, input) that find a record by the value: `in` for lists, `eq` otherwise."""
    if isinstance(value, list):
        return "in", value[:1]
    return "eq", value


#: A filtered listing's page, and how many pages are read at most looking for the record (a
#: select value many records hold, written by a whole run, fills more than one page).
FILTER_PAGE, FILTER_PAGES = 100, 20


def _filtered(rt: RoundTrip, wanted: list[tuple[JsonObject, Any]]
              ) -> tuple[Reply, list[Any] | None]:
    """(reply, record ids or None) of a listing filtered on each (definition, value), paged
    with `start` until the round trip's record is among them or the pages end."""
    filters = []
    for d, value in wanted:
        operator, text = _filter_input(value)
        filters.append({"type": FILTER_TYPE[d["type"]], "alias": d["alias"], "strict": True,
                        "starts": False, "ends": False,
                        "value": {"operator": operator, "input": text}})
    ids: list[Any] = []
    for page in range(FILTER_PAGES):
        found = rt.target.request("POST", entity_path(rt.entity), json_body={
            "limit": FILTER_PAGE, "start": page * FILTER_PAGE, "filters": filters})
        if found.status != 200 or not isinstance(found.json, dict):
            return found, None
        records = found.json.get(entity_kind(rt.entity).plural, [])
        ids += [r.get("id") for r in records if isinstance(r, dict)]
        if rt.record_id in ids or len(records) < FILTER_PAGE:
            break
    return found, ids


@alias_check(stage=AliasStage.ROUND_TRIP,
             evidence=documented(f"{PAGE}: POST listings take filters on any alias"))
def filter_finds_value(rt: RoundTrip) -> None:
    """The record is found by a filter on its value; in a batch all values in one filter
    (each alias's own filter only when that one misses), and a filter on the values it held
    before the update must not find it: the filter narrows, it is not ignored (in a batch
    all old values in one filter, each alias's own only when that one still finds it)."""
    problems = []
    going = [d for d in rt.active() if rt.written.get(d["alias"]) not in (None, [], "")]
    if len(going) > 1 and rt.record_id in (_filtered(rt, [(d, rt.written[d["alias"]])
                                                         for d in going])[1] or ()):
        pass  # every filter held at once: each alias filters
    else:
        for d in going:
            operator, text = _filter_input(rt.written[d["alias"]])
            found, ids = _filtered(rt, [(d, rt.written[d["alias"]])])
            if ids is None or rt.record_id not in ids:
                problems.append(rt.alias_fails(d["alias"], f"filter {operator} {text!r} "
                                               f"answered {found.status}, ids {ids}"))
    changed = [d for d in rt.active() if rt.batched and d in going
               and clearly_differs(d, rt.before.get(d["alias"]), rt.written.get(d["alias"]))]
    if len(changed) > 1:
        _, ids = _filtered(rt, [(d, rt.before[d["alias"]]) for d in changed])
        if ids is not None and rt.record_id not in ids:
            changed = []  # the old values, all in one filter, no longer find it: filters narrow
    for d in changed:
        old, now = rt.before.get(d["alias"]), rt.written.get(d["alias"])
        operator, text = _filter_input(old)
        found, ids = _filtered(rt, [(d, old)])
        if ids is None or rt.record_id in ids:
            got = "" if ids is None else f" with record {rt.record_id} among {len(ids)}"
            problems.append(rt.alias_fails(d["alias"], f"filter {operator} {text!r} (its "
                                           f"value before the update) answered "
                                           f"{found.status}{got}; the record holds {now!r} now"))
    if problems:
        raise rt.fail(*problems)


@alias_check(stage=AliasStage.ROUND_TRIP, evidence=assumed("Invalid values"))
def invalid_value_refused(rt: RoundTrip) -> None:
    problems = []
    for d in rt.active():
        invalid = invalid_value_for(d)
        if invalid is None:
            continue
        bad = rt.draw(invalid, _label(rt, "invalid", d))
        refused = rt.target.request("PUT", rt.path or "", json_body={d["alias"]: bad})
        if refused.status != 400:
            problems.append(rt.alias_fails(d["alias"], f"invalid value {bad!r} answered "
                                           f"{refused.status}, expected 400"))
    if problems:
        raise rt.fail(*problems)
