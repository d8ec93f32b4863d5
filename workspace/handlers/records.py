"""The one implementation of the record API shared by contacts, leads, accounts, deals,
cases and custom-entity tables: CRUD, /edit, identify, listing, search, lists, notes ...

Which kind a call is about comes from the operation's resource and, for custom entities, the
`tableName` path parameter; the account's `KindSpec` supplies the fields.
"""

from __future__ import annotations

from typing import Any

from contract.resources import KINDS_BY_NAME
from contract.schemas import MAX_ID, MAX_PAGE_SIZE, definitions
from workspace.accounts import KindSpec, Registry
from workspace.exceptions import BadRequest, InternalError, NotFound
from workspace.faults import FaultName
from workspace.filtering import (
    Getter,
    Paging,
    compile_filters,
    compile_search,
    own_getter,
    paging,
)
from workspace.handlers.common import (
    ID_FIELD,
    STAMP_FIELDS,
    Call,
    Crud,
    Result,
    Shape,
    describe,
    listing,
    page_of,
    render,
    require_object,
    search_predicate,
    view_of,
)
from workspace.handlers.shapes import COLLECTION_SHAPES
from workspace.state import Backend

#: A static list can be ordered by any property the contract gives it.
_LIST_ORDER = frozenset(definitions()["static-list"]["properties"])
_OWNER_FIELDS = ("username", "email", "firstName", "lastName")
_RELATED = {"contacts": ("email", "first_name", "last_name", "company", "city"),
            "leads": ("email", "first_name", "last_name", "company"),
            "accounts": ("name", "email", "industry")}


def kind_shape(spec: KindSpec) -> Shape:
    k = spec.kind
    noun = k.singular  # "entity" for custom-entity tables
    return Shape(spec.resource, k.singular, k.plural, noun, spec.by_alias,
                 {**spec.by_alias, **{f.alias: f for f in (*STAMP_FIELDS, ID_FIELD)}},
                 spec.unique,
                 spec.searchable, spec.aliases, create_status=k.create_status)


