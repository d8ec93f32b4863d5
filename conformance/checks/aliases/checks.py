"""Alias checks: each account publishes the custom fields the accounts file expects of it, and
each expected field round-trips through the API.

Every check is a small named function in `ALIAS_CHECKS` that returns readable problems (none:
it passed). Three drivers run them: `check_published_fields` compares one account's entity
with the file, `check_round_trip` writes, reads back, updates, filters and refuses invalid
values of one field on a fresh record, and under a request budget `check_entity_round_trip`
does the same for every expected field of an entity on one record, each alias judged on its
own. A failure is a `CheckFailure` naming the checks that found problems and the account,
entity and alias(es), so a report line says what to fix.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import DataObject, SearchStrategy

from conformance.checks.aliases.plan import owned_for, plan_of, published_fields, target_for
from conformance.checks.evidence import CLIENTS, PAGE, assumed, documented
from conformance.checks.registry import (
    ALIAS_CHECKS,
    CheckFailure,
    alias_check,
    alias_evidence,
)
from conformance.engine.generation import operation_seed, seeded_value
from conformance.engine.owned import Drawer, OwnedRecords, unique_value
from conformance.engine.pacing import BudgetSpent
from conformance.engine.target import Reply, Target
from conformance.run import RunContext
from contract.accounts import AccountSpec, entity_kind, entity_path
from contract.fields import FILTER_TYPE, Field
from strategies import invalid_value_for, value_for, values_equal

#: The published-fields checks, in the order their results-matrix rows are written.
FIELD_CHECKS = ("expected_aliases_published", "alias_types_match", "alias_options_published",
                "no_unexpected_aliases")
#: The round-trip steps; each needs the one before it, so a field's first failing one ends
#: its round trip (a batch's other fields go on).
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
                           evidence=alias_evidence(failed))


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
        """The published custom fields by alias (one without an alias names nothing)."""
        return {f["alias"]: f for f in self.published or ()
                if f.get("custom") and isinstance(f.get("alias"), str)}

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

#: Creates and updates a batch sends again without the aliases a refusal named.
_BATCH_ATTEMPTS = 3


@dataclass
class SeededDraws:
    """Stands in for Hypothesis's `data` in a batched round trip: each value drawn from the
    batch's seed, its label and how often the label was drawn, so `--flexie-seed` replays it."""

    seed: int
    counts: dict[str, int] = field(default_factory=dict)

    def draw(self, strategy: SearchStrategy, label: Any = None) -> Any:
        key = str(label)
        self.counts[key] = self.counts.get(key, 0) + 1
        return seeded_value(strategy, operation_seed(self.seed, f"{key}#{self.counts[key]}")
                            or 0)


def base_payload(owned: OwnedRecords, entity: str, published: list[dict],
                 data: Drawer) -> dict:
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


def clearly_differs(definition: dict, old: Any, new: Any) -> bool:
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


