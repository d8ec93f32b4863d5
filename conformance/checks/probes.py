"""Probes sent once per operation, to every operation they apply to (under a request budget
too): unknown ids, missing and unknown keys, other accounts, broken JSON, /edit by a value no
record has, unknown aliases, wrong types."""

from __future__ import annotations

from conformance.checks.errors import error_problem
from conformance.checks.evidence import PAGE, PUBLISHED, assumed, documented
from conformance.checks.registry import CheckContext, probe
from conformance.checks.shapes import fields_by_alias, record_in, record_path, render
from conformance.engine.safety import UNKNOWN_ID
from conformance.engine.target import Reply
from contract.fields import JsonObject
from contract.operations import Action, Operation


def _expect_error(ctx: CheckContext, reply: Reply, status: int, what: str) -> None:
    """The probe's answer must be `status` with a proper JSON error."""
    ctx.observe(reply.status)
    if reply.status != status:
        raise ctx.fail(f"{what} got HTTP {reply.status}, expected {status}", reply)
    if problem := error_problem(reply):
        raise ctx.fail(problem, reply)


def _params_for(ctx: CheckContext, record_id: int) -> JsonObject:
    """The path's parameters with the unknown one: `id` when the path has one (its parent
    `entityId` an owned record), else the record the path names (`entityId`, a case's
    `identifier`)."""
    path_params = ctx.op.path_params
    if "id" not in path_params:
        params: JsonObject = {"entityId": record_id, "identifier": f"ZZ-{record_id}"}
        if "entityType" in path_params:
            params["entityType"] = "contact"
        return params
    params = {"id": record_id}
    if "entityId" in path_params:
        pool = ctx.owned.ids.get(ctx.op.resource) or [UNKNOWN_ID]
        params["entityId"] = pool[0]
    return params


def _names_a_record(op: Operation) -> bool:
    """Whether the path names one record: by id, or (on operations without a body, where no
    validation of the body can answer first) by its parent's id or a case's identifier."""
    if "id" in op.path_params:
        return True
    return op.body is None and bool({"entityId", "identifier"} & set(op.path_params))


@probe(when=_names_a_record, why_not="the path names no record", sends_operation=True,
       evidence=documented(f"{PAGE}: 404, no record matched the request"))
def unknown_id_is_404(ctx: CheckContext) -> None:
    op = ctx.op
    path = render(op.path, ctx.owned.ce_table, **_params_for(ctx, UNKNOWN_ID + 7))
    reply = ctx.target.request(op.method, path, json_body={} if op.body else None)
    _expect_error(ctx, reply, 404, f"{op.method} {path}, an id that does not exist")


@probe(actions={Action.GET}, methods={"GET"},
       when=lambda op: op.path_params in (["id"], ["tableName", "id"]),
       why_not="the path names no record by id alone",
       evidence=assumed("Account isolation"))
def other_account_cannot_read(ctx: CheckContext) -> None:
    """A record of this run, read with another account's key, answers a refusal (4xx, not a
    server error); on a custom-entity table only if the other account has the table too (its
    404 is otherwise no proof of isolation)."""
    op = ctx.op
    if not ctx.other_apikey:
        raise ctx.not_checked("no second account's key (--flexie-other-apikey)")
    record_id = ctx.owned.pick(op.resource, 0)
    if record_id is None:
        raise ctx.not_checked(f"the run owns no {op.resource} record")
    if "tableName" in op.path_params:
        fields = render("/ce/{tableName}/list/fields", ctx.owned.ce_table)
        has_table = ctx.target.request("GET", fields, key=ctx.other_apikey)
        if has_table.status == 404:
            raise ctx.not_checked(f"the other account has no table {ctx.owned.ce_table!r}")
        if has_table.status in (401, 403):
            raise ctx.not_checked(f"the second key was refused (HTTP {has_table.status})")
        if has_table.status != 200:
            raise ctx.fail(f"another account's key read {fields}: HTTP {has_table.status}, "
                           "expected 200 or 404", has_table)
    path = render(op.path, ctx.owned.ce_table, id=record_id)
    reply = ctx.target.request("GET", path, key=ctx.other_apikey)
    ctx.observe(reply.status)
    if reply.status == 401:
        raise ctx.not_checked("the second key was refused (HTTP 401)")
    leaked = record_in(reply, op.resource) is not None
    if reply.status < 400 or leaked:
        raise ctx.fail(f"another account's key read {path} (HTTP {reply.status}); records of "
                       "one account must answer 404 to every other", reply)
    if reply.status >= 500:
        raise ctx.fail(f"another account's key on {path} answered HTTP {reply.status}, a "
                       "server error, not a refusal; expected 404", reply)


