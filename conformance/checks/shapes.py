"""Where records sit in answers and how paths are rendered, from the contract's data."""

from __future__ import annotations

from conformance.engine.target import Reply
from contract.fields import JsonObject
from contract.operations import Operation
from contract.resources import COLLECTIONS_BY_NAME, KINDS_BY_NAME


def envelope(resource: str) -> tuple[str, str]:
    """(key of one record, key of a listing) for the resource."""
    res = KINDS_BY_NAME.get(resource) or COLLECTIONS_BY_NAME[resource]
    return res.singular, res.plural


def record_in(reply: Reply, resource: str) -> JsonObject | None:
    """The record an answer holds under the resource's single-record key, if it is an
    object (None: no such record, whatever the status)."""
    body = reply.json if isinstance(reply.json, dict) else {}
    record = body.get(envelope(resource)[0])
    return record if isinstance(record, dict) else None


def render(path: str, ce_table: str | None, **params: object) -> str:
    """A concrete path. A custom-entity path needs the run's table: without one, the tests of
    those operations are skipped before anything is rendered, so this never guesses a name."""
    if "{tableName}" in path and not ce_table:
        raise ValueError(f"{path} needs a custom-entity table, and the run has none")
    out = path.replace("{tableName}", ce_table or "")
    for name, value in params.items():
        out = out.replace("{" + name + "}", str(value))
    return out


def record_path(op: Operation, ce_table: str | None, record_id: int) -> str:
    """GET path of one record of the operation's resource."""
    if op.resource in KINDS_BY_NAME:
        return render(KINDS_BY_NAME[op.resource].path + "/{id}", ce_table, id=record_id)
    return f"/{op.resource}/{record_id}"


def listing_path(op: Operation, ce_table: str | None) -> str:
    if op.resource in KINDS_BY_NAME:
        return render(KINDS_BY_NAME[op.resource].path, ce_table)
    return f"/{op.resource}"


def fields_by_alias(resource: str, custom: list[JsonObject]) -> dict[str, JsonObject]:
    res = KINDS_BY_NAME.get(resource) or COLLECTIONS_BY_NAME.get(resource)
    fields = {f.alias: f.describe() for f in getattr(res, "fields", ())}
    fields.update({f["alias"]: f for f in custom if isinstance(f, dict) and "alias" in f})
    return fields
