"""Narrow the spec under test to one account before Schemathesis generates from it.

The contract is open where accounts differ: custom-field aliases in bodies, and the fields a
listing may be ordered or filtered by. Generating from the open schema would send aliases the
account does not have and expect them accepted. Here each open place is closed over the
account's real fields (read from list/fields), so every positive case is valid on this
account and every negative one is really invalid.
"""

from __future__ import annotations

import copy
from typing import Any

from contract.fields import Field
from contract.operations import OPERATIONS_BY_KEY
from contract.resources import KINDS_BY_NAME, RECORD_KINDS
from contract.schemas import field_schema

_STAMPS = ("id", "date_added", "date_modified")


def account_fields(target: Any, ce_table: str | None) -> dict[str, list[dict]]:
    """The custom fields of each record kind on the target's account."""
    found: dict[str, list[dict]] = {}
    for kind in RECORD_KINDS:
        if kind.is_custom_entity and not ce_table:
            continue
        base = kind.path.replace("{tableName}", ce_table or "")
        reply = target.request("GET", f"{base}/list/fields")
        fields = reply.json if reply.status == 200 and isinstance(reply.json, list) else []
        found[kind.name] = [f for f in fields if isinstance(f, dict) and f.get("custom")
                            and isinstance(f.get("alias"), str)]
    return found


def narrow(raw: dict, custom: dict[str, list[dict]]) -> dict:
    raw = copy.deepcopy(raw)
    definitions = raw.setdefault("definitions", {})
    _close_inputs(definitions, custom)
    for path, item in raw.get("paths", {}).items():
        for method, op in item.items():
            known = OPERATIONS_BY_KEY.get(f"{method.upper()} {path}")
            if known is None or not isinstance(op, dict):
                continue
            listed = _listed_resource(definitions, known.response)
            if listed is None:
                continue
            fields = _fields_of(definitions, listed, custom)
            _narrow_order_by(raw, op, fields)
            _narrow_bodies(definitions, op, listed, fields)
    return raw


def _close_inputs(definitions: dict, custom: dict[str, list[dict]]) -> None:
    for kind in RECORD_KINDS:
        for prefix in ("create", "input", "edit"):
            schema = definitions.get(f"{prefix}-{kind.name}")
            if not schema or not schema.get("x-custom-fields"):
                continue
            for f in custom.get(kind.name, []):
                try:
                    field = Field(f["alias"], f.get("type", "text"),
                                  options=tuple(f.get("options") or ()))
                except ValueError:
                    continue  # a type the contract does not know: leave it out of generation
                schema["properties"].setdefault(f["alias"], field_schema(field, for_input=True))
            schema["additionalProperties"] = False


def _listed_resource(definitions: dict, response: str | None) -> str | None:
    """The definition of the items an operation lists (`record-notes` for a record's notes)."""
    schema = definitions.get(response or "", {})
    for prop in schema.get("properties", {}).values():
        ref = prop.get("items", {}).get("$ref") if prop.get("type") == "array" else None
        if ref:
            return ref.rsplit("/", 1)[-1]
    return None


def _fields_of(definitions: dict, item: str, custom: dict[str, list[dict]]) -> list[str]:
    record = definitions.get(item, {})
    resource = item.removeprefix("record-")
    # Order and filter by scalar fields only: a list or an object has no order.
    names = [n for n, schema in record.get("properties", {}).items()
             if n != "password" and schema.get("type") not in ("array", "object")]
    names += [f["alias"] for f in custom.get(resource, [])
              if f["alias"] not in names and f.get("type") != "multiselect"]
    return sorted(set(names) | set(_STAMPS)) if names else []


def _narrow_order_by(raw: dict, op: dict, fields: list[str]) -> None:
    params = op.get("parameters", [])
    for index, param in enumerate(params):
        resolved = param
        if "$ref" in param:
            resolved = raw.get("parameters", {}).get(param["$ref"].rsplit("/", 1)[-1], {})
        if resolved.get("in") == "query" and resolved.get("name") == "orderBy":
            params[index] = {**resolved, "enum": fields}


def _narrow_bodies(definitions: dict, op: dict, resource: str, fields: list[str]) -> None:
    for param in op.get("parameters", []):
        if param.get("in") != "body" or "$ref" not in param.get("schema", {}):
            continue
        name = param["schema"]["$ref"].rsplit("/", 1)[-1]
        if name == "filter-input":
            param["schema"] = {"$ref": "#/definitions/" + _filter_input_for(
                definitions, resource, fields)}
        elif name == "search-input":
            param["schema"] = {"$ref": "#/definitions/" + _search_input_for(
                definitions, resource, fields)}


def _filter_input_for(definitions: dict, item: str, fields: list[str]) -> str:
    resource = item.removeprefix("record-")
    name = f"filter-input--{resource}"
    if name not in definitions:
        item = copy.deepcopy(definitions["filter"])
        item["properties"]["alias"] = {"type": "string", "enum": fields}
        definitions[f"filter--{resource}"] = item
        body = copy.deepcopy(definitions["filter-input"])
        body["properties"]["filters"]["items"] = {"$ref": f"#/definitions/filter--{resource}"}
        body["properties"]["orderBy"] = {"type": "string", "enum": fields}
        body.pop("example", None)
        definitions[name] = body
    return name


def _search_input_for(definitions: dict, item: str, fields: list[str]) -> str:
    resource = item.removeprefix("record-")
    name = f"search-input--{resource}"
    if name not in definitions:
        rule = copy.deepcopy(definitions["search-rule"])
        rule["properties"]["field"] = {"type": "string", "enum": fields}
        rule["properties"]["rules"]["items"] = {"$ref": f"#/definitions/search-rule--{resource}"}
        definitions[f"search-rule--{resource}"] = rule
        body = copy.deepcopy(definitions["search-input"])
        body["properties"]["filters"]["properties"]["rules"]["items"] = {
            "$ref": f"#/definitions/search-rule--{resource}"}
        body.pop("example", None)
        definitions[name] = body
    return name


def is_record_kind(resource: str) -> bool:
    return resource in KINDS_BY_NAME
