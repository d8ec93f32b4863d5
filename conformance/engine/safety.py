"""Live safety: bind generated cases to records this run owns, and refuse anything else.

`bind` rewrites a Schemathesis case before it is sent: ids of records to change or delete
become ids the run created, unique fields become run-scoped values, and writes to records
the suite can never own (workflows, emails) aim at an id no workspace assigns. `assert_safe`
is the last line of defence: it refuses a write whose target the ledger does not own.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from contract.build import PATH_PARAMS
from contract.fields import Field, JsonObject
from contract.operations import (
    OPERATIONS_BY_KEY,
    UNOWNABLE,
    Action,
    Operation,
)
from contract.resources import COLLECTIONS_BY_NAME, KINDS_BY_NAME, NOTE_TYPES
from contract.schemas import field_schema, input_schema

if TYPE_CHECKING:  # the pool installs this module's WriteGuard on its target
    from schemathesis import Case

    from conformance.engine.owned import OwnedRecords

#: Ids at and above this are never assigned by a workspace the suite tests; writes aimed at
#: records the suite cannot own (workflows, emails) go there and must answer 404.
UNKNOWN_ID = 2_000_000_000

#: A case identifier as the contract defines it; anything else names no case at all.
IDENTIFIER = re.compile(PATH_PARAMS["identifier"]["pattern"])


class UnsafeRequest(Exception):
    """A write would have touched a record this run did not create."""




def operation_for(method: str, path: str) -> Operation | None:
    return OPERATIONS_BY_KEY.get(f"{method.upper()} {path}")


def _negated(case: Case[Any], location: str) -> bool:
    meta = getattr(case, "meta", None)
    if meta is None:
        return False
    try:
        from schemathesis.core.parameters import ParameterLocation

        return bool(meta.is_negative_at(ParameterLocation[location.upper()]))
    except (AttributeError, KeyError, ImportError):
        return bool(meta.generation.mode.is_negative)


#: What a lenient server may read as an id: in a URL every value is text, and a PHP-style
#: integer cast reads "1", " 01", "+1", "1.5" and "1abc" all as 1.
_ID_PREFIX = re.compile(r"^(\s*\+?0*)([0-9]+)(.*)$", re.DOTALL)


def addressed_id(value: object) -> int | None:
    """The record id `value` could address, whatever its type: the coverage phase sends path
    ids as strings, and negative cases send near-miss values that lenient servers accept."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 1 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 1 else None
    if isinstance(value, str):
        match = _ID_PREFIX.match(value)
        return int(match.group(2)) if match and int(match.group(2)) >= 1 else None
    return None


def _rebind(value: object, new_id: int) -> object:
    """`value` aimed at `new_id`, keeping its form: an int stays an int, and a string keeps
    what surrounds its digits, so a negative test stays as invalid as generated."""
    if isinstance(value, str):
        match = _ID_PREFIX.match(value)
        return f"{match.group(1)}{new_id}{match.group(3)}" if match else value
    if isinstance(value, float):
        return float(new_id)
    return new_id


def _aim(value: object, pick: Callable[[int], int | None], *,
         positive: bool = False) -> object:
    """Aim an id-like value at pick(id) (an owned record), or at an id no workspace assigns;
    a positive case's id at an owned record even where it was drawn beyond the ids
    workspaces assign (the spec allows ids up to 2^31 - 1)."""
    target = addressed_id(value)
    if target is None or (target >= UNKNOWN_ID and not positive):
        return value  # names no record, or one no workspace assigns: a test as generated
    picked = pick(target)
    return _rebind(value, picked if picked is not None else UNKNOWN_ID)


