"""Listings: totals agree with items and paging; filters and searches find what was written."""

from __future__ import annotations

from typing import Any

from schemathesis import Case

from conformance.checks.evidence import PAGE, PUBLISHED, documented
from conformance.checks.registry import CheckContext, case_check, probe
from conformance.checks.shapes import envelope, record_in, record_path, render
from conformance.engine.target import Reply
from contract.fields import FILTER_TYPE, JsonObject
from contract.operations import Action, Operation
from contract.resources import KINDS_BY_NAME

#: Fewer records than this and a listing cannot show that pages are its slices.
PAGEABLE = 3


def _items(ctx: CheckContext, reply: Reply) -> tuple[object, list[Any]] | None:
    _, plural = envelope(ctx.op.resource)
    body = reply.json
    if not isinstance(body, dict) or not isinstance(body.get(plural), list):
        return None
    return body.get("total"), body[plural]


@case_check(actions={Action.LIST, Action.SEARCH}, statuses={200},
            evidence=documented(f"{PUBLISHED}: listings answer total and page with limit"))
def listing_total_agrees(ctx: CheckContext, case: Case[Any], reply: Reply) -> None:
    found = _items(ctx, reply)
    if found is None:  # the schema check reports a malformed envelope
        raise ctx.not_checked("the answer holds no listing to count")
    total, items = found
    if not isinstance(total, int) or total < len(items):
        raise ctx.fail(f"total {total!r} is not a count of at least the {len(items)} items",
                       reply)
    source = case.query or {} if ctx.op.body is None else (
        case.body if isinstance(case.body, dict) else {})
    limit = source.get("limit")
    if isinstance(limit, int) and limit >= 1 and len(items) > limit:
        raise ctx.fail(f"limit {limit} asked, {len(items)} items answered", reply)


def _page(ctx: CheckContext, path: str, start: int, limit: int
          ) -> tuple[int, list[Any], Reply]:  # the ids as answered
    reply, items = ctx.read_items(path, envelope(ctx.op.resource)[1],
                                  what=f"the page start={start}&limit={limit}",
                                  params={"start": start, "limit": limit,
                                          "orderBy": "id", "orderByDir": "ASC"})
    total = reply.json.get("total")
    if not isinstance(total, int):
        raise ctx.fail(f"total is {total!r}, not a count", reply)
    return total, [i.get("id") for i in items if isinstance(i, dict)], reply


@probe(actions={Action.LIST}, methods={"GET"}, when=lambda op: op.query is not None,
       evidence=documented(f"{PUBLISHED}: listings page with start and limit, ordered "
                           "by orderBy"))
def paging_is_consistent(ctx: CheckContext) -> None:
    """Total does not depend on the page; pages are the slices of the whole ordered list."""
    path = render(ctx.op.path, ctx.owned.ce_table)
    total, whole, reply = _page(ctx, path, 0, 100)
    if total < PAGEABLE:
        _fill(ctx, PAGEABLE - total)
        total, whole, reply = _page(ctx, path, 0, 100)
        if total < PAGEABLE:
            raise ctx.fail(f"the run created records of {ctx.op.resource} to page through, "
                           f"but total is {total}", reply)
    if len(whole) != min(total, 100):
        raise ctx.fail(f"start=0&limit=100 gave {len(whole)} items of total {total}", reply)
    # Under a request budget one page proves both the offset and the limit.
    for start, limit in ((1, 1),) if ctx.budgeted else ((0, 1), (1, 2)):
        page_total, ids, reply = _page(ctx, path, start, limit)
        if page_total != total:
            raise ctx.fail(f"total is {page_total} with start={start}&limit={limit} but "
                           f"{total} with limit=100", reply)
        if ids != whole[start:start + limit]:
            raise ctx.fail(f"start={start}&limit={limit} gave ids {ids}, expected "
                           f"{whole[start:start + limit]}", reply)


def _creatable(ctx: CheckContext) -> bool:
    """Whether this run may create records of the operation's resource to list."""
    resource = ctx.op.resource
    known = resource in KINDS_BY_NAME or resource in ("tasks", "users")
    return known and not ctx.read_only and \
        (resource != "custom_entities" or ctx.owned.ce_table is not None)


