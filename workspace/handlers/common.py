"""What the record and collection handlers share: the call, shapes, rendering, paging, CRUD.

A `Shape` says how one resource is stored and shown (storage key, envelope keys, fields,
unique fields); record kinds get theirs from the account's `KindSpec`, collections from the
contract's `Collection` and the spec's record schema. The CRUD helpers below are the single
implementation of get, update, delete and listing for both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from contract.fields import Field
from contract.operations import Operation
from workspace.accounts import Grant
from workspace.exceptions import BadRequest, NotFound
from workspace.faults import FaultName, Faults
from workspace.filtering import Paging, Predicate, order, paging, text_search
from workspace.state import Backend, Row
from workspace.validation import clean_body

Result = tuple[int, Any]
View = dict[str, Any]
STAMPS = ("date_added", "date_modified")
STAMP_FIELDS = (Field("date_added", "datetime", label="Date added", read_only=True),
                Field("date_modified", "datetime", label="Date modified", read_only=True))
ID_FIELD = Field("id", "integer", label="Id", read_only=True)


@dataclass(slots=True)
class Call:
    """One parsed API request: who asks, for what, with which parameters and body."""

    op: Operation
    grant: Grant
    params: dict[str, Any]
    query: Mapping[str, str]
    body: Any
    faults: Faults

    @property
    def account(self) -> str:
        return self.grant.account.name

    def obj(self) -> dict[str, Any]:
        """The body as an object; an absent body is an empty one."""
        return self.body if isinstance(self.body, dict) else {}


@dataclass(frozen=True)
class Shape:
    """How one resource is stored, validated and rendered."""

    resource: str
    singular: str
    plural: str
    noun: str  # "contact": messages say "Contact 42 was not found."
    fields: Mapping[str, Field]  # what a body may write
    filterable: Mapping[str, Field]  # what filters and orderBy may name
    unique: tuple[str, ...] = ()
    searchable: tuple[str, ...] = ()
    keys: tuple[str, ...] | None = None  # rendered in this order; None: every data key
    hidden: frozenset[str] = frozenset()
    create_status: int = 201
    orderable: frozenset[str] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not self.orderable:
            object.__setattr__(self, "orderable",
                               frozenset({"id", *STAMPS, *self.filterable}))


def view_of(row: Row) -> View:
    """The flat form filters and rendering work on: id, the data, the timestamps."""
    view = {"id": row.id, **row.data}
    view["date_added"] = row.date_added
    view["date_modified"] = row.date_modified
    return view


def render(shape: Shape, view: Mapping[str, Any]) -> dict[str, Any]:
    """A record as the contract shows it: every known field (null when unset), stamps last."""
    out: dict[str, Any] = {"id": view["id"]}
    if shape.keys is not None:
        for key in shape.keys:
            out[key] = view.get(key)
    hidden = shape.hidden
    for key, value in view.items():
        if key not in out and key not in hidden and key[0] != "_" and key not in STAMPS:
            out[key] = value
    out["date_added"] = view.get("date_added")
    out["date_modified"] = view.get("date_modified")
    return out


def not_found(shape: Shape, record_id: Any) -> NotFound:
    return NotFound(f"{shape.noun.capitalize()} {record_id} was not found.")


def require_object(call: Call) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return call.body


def describe(f: Field, **overrides: Any) -> dict[str, Any]:
    """A field in the field-definition shape (contract.fields.Field.describe)."""
    return {**f.describe(), **overrides}


# --- the generic operations -----------------------------------------------------------------

class Crud:
    """Get, create, update, delete and list for any `Shape`; faults decided per call."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def row(self, call: Call, shape: Shape, record_id: int, *, leak: bool = False) -> Row:
        account = None if leak and FaultName.CROSS_ACCOUNT_LEAK in call.faults else call.account
        row = self.backend.get_record(account, shape.resource, record_id)
        if row is None:
            raise not_found(shape, record_id)
        return row

    def get(self, call: Call, shape: Shape) -> Result:
        row = self.row(call, shape, call.params["id"], leak=True)
        return 200, {shape.singular: render(shape, view_of(row))}

    def create(self, call: Call, shape: Shape, data: dict[str, Any] | None = None, *,
               parent_id: int | None = None) -> Row:
        if data is None:
            data = self.clean(call, shape, require_object(call), creating=True)
        return self.backend.create_record(call.account, shape.resource, data,
                                          unique=shape.unique, parent_id=parent_id)

    def clean(self, call: Call, shape: Shape, body: Mapping[str, Any], *, creating: bool,
              skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        return clean_body(shape.fields, body, creating=creating, noun=shape.plural, skip=skip,
                          drop_unknown=FaultName.UNKNOWN_ALIAS_ACCEPTED in call.faults,
                          lenient=FaultName.WRONG_TYPE_ACCEPTED in call.faults)

    def update(self, call: Call, shape: Shape, row: Row, changes: dict[str, Any]) -> Row:
        """Write changes unless a fault says otherwise; the row as the answer shows it."""
        replace = FaultName.PATCH_REPLACES in call.faults
        if not changes and not replace:  # nothing to write: keep date_modified as it is
            return row
        if FaultName.UPDATE_NOT_PERSISTED in call.faults:
            row.data = {**row.data, **changes}
            return row
        updated = self.backend.update_record(call.account, shape.resource, row.id, changes,
                                             unique=shape.unique, replace=replace)
        if updated is None:  # deleted by a concurrent request in between
            raise not_found(shape, row.id)
        return updated

    def update_by_id(self, call: Call, shape: Shape) -> Result:
        row = self.row(call, shape, call.params["id"])
        if call.body is not None and not isinstance(call.body, dict):
            raise BadRequest("The request body must be a JSON object.")
        changes = self.clean(call, shape, call.obj(), creating=False)
        row = self.update(call, shape, row, changes)
        return 200, {shape.singular: render(shape, view_of(row))}

    def delete(self, call: Call, shape: Shape,
               check: Callable[[Row], None] | None = None) -> Result:
        row = self.row(call, shape, call.params["id"])
        if check is not None:
            check(row)
        if FaultName.DELETE_NOT_PERSISTED not in call.faults:
            self.backend.delete_record(call.account, shape.resource, row.id)
        return 204, None

    def views(self, call: Call, shape: Shape, *, parent_id: int | None = None,
              member_of: int | None = None) -> list[View]:
        rows = self.backend.list_records(call.account, shape.resource, parent_id=parent_id,
                                         member_of=member_of,
                                         include_deleted=(
                                             FaultName.DELETED_IN_LISTING in call.faults))
        return [view_of(r) for r in rows]

    def list_page(self, call: Call, shape: Shape, p: Paging, *preds: Predicate | None,
                  parent_id: int | None = None, member_of: int | None = None) -> Result:
        """A listing; plain ones (no filter, no search, id order) are paged by SQLite."""
        if any(pr is not None for pr in preds) or p.search or p.order_by not in (None, "id"):
            views = self.views(call, shape, parent_id=parent_id, member_of=member_of)
            return listing(call, shape, views, p, *preds)
        start = p.start + (1 if FaultName.PAGINATION_OFF_BY_ONE in call.faults else 0)
        limit = None if FaultName.LIMIT_IGNORED in call.faults else p.limit
        total, rows = self.backend.page_records(
            call.account, shape.resource, start=start, limit=limit,
            descending=p.direction == "DESC", parent_id=parent_id, member_of=member_of,
            include_deleted=FaultName.DELETED_IN_LISTING in call.faults)
        return 200, {"total": total, shape.plural: [render(shape, view_of(r)) for r in rows]}

    def paging(self, call: Call, shape: Shape) -> tuple[Paging, dict[str, Any]]:
        """Paging from the query (GET) or the body (POST); the body is returned as well."""
        body: dict[str, Any] = {}
        if call.op.method == "GET":
            p = paging(call.query, shape.orderable, from_query=True)
        else:
            body = call.obj()
            if call.body is not None and not isinstance(call.body, dict):
                raise BadRequest("The request body must be a JSON object.")
            p = paging(body, shape.orderable, from_query=False)
        if FaultName.ORDERING_IGNORED in call.faults:  # validated, then ignored: id order
            p = replace(p, order_by=None, direction="ASC")
        return p, body


def page_of(call: Call, items: Sequence[Any], p: Paging,
            preds: Iterable[Predicate | None] = (), *, ordered: bool = False,
            ) -> tuple[int, list[Any]]:
    """Filter, order and cut one page; total counts every match over all pages."""
    active = [pr for pr in preds if pr is not None]
    matches = [v for v in items if all(pr(v) for pr in active)] if active else list(items)
    if not ordered:
        matches = order(matches, p.order_by, p.direction)
    start = p.start + (1 if FaultName.PAGINATION_OFF_BY_ONE in call.faults else 0)
    end = None if FaultName.LIMIT_IGNORED in call.faults else start + p.limit
    return len(matches), matches[start:end]


def search_predicate(p: Paging, aliases: Iterable[str]) -> Predicate | None:
    return text_search(p.search, aliases) if p.search else None


def listing(call: Call, shape: Shape, views: Sequence[View], p: Paging,
            *preds: Predicate | None) -> Result:
    total, page = page_of(call, views, p, (*preds, search_predicate(p, shape.searchable)))
    return 200, {"total": total, shape.plural: [render(shape, v) for v in page]}
