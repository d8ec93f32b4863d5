"""JSON schemas (Swagger 2.0 definitions) of the contract, derived from the resources.

Schemas are exact about what Flexie guarantees (envelopes, ids, types of the standard fields)
and open about what varies per account (custom-field aliases, so additional properties are
allowed on records).
"""

from __future__ import annotations

from contract.examples import ASSOCIATIONS_EXAMPLE, COLLECTION_EXAMPLES, PAGING_EXAMPLE
from contract.fields import (
    ALL_OPERATORS,
    FIELD_TYPES,
    FILTER_TYPES,
    INPUT_CONSTRAINTS,
    INT_MAX,
    Field,
    JsonObject,
)
from contract.resources import COLLECTIONS, RECORD_KINDS, Collection, RecordKind

REF = "#/definitions/"
MAX_ID = INT_MAX  # ids are 32-bit in Flexie's database: 2147483647
MAX_PAGE_SIZE = 100  # the most records one page (limit) of a listing or search may ask for
MAX_SEND_LIMIT = 1000  # the most recipients one send of an email may ask for (limit)
#: The forms of path parameters: a custom-entity table name, a case identifier (REF-1042).
TABLE_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
IDENTIFIER_PATTERN = r"^[A-Z]{2,10}-[0-9]{1,10}$"
#: A permission as permission-input names it: bundle:level:permission.
PERMISSION_PATTERN = r"^[a-z_]+:[a-z_]+:[a-z_]+$"


def ref(name: str) -> JsonObject:
    return {"$ref": REF + name}


def nullable(schema: JsonObject) -> JsonObject:
    return {**schema, "x-nullable": True}


def field_schema(f: Field, *, for_input: bool = False) -> JsonObject:
    """The JSON schema of a field's value; inputs add what a server is promised to accept."""
    schema = dict(FIELD_TYPES[f.type])
    if for_input:
        schema.update(INPUT_CONSTRAINTS.get(f.type, {}))
    if f.options and f.type == "select":
        schema["enum"] = list(f.options)
    if f.options and f.type == "multiselect":
        schema["items"] = {"type": "string", "enum": list(f.options)}
    return schema


_STAMPS = {
    "date_added": nullable({"type": "string", "description": "When the record was created."}),
    "date_modified": nullable({"type": "string", "description": "When it last changed."}),
}
_OPEN = ("Custom fields of the account appear under their own aliases, so other properties "
         "are allowed.")

# Response-only properties of the read-only and simpler resources.
_COLLECTION_PROPERTIES: dict[str, JsonObject] = {
    "emails": {"subject": {"type": "string"}, "name": {"type": "string"},
               "fromAddress": nullable({"type": "string"}), "isPublished": {"type": "boolean"},
               "sentCount": {"type": "integer", "minimum": 0}},
    "reports": {"name": {"type": "string"}, "description": nullable({"type": "string"}),
                "source": {"type": "string"}, "isPublished": {"type": "boolean"}},
    "forms": {"name": {"type": "string"}, "alias": {"type": "string"},
              "isPublished": {"type": "boolean"},
              "fields": {"type": "array", "items": {"type": "object"}}},
    "pages": {"title": {"type": "string"}, "alias": {"type": "string"},
              "url": {"type": "string"}, "isPublished": {"type": "boolean"}},
    "roles": {"name": {"type": "string"}, "description": nullable({"type": "string"}),
              "isAdmin": {"type": "boolean"},
              "permissions": {"type": "array", "items": {"type": "string"}}},
    "stages": {"name": {"type": "string"}, "pipeline_id": {"type": "integer"},
               "position": {"type": "integer", "minimum": 0},
               "probability": {"type": "integer", "minimum": 0, "maximum": 100}},
    "dynamic_endpoints": {
        "name": {"type": "string", "description": "The name given to it on the workflow."},
        "url": {"type": "string", "description": "Where to send the request; a secret."},
        "authentication_required": {"type": "boolean",
                                    "description": "Whether a signed JWT must be sent."},
        "cors_origins": nullable({"type": "array", "items": {"type": "string"},
                                  "description": "Origins a browser may call it from; "
                                                 "null: cross-origin calls are off."}),
        "response_type": {"type": "string",
                          "enum": ["data", "html", "redirect", "continue", "sse"]},
        "workflow_id": {"type": "integer"},
        "workflow_name": {"type": "string"},
    },
    "users": {"role": nullable({"type": "integer"})},
}
_NEVER_RETURNED = {"users": {"password"}}