@functools.cache
def _field_validator(resource: str, alias: str, custom_type: str | None,
                     required: bool = False,
                     options: tuple[str, ...] = ()) -> jsonschema_rs.Validator | None:
    """A compiled validator for one input field, formats included: Schemathesis marks a value
    invalid by the same format rules, and the two must agree on what a negative test is."""
    res = KINDS_BY_NAME.get(resource) or COLLECTIONS_BY_NAME.get(resource)
    standard = input_schema(res)["properties"].get(alias) if res is not None else None
    if standard is None:
        try:
            # A select's options are the account's (narrowing.py types the field by them):
            # a value outside them is the negative case's invalid part, never a record's name.
            standard = field_schema(Field(alias, custom_type or "text", options=options),
                                    for_input=True)
        except ValueError:
            return None
        if required and standard.get("type") == "string":  # as narrowing.py types it
            standard = {**standard, "minLength": max(1, standard.get("minLength", 0))}
    return jsonschema_rs.validator_for(standard, validate_formats=True)


def _valid_value(resource: str, alias: str, value: Any, owned: OwnedRecords) -> bool:
    """Whether `value` is a valid input for the field: only a valid value can match or collide
    with an existing record, and an invalid one is a negative test to keep as generated."""
    custom = next((f for f in owned.custom_fields.get(resource, [])
                   if f.get("alias") == alias), None)
    validator = _field_validator(resource, alias, custom.get("type", "text") if custom else None,
                                 bool(custom and custom.get("required")),
                                 tuple(str(o) for o in custom.get("options") or ()) if custom
                                 else ())
    if validator is None:
        return isinstance(value, str) and value != ""
    return validator.is_valid(value)


@dataclass
class Binding:
    """What binding made of one case. `unbound` says why a positive case could not be made
    valid on the account (an id no record of the run has, a write the run may not make); None
    when it is: its ids name records that exist and its unique values ones a record holds, so
    a workspace that refuses it is wrong (checks/positive.py)."""

    unbound: str | None = None

    def because(self, reason: str) -> None:
        if self.unbound is None:
            self.unbound = reason


def is_positive(case: Case[Any]) -> bool:
    """Whether Schemathesis generated the case as valid (a positive case); a case without
    generation data claims nothing, so it is bound as generated and judged as negative."""
    meta = getattr(case, "meta", None)
    return meta is not None and not meta.generation.mode.is_negative


def bind(case: Case[Any], op: Operation, owned: OwnedRecords, *, disposable: int | None = None,
         ce_table: str | None = None) -> Binding:
    """Make `case` aim only at owned records (or ones that cannot exist). A positive case is
    made valid on the account where the run can: its ids name records the run owns (reads of
    records the API cannot create: ones the workspace lists), its static lists ones that
    exist, and an /edit or identify body a value an owned record holds."""
    binding = Binding()
    params = case.path_parameters if case.path_parameters is not None else {}
    if "tableName" in params and ce_table and not _negated(case, "path"):
        params["tableName"] = ce_table
    writes = op.changes or op.deletes
    resource = op.resource
    positive_path = is_positive(case) and not _negated(case, "path")
    wanted = addressed_id(params.get("id"))
    if wanted is not None and (wanted < UNKNOWN_ID or positive_path):
        value = params["id"]
        if op.changes_membership:
            lists = owned.lists.get(resource) or [UNKNOWN_ID]
            params["id"] = _rebind(value, lists[wanted % len(lists)])
            if not owned.lists.get(resource):
                binding.because(f"the account has no static list of {resource}")
        elif resource in UNOWNABLE or op.resource == "stages":
            if writes or op.sends:
                params["id"] = _rebind(value, UNKNOWN_ID + wanted % 1000)
                binding.because(f"a live run may not {op.action} {resource} it did not "
                                "create, and the API creates none: aimed at an id no "
                                "workspace assigns")
            elif positive_path:
                params["id"] = _aim_known(value, owned.known_ids(resource), binding, resource)
        elif disposable is not None:
            params["id"] = _rebind(value, disposable)
        elif writes or op.creates or wanted % 4 or positive_path:
            params["id"] = _aim(value, lambda i: owned.pick(_owner_resource(op), i),
                                positive=positive_path)
            if (addressed_id(params["id"]) or 0) >= UNKNOWN_ID:
                binding.because(f"the run owns no record of {resource}")
    if "entityId" in params and addressed_id(params["entityId"]) is not None:
        kind = _entity_kind(op, params)
        if disposable is not None and op.action == Action.DELETE_FOR_RECORD:
            params["entityId"] = _rebind(params["entityId"], disposable)
        else:
            params["entityId"] = _aim(params["entityId"],
                                      lambda i: owned.pick(kind, i) if kind else None,
                                      positive=positive_path)
        if (addressed_id(params["entityId"]) or 0) >= UNKNOWN_ID:
            binding.because(f"the run owns no record of {kind or params.get('entityType')}")
    if "identifier" in params and not _negated(case, "path") and (
            op.writes or positive_path):
        case_id = owned.pick("cases", params["identifier"])
        record = owned.record("cases", case_id) if case_id else None
        if record and record.get("identifier"):
            params["identifier"] = record["identifier"]
        else:
            params["identifier"] = "ZZ-" + str(UNKNOWN_ID)
            binding.because("the run owns no case with an identifier")
    if is_positive(case) and not _negated(case, "query") and isinstance(case.query, dict):
        _bind_static_list(case.query, op, owned)
    if is_positive(case) and not _negated(case, "body") and isinstance(case.body, dict):
        _bind_static_list(case.body, op, owned)
    if isinstance(case.body, dict):
        _bind_body(case.body, op, owned, binding,
                   positive=is_positive(case) and not _negated(case, "body"))
    return binding