def _fill(ctx: CheckContext, missing: int) -> None:
    """Create `missing` records of the resource (journalled: deleted at the end), or say why
    the listing cannot be judged."""
    resource = ctx.op.resource
    if not _creatable(ctx):
        why = "the run is read-only" if ctx.read_only else f"the run cannot create {resource}"
        raise ctx.not_checked(f"fewer than {PAGEABLE} records ({why})")
    for _ in range(missing):
        ctx.owned.create(resource)


def _owned_pair(ctx: CheckContext) -> list[JsonObject]:
    """Two owned records as they are now (property tests may have changed them)."""
    fresh: list[JsonObject] = []
    for record_id in ctx.owned.ids.get(ctx.op.resource, [])[:4]:
        reply = ctx.target.request("GET", record_path(ctx.op, ctx.owned.ce_table, record_id))
        record = record_in(reply, ctx.op.resource)
        if reply.status == 200 and record is not None:
            fresh.append(record)
            if len(fresh) == 2:
                break
    return fresh


def _unique_field(ctx: CheckContext, record: JsonObject) -> JsonObject | None:
    """A unique field (as published) of the record holding a value this run wrote."""
    for field in ctx.owned.unique_fields(ctx.op.resource):
        value = record.get(field["alias"])
        if isinstance(value, str) and ctx.owned.run_id in value:
            return field
    return None


def _text_field(resource: str) -> JsonObject | None:
    """A standard text field a client writes (not unique, not assigned by the workspace)."""
    kind = KINDS_BY_NAME.get(resource)
    for f in kind.fields if kind is not None else ():
        if f.type == "text" and not f.unique and not f.read_only:
            return f.describe()
    return None


def _fresh_pair(ctx: CheckContext, field: JsonObject) -> list[JsonObject]:
    """Two new records of a kind, each with its own run-scoped value in `field` (a case's
    identifier is assigned by the workspace, so its title is what the run controls)."""
    return _fresh(ctx, field, [ctx.owned.unique(field["alias"]) for _ in range(2)])


def _fresh(ctx: CheckContext, field: JsonObject, values: list[str]) -> list[JsonObject]:
    """New records of a kind, one holding each of `values` in `field`, created in that order;
    journalled, and outside the pool the property tests change."""
    resource = ctx.op.resource
    base = ctx.owned.kind_path(KINDS_BY_NAME[resource])
    made = []
    for value in values:
        body = {**ctx.owned.payload(resource), field["alias"]: value}
        reply = ctx.target.request("POST", f"{base}/new", json_body=body)
        record = record_in(reply, resource)
        if reply.status not in (200, 201) or record is None \
                or not isinstance(record.get("id"), int):
            raise ctx.fail(f"POST {base}/new answered {reply.status}: could not create the "
                           "records to find", reply)
        ctx.owned.ledger.created(resource, f"{base}/{record['id']}")
        ctx.owned.adopt(resource, record)
        made.append({**record, field["alias"]: body[field["alias"]]})
    return made


def _written(ctx: CheckContext, need: int) -> tuple[list[JsonObject], JsonObject]:
    """`need` records holding values this run wrote, and the field that holds them: owned
    records' run-scoped unique values, else new records with a run-scoped text value; or
    not checked, saying why."""
    pair = _owned_pair(ctx)
    field = _unique_field(ctx, pair[0]) if len(pair) >= need else None
    if field is not None and all(isinstance(r.get(field["alias"]), str) for r in pair):
        return pair, field
    text = _text_field(ctx.op.resource)
    if text is None or not _creatable(ctx):
        raise ctx.not_checked(f"no {ctx.op.resource} record holds a value this run wrote")
    return _fresh_pair(ctx, text), text


@probe(actions={Action.LIST}, when=lambda op: op.body == "filter-input",
       evidence=documented(f"{PAGE} and {PUBLISHED}: POST listings take filters"))