@dataclass
class RoundTrip:
    """Expected fields on one fresh record of their account, step by step: one field (an
    example of test_field_round_trips), or under a request budget every expected field of
    an entity at once (`batched`: seeded values, one create and one update for them all).
    A field that fails a step takes no further step; the others go on."""

    target: Target
    owned: OwnedRecords
    data: Drawer
    entity: str
    definitions: list[dict]
    published: list[dict]
    batched: bool = False
    path: str | None = None  # the record the steps work on, once created
    record_id: int | None = None
    written: dict[str, Any] = field(default_factory=dict)  # alias: the value it holds now
    before: dict[str, Any] = field(default_factory=dict)  # alias: its value before the update
    failed: dict[str, str] = field(default_factory=dict)  # alias: the check it failed
    found: dict[str, list[str]] = field(default_factory=dict)  # check: the problems it found

    def active(self) -> list[dict]:
        """The definitions of the fields that have failed no step yet."""
        return [d for d in self.definitions if d["alias"] not in self.failed]

    def fail(self, alias: str, check: str, problem: str) -> str:
        """Mark the alias failed by `check`; the problem as its report says it."""
        self.failed.setdefault(alias, check)
        return f"alias {alias!r}: {problem}" if self.batched else problem

    def fail_all(self, check: str, problem: str) -> list[str]:
        """Mark every field still going failed by `check`: one problem for them all."""
        for d in self.active():
            self.failed.setdefault(str(d["alias"]), check)
        return [problem]

    def draw(self, strategy: SearchStrategy, label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def read_back(self) -> tuple[Reply, dict | None]:
        """(reply, the record it holds or None) of a fresh GET."""
        reply = self.target.request("GET", self.path or "")
        body = reply.json if reply.status == 200 and isinstance(reply.json, dict) else {}
        record = body.get(entity_kind(self.entity).singular)
        return reply, record if isinstance(record, dict) else None


def _read_back_problems(rt: RoundTrip, check: str, verb: str) -> list[str]:
    reply, record = rt.read_back()
    if record is None:
        what = (repr(rt.written[rt.active()[0]["alias"]]) if not rt.batched
                else f"{len(rt.active())} aliases")
        return rt.fail_all(check, f"{verb} {what}, then GET {rt.path} answered {reply.status} "
                                  "without the record")
    problems = []
    for d in rt.active():
        value, read = rt.written[d["alias"]], record.get(d["alias"])
        if not values_equal(d, value, read):
            problems.append(rt.fail(d["alias"], check, f"{verb} {value!r}, read back {read!r}"))
    return problems


def _named(text: str, aliases: Iterable[str]) -> list[str]:
    """The aliases a workspace's answer names (as a word of its own)."""
    return [a for a in aliases if re.search(rf"(?<![\w.-]){re.escape(a)}(?![\w-])", text)]


def _send_values(rt: RoundTrip, check: str, method: str, path: str, base: dict,
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
            return reply, [*problems, *rt.fail_all(check, answer)]
        problems.append(f"{', '.join(map(repr, named))}: {answer}")
        for alias in named:
            rt.fail(alias, check, answer)
            values.pop(alias)
    raise AssertionError("unreachable")


def _label(rt: RoundTrip, word: str, d: dict) -> str:
    return f"{word} {d['alias']}" if rt.batched else word


def _first_value(rt: RoundTrip, d: dict) -> Any:
    if rt.batched and d.get("unique"):
        return unique_value(rt.owned, d, rt.data)  # where the type can, no record holds it
    return rt.draw(value_for(d), _label(rt, "written", d))


@alias_check(evidence=_WRITTEN)
def created_value_reads_back(rt: RoundTrip) -> list[str]:
    kind, base = entity_kind(rt.entity), entity_path(rt.entity)
    values = {str(d["alias"]): _first_value(rt, d) for d in rt.active()}
    body = base_payload(rt.owned, rt.entity, rt.published, rt.data)
    created, problems = _send_values(rt, "created_value_reads_back", "POST", f"{base}/new",
                                     body, values, (200, 201), "create")
    record = created.json.get(kind.singular) if isinstance(created.json, dict) else None
    if created.status not in (200, 201) or not isinstance(record, dict) or "id" not in record:
        if created.status in (200, 201):
            problems += rt.fail_all("created_value_reads_back", f"create answered "
                                    f"{created.status}: {created.text[:200]}")
        return problems
    rt.record_id, rt.path, rt.written = record["id"], f"{base}/{record['id']}", values
    rt.owned.ledger.created(kind.name, rt.path)
    return problems + _read_back_problems(rt, "created_value_reads_back", "wrote")


def _new_value(rt: RoundTrip, d: dict) -> Any:
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


def _draw_where(rt: RoundTrip, d: dict, keep: Callable[[Any], bool]) -> Any:
    """A valid value that `keep` accepts; the value the field holds where there is none (a
    select of one option)."""
    try:
        return rt.draw(value_for(d).filter(keep), _label(rt, "updated", d))
    except Unsatisfiable:
        return rt.written[d["alias"]]


@alias_check(evidence=_WRITTEN)
def updated_value_reads_back(rt: RoundTrip) -> list[str]:
    values = {str(d["alias"]): _new_value(rt, d) for d in rt.active()}
    updated, problems = _send_values(rt, "updated_value_reads_back", "PUT", rt.path or "", {},
                                     values, (200,), "update")
    if updated.status != 200:
        return problems if rt.batched else [f"update answered {updated.status}"]
    rt.before = {a: rt.written[a] for a in values}
    rt.written.update(values)
    return problems + _read_back_problems(rt, "updated_value_reads_back", "updated to")


def _filter_input(value: Any) -> tuple[str, Any]:
    """(operator, input) that find a record by the value: `in` for lists, `eq` otherwise."""
    if isinstance(value, list):
        return "in", value[:1]
    return "eq", value


def _filtered(rt: RoundTrip, wanted: list[tuple[dict, Any]]) -> tuple[Reply, list | None]:
    """(reply, record ids or None) of a listing filtered on each (definition, value)."""
    filters = []
    for d, value in wanted:
        operator, text = _filter_input(value)
        filters.append({"type": FILTER_TYPE[d["type"]], "alias": d["alias"], "strict": True,
                        "starts": False, "ends": False,
                        "value": {"operator": operator, "input": text}})
    found = rt.target.request("POST", entity_path(rt.entity),
                              json_body={"limit": 100, "filters": filters})
    ids = [r.get("id") for r in (found.json or {}).get(entity_kind(rt.entity).plural, [])] \
        if found.status == 200 and isinstance(found.json, dict) else None
    return found, ids


@alias_check(evidence=documented(f"{PAGE}: POST listings take filters on any alias"))
def filter_finds_value(rt: RoundTrip) -> list[str]:
    """The record is found by a filter on its value; in a batch all values in one filter
    (each alias's own filter only when that one misses), and a filter on the values it held
    before the update must not find it: the filter narrows, it is not ignored (in a batch
    all old values in one filter, each alias's own only when that one still finds it)."""
    name, problems = "filter_finds_value", []
    going = [d for d in rt.active() if rt.written.get(d["alias"]) not in (None, [], "")]
    if len(going) > 1 and rt.record_id in (_filtered(rt, [(d, rt.written[d["alias"]])
                                                         for d in going])[1] or ()):
        pass  # every filter held at once: each alias filters
    else:
        for d in going:
            operator, text = _filter_input(rt.written[d["alias"]])
            found, ids = _filtered(rt, [(d, rt.written[d["alias"]])])
            if ids is None or rt.record_id not in ids:
                problems.append(rt.fail(d["alias"], name, f"filter {operator} {text!r} "
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
            problems.append(rt.fail(d["alias"], name, f"filter {operator} {text!r} (its value "
                                    f"before the update) answered {found.status}{got}; the "
                                    f"record holds {now!r} now"))
    return problems


@alias_check(evidence=assumed("Invalid values"))
def invalid_value_refused(rt: RoundTrip) -> list[str]:
    problems = []
    for d in rt.active():
        invalid = invalid_value_for(d)
        if invalid is None:
            continue
        bad = rt.draw(invalid, _label(rt, "invalid", d))
        refused = rt.target.request("PUT", rt.path or "", json_body={d["alias"]: bad})
        if refused.status != 400:
            problems.append(rt.fail(d["alias"], "invalid_value_refused", f"invalid value "
                                    f"{bad!r} answered {refused.status}, expected 400"))
    return problems


def published_definition(run: RunContext, account: AccountSpec, entity: str,
                         alias: str) -> dict | None:
    """The account's published definition of a custom alias (None: it is missing)."""
    return next((f for f in published_fields(run, account, entity) or ()
                 if f.get("alias") == alias and f.get("custom")), None)


def _run_round_trip(rt: RoundTrip) -> None:
    """Run the steps while a field is still going, keeping what each check found."""
    for name in ROUND_TRIP:
        found = ALIAS_CHECKS[name](rt)
        if found:
            rt.found[name] = found
        if not rt.active():
            break


def _failure(rt: RoundTrip, account: str, note: str = "") -> CheckFailure | None:
    """One failure naming every check that found problems and every alias that failed one."""
    if not rt.found:
        return None
    aliases = [a for a in (str(d["alias"]) for d in rt.definitions) if a in rt.failed]
    named = f"alias{'es' if len(aliases) > 1 else ''} {', '.join(map(repr, aliases))}"
    return CheckFailure(", ".join(rt.found), f"account {account}, {rt.entity}, {named}",
                        "; ".join(p for found in rt.found.values() for p in found) + note,
                        evidence=alias_evidence(rt.found))


def _delete(rt: RoundTrip) -> None:
    """Delete the record: a step of the batch's own, counted like the others."""
    if rt.path and rt.target.request("DELETE", rt.path).status in (200, 204):
        rt.owned.ledger.deleted(rt.path)


def check_round_trip(run: RunContext, account: AccountSpec, entity: str, definition: dict,
                     data: DataObject) -> None:
    """The field of `definition` round-trips on a fresh record, which is deleted after."""
    target = target_for(run, account)
    _judge_round_trip(run, account, RoundTrip(
        target, owned_for(run, target, account), data, entity, [definition],
        published_fields(run, account, entity) or []))


def check_entity_round_trip(run: RunContext, account: AccountSpec, entity: str,
                            definitions: list[dict]) -> None:
    """Every field of `definitions` round-trips on one fresh record, batched: one create and
    one update for them all, each alias judged on its own. Under a request budget this is
    what fits (about 6 + 2 requests per field, not 21)."""
    target = target_for(run, account)
    seed = operation_seed(run.settings.seed, f"alias round trips {account.name} {entity}")
    _judge_round_trip(run, account, RoundTrip(
        target, owned_for(run, target, account), SeededDraws(seed or 0), entity, definitions,
        published_fields(run, account, entity) or [], batched=True))


def _judge_round_trip(run: RunContext, account: AccountSpec, rt: RoundTrip) -> None:
    """Run the round trip, delete its record, and record each alias's outcome. Aliases the
    request budget left unjudged stay not-run; a failure found before it ran out is still
    reported."""
    plan = plan_of(run)
    aliases = [str(d["alias"]) for d in rt.definitions]
    for alias in aliases:
        plan.record(account.name, rt.entity, alias, round_trip="failed")
    spent: BudgetSpent | None = None
    try:
        _run_round_trip(rt)
        _delete(rt)
    except BudgetSpent as exc:
        spent = exc
    finally:  # what the ledger still holds: cleanup, which the budget never refuses
        rt.owned.ledger.cleanup(lambda p: rt.target.request("DELETE", p, exempt=True).status)
    for alias in aliases:
        judged = alias in rt.failed or spent is None
        plan.record(account.name, rt.entity, alias,
                    round_trip=("failed" if alias in rt.failed else "passed") if judged
                    else "not-run", **({} if judged else {"detail": "request budget spent"}))
    failure = _failure(rt, account.name, "" if spent is None else
                       " (found before the request budget was spent)")
    if failure is not None:
        raise failure
    if spent is not None:
        raise spent
