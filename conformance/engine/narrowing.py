"""Narrow the spec under test to one account before Schemathesis generates from it.

The contract is open where accounts differ: custom-field aliases in bodies, and the fields a
listing may be ordered or filtered by. Generating from the open schema would send aliases the
account does not have and expect them accepted. Here each open place is closed over the
account's real fields (read from list/fields), so every positive case is valid on this
account and every negative one is really invalid.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonschema_rs

from conformance.engine.owned import nth_value
from contract.fields import FIELD_TYPES, FILTER_TYPE, OPERATORS, Field, JsonObject
from contract.operations import OPERATIONS_BY_KEY
from contract.resources import COLLECTIONS_BY_NAME, KINDS_BY_NAME, RECORD_KINDS
from contract.schemas import field_schema


def account_fields(target: Any, ce_table: str | None) -> dict[str, list[JsonObject]]:
    """The custom fields of each record kind on the target's account."""
    found: dict[str, list[JsonObject]] = {}
    for kind in RECORD_KINDS:
        if kind.is_custom_entity and not ce_table:
            continue
        base = kind.path.replace("{tableName}", ce_table or "")
        reply = target.request("GET", f"{base}/list/fields")
        fields = reply.json if reply.status == 200 and isinstance(reply.json, list) else []
        found[kind.name] = [f for f in fields if isinstance(f, dict) and f.get("custom")
                            and isinstance(f.get("alias"), str)]
    return found


def narrow(raw: JsonObject, custom: dict[str, list[JsonObject]]) -> JsonObject:
    raw = copy.deepcopy(raw)
    definitions = raw.setdefault("definitions", {})
    _close_inputs(definitions, custom)
    for path, item in raw.get("paths", {}).items():
        for method, op in item.items():
            known = OPERATIONS_BY_KEY.get(f"{method.upper()} {path}")
            if known is None or not isinstance(op, dict):
                continue
            listed = _listed_resource(definitions, known.response)
            if listed is None and known.is_identify:
                listed = f"record-{known.resource}"
            if listed is None:
                continue
            fields = _fields_of(definitions, listed, custom)
            _narrow_order_by(raw, op, fields)
            _narrow_bodies(definitions, op, listed, fields)
    return raw


def _close_inputs(definitions: JsonObject, custom: dict[str, list[JsonObject]]) -> None:
    for kind in RECORD_KINDS:
        for prefix in ("create", "input", "edit"):
            schema = definitions.get(f"{prefix}-{kind.name}")
            if not schema or not schema.get("x-custom-fields"):
                continue
            required = []
            for f in custom.get(kind.name, []):
                try:
                    field = Field(f["alias"], f.get("type", "text"),
                                  options=tuple(f.get("options") or ()))
                except ValueError:
                    continue  # a type the contract does not know: leave it out of generation
                prop = schema["properties"].setdefault(f["alias"],
                                                       field_schema(field, for_input=True))
                if f.get("required"):
                    required.append(f)
                    if prop.get("type") == "string":  # never emptied, as the standard ones
                        prop["minLength"] = max(1, prop.get("minLength", 0))
            schema["additionalProperties"] = False
            if prefix == "create" and required:
                schema["required"] = [*schema.get("required", []),
                                      *(f["alias"] for f in required)]
            if prefix == "edit":
                _name_the_record_by_any_unique_field(schema, kind.unique_fields,
                                                     custom.get(kind.name, []))
            if "example" in schema:
                schema["example"] = _account_example(schema, required if prefix == "create"
                                                     else [])


def _name_the_record_by_any_unique_field(schema: JsonObject, standard: tuple[str, ...],
                                         custom: list[JsonObject]) -> None:
    """An /edit body must name its record by a unique field, and any one will do: the
    contract's (required when it is the kind's only one) or one the account marks unique.
    Requiring the contract's alone would call a body that names the record by the account's
    unique field invalid, and expect the workspace to refuse an update it rightly makes."""
    unique = [*standard, *(f["alias"] for f in custom
                           if f.get("unique") and f["alias"] in schema["properties"])]
    if len(unique) < 2:
        return
    schema["required"] = [a for a in schema.get("required", []) if a not in unique]
    if not schema["required"]:
        del schema["required"]
    schema["anyOf"] = [{"required": [alias]} for alias in unique]