def disposable_kind(op: Operation, case: Case[Any]) -> str | None:
    """The resource of a fresh record a delete should aim at, so no delete reaches the pool
    of records the other tests share: the record deleted, or the one whose notes are (None:
    the case names no record, or, a negative one, one no workspace assigns)."""
    params = case.path_parameters or {}
    name = {Action.DELETE: "id", Action.DELETE_FOR_RECORD: "entityId"}.get(op.action)
    wanted = addressed_id(params.get(name)) if name else None
    positive = is_positive(case) and not _negated(case, "path")
    if wanted is None or (wanted >= UNKNOWN_ID and not positive):
        return None
    return op.resource if op.is_delete else _entity_kind(op, params)


def _aim_known(value: Any, known: list[int], binding: Binding, resource: str) -> Any:
    """A read's id aimed at a record the workspace lists (the API cannot create one)."""
    if not known:
        binding.because(f"the workspace lists no {resource}")
        return value
    return _rebind(value, known[zlib.crc32(str(value).encode()) % len(known)])


def _bind_static_list(query: JsonObject, op: Operation, owned: OwnedRecords) -> None:
    """A positive case's static list filter (query or body) names a list the account has,
    or none."""
    if "entityList" in query and addressed_id(query["entityList"]) is not None:
        lists = owned.lists.get(op.resource)
        if lists:
            query["entityList"] = _rebind(query["entityList"],
                                          lists[zlib.crc32(str(query["entityList"]).encode())
                                                % len(lists)])
        else:
            del query["entityList"]


def _owner_resource(op: Operation) -> str:
    return op.resource


def _entity_kind(op: Operation, params: JsonObject) -> str | None:
    if "entityType" in params:
        kind = NOTE_TYPES.get(params["entityType"])
        return kind.name if kind else None
    return op.resource if op.resource in KINDS_BY_NAME else None