def _unknown_record_params(op: Operation) -> JsonObject:
    """Path parameters that name no record: a probe's request reaches the operation's route
    and can change nothing."""
    params: JsonObject = {p: UNKNOWN_ID for p in op.path_params if p in ("id", "entityId")}
    if "entityType" in op.path_params:
        params["entityType"] = "contact"
    if "identifier" in op.path_params:
        params["identifier"] = f"ZZ-{UNKNOWN_ID}"
    return params


def _journal_created(ctx: CheckContext, reply: Reply) -> None:
    """A probe's request that a faulty workspace answered by creating a record: journalled,
    so that the cleanup deletes it."""
    created = record_in(reply, ctx.op.resource)
    if created is not None and isinstance(created.get("id"), int):
        ctx.owned.ledger.created(ctx.op.resource,
                                 record_path(ctx.op, ctx.owned.ce_table, created["id"]))


#: Whether an operation serves a request without valid credentials at all is documented; that
#: it answers 401 with a JSON error is our reading (the probes' own evidence).
SECURED = documented(f"{PUBLISHED}: every operation is secured by the apikey")


def _without_valid_credentials(ctx: CheckContext, what: str, *, key: str | None = None,
                               bearer: str | None = None, anonymous: bool = False) -> None:
    """Send the operation, aimed at no record, with one credential (none: `anonymous=True`):
    it must be refused with 401 and a JSON error, whatever the route; an answer that is not
    a refusal (401 or 403) means the route served it."""
    op = ctx.op
    path = render(op.path, ctx.owned.ce_table, **_unknown_record_params(op))
    reply = ctx.target.request(op.method, path, json_body={} if op.body else None,
                               key=key, bearer=bearer, anonymous=anonymous)
    ctx.observe(reply.status)
    if reply.status not in (401, 403):
        _journal_created(ctx, reply)
        raise ctx.fail(f"{op.method} {path} with {what} answered {reply.status}, not a "
                       "refusal: a secured operation must answer 401", reply, evidence=SECURED)
    _expect_error(ctx, reply, 401, what)


@probe(when=lambda op: op.secured, why_not="the operation is not secured",
       sends_operation=True, evidence=assumed("Auth errors"))
def missing_key_is_refused(ctx: CheckContext) -> None:
    """Every route checks authentication itself: one that lost its check serves requests
    without a key (each operation is probed, whatever its cases answered)."""
    _without_valid_credentials(ctx, "no credentials", anonymous=True)


@probe(when=lambda op: op.secured, why_not="the operation is not secured",
       sends_operation=True, evidence=assumed("Auth errors"))
def unknown_key_is_refused(ctx: CheckContext) -> None:
    """An unknown key (or token) is refused by every route, not just a missing one."""
    invalid = "invalid-" + ctx.owned.run_id
    if ctx.target.bearer:
        _without_valid_credentials(ctx, "an unknown token", bearer=invalid)
    else:
        _without_valid_credentials(ctx, "an unknown API key", key=invalid)


@probe(when=lambda op: op.body is not None, why_not="the operation takes no body",
       sends_operation=True,
       evidence=documented(f"{PAGE}: 400, something in the input was malformed"))
def malformed_json_is_400(ctx: CheckContext) -> None:
    op = ctx.op
    path = render(op.path, ctx.owned.ce_table, **_unknown_record_params(op))
    reply = ctx.target.request(op.method, path, raw_body=b'{"broken": ')
    _expect_error(ctx, reply, 400, "a body that is not JSON")


@probe(actions={Action.EDIT}, sends_operation=True,
       evidence=documented(f"{PUBLISHED}: /edit always updates and never creates"))