def _account_example(schema: JsonObject, required: list[JsonObject]) -> JsonObject:
    """The contract's example as valid for this account: the values its fields accept (the
    example's custom aliases are one account's), plus the account's required fields."""
    example = {}
    for alias, value in schema["example"].items():
        prop = schema["properties"].get(alias)
        valid = prop is not None and jsonschema_rs.validator_for(
            prop, validate_formats=True).is_valid(value)
        if valid:
            example[alias] = value
    for f in required:
        example.setdefault(f["alias"], nth_value(f, 0))
    return example


def _listed_resource(definitions: JsonObject, response: str | None) -> str | None:
    """The definition of the items an operation lists (`record-notes` for a record's notes)."""
    schema = definitions.get(response or "", {})
    for prop in schema.get("properties", {}).values():
        ref: str | None = prop.get("items", {}).get("$ref") if prop.get("type") == "array" \
            else None
        if ref:
            return ref.rsplit("/", 1)[-1]
    return None


_JSON_TO_FIELD = {"string": "text", "integer": "integer", "number": "number",
                  "boolean": "boolean"}


def _fields_of(definitions: JsonObject, item: str,
               custom: dict[str, list[JsonObject]]) -> list[JsonObject]:
    """The fields one may order and filter the listed records by, typed as Flexie types.

    A record kind's fields come from the contract (standard) and the account (custom);
    other resources' from the properties of their record schema.
    """
    resource = item.removeprefix("record-")
    kind = KINDS_BY_NAME.get(resource)
    if kind is not None:
        fields = [{**f.describe(), "unique": f.unique} for f in kind.fields]
        fields += [{"alias": a, "type": "datetime"} for a in ("date_added", "date_modified")]
        fields.append({"alias": "id", "type": "lookup", "sort_only": True})
        fields += [f for f in custom.get(resource, []) if f.get("type") in FIELD_TYPES]
        return fields
    collection = COLLECTIONS_BY_NAME.get(resource)
    fields = [f.describe() for f in getattr(collection, "fields", ()) if f.alias != "password"]
    known = {f["alias"] for f in fields} | {"password"}
    for alias, schema in definitions.get(item, {}).get("properties", {}).items():
        json_type = schema.get("type")
        if alias in ("date_added", "date_modified"):
            fields.append({"alias": alias, "type": "datetime"})
        elif alias not in known and json_type in _JSON_TO_FIELD:
            fields.append({"alias": alias, "type": _JSON_TO_FIELD[json_type]})
    return fields


def _narrow_order_by(raw: JsonObject, op: JsonObject, fields: list[JsonObject]) -> None:
    params = op.get("parameters", [])
    for index, param in enumerate(params):
        resolved = param
        if "$ref" in param:
            resolved = raw.get("parameters", {}).get(param["$ref"].rsplit("/", 1)[-1], {})
        if resolved.get("in") == "query" and resolved.get("name") == "orderBy":
            sortable = [f["alias"] for f in fields if f.get("type") != "multiselect"]
            params[index] = {**resolved, "enum": sortable}


def _narrow_bodies(definitions: JsonObject, op: JsonObject, item: str,
                   fields: list[JsonObject]) -> None:
    for param in op.get("parameters", []):
        if param.get("in") != "body" or "$ref" not in param.get("schema", {}):
            continue
        # `filter-input.deals` is filter-input with the deals example (contract/examples.py).
        name = param["schema"]["$ref"].rsplit("/", 1)[-1].split(".", 1)[0]
        builder = {"filter-input": _filter_input_for, "search-input": _search_input_for,
                   "identify-input": _identify_input_for,
                   "paging-input": _paging_input_for}.get(name)
        if builder is not None:
            param["schema"] = {"$ref": "#/definitions/" + builder(definitions, item, fields)}


_NULL_OPS = {"isNull", "isNotNull"}
_SET_OPS = {"in", "notIn"}
_TEXT_OPS = {"contains", "not_contains", "starts_with", "ends_with", "like"}


