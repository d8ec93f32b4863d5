"""What is written can be read back; what is deleted is gone; membership sticks."""

from __future__ import annotations

from typing import Any

from schemathesis import Case

from conformance.checks.evidence import CLIENTS, PAGE, PUBLISHED, documented
from conformance.checks.registry import SUCCESS, CheckContext, case_check
from conformance.checks.shapes import (
    envelope,
    fields_by_alias,
    listing_path,
    record_in,
    record_path,
)
from conformance.engine.safety import addressed_id, match_request
from conformance.engine.target import Reply
from contract.fields import JsonObject
from contract.operations import MEMBERSHIP_ACTIONS, Action, Operation
from strategies import values_equal

#: The resources whose records a write can be read back from.
_READABLE = {"contacts", "leads", "accounts", "deals", "cases", "custom_entities", "tasks",
             "notes", "users", "pipelines"}


def _equal(field: JsonObject | None, written: object, read: object) -> bool:
    if field is not None:
        try:
            return values_equal(field, written, read)
        except (ValueError, TypeError, KeyError):
            pass
    if isinstance(written, (int, float)) and isinstance(read, (int, float)):
        return abs(float(written) - float(read)) <= 1e-6 * max(1.0, abs(float(written)))
    return written == read


def _sent_id(case: Case[Any], reply: Reply, op: Operation) -> int | None:
    record = record_in(reply, op.resource)
    if record is not None and isinstance(found := record.get("id"), int):
        return found
    return addressed_id((case.path_parameters or {}).get("id"))


@case_check(actions={Action.CREATE, Action.UPDATE, Action.EDIT}, statuses=SUCCESS,
            evidence=documented(f"{PAGE}: POST creates and PUT updates with the fields sent"))
def read_back_equals_written(ctx: CheckContext, case: Case[Any], reply: Reply) -> None:
    op = ctx.op
    if op.resource not in _READABLE:
        raise ctx.not_checked(f"{op.resource} cannot be read back")
    if not isinstance(case.body, dict):
        raise ctx.not_checked("the request sent no JSON object to compare")
    record_id = _sent_id(case, reply, op)
    if record_id is None:
        raise ctx.fail(f"answer {reply.status} names no record id", reply)
    earlier = ctx.before_read
    if earlier is not None and ctx.before is None:  # the unsent fields cannot be compared
        raise ctx.fail(f"record {record_id}, read before the update that answered "
                       f"{reply.status}, read as HTTP {earlier.status} without the record",
                       earlier)
    path = record_path(op, ctx.owned.ce_table, record_id)
    got, read = ctx.target.request("GET", path), f"GET {path}"
    stored = record_in(got, op.resource)
    if got.status != 200 or stored is None:
        raise ctx.fail(f"record {record_id} written with {reply.status} reads back as HTTP "
                       f"{got.status} ({read})", got)
    fields = fields_by_alias(op.resource, ctx.owned.custom_fields.get(op.resource, []))
    hidden = {"password", "unique_field", "unique_field_value"}
    for alias, value in case.body.items():
        if alias in hidden or alias not in fields or fields[alias].get("readOnly"):
            continue
        if alias not in stored:
            raise ctx.fail(f"field {alias!r} was written but is missing when read back "
                           f"({read})", got)
        if not _equal(fields.get(alias), value, stored[alias]):
            raise ctx.fail(f"field {alias!r}: wrote {value!r}, read back {stored[alias]!r} "
                           f"({read})", got)
    if ctx.before and not op.creates:
        for alias, old in ctx.before.items():
            if alias in case.body or alias in ("date_modified", "date_added") or \
                    alias not in fields:
                continue
            if not _equal(fields.get(alias), old, stored.get(alias)):
                raise ctx.fail(f"field {alias!r} was not sent but changed from {old!r} to "
                               f"{stored.get(alias)!r}", got)


@case_check(actions={Action.DELETE}, statuses=SUCCESS,
            evidence=documented(f"{PAGE}: DELETE removes the record"))
def deleted_record_is_gone(ctx: CheckContext, case: Case[Any], reply: Reply) -> None:
    op = ctx.op
    # The id the URL named: the coverage phase writes path ids as text ("193").
    record_id = addressed_id((case.path_parameters or {}).get("id"))
    if record_id is None:
        raise ctx.not_checked("the URL names no record id")
    path = record_path(op, ctx.owned.ce_table, record_id)
    got = ctx.target.request("GET", path)
    if got.status != 404:
        raise ctx.fail(f"{path} was deleted ({reply.status}) but GET answers {got.status}", got)
    where = listing_path(op, ctx.owned.ce_table)
    if match_request("GET", where) is None:
        return  # no listing of this resource in the contract (notes are listed per record)
    listing, items = ctx.read_items(
        where, envelope(op.resource)[1], what=f"the listing after deleting record {record_id}",
        params={"limit": 100, "orderBy": "id", "orderByDir": "DESC"})
    if any(i.get("id") == record_id for i in items):
        raise ctx.fail(f"deleted record {record_id} is still in the listing", listing)


@case_check(actions=MEMBERSHIP_ACTIONS, statuses={200},
            evidence=documented(f"{PAGE}: add to and remove from a list; {CLIENTS} #7: "
                                "a record's lists"))
def list_membership_persisted(ctx: CheckContext, case: Case[Any], reply: Reply) -> None:
    op = ctx.op
    params = case.path_parameters or {}
    lists_path = record_path(op, ctx.owned.ce_table, params["entityId"]) + "/lists"
    got, lists = ctx.read_items(lists_path, "lists", params={"limit": 100},
                                what=f"the lists of record {params['entityId']}")
    ids = {i.get("id") for i in lists}
    member = addressed_id(params["id"]) in ids
    if member != (op.action == Action.LIST_ADD):
        state = "is not" if op.action == Action.LIST_ADD else "is still"
        raise ctx.fail(f"after {op.action.replace('_', ' ')} answered 200, record "
                       f"{params['entityId']} {state} in list {params['id']} ({lists_path})", got)


@case_check(actions={Action.COMPLETE, Action.INCOMPLETE}, statuses=SUCCESS,
            evidence=documented(f"{PUBLISHED}: complete and incomplete a task"))
def task_completion_persisted(ctx: CheckContext, case: Case[Any], reply: Reply) -> None:
    op = ctx.op
    task_id = (case.path_parameters or {})["id"]
    got = ctx.read(f"/tasks/{task_id}", what=f"task {task_id} read back")
    task = record_in(got, op.resource)
    if task is None:
        raise ctx.fail(f"task {task_id} reads back without a 'task' record", got)
    if task.get("is_completed") is not (op.action == Action.COMPLETE):
        raise ctx.fail(f"after {op.action} answered {reply.status}, task {task_id} has "
                       f"is_completed={task.get('is_completed')!r}", got)