def edit_never_creates(ctx: CheckContext) -> None:
    """/edit naming a unique value no record has answers 404, by each unique field the kind
    has (the contract's standard ones, the custom ones list/fields marks unique)."""
    op = ctx.op
    path = render(op.path, ctx.owned.ce_table)
    probed = False
    for field in ctx.owned.unique_fields(op.resource):
        alias = field["alias"]
        if field.get("readOnly"):  # assigned by the workspace (a case's identifier)
            value, fresh = f"ZZ-{UNKNOWN_ID}", True
        else:
            value, fresh = ctx.owned.unique_like(field, None)
        if not fresh:
            continue  # a select or boolean: some record may well have the value
        probed = True
        reply = ctx.target.request(op.method, path, json_body={alias: value})
        ctx.observe(reply.status)
        if reply.status == 404:
            continue
        _journal_created(ctx, reply)
        raise ctx.fail(f"{op.method} {path} with {alias}={value!r}, which no record has, "
                       f"answered {reply.status}; expected 404", reply)
    if not probed:
        raise ctx.not_checked(f"no unique field of {op.resource} can take a value no "
                              "record has")


#: A value of the wrong type for each field type that has one, as a careless client sends it.
WRONG_TYPE = {"number": "not-a-number", "integer": "not-an-integer", "boolean": "yes",
              "date": "not-a-date", "datetime": "yesterday", "time": "noon",
              "email": "no-at-sign", "url": "not a url", "lookup": "not-an-id",
              "select": "not-an-option", "multiselect": "not-a-list",
              "country": "Atlantis", "timezone": "Mars/Olympus"}


def _owned_record_path(ctx: CheckContext) -> str:
    """Where a write probe may send the update operation it runs on (PUT or PATCH): an owned
    record of a record kind, whose fields the account defines."""
    op = ctx.op
    if op.resource not in ctx.owned.custom_fields:
        raise ctx.not_checked(f"{op.resource} have no account-defined fields")
    record_id = ctx.owned.pick(op.resource, "probe")
    if record_id is None:
        raise ctx.not_checked(f"the run owns no {op.resource} record")
    return render(op.path, ctx.owned.ce_table, id=record_id)


@probe(actions={Action.UPDATE}, methods={"PUT", "PATCH"}, sends_operation=True,
       evidence=assumed("Unknown aliases"))
def unknown_alias_is_refused(ctx: CheckContext) -> None:
    """An alias the account does not have answers 400 naming it, never a silent drop."""
    method = ctx.op.method
    path = _owned_record_path(ctx)
    alias = f"zz_{ctx.owned.run_id}_unknown"
    reply = ctx.target.request(method, path, json_body={alias: "x"})
    ctx.observe(reply.status)
    message = (reply.json or {}).get("error", {}).get("message", "") \
        if isinstance(reply.json, dict) else ""
    if reply.status != 400 or alias not in str(message):
        raise ctx.fail(f"{method} {path} with unknown alias {alias!r} answered "
                       f"{reply.status}; expected 400 naming the alias", reply)


@probe(actions={Action.UPDATE}, methods={"PUT", "PATCH"}, sends_operation=True,
       evidence=assumed("Invalid values"))
def invalid_values_are_refused(ctx: CheckContext) -> None:
    """A value of the wrong type for a field answers 400 naming the field: one field of each
    type, on every update operation (under a request budget too: one route can skip the
    validation of a type that the others keep)."""
    method = ctx.op.method
    path = _owned_record_path(ctx)
    resource = ctx.op.resource
    fields = fields_by_alias(resource, ctx.owned.custom_fields.get(resource, []))
    one_per_type: dict[str, str] = {}
    for alias, field in fields.items():
        kind = field.get("type")
        if kind in WRONG_TYPE and not field.get("readOnly"):
            one_per_type.setdefault(kind, alias)
    probed = list(one_per_type.items())
    for kind, alias in probed:
        reply = ctx.target.request(method, path, json_body={alias: WRONG_TYPE[kind]})
        ctx.observe(reply.status)
        if reply.status != 400:
            raise ctx.fail(f"{method} {path} with {alias}={WRONG_TYPE[kind]!r} (a {kind} "
                           f"field) answered {reply.status}; expected 400", reply)
    if not probed:
        raise ctx.not_checked(f"no writable field of {resource} has a type a wrong value "
                              "can break")
