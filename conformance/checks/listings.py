"""Listings: totals agree with items and paging; filters and searches find what was written."""

from __future__ import annotations

from conformance.checks.evidence import PAGE, PUBLISHED, documented
from conformance.checks.registry import CheckContext, case_check, probe
from conformance.checks.shapes import envelope, record_path, render
from conformance.target import Reply
from contract.fields import FILTER_TYPE


def _items(ctx: CheckContext, reply: Reply) -> tuple[object, list] | None:
    _, plural = envelope(ctx.op.resource)
    body = reply.json
    if not isinstance(body, dict) or not isinstance(body.get(plural), list):
        return None
    return body.get("total"), body[plural]


@case_check(actions={"list", "search"}, statuses={200},
            evidence=documented(f"{PUBLISHED}: listings answer total and page with limit"))
def listing_total_agrees(ctx: CheckContext, case, reply: Reply) -> None:
    found = _items(ctx, reply)
    if found is None:
        return  # the schema check reports a malformed envelope
    total, items = found
    if not isinstance(total, int) or total < len(items):
        raise ctx.fail(f"total {total!r} is not a count of at least the {len(items)} items",
                       reply)
    source = case.query or {} if ctx.op.body is None else (
        case.body if isinstance(case.body, dict) else {})
    limit = source.get("limit")
    if isinstance(limit, int) and limit >= 1 and len(items) > limit:
        raise ctx.fail(f"limit {limit} asked, {len(items)} items answered", reply)


def _page(ctx: CheckContext, path: str, start: int, limit: int) -> tuple[int, list[int], Reply]:
    reply = ctx.target.request("GET", path, params={"start": start, "limit": limit,
                                                    "orderBy": "id", "orderByDir": "ASC"})
    found = _items(ctx, reply) if reply.status == 200 else None
    if found is None:
        raise ctx.fail(f"GET {path} answered {reply.status}", reply)
    total, items = found
    if not isinstance(total, int):
        raise ctx.fail(f"total is {total!r}, not a count", reply)
    return total, [i.get("id") for i in items if isinstance(i, dict)], reply


@probe(actions={"list"}, methods={"GET"}, when=lambda op: op.query is not None,
       evidence=documented(f"{PUBLISHED}: listings page with start and limit, ordered "
                           "by orderBy"))
def paging_is_consistent(ctx: CheckContext) -> None:
    """Total does not depend on the page; pages are the slices of the whole ordered list."""
    path = render(ctx.op.path, ctx.owned.ce_table)
    total, whole, reply = _page(ctx, path, 0, 100)
    if total < 3:
        return
    if len(whole) != min(total, 100):
        raise ctx.fail(f"start=0&limit=100 gave {len(whole)} items of total {total}", reply)
    for start, limit in ((0, 1), (1, 2)):
        page_total, ids, reply = _page(ctx, path, start, limit)
        if page_total != total:
            raise ctx.fail(f"total is {page_total} with start={start}&limit={limit} but "
                           f"{total} with limit=100", reply)
        if ids != whole[start:start + limit]:
            raise ctx.fail(f"start={start}&limit={limit} gave ids {ids}, expected "
                           f"{whole[start:start + limit]}", reply)


def _owned_pair(ctx: CheckContext) -> list[dict]:
    """Two owned records as they are now (property tests may have changed them)."""
    fresh = []
    singular, _ = envelope(ctx.op.resource)
    for record_id in ctx.owned.ids.get(ctx.op.resource, [])[:4]:
        reply = ctx.target.request("GET", record_path(ctx.op, ctx.owned.ce_table, record_id))
        record = (reply.json or {}).get(singular) if isinstance(reply.json, dict) else None
        if reply.status == 200 and isinstance(record, dict):
            fresh.append(record)
    return fresh[:2]


def _unique_field(ctx: CheckContext, record: dict) -> dict | None:
    """A unique field (as published) of the record holding a value this run wrote."""
    for field in ctx.owned.unique_fields(ctx.op.resource):
        value = record.get(field["alias"])
        if isinstance(value, str) and ctx.owned.run_id in value:
            return field
    return None


@probe(actions={"list"}, when=lambda op: op.body == "filter-input",
       evidence=documented(f"{PAGE} and {PUBLISHED}: POST listings take filters"))
def filters_are_applied(ctx: CheckContext) -> None:
    """A filter-input on an owned record's unique value finds that record and only it."""
    op = ctx.op
    pair = _owned_pair(ctx)
    field = _unique_field(ctx, pair[0]) if pair else None
    if field is None:
        return
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


@probe(actions={"search"},
       evidence=documented(f"{PUBLISHED}: search takes AND/OR rule sets"))
def search_finds_written(ctx: CheckContext) -> None:
    """An OR rule set over two owned records' unique values finds both and nothing else."""
    op = ctx.op
    pair = _owned_pair(ctx)
    field = _unique_field(ctx, pair[0]) if len(pair) == 2 else None
    if field is None:
        return
    alias = field["alias"]
    body = {"filters": {"condition": "OR", "rules": [
        {"field": alias, "operator": "eq", "value": pair[0][alias]},
        {"condition": "AND", "rules": [
            {"field": alias, "operator": "eq", "value": pair[1][alias]}]}]},
        "page": 1, "limit": 100}
    reply = ctx.target.request("POST", render(op.path, ctx.owned.ce_table), json_body=body)
    found = _items(ctx, reply) if reply.status == 200 else None
    ids = sorted(i.get("id") for i in found[1] if isinstance(i, dict)) if found else None
    expected = sorted([pair[0]["id"], pair[1]["id"]])
    if ids != expected:
        raise ctx.fail(f"OR search on {alias} should find records {expected}, got "
                       f"{ids if ids is not None else reply.status}", reply,
                       request=f"POST {op.path} {body}")
