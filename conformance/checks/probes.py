"""Probes sent once per operation: unknown ids, foreign keys, other accounts, broken JSON."""

from __future__ import annotations

from conformance.checks.errors import error_problem
from conformance.checks.registry import CheckContext, probe
from conformance.checks.shapes import envelope, fields_by_alias, render
from conformance.owned import UNKNOWN_ID
from contract.operations import READS


def _expect_error(ctx: CheckContext, check: str, reply, status: int, what: str) -> None:
    """The probe's answer must be `status` with a proper JSON error."""
    ctx.observe(reply.status)
    if reply.status != status:
        raise ctx.fail(check, f"{what} got HTTP {reply.status}, expected {status}", reply)
    if problem := error_problem(reply):
        raise ctx.fail(check, problem, reply)


def _params_for(ctx: CheckContext, record_id: int) -> dict:
    params = {"id": record_id}
    if "entityId" in ctx.op.path_params:
        pool = ctx.owned.ids.get(ctx.op.resource) or [UNKNOWN_ID]
        params["entityId"] = pool[0]
        if ctx.op.action in ("list_add", "list_remove"):
            params["id"] = record_id
    return params


@probe
def unknown_id_is_404(ctx: CheckContext) -> None:
    op = ctx.op
    if "id" not in op.path_params or (op.resource in ("reports",) and op.action == "data" \
            and False):
        return
    path = render(op.path, ctx.owned.ce_table, **_params_for(ctx, UNKNOWN_ID + 7))
    if ctx.read_only and op.effect != READS:
        return
    body = {} if op.body else None
    reply = ctx.target.request(op.method, path, json_body=body)
    _expect_error(ctx, "unknown_id_is_404", reply, 404,
                  f"{op.method} {path}, an id that does not exist")


@probe
def other_account_cannot_read(ctx: CheckContext) -> None:
    op = ctx.op
    if op.method != "GET" or (op.path_params != ["id"] and op.path_params != ["tableName", "id"]):
        return
    if not ctx.other_apikey or op.action != "get":
        return
    record_id = ctx.owned.pick(op.resource, 0)
    if record_id is None:
        return
    path = render(op.path, ctx.owned.ce_table, id=record_id)
    reply = ctx.target.request("GET", path, key=ctx.other_apikey)
    singular, _ = envelope(op.resource)
    leaked = isinstance(reply.json, dict) and isinstance(reply.json.get(singular), dict)
    if reply.status < 400 or leaked:
        raise ctx.fail("other_account_cannot_read",
                       f"another account's key read {path} (HTTP {reply.status}); records of "
                       "one account must answer 404 to every other", reply)


@probe
def unknown_key_is_refused(ctx: CheckContext) -> None:
    op = ctx.op
    if op.effect != READS or op.path_params:
        return
    path = render(op.path, ctx.owned.ce_table)
    invalid = "invalid-" + ctx.owned.run_id
    credential = {"bearer": invalid} if ctx.target.bearer else {"key": invalid}
    reply = ctx.target.request(op.method, path, json_body={} if op.body else None, **credential)
    _expect_error(ctx, "unknown_key_is_refused", reply, 401,
                  "an unknown token" if ctx.target.bearer else "an unknown API key")


@probe
def malformed_json_is_400(ctx: CheckContext) -> None:
    op = ctx.op
    if op.body is None or (ctx.read_only and op.effect != READS):
        return
    params = {p: UNKNOWN_ID for p in op.path_params if p in ("id", "entityId")}
    if "entityType" in op.path_params:
        params["entityType"] = "contact"
    if "identifier" in op.path_params:
        params["identifier"] = f"ZZ-{UNKNOWN_ID}"
    path = render(op.path, ctx.owned.ce_table, **params)
    reply = ctx.target.request(op.method, path, raw_body=b'{"broken": ')
    _expect_error(ctx, "malformed_json_is_400", reply, 400, "a body that is not JSON")


@probe
def edit_never_creates(ctx: CheckContext) -> None:
    op = ctx.op
    if op.action != "edit" or ctx.read_only:
        return
    unique = {"contacts": "email", "leads": "email", "accounts": "email",
              "deals": "external_id", "cases": "identifier", "custom_entities": "code"}
    alias = unique.get(op.resource)
    if alias is None:
        return
    value = ctx.owned.unique_email() if alias == "email" else f"ZZ-{UNKNOWN_ID}"
    path = render(op.path, ctx.owned.ce_table)
    reply = ctx.target.request(op.method, path, json_body={alias: value})
    if reply.status != 404:
        singular, _ = envelope(op.resource)
        created = (reply.json or {}).get(singular) if isinstance(reply.json, dict) else None
        if isinstance(created, dict) and isinstance(created.get("id"), int):
            ctx.owned.ledger.created(op.resource, render(op.path.replace("/edit", "/{id}"),
                                                         ctx.owned.ce_table, id=created["id"]))
        raise ctx.fail("edit_never_creates",
                       f"{op.method} {path} with {alias}={value!r}, which no record has, "
                       f"answered {reply.status}; expected 404", reply)


#: A value of the wrong type for each field type that has one, as a careless client sends it.
WRONG_TYPE = {"number": "not-a-number", "integer": "not-an-integer", "boolean": "yes",
              "date": "not-a-date", "datetime": "yesterday", "time": "noon",
              "email": "no-at-sign", "url": "not a url", "lookup": "not-an-id",
              "select": "not-an-option", "multiselect": "not-a-list",
              "country": "Atlantis", "timezone": "Mars/Olympus"}


def _owned_record_path(ctx: CheckContext) -> str | None:
    """Where a write probe may PUT: an owned record of a record kind (None: do not probe)."""
    op = ctx.op
    if op.action != "update" or op.method != "PUT" or ctx.read_only or \
            op.resource not in ctx.owned.custom_fields:
        return None
    record_id = ctx.owned.pick(op.resource, "probe")
    if record_id is None:
        return None
    return render(op.path, ctx.owned.ce_table, id=record_id)


@probe
def unknown_alias_is_refused(ctx: CheckContext) -> None:
    """An alias the account does not have answers 400 naming it, never a silent drop."""
    path = _owned_record_path(ctx)
    if path is None:
        return
    alias = f"zz_{ctx.owned.run_id}_unknown"
    reply = ctx.target.request("PUT", path, json_body={alias: "x"})
    ctx.observe(reply.status)
    message = (reply.json or {}).get("error", {}).get("message", "") \
        if isinstance(reply.json, dict) else ""
    if reply.status != 400 or alias not in str(message):
        raise ctx.fail("unknown_alias_is_refused",
                       f"PUT {path} with unknown alias {alias!r} answered {reply.status}; "
                       "expected 400 naming the alias", reply)


@probe
def invalid_values_are_refused(ctx: CheckContext) -> None:
    """A value of the wrong type for a field answers 400 naming the field."""
    path = _owned_record_path(ctx)
    if path is None:
        return
    resource = ctx.op.resource
    fields = fields_by_alias(resource, ctx.owned.custom_fields.get(resource, []))
    seen_types: set[str] = set()
    for alias, field in fields.items():
        kind = field.get("type")
        if kind not in WRONG_TYPE or kind in seen_types or field.get("readOnly"):
            continue
        seen_types.add(kind)
        reply = ctx.target.request("PUT", path, json_body={alias: WRONG_TYPE[kind]})
        ctx.observe(reply.status)
        if reply.status != 400:
            raise ctx.fail("invalid_values_are_refused",
                           f"PUT {path} with {alias}={WRONG_TYPE[kind]!r} (a {kind} field) "
                           f"answered {reply.status}; expected 400", reply)