def record_schema(resource: RecordKind | Collection) -> JsonObject:
    """What one record of a resource looks like in an answer."""
    props = {"id": {"type": "integer", "minimum": 1}}
    hidden = _NEVER_RETURNED.get(resource.name, set())
    for f in resource.fields:
        if f.alias not in hidden:
            props[f.alias] = nullable(field_schema(f))
    props.update(_COLLECTION_PROPERTIES.get(resource.name, {}))
    props.update(_STAMPS)
    required = ["id"]
    if resource.name == "dynamic_endpoints":
        required = ["id", *_COLLECTION_PROPERTIES["dynamic_endpoints"]]
    return {"type": "object", "properties": props, "required": required, "description": _OPEN}


def input_schema(resource: RecordKind | Collection, *, required: list[str] | None = None,
                 example: JsonObject | None = None) -> JsonObject:
    """A create or update body: the standard fields typed, custom aliases allowed."""
    props = {f.alias: field_schema(f, for_input=True) for f in resource.fields
             if not f.read_only}
    for f in resource.fields:  # a required field is never emptied, on create or update
        if f.required and props.get(f.alias, {}).get("type") == "string":
            props[f.alias]["minLength"] = 1
    schema: JsonObject = {"type": "object", "properties": props}
    if isinstance(resource, RecordKind):
        schema.update({"description": _OPEN, "x-custom-fields": True})
    else:
        schema["additionalProperties"] = False
    if required:
        schema["required"] = required
    if example is not None:
        schema["example"] = example
    return schema


def _resource_definitions(res: RecordKind | Collection) -> JsonObject:
    n = res.name
    defs = {
        f"record-{n}": record_schema(res),
        f"single-{n}": {"type": "object", "properties": {res.singular: ref(f"record-{n}")},
                        "required": [res.singular]},
        f"list-{n}": {"type": "object", "required": ["total", res.plural], "properties": {
            "total": {"type": "integer", "minimum": 0,
                      "description": "How many records match, over all pages."},
            res.plural: {"type": "array", "items": ref(f"record-{n}")}}},
    }
    if isinstance(res, RecordKind) or not res.read_only:
        required = [f.alias for f in res.fields if f.required]
        create, update = COLLECTION_EXAMPLES.get(n, (getattr(res, "create_example", None),
                                                     getattr(res, "update_example", None)))
        defs[f"create-{n}"] = input_schema(res, required=required or None, example=create)
        # An update by id sends no unique value: the create example's would collide.
        unique = set(getattr(res, "unique_fields", ()))
        defs[f"input-{n}"] = input_schema(res, example=None if update is None else {
            k: v for k, v in update.items() if k not in unique})
    if isinstance(res, RecordKind):
        unique_keys = list(res.unique_fields)
        edit = input_schema(res, example=res.update_example)
        edit["properties"].update({f: {"type": "string"} for f in unique_keys})
        if len(unique_keys) == 1:
            edit["required"] = unique_keys
        edit["description"] = ("The unique field (" + (", ".join(unique_keys) or "per account")
                               + ") picks the record; the other fields are written to it.")
        defs[f"edit-{n}"] = edit
    return defs