def _bind_body(body: JsonObject, op: Operation, owned: OwnedRecords, binding: Binding, *,
               positive: bool) -> None:
    resource = op.resource
    if resource in KINDS_BY_NAME:
        kind = KINDS_BY_NAME[resource]
        unique = set(kind.unique_fields) | {f["alias"] for f in owned.custom_fields.get(
            resource, []) if f.get("unique")}
        # A positive case's values are valid as the spec types them (an /edit's email is
        # any string there): each names a record, so each is bound.
        present = sorted(a for a in unique & set(body)
                         if positive or _valid_value(resource, a, body[a], owned))
        definitions = {f["alias"]: f for f in owned.unique_fields(resource)}
        if op.is_edit and (present or positive):
            # Every unique field of an /edit body names the same record: one owned record,
            # picked by the first one, or (a negative case, 1 time in 4) values no record has.
            # A positive body that names none (the coverage phase sends `{}`: the schema cannot
            # say "one of the unique fields") is made to name an owned record too.
            target = _edit_target(owned, resource, str(body[present[0]]) if present else "",
                                  always=positive)
            if positive and target is None:
                binding.because(f"the run owns no record of {resource} to name")
            for alias in present:
                if target and target.get(alias) is not None:
                    body[alias] = target[alias]
                    continue
                if positive and target:  # a value the record lacks would name nothing
                    del body[alias]
                    continue
                value, fresh = owned.unique_like(definitions[alias], body[alias])
                if fresh:
                    body[alias] = value
                else:  # a select or boolean value may name a record the run does not own
                    del body[alias]
            if positive and target and not set(body) & set(definitions):
                held = [a for a in definitions if target.get(a) is not None]
                if held:  # name the record by a unique value it holds
                    body[held[0]] = target[held[0]]
                else:
                    binding.because(f"the {resource} record the run owns holds no unique "
                                    "value to name it by")
            if not set(body) & set(definitions):
                first = definitions[kind.unique_fields[0]]
                body[first["alias"]] = owned.unique_like(first, None)[0]
            present = []
        for alias in present:
            if not op.is_edit and op.writes:
                # A value of the field's type no record has (the run's earlier writes
                # included); a unique select or boolean has too few values to promise one,
                # and holding them would make later writes of them conflicts: left out
                # unless a create requires it.
                value, fresh = owned.unique_like(definitions[alias], body[alias])
                if fresh or (op.creates and definitions[alias].get("required")):
                    body[alias] = value
                else:
                    del body[alias]
        if op.by_unique_field and "unique_field_value" in body:
            target = _edit_target(owned, resource, body["unique_field_value"], always=positive)
            if positive and target is None:
                binding.because(f"the run owns no record of {resource} to name")
            field = body.get("unique_field")
            field = field if isinstance(field, str) else None  # a wrong type: as generated
            if positive and target is not None and field is not None and \
                    target.get(field) is None:
                # The record holds no value of the field drawn: name one it holds.
                held = [f["alias"] for f in definitions.values()
                        if target.get(f["alias"]) is not None]
                if held:
                    body["unique_field"] = field = held[0]
            value, fresh = (target[field], True) if target and field and \
                target.get(field) is not None \
                else owned.unique_like(definitions[field], body["unique_field_value"]) \
                if field in definitions else (None, False)
            # Never a select's or boolean's value: a record the run does not own may hold it.
            body["unique_field_value"] = value if fresh else owned.unique("none")
    if resource == "users" and (op.creates or op.changes):
        # On updates too: a username another record of the run already took is a conflict.
        for field in owned.unique_fields(resource):
            alias = field["alias"]
            if alias in body and _valid_value(resource, alias, body[alias], owned):
                body[alias] = owned.unique_like(field, body[alias])[0]
    associating = op.action in (Action.ASSOCIATE, Action.DISSOCIATE)
    if associating and isinstance(body.get("associations"), dict):
        for group, ids in body["associations"].items():
            if isinstance(ids, list) and group in KINDS_BY_NAME:
                body["associations"][group] = [
                    _aim(i, functools.partial(owned.pick, group), positive=positive)
                    for i in ids]
                if any((addressed_id(i) or 0) >= UNKNOWN_ID
                       for i in body["associations"][group]):
                    binding.because(f"the run owns no record of {group} to associate")
    if resource == "tasks" and "association_id" in body:
        noted = NOTE_TYPES.get(str(body.get("association_type")))
        body["association_id"] = _aim(body["association_id"],
                                      lambda n: owned.pick(noted.name, n) if noted else None,
                                      positive=positive)
    if op.sends:
        body.pop("contactIds", None)