def _value_shapes(field: JsonObject) -> list[tuple[list[str], JsonObject | None]]:
    """(operators, schema of the value they take) for one field: the contract's table."""
    try:
        typed = Field(field["alias"], field["type"], options=tuple(field.get("options") or ()))
    except ValueError:
        return []
    ops = OPERATORS[typed.type]
    scalar = field_schema(typed, for_input=True)
    if typed.type == "multiselect":
        scalar = scalar["items"]
    shapes: list[tuple[list[str], JsonObject | None]] = []
    plain = [o for o in ops if o not in _NULL_OPS | _SET_OPS | _TEXT_OPS]
    if plain:
        shapes.append((plain, scalar))
    if text := [o for o in ops if o in _TEXT_OPS and o != "like"]:
        shapes.append((text, {"type": "string", "minLength": 1}))
    if sets := [o for o in ops if o in _SET_OPS]:
        shapes.append((sets, {"type": "array", "items": scalar, "minItems": 1}))
    if nulls := [o for o in ops if o in _NULL_OPS]:
        shapes.append((nulls, None))
    return shapes


def _filter_variants(field: JsonObject) -> list[JsonObject]:
    variants = []
    for ops, value in _value_shapes(field):
        value_schema: dict[str, Any] = {"type": "object", "additionalProperties": False,
                        "required": ["operator"] + (["input"] if value else []),
                        "properties": {"operator": {"type": "string", "enum": ops}}}
        if value:
            value_schema["properties"]["input"] = value
        variants.append({
            "type": "object", "additionalProperties": False,
            "required": ["type", "alias", "value"],
            "properties": {"type": {"type": "string", "enum": [FILTER_TYPE[field["type"]]]},
                           "alias": {"type": "string", "enum": [field["alias"]]},
                           "value": value_schema, "strict": {"type": "boolean"},
                           "starts": {"type": "boolean"}, "ends": {"type": "boolean"}}})
    return variants


def _rule_variants(field: JsonObject) -> list[JsonObject]:
    variants = []
    for ops, value in _value_shapes(field):
        rule: dict[str, Any] = {"type": "object", "additionalProperties": False,
                "required": ["field", "operator"] + (["value"] if value else []),
                "properties": {"field": {"type": "string", "enum": [field["alias"]]},
                               "operator": {"type": "string", "enum": ops}}}
        if value:
            rule["properties"]["value"] = value
        variants.append(rule)
    return variants


def _derive(definitions: JsonObject, base: str, item: str,
            change: Callable[[JsonObject], None]) -> str:
    """A copy of definition `base` narrowed for the listed `item`, made once, by name."""
    name = f"{base}--{item}"
    if name not in definitions:
        body = copy.deepcopy(definitions[base])
        body.pop("example", None)  # the contract's example names fields this item may lack
        change(body)
        definitions[name] = body
    return name


def _filter_input_for(definitions: JsonObject, item: str, fields: list[JsonObject]) -> str:
    def change(body: JsonObject) -> None:
        variants = [v for f in fields if not f.get("sort_only") for v in _filter_variants(f)]
        body["properties"]["filters"] = {"type": "array", "items": {"anyOf": variants}}
        body["properties"]["orderBy"] = {"type": "string",
                                         "enum": [f["alias"] for f in fields]}
        body["additionalProperties"] = False

    return _derive(definitions, "filter-input", item, change)


def _search_input_for(definitions: JsonObject, item: str, fields: list[JsonObject]) -> str:
    rule_name = f"search-rule--{item}"
    rules = {"type": "array", "items": {"$ref": f"#/definitions/{rule_name}"}}
    group = {"type": "object", "additionalProperties": False,
             "required": ["condition", "rules"],
             "properties": {"condition": {"type": "string", "enum": ["AND", "OR"]},
                            "rules": rules}}

    def change(body: JsonObject) -> None:
        definitions[rule_name] = {"anyOf": [v for f in fields if not f.get("sort_only")
                                            for v in _rule_variants(f)] + [group]}
        body["properties"]["filters"] = group
        body["additionalProperties"] = False

    return _derive(definitions, "search-input", item, change)


def _paging_input_for(definitions: JsonObject, item: str, fields: list[JsonObject]) -> str:
    def change(body: JsonObject) -> None:
        body["properties"]["orderBy"] = {"type": "string", "enum": [
            f["alias"] for f in fields if f.get("type") != "multiselect"]}

    return _derive(definitions, "paging-input", item, change)


def _identify_input_for(definitions: JsonObject, item: str, fields: list[JsonObject]) -> str:
    unique = [f["alias"] for f in fields if f.get("unique")]
    if not unique:
        return "identify-input"

    def change(body: JsonObject) -> None:
        body["properties"]["unique_field"] = {"type": "string", "enum": unique}
        body["additionalProperties"] = False

    return _derive(definitions, "identify-input", item, change)