def _filter_definitions() -> JsonObject:
    return {
        "filter-value": {"type": "object", "properties": {
            "input": {"description": "The value to compare with, typed as the field (text, "
                                      "number, boolean); a list for in and notIn; null or "
                                      "absent for isNull and isNotNull."},
            "operator": {"type": "string", "enum": list(ALL_OPERATORS)},
            "from": {"type": "string"}, "to": {"type": "string"},
            "id": {"type": "integer", "minimum": 1},
            "label": {"description": "A display label, ignored: a text, or false as real "
                                     "clients send it."}}},
        "filter": {"type": "object", "required": ["type", "alias", "value"], "properties": {
            "type": {"type": "string", "enum": sorted(FILTER_TYPES)},
            "alias": {"type": "string", "minLength": 1},
            "value": ref("filter-value"),
            "strict": {"type": "boolean"}, "starts": {"type": "boolean"},
            "ends": {"type": "boolean"}}},
        "filter-input": {"type": "object", "properties": {
            "filters": {"type": "array", "items": ref("filter")},
            "orderBy": {"type": "string", "minLength": 1},
            "orderByDir": {"type": "string", "enum": ["ASC", "DESC"]},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            "start": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
            "entityList": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            "search": {"type": "string"}}},
        "search-rule": {
            "type": "object",
            "description": "A rule (field, operator, value) or a nested group "
                           "(condition, rules).",
            "properties": {
                "field": {"description": "As list/filters gives it: a name or an object."},
                "operator": {"type": "string", "enum": list(ALL_OPERATORS)},
                "value": {"description": "Shaped as the operator wants."},
                "condition": {"type": "string", "enum": ["AND", "OR"]},
                "rules": {"type": "array", "items": ref("search-rule")}}},
        "search-input": {"type": "object", "required": ["filters"], "properties": {
            "filters": {"type": "object", "required": ["condition", "rules"], "properties": {
                "condition": {"type": "string", "enum": ["AND", "OR"]},
                "rules": {"type": "array", "items": ref("search-rule")}}},
            "page": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}}},
    }


