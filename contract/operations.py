"""The 194 operations of the contract, generated from the resource descriptions.

Each `Operation` names the resource it touches and the `action` it performs; the mocked
workspace routes on (resource, action) and the conformance suite reads `effect` to decide
what it may send to a live workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypedDict, Unpack

from contract.resources import (
    COLLECTIONS_BY_NAME,
    RECORD_KINDS,
    RecordKind,
)

# What an operation does to the workspace; the live-safety rules are keyed on this.
READS, CREATES, CHANGES, DELETES = "reads", "creates", "changes", "deletes"
#: The 409 of writes that set unique fields (see docs/contract-notes.md).
UNIQUE_TAKEN = "A unique field's value is already used by another record."


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    group: str
    resource: str
    action: str
    success: int
    response: str | None  # definition name of the success body; None: no body
    body: str | None = None  # definition name of the request body
    body_required: bool = False
    query: str | None = None  # "listing" or "paging": which query parameters it takes
    effect: str = READS
    description: str = ""
    published_id: str | None = None  # the operationId in the published spec, if any
    on_page: bool = True  # listed on Flexie's API page
    in_published_spec: bool = True
    secured: bool = True
    #: When the operation answers 409 Conflict: valid data the workspace's state refuses (a
    #: unique value another record holds, a record still in use); "" for never.
    conflict: str = ""

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return [seg[1:-1] for seg in self.path.split("/") if seg.startswith("{")]


class Options(TypedDict, total=False):
    """The optional fields of an `Operation`, as the builders below pass them on."""

    body: str | None
    body_required: bool
    query: str | None
    effect: str
    description: str
    published_id: str | None
    on_page: bool
    in_published_spec: bool
    secured: bool
    conflict: str


def _kind_ops(k: RecordKind) -> list[Operation]:
    w, p, L = k.word, k.path, k.list_path
    ws = w + ("s" if not w.endswith("y") else "")
    if k.is_custom_entity:
        ws = "CustomEntities"
    one, many = f"single-{k.name}", f"list-{k.name}"

    def op(method: str, path: str, oid: str, summary: str, action: str, success: int = 200,
           response: str | None = one, **kw: Unpack[Options]) -> Operation:
        return Operation(method, path, oid, summary, k.name, k.name, action, success, response,
                         **kw)

    edit_desc = ("Updates the one record whose unique field (such as email) matches the value "
                 "in the body. Never creates: 404 when nothing matches, 400 when the body names "
                 "no unique field.")
    ops = [
        op("GET", p, f"list{ws}", f"List {k.plural}", "list", response=many, query="listing"),
        op("POST", p, f"list{ws}Filtered", f"List {k.plural} with filters", "list",
           response=many, body="filter-input"),
        op("POST", f"{p}/new", f"create{w}", f"Create a {k.singular}", "create",
           success=k.create_status, body=f"create-{k.name}", body_required=True, effect=CREATES),
        op("GET", f"{p}/{{id}}", f"get{w}", f"Get a {k.singular}", "get"),
        op("PUT", f"{p}/{{id}}", f"update{w}", f"Update a {k.singular}", "update",
           body=f"input-{k.name}", effect=CHANGES,
           description="Changes only the fields sent; the others keep their values."),
        op("PATCH", f"{p}/{{id}}", f"patch{w}", f"Patch a {k.singular}", "update",
           body=f"input-{k.name}", effect=CHANGES, on_page=False,
           description="Identical to PUT on this path."),
        op("DELETE", f"{p}/{{id}}", f"delete{w}", f"Delete a {k.singular}", "delete",
           success=204, response=None, effect=DELETES),
        op("PUT", f"{p}/edit", f"update{w}ByUniqueField", f"Update a {k.singular} by unique field",
           "edit", body=f"edit-{k.name}", body_required=True, effect=CHANGES,
           description=edit_desc),
        op("PATCH", f"{p}/edit", f"patch{w}ByUniqueField", f"Patch a {k.singular} by unique field",
           "edit", body=f"edit-{k.name}", body_required=True, effect=CHANGES, on_page=False,
           description=edit_desc),
        op("POST", f"{p}/edit", f"post{w}ByUniqueField", f"Update a {k.singular} by unique field "
           "(POST)", "edit", body=f"edit-{k.name}", body_required=True, effect=CHANGES,
           on_page=False, description=edit_desc),
        op("GET", f"{p}/{{id}}/notes", f"get{w}Notes", f"Notes of a {k.singular}", "notes",
           response="list-notes", query="paging"),
        op("GET", f"{p}/{{id}}/workflows", f"get{w}Workflows", f"Workflows of a {k.singular}",
           "workflows", response="list-workflows", query="paging"),
        op("GET", f"{p}/{{id}}/lists", f"get{w}Lists", f"Static lists a {k.singular} is in",
           "member_lists", response="list-lists", query="paging"),
        op("GET", f"{p}/list/fields", f"list{w}Fields", f"Fields of {k.plural}", "fields",
           response="field-definitions"),
        op("GET", f"{p}/list/fields/categories", f"list{w}FieldCategories",
           f"Field categories of {k.plural}", "field_categories", response="field-categories"),
        op("GET", f"{p}/list/lists", f"list{w}StaticLists", f"Static lists of {k.plural}",
           "static_lists", response="static-lists"),
        op("GET", f"{p}/list/filters", f"list{w}Filters", f"Filterable fields of {k.plural}",
           "filters", response="field-definitions", on_page=False),
        op("GET", f"{L}/lists", f"filter{w}Lists", f"Filter the static lists of {k.plural}",
           "lists", response="list-lists", query="paging"),
        op("POST", f"{L}/lists/{{id}}/add/{{entityId}}", f"add{w}ToList",
           f"Add a {k.singular} to a static list", "list_add", response="success",
           effect=CHANGES, description="Idempotent: adding a member twice changes nothing."),
        op("POST", f"{L}/lists/{{id}}/remove/{{entityId}}", f"remove{w}FromList",
           f"Remove a {k.singular} from a static list", "list_remove", response="success",
           effect=CHANGES, description="Idempotent: removing a non-member changes nothing."),
        op("POST", f"{p}/search", f"search{ws}", f"Search {k.plural} with a rule set", "search",
           response=many, body="search-input", on_page=False),
        op("POST", f"{p}/identify", f"identify{w}", f"Find a {k.singular} by a unique field",
           "identify", body="identify-input", body_required=True, on_page=False,
           description="An unknown value answers 404, not an empty result."),
    ]
    return [_with_conflict(o, dict.fromkeys(("create", "update", "edit"), UNIQUE_TAKEN))
            for o in ops]


def _extra_kind_ops() -> list[Operation]:
    def op(method: str, path: str, oid: str, summary: str, group: str, action: str,
           success: int = 200, response: str | None = None,
           **kw: Unpack[Options]) -> Operation:
        return Operation(method, path, oid, summary, group, group, action, success, response,
                         **kw)

    reply_body: Options = {"body": "reply-input", "body_required": True, "effect": CREATES}
    return [
        op("GET", "/leads/list/owners", "listLeadOwners", "Users that can own a lead", "leads",
           "owners", response="list-owners", on_page=False),
        op("GET", "/cases/{id}/replies", "getCaseReplies", "Replies of a case", "cases",
           "replies", response="list-replies", query="paging"),
        op("POST", "/cases/{id}/replies", "addCaseReply", "Reply to a case", "cases",
           "add_reply", response="single-reply", **reply_body),
        op("GET", "/cases/replies/{identifier}", "getCaseRepliesByIdentifier",
           "Replies of a case, by its identifier", "cases", "replies",
           response="list-replies", query="paging"),
        op("POST", "/cases/replies/{identifier}", "addCaseReplyByIdentifier",
           "Reply to a case, by its identifier", "cases", "add_reply",
           response="single-reply", **reply_body),
        op("POST", "/deals/{id}/associations", "addDealAssociations",
           "Attach leads, contacts and accounts to a deal", "deals", "associate",
           response="deal-associations", body="associations-input", body_required=True,
           effect=CHANGES, on_page=False,
           description="Attaching a record that is already attached changes nothing."),
        op("DELETE", "/deals/{id}/associations", "removeDealAssociations",
           "Detach leads, contacts and accounts from a deal", "deals", "dissociate",
           response="deal-associations", body="associations-input", body_required=True,
           effect=CHANGES, on_page=False),
    ]


def _collection_ops() -> list[Operation]:
    def crud(name: str, *, create_path: str | None, create_status: int = 201,
             patch: bool = True, page_only: bool = False, spec_only: bool = False,
             list_query: str = "paging", list_post: tuple[str, str, Options] | None = None,
             update_on_page: bool = True) -> list[Operation]:
        c = COLLECTIONS_BY_NAME[name]
        w = c.singular.capitalize()
        one, many = f"single-{name}", f"list-{name}"
        flags: Options = {"on_page": not spec_only, "in_published_spec": not page_only}

        def op(method: str, path: str, oid: str, summary: str, action: str, success: int = 200,
               response: str | None = one, **kw: Unpack[Options]) -> Operation:
            merged: Options = {**flags, **kw}
            return Operation(method, path, oid, summary, name, name, action, success, response,
                             **merged)

        ops = [
            op("GET", f"/{name}", f"list{w}s", f"List {name}", "list", response=many,
               query=list_query),
            op("GET", f"/{name}/{{id}}", f"get{w}", f"Get a {c.singular}", "get"),
            op("PUT", f"/{name}/{{id}}", f"update{w}", f"Update a {c.singular}", "update",
               body=f"input-{name}", effect=CHANGES, on_page=update_on_page and not spec_only),
            op("DELETE", f"/{name}/{{id}}", f"delete{w}", f"Delete a {c.singular}", "delete",
               success=204, response=None, effect=DELETES),
        ]
        if create_path:
            ops.append(op("POST", create_path, f"create{w}", f"Create a {c.singular}", "create",
                          success=create_status, body=f"create-{name}", body_required=True,
                          effect=CREATES))
        if patch:
            ops.append(op("PATCH", f"/{name}/{{id}}", f"patch{w}", f"Patch a {c.singular}",
                          "update", body=f"input-{name}", effect=CHANGES, on_page=False))
        if list_post:
            suffix, body, options = list_post
            with_body: Options = {**options, "body": body}
            ops.append(op("POST", f"/{name}", f"list{w}s{suffix}",
                          f"List {name} ({suffix.lower() or 'POST'})", "list",
                          response=many, **with_body))
        return ops

    def read_only(name: str, *, get: bool = True, post_list: bool = False, spec: bool = True,
                  page: bool = True, query: str | None = "paging") -> list[Operation]:
        c = COLLECTIONS_BY_NAME[name]
        w = "".join(part.capitalize() for part in c.singular.split("_"))
        flags: Options = {"on_page": page, "in_published_spec": spec}
        listing: Options = {**flags, "query": query}
        ops = [Operation("GET", f"/{name}", f"list{w}s", f"List {name.replace('_', ' ')}",
                         name, name, "list", 200, f"list-{name}", **listing)]
        if get:
            ops.append(Operation("GET", f"/{name}/{{id}}", f"get{w}", f"Get a {c.singular}",
                                 name, name, "get", 200, f"single-{name}", **flags))
        if post_list:
            ops.append(Operation("POST", f"/{name}", f"list{w}sFiltered",
                                 f"List {name} with filters", name, name, "list", 200,
                                 f"list-{name}", body="filter-input", on_page=True,
                                 in_published_spec=False))
        return ops

    def extra(method: str, path: str, oid: str, summary: str, group: str, action: str,
              success: int = 200, response: str | None = None,
              **kw: Unpack[Options]) -> Operation:
        return Operation(method, path, oid, summary, group, group, action, success, response,
                         **kw)

    notes = [
        extra("POST", "/notes/{entityType}/{entityId}", "createNote", "Add a note to a record",
              "notes", "create", success=201, response="single-notes", body="create-notes",
              body_required=True, effect=CREATES),
        extra("GET", "/notes/{id}", "getNote", "Get a note", "notes", "get",
              response="single-notes"),
        extra("PUT", "/notes/{id}", "updateNote", "Update a note", "notes", "update",
              response="single-notes", body="input-notes", effect=CHANGES),
        extra("PATCH", "/notes/{id}", "patchNote", "Patch a note", "notes", "update",
              response="single-notes", body="input-notes", effect=CHANGES, on_page=False),
        extra("DELETE", "/notes/{id}", "deleteNote", "Delete a note", "notes", "delete",
              success=204, effect=DELETES),
        extra("DELETE", "/notes/{entityType}/{entityId}", "deleteRecordNotes",
              "Delete every note of a record", "notes", "delete_for_record",
              response="deleted-count", effect=DELETES, on_page=False,
              description="Deletes the notes attached to this record and answers with how "
                          "many were removed."),
    ]
    tasks = crud("tasks", create_path="/tasks/new",
                 list_post=("Filtered", "paging-input",
                            {"description": "The listing, with limit and start read from the "
                             "body too. Tasks take no filters: a `filters` key answers 400."}))
    tasks += [
        extra("POST", "/tasks/{id}/complete", "completeTask", "Mark a task completed", "tasks",
              "complete", success=201, response="single-tasks", effect=CHANGES),
        extra("POST", "/tasks/{id}/incomplete", "incompleteTask", "Mark a task not completed",
              "tasks", "incomplete", success=201, response="single-tasks", effect=CHANGES),
        extra("GET", "/tasks/list/categories", "listTaskCategories", "Task categories", "tasks",
              "categories", response="categories"),
    ]
    users = crud("users", create_path="/users/new", patch=False, page_only=True,
                 list_post=("Filtered", "filter-input", {"in_published_spec": False}))
    users = [o if o.key != "GET /users" else
             replace(o, in_published_spec=True) for o in users]
    users = [_with_conflict(o, {"create": UNIQUE_TAKEN, "update": UNIQUE_TAKEN,
                                "delete": "The user is the one the API key belongs to."})
             for o in users]
    users += [
        extra("GET", "/users/self", "getSelf", "The user this key belongs to", "users", "self",
              response="single-users", in_published_spec=False),
        extra("POST", "/users/{id}/permission", "checkUserPermissions",
              "Check a user's permissions", "users", "permission", response="permission-result",
              body="permission-input", body_required=True, in_published_spec=False),
    ]
    pipelines = crud("pipelines", create_path="/pipelines", spec_only=True)
    pipelines = [o if o.action != "list" else replace(o, query=None)
                 for o in pipelines]
    pipelines = [_with_conflict(o, {"delete": "Deals still use the pipeline."})
                 for o in pipelines]
    workflows = crud("workflows", create_path=None, patch=False, page_only=True,
                     list_query="paging",
                     list_post=("Filtered", "filter-input", {"in_published_spec": False}))
    workflows.append(extra("GET", "/workflows/list/categories", "listWorkflowCategories",
                           "Workflow categories", "workflows", "categories",
                           response="categories", in_published_spec=False))
    emails = read_only("emails", post_list=True)
    emails.append(extra("POST", "/emails/{id}/send", "sendEmail", "Send an email", "emails",
                        "send", response="send-result", body="send-input", effect=CHANGES,
                        in_published_spec=False))
    reports = read_only("reports", post_list=True)
    reports += [
        extra("GET", "/reports/{id}/data", "getReportData", "Rows of a report", "reports",
              "data", response="report-data", query="paging", on_page=False),
        extra("POST", "/reports/{id}/data", "getReportDataPost", "Rows of a report (POST)",
              "reports", "data", response="report-data", query="paging",
              body="paging-input", on_page=False),
    ]
    return (notes + tasks + users + pipelines + workflows + emails + reports
            + read_only("forms", spec=False) + read_only("pages", spec=False, post_list=True)
            + read_only("roles", spec=False, post_list=True)
            + read_only("stages", get=False, page=False, query=None)
            + read_only("dynamic_endpoints", get=False, page=False))


def _with_conflict(op: Operation, conflicts: dict[str, str]) -> Operation:
    """`op` with the 409 its action may answer (none if the action is not in `conflicts`)."""
    if op.action not in conflicts:
        return op
    return replace(op, conflict=conflicts[op.action])


def _build() -> tuple[Operation, ...]:
    ops: list[Operation] = []
    for kind in RECORD_KINDS:
        ops += _kind_ops(kind)
    ops += _extra_kind_ops()
    ops += _collection_ops()
    return tuple(ops)


OPERATIONS: tuple[Operation, ...] = _build()
OPERATIONS_BY_ID: dict[str, Operation] = {o.operation_id: o for o in OPERATIONS}
OPERATIONS_BY_KEY: dict[str, Operation] = {o.key: o for o in OPERATIONS}
