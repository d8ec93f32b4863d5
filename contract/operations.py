"""The operations of the contract, generated from the resource descriptions.

Each `Operation` names the resource it touches, the `Action` it performs and its `Effect` on
the workspace; the mocked workspace routes on (resource, action) and the conformance suite
reads the effect to decide what it may send to a live workspace. Readers ask an operation a
question (`op.is_read`, `op.is_create`, `op.changes_membership`) rather than compare its
action's spelling; the facts about resources that follow from the operations (`CREATABLE`,
`UNOWNABLE`, `CREATE_OPERATIONS`) are computed at the end of this module. `len(OPERATIONS)`
is the one count of operations: nothing else spells it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TypedDict, Unpack

from contract.resources import (
    COLLECTIONS_BY_NAME,
    RECORD_KINDS,
    RecordKind,
)


class Action(StrEnum):
    """What an operation does, as the spec's `x-flexie.action` spells it (members compare and
    hash as those strings). The mock's handler of an operation is `on_<resource>_<action>`
    or `on_<action>`."""

    LIST = "list"
    GET = "get"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EDIT = "edit"  # update by a unique field (`/edit`)
    IDENTIFY = "identify"  # find by a unique field
    SEARCH = "search"
    NOTES = "notes"
    WORKFLOWS = "workflows"
    MEMBER_LISTS = "member_lists"
    FIELDS = "fields"
    FIELD_CATEGORIES = "field_categories"
    STATIC_LISTS = "static_lists"
    FILTERS = "filters"
    LISTS = "lists"
    LIST_ADD = "list_add"
    LIST_REMOVE = "list_remove"
    OWNERS = "owners"
    REPLIES = "replies"
    ADD_REPLY = "add_reply"
    ASSOCIATE = "associate"
    DISSOCIATE = "dissociate"
    DELETE_FOR_RECORD = "delete_for_record"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    CATEGORIES = "categories"
    SELF = "self"
    PERMISSION = "permission"
    SEND = "send"
    DATA = "data"


class Effect(StrEnum):
    """What an operation does to the workspace; the live-safety rules are keyed on this."""

    READS = "reads"
    CREATES = "creates"
    CHANGES = "changes"
    DELETES = "deletes"


READS, CREATES, CHANGES, DELETES = Effect.READS, Effect.CREATES, Effect.CHANGES, Effect.DELETES
#: The actions that add a record to, or remove it from, a static list.
MEMBERSHIP_ACTIONS = frozenset({Action.LIST_ADD, Action.LIST_REMOVE})
#: The actions that find their record by a unique field's value in the body.
BY_UNIQUE_FIELD_ACTIONS = frozenset({Action.EDIT, Action.IDENTIFY})
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
    action: Action
    success: int
    response: str | None  # definition name of the success body; None: no body
    body: str | None = None  # definition name of the request body
    body_required: bool = False
    query: str | None = None  # "listing" or "paging": which query parameters it takes
    effect: Effect = READS
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

    # --- its effect -------------------------------------------------------------------------

    @property
    def is_read(self) -> bool:
        """It changes nothing: a read-only run may send it."""
        return self.effect == Effect.READS

    @property
    def writes(self) -> bool:
        """It creates, changes or deletes something."""
        return self.effect != Effect.READS

    @property
    def creates(self) -> bool:
        """It adds a record (a resource's create, a note, a case reply)."""
        return self.effect == Effect.CREATES

    @property
    def changes(self) -> bool:
        """It changes records that exist (updates, edits, list membership, a send ...)."""
        return self.effect == Effect.CHANGES

    @property
    def deletes(self) -> bool:
        return self.effect == Effect.DELETES

    # --- its action -------------------------------------------------------------------------

    @property
    def is_create(self) -> bool:
        """It is its resource's create: the operation that makes a record of the resource."""
        return self.action == Action.CREATE

    @property
    def is_update(self) -> bool:
        """It updates a record named by its id (PUT or PATCH `/{id}`)."""
        return self.action == Action.UPDATE

    @property
    def is_edit(self) -> bool:
        """It updates the record a unique field's value in the body names (`/edit`)."""
        return self.action == Action.EDIT

    @property
    def is_identify(self) -> bool:
        """It finds the record a unique field's value in the body names (`/identify`)."""
        return self.action == Action.IDENTIFY

    @property
    def by_unique_field(self) -> bool:
        """Its body names its record by a unique field's value (an edit or an identify)."""
        return self.action in BY_UNIQUE_FIELD_ACTIONS

    @property
    def is_delete(self) -> bool:
        """It deletes one record named by its id."""
        return self.action == Action.DELETE

    @property
    def changes_membership(self) -> bool:
        """It adds a record to a static list or removes it from one."""
        return self.action in MEMBERSHIP_ACTIONS

    @property
    def sends(self) -> bool:
        """It sends an email: a live run sends it only when told to."""
        return self.action == Action.SEND


class Options(TypedDict, total=False):
    """The optional fields of an `Operation`, as the builders below pass them on."""

    body: str | None
    body_required: bool
    query: str | None
    effect: Effect
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

    def op(method: str, path: str, oid: str, summary: str, action: Action, success: int = 200,
           response: str | None = one, **kw: Unpack[Options]) -> Operation:
        return Operation(method, path, oid, summary, k.name, k.name, action, success, response,
                         **kw)

    edit_desc = ("Updates the one record whose unique field (such as email) matches the value "
                 "in the body. Never creates: 404 when nothing matches, 400 when the body names "
                 "no unique field.")
    ops = [
        op("GET", p, f"list{ws}", f"List {k.plural}", Action.LIST, response=many, query="listing"),
        op("POST", p, f"list{ws}Filtered", f"List {k.plural} with filters", Action.LIST,
           response=many, body="filter-input"),
        op("POST", f"{p}/new", f"create{w}", f"Create a {k.singular}", Action.CREATE,
           success=k.create_status, body=f"create-{k.name}", body_required=True, effect=CREATES),
        op("GET", f"{p}/{{id}}", f"get{w}", f"Get a {k.singular}", Action.GET),
        op("PUT", f"{p}/{{id}}", f"update{w}", f"Update a {k.singular}", Action.UPDATE,
           body=f"input-{k.name}", effect=CHANGES,
           description="Changes only the fields sent; the others keep their values."),
        op("PATCH", f"{p}/{{id}}", f"patch{w}", f"Patch a {k.singular}", Action.UPDATE,
           body=f"input-{k.name}", effect=CHANGES, on_page=False,
           description="Identical to PUT on this path."),
        op("DELETE", f"{p}/{{id}}", f"delete{w}", f"Delete a {k.singular}", Action.DELETE,
           success=204, response=None, effect=DELETES),
        op("PUT", f"{p}/edit", f"update{w}ByUniqueField", f"Update a {k.singular} by unique field",
           Action.EDIT, body=f"edit-{k.name}", body_required=True, effect=CHANGES,
           description=edit_desc),
        op("PATCH", f"{p}/edit", f"patch{w}ByUniqueField", f"Patch a {k.singular} by unique field",
           Action.EDIT, body=f"edit-{k.name}", body_required=True, effect=CHANGES, on_page=False,
           description=edit_desc),
        op("POST", f"{p}/edit", f"post{w}ByUniqueField", f"Update a {k.singular} by unique field "
           "(POST)", Action.EDIT, body=f"edit-{k.name}", body_required=True, effect=CHANGES,
           on_page=False, description=edit_desc),
        op("GET", f"{p}/{{id}}/notes", f"get{w}Notes", f"Notes of a {k.singular}", Action.NOTES,
           response="list-notes", query="paging"),
        op("GET", f"{p}/{{id}}/workflows", f"get{w}Workflows", f"Workflows of a {k.singular}",
           Action.WORKFLOWS, response="list-workflows", query="paging"),
        op("GET", f"{p}/{{id}}/lists", f"get{w}Lists", f"Static lists a {k.singular} is in",
           Action.MEMBER_LISTS, response="list-lists", query="paging"),
        op("GET", f"{p}/list/fields", f"list{w}Fields", f"Fields of {k.plural}", Action.FIELDS,
           response="field-definitions"),
        op("GET", f"{p}/list/fields/categories", f"list{w}FieldCategories",
           f"Field categories of {k.plural}", Action.FIELD_CATEGORIES, response="field-categories"),
        op("GET", f"{p}/list/lists", f"list{w}StaticLists", f"Static lists of {k.plural}",
           Action.STATIC_LISTS, response="static-lists"),
        op("GET", f"{p}/list/filters", f"list{w}Filters", f"Filterable fields of {k.plural}",
           Action.FILTERS, response="field-definitions", on_page=False),
        op("GET", f"{L}/lists", f"filter{w}Lists", f"Filter the static lists of {k.plural}",
           Action.LISTS, response="list-lists", query="paging"),
        op("POST", f"{L}/lists/{{id}}/add/{{entityId}}", f"add{w}ToList",
           f"Add a {k.singular} to a static list", Action.LIST_ADD, response="success",
           effect=CHANGES, description="Idempotent: adding a member twice changes nothing."),
        op("POST", f"{L}/lists/{{id}}/remove/{{entityId}}", f"remove{w}FromList",
           f"Remove a {k.singular} from a static list", Action.LIST_REMOVE, response="success",
           effect=CHANGES, description="Idempotent: removing a non-member changes nothing."),
        op("POST", f"{p}/search", f"search{ws}", f"Search {k.plural} with a rule set",
           Action.SEARCH, response=many, body="search-input", on_page=False),
        op("POST", f"{p}/identify", f"identify{w}", f"Find a {k.singular} by a unique field",
           Action.IDENTIFY, body="identify-input", body_required=True, on_page=False,
           description="An unknown value answers 404, not an empty result."),
    ]
    unique_taken = dict.fromkeys((Action.CREATE, Action.UPDATE, Action.EDIT), UNIQUE_TAKEN)
    return [_with_conflict(o, unique_taken) for o in ops]


def _extra_kind_ops() -> list[Operation]:
    def op(method: str, path: str, oid: str, summary: str, group: str, action: Action,
           success: int = 200, response: str | None = None,
           **kw: Unpack[Options]) -> Operation:
        return Operation(method, path, oid, summary, group, group, action, success, response,
                         **kw)

    reply_body: Options = {"body": "reply-input", "body_required": True, "effect": CREATES}
    return [
        op("GET", "/leads/list/owners", "listLeadOwners", "Users that can own a lead", "leads",
           Action.OWNERS, response="list-owners", on_page=False),
        op("GET", "/cases/{id}/replies", "getCaseReplies", "Replies of a case", "cases",
           Action.REPLIES, response="list-replies", query="paging"),
        op("POST", "/cases/{id}/replies", "addCaseReply", "Reply to a case", "cases",
           Action.ADD_REPLY, response="single-reply", **reply_body),
        op("GET", "/cases/replies/{identifier}", "getCaseRepliesByIdentifier",
           "Replies of a case, by its identifier", "cases", Action.REPLIES,
           response="list-replies", query="paging"),
        op("POST", "/cases/replies/{identifier}", "addCaseReplyByIdentifier",
           "Reply to a case, by its identifier", "cases", Action.ADD_REPLY,
           response="single-reply", **reply_body),
        op("POST", "/deals/{id}/associations", "addDealAssociations",
           "Attach leads, contacts and accounts to a deal", "deals", Action.ASSOCIATE,
           response="deal-associations", body="associations-input", body_required=True,
           effect=CHANGES, on_page=False,
           description="Attaching a record that is already attached changes nothing."),
        op("DELETE", "/deals/{id}/associations", "removeDealAssociations",
           "Detach leads, contacts and accounts from a deal", "deals", Action.DISSOCIATE,
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

        def op(method: str, path: str, oid: str, summary: str, action: Action, success: int = 200,
               response: str | None = one, **kw: Unpack[Options]) -> Operation:
            merged: Options = {**flags, **kw}
            return Operation(method, path, oid, summary, name, name, action, success, response,
                             **merged)

        ops = [
            op("GET", f"/{name}", f"list{w}s", f"List {name}", Action.LIST, response=many,
               query=list_query),
            op("GET", f"/{name}/{{id}}", f"get{w}", f"Get a {c.singular}", Action.GET),
            op("PUT", f"/{name}/{{id}}", f"update{w}", f"Update a {c.singular}", Action.UPDATE,
               body=f"input-{name}", effect=CHANGES, on_page=update_on_page and not spec_only),
            op("DELETE", f"/{name}/{{id}}", f"delete{w}", f"Delete a {c.singular}", Action.DELETE,
               success=204, response=None, effect=DELETES),
        ]
        if create_path:
            ops.append(op("POST", create_path, f"create{w}", f"Create a {c.singular}",
                          Action.CREATE, success=create_status, body=f"create-{name}",
                          body_required=True, effect=CREATES))
        if patch:
            ops.append(op("PATCH", f"/{name}/{{id}}", f"patch{w}", f"Patch a {c.singular}",
                          Action.UPDATE, body=f"input-{name}", effect=CHANGES, on_page=False))
        if list_post:
            suffix, body, options = list_post
            with_body: Options = {**options, "body": body}
            ops.append(op("POST", f"/{name}", f"list{w}s{suffix}",
                          f"List {name} ({suffix.lower() or 'POST'})", Action.LIST,
                          response=many, **with_body))
        return ops

    def read_only(name: str, *, get: bool = True, post_list: bool = False, spec: bool = True,
                  page: bool = True, query: str | None = "paging") -> list[Operation]:
        c = COLLECTIONS_BY_NAME[name]
        w = "".join(part.capitalize() for part in c.singular.split("_"))
        flags: Options = {"on_page": page, "in_published_spec": spec}
        listing: Options = {**flags, "query": query}
        ops = [Operation("GET", f"/{name}", f"list{w}s", f"List {name.replace('_', ' ')}",
                         name, name, Action.LIST, 200, f"list-{name}", **listing)]
        if get:
            ops.append(Operation("GET", f"/{name}/{{id}}", f"get{w}", f"Get a {c.singular}",
                                 name, name, Action.GET, 200, f"single-{name}", **flags))
        if post_list:
            ops.append(Operation("POST", f"/{name}", f"list{w}sFiltered",
                                 f"List {name} with filters", name, name, Action.LIST, 200,
                                 f"list-{name}", body="filter-input", on_page=True,
                                 in_published_spec=False))
        return ops

    def extra(method: str, path: str, oid: str, summary: str, group: str, action: Action,
              success: int = 200, response: str | None = None,
              **kw: Unpack[Options]) -> Operation:
        return Operation(method, path, oid, summary, group, group, action, success, response,
                         **kw)

    notes = [
        extra("POST", "/notes/{entityType}/{entityId}", "createNote", "Add a note to a record",
              "notes", Action.CREATE, success=201, response="single-notes", body="create-notes",
              body_required=True, effect=CREATES),
        extra("GET", "/notes/{id}", "getNote", "Get a note", "notes", Action.GET,
              response="single-notes"),
        extra("PUT", "/notes/{id}", "updateNote", "Update a note", "notes", Action.UPDATE,
              response="single-notes", body="input-notes", effect=CHANGES),
        extra("PATCH", "/notes/{id}", "patchNote", "Patch a note", "notes", Action.UPDATE,
              response="single-notes", body="input-notes", effect=CHANGES, on_page=False),
        extra("DELETE", "/notes/{id}", "deleteNote", "Delete a note", "notes", Action.DELETE,
              success=204, effect=DELETES),
        extra("DELETE", "/notes/{entityType}/{entityId}", "deleteRecordNotes",
              "Delete every note of a record", "notes", Action.DELETE_FOR_RECORD,
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
              Action.COMPLETE, success=201, response="single-tasks", effect=CHANGES),
        extra("POST", "/tasks/{id}/incomplete", "incompleteTask", "Mark a task not completed",
              "tasks", Action.INCOMPLETE, success=201, response="single-tasks", effect=CHANGES),
        extra("GET", "/tasks/list/categories", "listTaskCategories", "Task categories", "tasks",
              Action.CATEGORIES, response="categories"),
    ]
    users = crud("users", create_path="/users/new", patch=False, page_only=True,
                 list_post=("Filtered", "filter-input", {"in_published_spec": False}))
    users = [o if o.key != "GET /users" else
             replace(o, in_published_spec=True) for o in users]
    users = [_with_conflict(o, {Action.CREATE: UNIQUE_TAKEN, Action.UPDATE: UNIQUE_TAKEN,
                                Action.DELETE: "The user is the one the API key belongs to."})
             for o in users]
    users += [
        extra("GET", "/users/self", "getSelf", "The user this key belongs to", "users", Action.SELF,
              response="single-users", in_published_spec=False),
        extra("POST", "/users/{id}/permission", "checkUserPermissions",
              "Check a user's permissions", "users", Action.PERMISSION,
              response="permission-result", body="permission-input", body_required=True,
              in_published_spec=False),
    ]
    pipelines = crud("pipelines", create_path="/pipelines", spec_only=True)
    pipelines = [o if o.action != Action.LIST else replace(o, query=None)
                 for o in pipelines]
    pipelines = [_with_conflict(o, {Action.DELETE: "Deals still use the pipeline."})
                 for o in pipelines]
    workflows = crud("workflows", create_path=None, patch=False, page_only=True,
                     list_query="paging",
                     list_post=("Filtered", "filter-input", {"in_published_spec": False}))
    workflows.append(extra("GET", "/workflows/list/categories", "listWorkflowCategories",
                           "Workflow categories", "workflows", Action.CATEGORIES,
                           response="categories", in_published_spec=False))
    emails = read_only("emails", post_list=True)
    emails.append(extra("POST", "/emails/{id}/send", "sendEmail", "Send an email", "emails",
                        Action.SEND, response="send-result", body="send-input", effect=CHANGES,
                        in_published_spec=False))
    reports = read_only("reports", post_list=True)
    reports += [
        extra("GET", "/reports/{id}/data", "getReportData", "Rows of a report", "reports",
              Action.DATA, response="report-data", query="paging", on_page=False),
        extra("POST", "/reports/{id}/data", "getReportDataPost", "Rows of a report (POST)",
              "reports", Action.DATA, response="report-data", query="paging",
              body="paging-input", on_page=False),
    ]
    return (notes + tasks + users + pipelines + workflows + emails + reports
            + read_only("forms", spec=False) + read_only("pages", spec=False, post_list=True)
            + read_only("roles", spec=False, post_list=True)
            + read_only("stages", get=False, page=False, query=None)
            + read_only("dynamic_endpoints", get=False, page=False))


def _with_conflict(op: Operation, conflicts: dict[Action, str]) -> Operation:
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


def _create_operations() -> dict[str, Operation]:
    """Each creatable resource's create operation (notes: the one that adds a note)."""
    found: dict[str, Operation] = {}
    for op in OPERATIONS:
        if op.is_create:
            if op.resource in found:
                raise ValueError(f"{op.resource} has two create operations: "
                                 f"{found[op.resource].key} and {op.key}")
            found[op.resource] = op
    return found


#: The resources every operation belongs to, in the order the operations are listed.
RESOURCES: tuple[str, ...] = tuple(dict.fromkeys(o.resource for o in OPERATIONS))
#: A resource's create operation, by resource name.
CREATE_OPERATIONS: dict[str, Operation] = _create_operations()
#: Resources the API can create records of (so a run can own some).
CREATABLE: frozenset[str] = frozenset(CREATE_OPERATIONS)
#: Resources whose records the API cannot create, so a run never owns one: a live run's writes
#: to them only ever aim at an id no workspace assigns.
UNOWNABLE: frozenset[str] = frozenset(RESOURCES) - CREATABLE