def filters_are_applied(ctx: CheckContext) -> None:
    """A filter-input on an owned record's unique value finds that record and only it."""
    op = ctx.op
    pair, field = _written(ctx, 1)
    alias = field["alias"]
    value = pair[0][alias]
    body = {"filters": [{"type": FILTER_TYPE[field["type"]], "alias": alias, "strict": True,
                         "starts": False, "ends": False,
                         "value": {"operator": "eq", "input": value}}],
            "limit": 100}
    reply = ctx.target.request("POST", render(op.path, ctx.owned.ce_table), json_body=body)
    found = _items(ctx, reply) if reply.status == 200 else None
    ids = [i.get("id") for i in found[1] if isinstance(i, dict)] if found else None
    if ids != [pair[0]["id"]]:
        raise ctx.fail(f"filter {alias} eq {value!r} should find only record {pair[0]['id']}, "
                       f"got {ids if ids is not None else reply.status}", reply,
                       request=f"POST {op.path} {body}")


@probe(actions={Action.SEARCH},
       evidence=documented(f"{PUBLISHED}: search takes AND/OR rule sets"))
def search_finds_written(ctx: CheckContext) -> None:
    """An OR rule set over two owned records' unique values finds both and nothing else."""
    op = ctx.op
    pair, field = _written(ctx, 2)
    alias = field["alias"]
    body = {"filters": {"condition": "OR", "rules": [
        {"field": alias, "operator": "eq", "value": pair[0][alias]},
        {"condition": "AND", "rules": [
            {"field": alias, "operator": "eq", "value": pair[1][alias]}]}]},
        "page": 1, "limit": 100}
    reply = ctx.target.request("POST", render(op.path, ctx.owned.ce_table), json_body=body)
    found = _items(ctx, reply) if reply.status == 200 else None
    answered: list[Any] = [i.get("id") for i in found[1] if isinstance(i, dict)] if found else []
    ids = sorted(answered) if found else None
    expected = sorted([pair[0]["id"], pair[1]["id"]])
    if ids != expected:
        raise ctx.fail(f"OR search on {alias} should find records {expected}, got "
                       f"{ids if ids is not None else reply.status}", reply,
                       request=f"POST {op.path} {body}")


#: The order the ordering probe writes its values in: the second record's value sorts first,
#: so neither id order nor the order of creation passes for ordering by the field, ASC or DESC.
_WRITTEN_ORDER = ("b", "a")


def _orders_written_records(op: Operation) -> bool:
    """A listing of a record kind (whose records the run writes) that takes orderBy."""
    return op.resource in KINDS_BY_NAME and (op.query == "listing" or op.body == "filter-input")


@probe(actions={Action.LIST}, when=_orders_written_records,
       why_not="it orders the listings of record kinds, whose records the run writes",
       evidence=documented(f"{PUBLISHED}: listings take orderBy and orderByDir (ASC, DESC); "
                           f"{PAGE}: its listing examples order by date_modified DESC"))
def listing_is_ordered(ctx: CheckContext) -> None:
    """Two records written with values that sort against their creation order come back
    in the order orderBy/orderByDir ask, both directions (found by a search for the run's
    marker, so the workspace's own records cannot page them out)."""
    op = ctx.op
    field = _text_field(op.resource)
    if field is None or not _creatable(ctx):
        raise ctx.not_checked(f"the run cannot write {op.resource} with a text field to order by")
    alias, marker = field["alias"], ctx.owned.unique("order")
    made = _fresh(ctx, field, [f"{marker} {suffix}" for suffix in _WRITTEN_ORDER])
    ours = {r["id"]: r[alias] for r in made}
    path, plural = render(op.path, ctx.owned.ce_table), envelope(op.resource)[1]
    for direction in ("ASC", "DESC"):
        paging = {"search": marker, "orderBy": alias, "orderByDir": direction, "limit": 100}
        asked = f"orderBy={alias}&orderByDir={direction}"
        sent = {"params": paging} if op.method == "GET" else {"json_body": paging}
        reply, items = ctx.read_items(path, plural, method=op.method, what=f"the listing by "
                                      f"{asked}", **sent)
        listed = [i["id"] for i in items if i.get("id") in ours]
        if sorted(listed) != sorted(ours):
            raise ctx.not_checked(f"search={marker!r} listed {len(listed)} of the "
                                  f"{len(ours)} records written to order")
        expected = sorted(ours, key=lambda i: ours[i], reverse=direction == "DESC")
        if listed != expected:
            raise ctx.fail(f"{asked} listed the run's records as "
                           f"{[ours[i] for i in listed]}, expected "
                           f"{[ours[i] for i in expected]}", reply,
                           request=f"{op.method} {op.path} {paging}")
