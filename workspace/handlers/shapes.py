"""Shapes of the collections (notes, tasks, users ...), derived from the contract.

Writable fields come from the contract's `Collection.fields`; what a record shows and what a
filter may name come from the record schema the spec publishes (`record-<name>`), so the
answers and the spec cannot drift apart.
"""

from __future__ import annotations

from contract.fields import Field
from contract.resources import COLLECTIONS
from contract.schemas import definitions
from workspace.handlers.common import ID_FIELD, STAMP_FIELDS, STAMPS, Shape

_JSON_TO_FIELD = {"string": "text", "integer": "integer", "number": "number",
                  "boolean": "boolean"}


def _schema_fields(name: str) -> list[Field]:
    props = definitions().get(f"record-{name}", {}).get("properties", {})
    out = []
    for alias, schema in props.items():
        ftype = _JSON_TO_FIELD.get(schema.get("type"))
        if alias not in ("id", *STAMPS) and ftype:
            out.append(Field(alias, ftype))
    return out


def _shape(name: str, singular: str, plural: str, noun: str, fields: tuple[Field, ...],
           extra: tuple[Field, ...] = (), hidden: frozenset[str] = frozenset(),
           unique: tuple[str, ...] = ()) -> Shape:
    """The contract's typed fields first, then what only the record schema shows (JSON types:
    emails' subject, stages' position ...); filters and orderBy take all of them."""
    shown = [f for f in fields if f.alias not in hidden]
    known = {f.alias for f in shown}
    shown += [f for f in extra if f.alias not in known]
    filterable = {f.alias: f for f in (*shown, *STAMP_FIELDS, ID_FIELD)}
    keys = tuple(f.alias for f in shown)
    searchable = tuple(f.alias for f in shown if f.type in ("text", "textarea", "email"))
    return Shape(name, singular, plural, noun, {f.alias: f for f in fields}, filterable,
                 unique, searchable, keys, hidden)


def _build() -> dict[str, Shape]:
    shapes: dict[str, Shape] = {}
    for c in COLLECTIONS:
        schema = tuple(_schema_fields(c.name))
        hidden = frozenset({"password"}) if c.name == "users" else frozenset()
        unique = tuple(f.alias for f in c.fields if f.unique)
        noun = c.singular.replace("_", " ")
        shapes[c.name] = _shape(c.name, c.singular, c.plural, noun, c.fields, schema, hidden,
                                unique)
    notes = shapes["notes"]
    shapes["notes"] = _shape("notes", "note", "notes", "note",
                             tuple(notes.fields.values()),
                             (*_schema_fields("notes"), Field("entity_type", "text"),
                              Field("entity_id", "integer")))
    shapes["replies"] = _shape("replies", "reply", "replies", "reply", (
        Field("text", "textarea"), Field("template_id", "lookup")),
        (Field("case_id", "integer"),))
    for name in ("task_categories", "workflow_categories"):
        shapes[name] = _shape(name, "category", "categories", "category",
                              (Field("name", "text", required=True),))
    shapes["report_rows"] = Shape("report_rows", "row", "data", "row", {}, {})
    return shapes


COLLECTION_SHAPES: dict[str, Shape] = _build()