class RecordHandlers:
    """Handlers named `on_<action>` for every record-kind operation."""

    def __init__(self, backend: Backend, registry: Registry) -> None:
        self.backend = backend
        self.crud = Crud(backend)
        self.shapes: dict[tuple[str, str, str | None], tuple[KindSpec, Shape]] = {}
        for acc in registry.accounts.values():
            self.add_account(acc.name, acc.specs.values())

    def add_account(self, account: str, specs: Any) -> None:
        for spec in specs:
            self.shapes[(account, spec.kind.name, spec.table)] = (spec, kind_shape(spec))

    def resolve(self, call: Call) -> tuple[KindSpec, Shape]:
        table = call.params.get("tableName")
        found = self.shapes.get((call.account, call.op.resource, table))
        if found is None:
            raise NotFound(f"Custom entity table '{table}' was not found.")
        return found

    # --- CRUD -------------------------------------------------------------------------------

    def on_get(self, call: Call) -> Result:
        return self.crud.get(call, self.resolve(call)[1])

    def on_create(self, call: Call) -> Result:
        spec, shape = self.resolve(call)
        data = self.crud.clean(call, shape, require_object(call), creating=True)
        self._generate(call, spec, data)
        row = self.crud.create(call, shape, data)
        return shape.create_status, {shape.singular: render(shape, view_of(row))}

    def _generate(self, call: Call, spec: KindSpec, data: dict[str, Any]) -> None:
        """Fill read-only generated fields: a case's identifier REF-1001, REF-1002 ..."""
        if spec.kind.name == "cases":
            seq = self.backend.next_value(f"case_seq:{call.account}", 1001)
            data["identifier"] = f"REF-{seq}"

    def on_update(self, call: Call) -> Result:
        return self.crud.update_by_id(call, self.resolve(call)[1])

    def on_delete(self, call: Call) -> Result:
        return self.crud.delete(call, self.resolve(call)[1])

    def on_edit(self, call: Call) -> Result:
        spec, shape = self.resolve(call)
        body = dict(require_object(call))
        named = "unique_field" in body or "unique_field_value" in body
        alias, value = self._unique_choice(spec, body)
        row = self.backend.find_by_unique(call.account, shape.resource, alias, value)
        if FaultName.EDIT_IGNORES_UNIQUE in call.faults:
            row = self.backend.newest_record(call.account, shape.resource)
        if row is None:
            if FaultName.EDIT_CREATES not in call.faults:
                raise NotFound(f"No {shape.noun} has {alias} {value!r}.")
            if named and not spec.by_alias[alias].read_only:
                body.setdefault(alias, value)
            data = self.crud.clean(call, shape, body, creating=True)
            self._generate(call, spec, data)
            row = self.crud.create(call, shape, data)
            return 200, {shape.singular: render(shape, view_of(row))}
        # a unique value found in the body picks the record, it is not written; one named by
        # unique_field_value leaves the body's own value of that field free to change it
        skip = frozenset() if named and not spec.by_alias[alias].read_only else {alias}
        changes = self.crud.clean(call, shape, body, creating=False, skip=frozenset(skip))
        row = self.crud.update(call, shape, row, changes)
        return 200, {shape.singular: render(shape, view_of(row))}

    @staticmethod
    def _unique_choice(spec: KindSpec, body: dict[str, Any]) -> tuple[str, Any]:
        """Which unique field /edit matches on: unique_field(+_value) or the first present."""
        if "unique_field" in body or "unique_field_value" in body:
            alias = body.pop("unique_field", None)
            value = body.pop("unique_field_value", None)
            if alias not in spec.unique:
                raise BadRequest(f"unique_field must be one of {', '.join(spec.unique)}, "
                                 f"not {alias!r}.")
            if value is None or value == "":
                raise BadRequest("unique_field_value is required with unique_field.")
            return alias, value
        for alias in spec.unique:
            if alias in body:
                if not isinstance(body[alias], str | int | float) or isinstance(body[alias],
                                                                                bool):
                    raise BadRequest(f"The unique field '{alias}' must hold a value.")
                return alias, body[alias]
        raise BadRequest(f"Name a unique field ({', '.join(spec.unique)}) to pick the "
                         f"{spec.kind.singular} to update.")

    def on_identify(self, call: Call) -> Result:
        spec, shape = self.resolve(call)
        body = require_object(call)
        alias, value = body.get("unique_field"), body.get("unique_field_value")
        if alias not in spec.unique:
            raise BadRequest(f"unique_field must be one of {', '.join(spec.unique)}, "
                             f"not {alias!r}.")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise BadRequest("unique_field_value must be a string.")
        row = self.backend.find_by_unique(call.account, shape.resource, alias, value)
        if row is None or FaultName.IDENTIFY_MISSES in call.faults:
            raise NotFound(f"No {shape.noun} has {alias} {value!r}.")
        return 200, {shape.singular: render(shape, view_of(row))}

    # --- listing and search -----------------------------------------------------------------

    def _member_of(self, call: Call, shape: Shape, p: Paging) -> int | None:
        if p.entity_list is not None and self.backend.get_list(
                call.account, shape.resource, p.entity_list) is None:
            raise NotFound(f"Static list {p.entity_list} was not found.")
        return p.entity_list

    def on_list(self, call: Call) -> Result:
        _, shape = self.resolve(call)
        p, body = self.crud.paging(call, shape)
        filters = None
        if FaultName.FILTER_IGNORED not in call.faults:
            filters = (compile_filters(body["filters"], shape.filterable)
                       if "filters" in body else None)
        return self.crud.list_page(call, shape, p, filters,
                                   member_of=self._member_of(call, shape, p))

    def on_search(self, call: Call) -> Result:
        spec, shape = self.resolve(call)
        body = call.obj()  # no body: every record, first page
        if call.body is not None and "filters" not in body:
            raise BadRequest("A search needs filters: {\"condition\", \"rules\"}.")
        page_no, limit = body.get("page", 1), body.get("limit", 30)
        for name, value, high in (("page", page_no, MAX_ID), ("limit", limit, MAX_PAGE_SIZE)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise BadRequest(f"{name} must be an integer from 1 to {high}.")
        views = self.crud.views(call, shape)
        resolver = _Resolver(self, call, spec, shape, views)
        pred = None
        if "filters" in body:
            pred = compile_search(body["filters"], resolver,
                                  or_as_and=FaultName.SEARCH_OR_AS_AND in call.faults)
        p = Paging(start=(page_no - 1) * limit, limit=limit)
        total, page = page_of(call, views, p, (pred,))
        return 200, {"total": total, shape.plural: [render(shape, v) for v in page]}

    # --- related collections of one record --------------------------------------------------

    def on_notes(self, call: Call) -> Result:
        _, shape = self.resolve(call)
        row = self.crud.row(call, shape, call.params["id"])
        notes = COLLECTION_SHAPES["notes"]
        p, _ = self.crud.paging(call, notes)
        return self.crud.list_page(call, notes, p, parent_id=row.id)

    def on_workflows(self, call: Call) -> Result:
        _, shape = self.resolve(call)
        row = self.crud.row(call, shape, call.params["id"])
        flows = COLLECTION_SHAPES["workflows"]
        p, _ = self.crud.paging(call, flows)
        rows = self.backend.records_by_ids(call.account, flows.resource,
                                           self.backend.workflow_ids(row.id))
        return listing(call, flows, [view_of(r) for r in rows], p)

    def _lists_page(self, call: Call, lists: list[dict[str, Any]]) -> Result:
        p = paging(call.query, _LIST_ORDER, from_query=True)
        total, page = page_of(call, lists, p, (search_predicate(p, ("name", "alias")),))
        return 200, {"total": total, "lists": page}

    def on_member_lists(self, call: Call) -> Result:
        _, shape = self.resolve(call)
        row = self.crud.row(call, shape, call.params["id"])
        if FaultName.MEMBERSHIP_READ_500 in call.faults:
            raise InternalError("Internal error while reading the record's lists.")
        return self._lists_page(call, self.backend.lists_of(row.id))

    def on_lists(self, call: Call) -> Result:
        _, shape = self.resolve(call)
        return self._lists_page(call, self.backend.static_lists(call.account, shape.resource))

    def on_static_lists(self, call: Call) -> Result:
        _, shape = self.resolve(call)
        return 200, self.backend.static_lists(call.account, shape.resource)

    def _membership(self, call: Call, add: bool) -> Result:
        _, shape = self.resolve(call)
        list_id, entity_id = call.params["id"], call.params["entityId"]
        if self.backend.get_list(call.account, shape.resource, list_id) is None:
            raise NotFound(f"Static list {list_id} of {shape.plural} was not found.")
        self.crud.row(call, shape, entity_id)
        fault = FaultName.LIST_ADD_NOT_PERSISTED if add else FaultName.LIST_REMOVE_NOT_PERSISTED
        if fault not in call.faults:
            (self.backend.add_to_list if add else self.backend.remove_from_list)(
                list_id, entity_id)
        return 200, {"success": 1}

    def on_list_add(self, call: Call) -> Result:
        return self._membership(call, add=True)

    def on_list_remove(self, call: Call) -> Result:
        return self._membership(call, add=False)

    # --- field descriptions -----------------------------------------------------------------

    def on_fields(self, call: Call) -> Result:
        spec, _ = self.resolve(call)
        return 200, [describe(f) for f in spec.fields]

    def on_field_categories(self, call: Call) -> Result:
        spec, _ = self.resolve(call)
        cats = call.grant.account.categories
        seen = dict.fromkeys(f.category for f in spec.fields)
        return 200, [{"id": cats[c], "name": c.replace("_", " ").capitalize(), "alias": c}
                     for c in seen]

    def on_filters(self, call: Call) -> Result:
        spec, _ = self.resolve(call)
        out = [describe(f) for f in (*spec.fields, *STAMP_FIELDS)]
        for entity, kind_name, aliases in _related(spec):
            fields = (tuple(COLLECTION_SHAPES["users"].fields.values()) if kind_name == "users"
                      else KINDS_BY_NAME[kind_name].fields)
            by_alias = {f.alias: f for f in fields}
            for alias in aliases:
                f = by_alias[alias]
                out.append(describe(f, field={"entity": entity, "field": alias},
                                    alias=f"{entity}.{alias}", custom=False,
                                    label=f"{entity.capitalize()} {describe(f)['label']}",
                                    category="related", readOnly=True))
        return 200, out

    # --- extras of single kinds -------------------------------------------------------------

    def on_owners(self, call: Call) -> Result:
        users = COLLECTION_SHAPES["users"]
        views = self.crud.views(call, users)
        return 200, {"total": len(views), "owners": [render(users, v) for v in views]}

    def _case(self, call: Call) -> Any:
        _, shape = self.resolve(call)
        if "identifier" in call.params:
            row = self.backend.find_by_unique(call.account, shape.resource, "identifier",
                                              call.params["identifier"])
            if row is None:
                raise NotFound(f"Case {call.params['identifier']} was not found.")
            return row
        return self.crud.row(call, shape, call.params["id"])

    def on_replies(self, call: Call) -> Result:
        case = self._case(call)
        replies = COLLECTION_SHAPES["replies"]
        p, _ = self.crud.paging(call, replies)
        return self.crud.list_page(call, replies, p, parent_id=case.id)

    def on_add_reply(self, call: Call) -> Result:
        case = self._case(call)
        replies = COLLECTION_SHAPES["replies"]
        body = require_object(call)
        data = self.crud.clean(call, replies, body, creating=True)
        if data.get("text") == "":
            raise BadRequest("A reply's text cannot be empty.")
        if not data.get("text") and not data.get("template_id"):
            raise BadRequest("A reply needs a text or a template_id.")
        data = {"case_id": case.id, "text": data.get("text"),
                "template_id": data.get("template_id")}
        row = self.crud.create(call, replies, data, parent_id=case.id)
        return 200, {"reply": render(replies, view_of(row))}

    def _associations_body(self, call: Call) -> dict[str, list[int]]:
        body = require_object(call)
        assoc = body.get("associations")
        if not isinstance(assoc, dict):
            raise BadRequest("associations must be an object of leads, contacts, accounts.")
        out: dict[str, list[int]] = {}
        for kind, ids in assoc.items():
            if kind not in _RELATED:
                raise BadRequest(f"associations: unknown kind {kind!r} (leads, contacts, "
                                 "accounts).")
            if not isinstance(ids, list) or not all(
                    isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= MAX_ID
                    for i in ids):
                raise BadRequest(f"associations.{kind} must be an array of ids from 1 to "
                                 f"{MAX_ID}.")
            found = {r.id for r in self.backend.records_by_ids(call.account, kind, ids)}
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound(f"{KINDS_BY_NAME[kind].singular.capitalize()} {missing[0]} "
                               "was not found.")
            out[kind] = ids
        return out

    def _associate(self, call: Call, attach: bool) -> Result:
        _, shape = self.resolve(call)
        deal = self.crud.row(call, shape, call.params["id"])
        for kind, ids in self._associations_body(call).items():
            (self.backend.associate if attach else self.backend.dissociate)(deal.id, kind, ids)
        return 200, {"success": 1, "associations": self.backend.associations(deal.id)}

    def on_associate(self, call: Call) -> Result:
        return self._associate(call, attach=True)

    def on_dissociate(self, call: Call) -> Result:
        return self._associate(call, attach=False)


def _related(spec: KindSpec) -> list[tuple[str, str, tuple[str, ...]]]:
    """Related-record fields a search may name as {"entity", "field"}."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    if "owner_id" in spec.by_alias:
        out.append(("owner", "users", _OWNER_FIELDS))
    if spec.kind.name == "deals":
        out += [(KINDS_BY_NAME[k].singular, k, aliases) for k, aliases in _RELATED.items()]
    return out


class _Resolver:
    """Resolves a search rule's `field` to its definition and a getter over record views."""

    def __init__(self, handlers: RecordHandlers, call: Call, spec: KindSpec, shape: Shape,
                 views: list[dict[str, Any]]) -> None:
        self.h, self.call, self.spec, self.shape, self.views = handlers, call, spec, shape, views
        self.related = {entity: (kind, aliases) for entity, kind, aliases in _related(spec)}
        self.own_names = {spec.kind.singular, spec.kind.name, spec.kind.note_type}

    def __call__(self, ref: Any) -> tuple[Any, Getter]:
        if isinstance(ref, str):
            return self._own(ref)
        if not isinstance(ref, dict) or not isinstance(ref.get("field"), str):
            raise BadRequest(f"A rule's field must be an alias or {{entity, field}}, not "
                             f"{ref!r}.")
        entity, alias = ref.get("entity"), ref["field"]
        if entity is None or (isinstance(entity, str) and entity in self.own_names):
            return self._own(alias)
        if not isinstance(entity, str) or entity not in self.related:
            raise BadRequest(f"Unknown related entity {entity!r} for {self.shape.plural}.")
        kind, aliases = self.related[entity]
        if alias not in aliases:
            raise BadRequest(f"Unknown field {alias!r} of related {entity}.")
        return self._related(entity, kind, alias)

    def _own(self, alias: str) -> tuple[Any, Getter]:
        f = self.shape.filterable.get(alias)
        if f is None:
            raise BadRequest(f"Unknown field {alias!r} for {self.shape.plural}.")
        return f, own_getter(alias)

    def _related(self, entity: str, kind: str, alias: str) -> tuple[Any, Getter]:
        backend, account = self.h.backend, self.call.account
        if kind == "users":
            f = COLLECTION_SHAPES["users"].fields[alias]
            users = {r.id: r.data for r in backend.list_records(account, "users")}
            return f, lambda view: [users.get(view.get("owner_id"), {}).get(alias)]
        f = {x.alias: x for x in KINDS_BY_NAME[kind].fields}[alias]
        assoc = backend.associations_for(v["id"] for v in self.views)
        related = {r.id: r.data for r in backend.list_records(account, kind)}
        return f, lambda view: [related.get(i, {}).get(alias)
                                for i in assoc.get(view["id"], {}).get(kind, [])]