def _edit_target(owned: OwnedRecords, resource: str, seed: object, *,
                 always: bool = False) -> JsonObject | None:
    """The owned record an /edit or identify aims at: always for a positive case, else 3
    times in 4; None (match nothing) otherwise."""
    if not always and (not isinstance(seed, str) or not len(seed) % 4):
        return None
    picked = owned.pick(resource, seed)
    return owned.record(resource, picked) if picked else None


def _route(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


#: Every operation's path as a pattern, literal paths first (`/contacts/new` before
#: `/contacts/{id}`), so a concrete request path finds the operation it calls.
_ROUTES = sorted(((method, _route(op_path), op)
                  for (method, op_path), op in
                  ((key.split(" ", 1), op) for key, op in OPERATIONS_BY_KEY.items())),
                 key=lambda route: route[2].path.count("{"))


def match_request(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The contract operation a concrete request calls, with its path parameters."""
    for route_method, pattern, op in _ROUTES:
        if route_method == method.upper() and (found := pattern.match(path)):
            return op, found.groupdict()
    return None


class WriteGuard:
    """The write guard of one target: every request the suite sends itself passes `check`
    before it leaves (`Target.request`), and `learn` adopts records the target creates, so
    later writes to them are allowed and writes to anything else are refused."""

    def __init__(self, owned: OwnedRecords, *, read_only: bool) -> None:
        self.owned = owned
        self.read_only = read_only

    def check(self, method: str, path: str) -> None:
        found = match_request(method, path)
        if found is None:
            if method.upper() not in ("GET", "HEAD", "OPTIONS"):
                raise UnsafeRequest(f"{method} {path} is no operation of the contract")
            return
        op, params = found
        assert_safe(op, params, self.owned, read_only=self.read_only)

    def learn(self, method: str, path: str, status: int, body: object) -> None:
        found = match_request(method, path)
        if found is None or not 200 <= status < 300 or not isinstance(body, dict):
            return
        op, _ = found
        if not op.is_create:
            return  # replies are created on a case; they make no record of the case's kind
        singular = _SINGULAR.get(op.resource)
        record = body.get(singular) if singular else None
        if isinstance(record, dict) and isinstance(record.get("id"), int):
            self.owned.adopt(op.resource, record)


_SINGULAR = {**{n: k.singular for n, k in KINDS_BY_NAME.items()},
             **{n: c.singular for n, c in COLLECTIONS_BY_NAME.items()}}


def assert_safe(op: Operation, params: JsonObject, owned: OwnedRecords, *, read_only: bool) -> None:
    """Refuse a request that could change a record this run does not own."""
    if op.is_read:
        return
    if read_only:
        raise UnsafeRequest(f"{op.key} writes, and the run is read-only")
    if op.sends:
        if not owned.allow_send:
            raise UnsafeRequest(f"{op.key} sends email; pass --flexie-allow-send to allow it")
        return  # sending changes no record, and the run was allowed to send
    targets: list[tuple[str | None, Any]] = []
    if "id" in params and not op.changes_membership:
        targets.append((op.resource, params["id"]))
    if "entityId" in params:
        targets.append((_entity_kind(op, params), params["entityId"]))
    if "identifier" in params and IDENTIFIER.match(str(params["identifier"])):
        owned_identifiers = {r.get("identifier") for (res, _), r in owned.records.items()
                             if res == "cases"}
        if params["identifier"] not in owned_identifiers and not str(
                params["identifier"]).startswith("ZZ-"):
            raise UnsafeRequest(f"{op.key}: case {params['identifier']} is not this run's")
    for resource, value in targets:
        record_id = addressed_id(value)
        if record_id is None or record_id >= UNKNOWN_ID:
            continue  # names no record, or one no workspace assigns: refused untouched
        if resource is None or not owned.owns(resource, record_id):
            raise UnsafeRequest(f"{op.key}: {resource} {value!r} is not a record this run "
                                "created")