def _misc_definitions() -> JsonObject:
    ids = {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
    operator_entry = {"type": "object", "required": ["operator"], "properties": {
        "operator": {"type": "string", "enum": list(ALL_OPERATORS)},
        "value": {"type": "string", "description": "The shape of value it wants."}}}
    return {
        "error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "integer"}, "message": {"type": "string", "minLength": 1}}}},
            "example": {"error": {"code": 404, "message": "Contact 42 was not found."}}},
        "success": {"type": "object", "required": ["success"], "properties": {
            "success": {"type": "integer", "enum": [0, 1]}}, "example": {"success": 1}},
        "deleted-count": {"type": "object", "required": ["success", "deleted"], "properties": {
            "success": {"type": "integer", "enum": [0, 1]},
            "deleted": {"type": "integer", "minimum": 0}}},
        "field-definition": {"type": "object", "required": ["field", "label", "type",
                                                            "operators"], "properties": {
            "field": {"description": "What a rule sends as `field`: an alias, or an object "
                                     "naming a related entity and its field."},
            "alias": {"type": "string"}, "label": {"type": "string"},
            "type": {"type": "string", "enum": sorted(FIELD_TYPES)},
            "options": {"type": "array", "items": {"type": "string"}},
            "required": {"type": "boolean"}, "unique": {"type": "boolean"},
            "readOnly": {"type": "boolean"}, "custom": {"type": "boolean"},
            "category": {"type": "string"},
            "operators": {"type": "array", "items": operator_entry}}},
        "field-definitions": {"type": "array", "items": ref("field-definition")},
        "field-categories": {"type": "array", "items": {"type": "object", "required": [
            "id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                           "alias": {"type": "string"}}}},
        "static-list": {"type": "object", "required": ["id", "name"], "properties": {
            "id": {"type": "integer", "minimum": 1}, "name": {"type": "string"},
            "alias": {"type": "string"}, "isGlobal": {"type": "boolean"},
            "memberCount": {"type": "integer", "minimum": 0}}},
        "static-lists": {"type": "array", "items": ref("static-list")},
        "list-lists": {"type": "object", "required": ["total", "lists"], "properties": {
            "total": {"type": "integer", "minimum": 0},
            "lists": {"type": "array", "items": ref("static-list")}}},
        "list-owners": {"type": "object", "required": ["total", "owners"], "properties": {
            "total": {"type": "integer", "minimum": 0},
            "owners": {"type": "array", "items": ref("record-users")}}},
        "record-reply": {"type": "object", "required": ["id", "case_id"], "properties": {
            "id": {"type": "integer", "minimum": 1}, "case_id": {"type": "integer"},
            "text": nullable({"type": "string"}), "template_id": nullable({"type": "integer"}),
            **_STAMPS}},
        "single-reply": {"type": "object", "required": ["reply"], "properties": {
            "reply": ref("record-reply")}},
        "list-replies": {"type": "object", "required": ["total", "replies"], "properties": {
            "total": {"type": "integer", "minimum": 0},
            "replies": {"type": "array", "items": ref("record-reply")}}},
        "reply-input": {"type": "object", "minProperties": 1, "additionalProperties": False,
                        "properties": {
            "text": {"type": "string", "minLength": 1},
            "template_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
            "example": {"text": "Thanks for reaching out. We have reset your account."}},
        "associations-input": {"type": "object", "required": ["associations"], "properties": {
            "associations": {"type": "object", "additionalProperties": False, "properties": {
                "leads": ids, "contacts": ids, "accounts": ids}}},
            "example": ASSOCIATIONS_EXAMPLE},
        "deal-associations": {"type": "object", "required": ["success", "associations"],
                              "properties": {
            "success": {"type": "integer", "enum": [0, 1]},
            "associations": {"type": "object", "required": ["leads", "contacts", "accounts"],
                             "properties": {"leads": ids, "contacts": ids, "accounts": ids}}}},
        "identify-input": {"type": "object", "required": ["unique_field", "unique_field_value"],
                           "properties": {"unique_field": {"type": "string", "minLength": 1},
                                          "unique_field_value": {"type": "string"}}},
        "paging-input": {"type": "object", "properties": {
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            "start": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
            "orderBy": {"type": "string", "minLength": 1},
            "orderByDir": {"type": "string", "enum": ["ASC", "DESC"]}},
            "example": PAGING_EXAMPLE},
        "permission-input": {"type": "object", "required": ["permissions"], "properties": {
            "permissions": {"type": "array", "minItems": 1, "items": {
                "type": "string", "pattern": PERMISSION_PATTERN}}},
            "example": {"permissions": ["lead:leads:viewown", "lead:leads:editown"]}},
        "permission-result": {"type": "object", "required": ["permissions"], "properties": {
            "permissions": {"type": "object", "additionalProperties": {"type": "boolean"}}}},
        "send-input": {"type": "object", "properties": {
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_SEND_LIMIT},
            "contactIds": {"type": "array", "items": {"type": "integer", "minimum": 1,
                                                      "maximum": MAX_ID}}},
            "example": {"limit": 100}},
        "send-result": {"type": "object", "required": ["success", "sent"], "properties": {
            "success": {"type": "integer", "enum": [0, 1]},
            "sent": {"type": "integer", "minimum": 0}}},
        "report-data": {"type": "object", "required": ["total", "error", "data"], "properties": {
            "total": {"type": "integer", "minimum": 0}, "error": {"type": "string"},
            "data": {"type": "array", "items": {"type": "object"}}}},
        "categories": {"type": "array", "items": {"type": "object", "required": ["id", "name"],
                                                  "properties": {"id": {"type": "integer"},
                                                                 "name": {"type": "string"}}}},
    }


def definitions() -> JsonObject:
    defs: JsonObject = {}
    resources: tuple[RecordKind | Collection, ...] = (*RECORD_KINDS, *COLLECTIONS)
    for res in resources:
        defs.update(_resource_definitions(res))
    defs.update(_filter_definitions())
    defs.update(_misc_definitions())
    return dict(sorted(defs.items()))
