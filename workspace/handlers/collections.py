"""The one implementation of the collection API (notes, tasks, users, pipelines, workflows,
emails, reports, forms, pages, roles, stages, dynamic endpoints).

Generic `on_<action>` handlers serve every collection; the few operations with their own
meaning (completing a task, sending an email, a report's rows ...) are `on_<resource>_<action>`
methods, picked first by the dispatch table.
"""

from __future__ import annotations

import re
from typing import Any

from contract.resources import NOTE_TYPES
from contract.schemas import MAX_ID, MAX_SEND_LIMIT, PERMISSION_PATTERN
from workspace.exceptions import BadRequest, Conflict, NotFound
from workspace.faults import FaultName
from workspace.filtering import compile_filters, paging
from workspace.handlers.common import (
    Call,
    Crud,
    Result,
    Shape,
    listing,
    page_of,
    render,
    require_object,
    view_of,
)
from workspace.handlers.shapes import COLLECTION_SHAPES
from workspace.state import Backend, Row

_PERMISSION = re.compile(PERMISSION_PATTERN)


class CollectionHandlers:
    """Handlers for the collections; `shape(call)` picks the collection from the operation."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.crud = Crud(backend)

    @staticmethod
    def shape(call: Call) -> Shape:
        return COLLECTION_SHAPES[call.op.resource]

    # --- generic ----------------------------------------------------------------------------

    def on_get(self, call: Call) -> Result:
        shape = self.shape(call)
        row = self.crud.row(call, shape, call.params["id"], leak=True)
        return 200, {shape.singular: render(shape, self.decorate(call, shape, [row])[0])}

    def on_create(self, call: Call) -> Result:
        shape = self.shape(call)
        data = self.crud.clean(call, shape, require_object(call), creating=True)
        data.pop("password", None)  # accepted, never stored or shown
        row = self.crud.create(call, shape, data)
        return 201, {shape.singular: render(shape, view_of(row))}

    def on_update(self, call: Call) -> Result:
        return self.crud.update_by_id(call, self.shape(call))

    def on_delete(self, call: Call) -> Result:
        return self.crud.delete(call, self.shape(call))

    def on_list(self, call: Call) -> Result:
        shape = self.shape(call)
        if call.op.method == "GET" and call.op.query is None:  # stages, pipelines: no paging
            views = self._all(call, shape)
            return 200, {"total": len(views), shape.plural: [render(shape, v) for v in views]}
        p, body = self.crud.paging(call, shape)
        filters = None
        if call.op.body == "paging-input" and "filters" in body:
            raise BadRequest(f"{shape.plural.capitalize()} take no filters.")
        if call.op.body == "filter-input" and FaultName.FILTER_IGNORED not in call.faults:
            filters = (compile_filters(body["filters"], shape.filterable)
                       if "filters" in body else None)
        if shape.resource != "dynamic_endpoints":
            return self.crud.list_page(call, shape, p, filters)
        return listing(call, shape, self._all(call, shape), p, filters)

    def _all(self, call: Call, shape: Shape) -> list[dict[str, Any]]:
        rows = self.backend.list_records(call.account, shape.resource,
                                         include_deleted=(
                                             FaultName.DELETED_IN_LISTING in call.faults))
        return self.decorate(call, shape, rows)

    def decorate(self, call: Call, shape: Shape, rows: list[Row]) -> list[dict[str, Any]]:
        """Views of rows, with what a collection computes at read time."""
        views = [view_of(r) for r in rows]
        if shape.resource == "dynamic_endpoints":  # only the published workflows' endpoints
            flows = {r.id: r.data for r in self.backend.list_records(call.account, "workflows")}
            views = [v for v in views if flows.get(v.get("workflow_id"), {}).get("isPublished")]
            for v in views:
                v["workflow_name"] = flows[v["workflow_id"]].get("name")
        return views

    def on_categories(self, call: Call) -> Result:
        resource = f"{call.op.resource[:-1]}_categories"
        rows = self.backend.list_records(call.account, resource)
        return 200, [{"id": r.id, "name": r.data.get("name")} for r in rows]

    # --- notes ------------------------------------------------------------------------------

    def _note_owner(self, call: Call) -> Row:
        kind = NOTE_TYPES.get(call.params["entityType"])
        if kind is None:
            raise BadRequest(f"entityType must be one of {', '.join(NOTE_TYPES)}.")
        row = self.backend.get_record(call.account, kind.name, call.params["entityId"])
        if row is None:
            raise NotFound(f"{kind.singular.capitalize()} {call.params['entityId']} was not "
                           "found.")
        return row

    def on_notes_create(self, call: Call) -> Result:
        owner = self._note_owner(call)
        shape = COLLECTION_SHAPES["notes"]
        data = self.crud.clean(call, shape, require_object(call), creating=True)
        data.update(entity_type=call.params["entityType"], entity_id=owner.id)
        row = self.crud.create(call, shape, data, parent_id=owner.id)
        return 201, {"note": render(shape, view_of(row))}

    def on_notes_delete_for_record(self, call: Call) -> Result:
        owner = self._note_owner(call)
        return 200, {"success": 1, "deleted": self.backend.delete_children(owner.id, "notes")}

    # --- tasks ------------------------------------------------------------------------------

    def _complete(self, call: Call, done: bool) -> Result:
        shape = self.shape(call)
        row = self.crud.row(call, shape, call.params["id"])
        if FaultName.TASK_COMPLETE_NOOP not in call.faults:
            row = self.crud.update(call, shape, row, {"is_completed": done})
        return 201, {"task": render(shape, view_of(row))}

    def on_tasks_complete(self, call: Call) -> Result:
        return self._complete(call, True)

    def on_tasks_incomplete(self, call: Call) -> Result:
        return self._complete(call, False)

    # --- users ------------------------------------------------------------------------------

    def _me(self, call: Call) -> Row:
        row = self.backend.find_by_unique(call.account, "users", "username",
                                          call.grant.username)
        if row is None:
            raise NotFound("The user this key belongs to was deleted.")
        return row

    def on_users_self(self, call: Call) -> Result:
        shape = self.shape(call)
        return 200, {"user": render(shape, view_of(self._me(call)))}

    def on_users_delete(self, call: Call) -> Result:
        me = self._me(call)

        def check(row: Row) -> None:
            if row.id == me.id:
                raise Conflict("A user cannot delete the user its key belongs to.")
        return self.crud.delete(call, self.shape(call), check)

    def on_users_permission(self, call: Call) -> Result:
        user = self.crud.row(call, self.shape(call), call.params["id"])
        perms = require_object(call).get("permissions")
        if not isinstance(perms, list) or not perms or not all(
                isinstance(p, str) and _PERMISSION.match(p) for p in perms):
            raise BadRequest("permissions must be a non-empty array of "
                             "'bundle:level:permission' strings.")
        role = None
        if isinstance(user.data.get("role"), int):
            role = self.backend.get_record(call.account, "roles", user.data["role"])
        granted = set(role.data.get("permissions", [])) if role else set()
        admin = bool(role and role.data.get("isAdmin"))

        def allowed(p: str) -> bool:
            bundle, level, _ = p.split(":")
            return admin or p in granted or f"{bundle}:{level}:full" in granted
        return 200, {"permissions": {p: allowed(p) for p in perms}}

    # --- pipelines --------------------------------------------------------------------------

    def on_pipelines_delete(self, call: Call) -> Result:
        def check(row: Row) -> None:
            used = [d.id for d in self.backend.list_records(call.account, "deals")
                    if d.data.get("pipeline_id") == row.id]
            if used:
                raise Conflict(f"Pipeline {row.id} is used by {len(used)} deal(s), such as "
                               f"deal {used[0]}; move them first.")
        return self.crud.delete(call, self.shape(call), check)

    # --- emails -----------------------------------------------------------------------------

    def on_emails_send(self, call: Call) -> Result:
        shape = self.shape(call)
        email = self.crud.row(call, shape, call.params["id"])
        if call.body is not None and not isinstance(call.body, dict):
            raise BadRequest("The request body must be a JSON object.")
        body = call.obj()
        limit = body.get("limit", MAX_SEND_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, int) or \
                not 1 <= limit <= MAX_SEND_LIMIT:
            raise BadRequest(f"limit must be an integer between 1 and {MAX_SEND_LIMIT}.")
        ids = body.get("contactIds")
        if "contactIds" not in body:
            contacts = self.backend.list_records(call.account, "contacts")
        else:
            if not isinstance(ids, list) or not all(
                    isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= MAX_ID
                    for i in ids):
                raise BadRequest(f"contactIds must be an array of ids from 1 to {MAX_ID}.")
            contacts = self.backend.records_by_ids(call.account, "contacts", ids)
            missing = sorted(set(ids) - {c.id for c in contacts})
            if missing:
                raise NotFound(f"Contact {missing[0]} was not found.")
        if not email.data.get("isPublished"):
            raise BadRequest(f"Email {email.id} is not published.")
        sent = min(limit, sum(1 for c in contacts if c.data.get("email")))
        self.backend.update_record(call.account, shape.resource, email.id,
                                   {"sentCount": int(email.data.get("sentCount") or 0) + sent})
        return 200, {"success": 1, "sent": sent}

    # --- reports ----------------------------------------------------------------------------

    def on_reports_data(self, call: Call) -> Result:
        report = self.crud.row(call, self.shape(call), call.params["id"])
        rows = self.backend.list_records(call.account, "report_rows", parent_id=report.id)
        data = [{"id": r.id, **r.data} for r in rows]
        columns = {"id", *(k for d in data for k in d)}
        # A report's columns are its own: the contract cannot list them, so an orderBy that
        # names none of them orders by nothing rather than failing (docs/contract-notes.md).
        params: dict[str, Any] = _known_order(dict(call.query), columns)
        if call.op.method == "POST":
            if call.body is not None and not isinstance(call.body, dict):
                raise BadRequest("The request body must be a JSON object.")
            query_p = paging(params, columns, from_query=True)  # validate the query as well
            body_p = paging(_known_order(call.obj(), columns), columns, from_query=False)
            p = body_p if call.obj() else query_p
        else:
            p = paging(params, columns, from_query=True)
        total, page = page_of(call, data, p)
        return 200, {"total": total, "error": "", "data": [
            {k: v for k, v in d.items() if k != "id"} for d in page]}


def _known_order(params: dict[str, Any], columns: set[str]) -> dict[str, Any]:
    """`params` without an orderBy string that names no column of the report."""
    order_by = params.get("orderBy")
    if isinstance(order_by, str) and order_by and order_by not in columns:
        return {k: v for k, v in params.items() if k != "orderBy"}
    return params
