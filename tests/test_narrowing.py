"""The spec narrowed to an account asks of a body what the contract asks, no more: an update
(PUT/PATCH by id, /edit) carries no field only a create needs, and /edit names its record by
any one unique field, the account's included (a body naming it by one must never count as
the invalid input Schemathesis expects refused)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conformance.engine.narrowing import narrow

SPEC = Path(__file__).resolve().parent.parent / "flexie-api.json"
#: An account whose table has a unique field of its own and a required one, as the demo's
#: `projects` (project_key) and umbrella's tables have.
CUSTOM = {
    "custom_entities": [
        {"alias": "project_key", "type": "text", "unique": True, "custom": True},
        {"alias": "budget_code", "type": "text", "required": True, "custom": True},
    ],
    "contacts": [{"alias": "member_no", "type": "integer", "unique": True, "custom": True}],
    "leads": [{"alias": "segment", "type": "text", "required": True, "custom": True}],
}


@pytest.fixture(scope="module")
def definitions() -> dict:
    return narrow(json.loads(SPEC.read_text(encoding="utf-8")), CUSTOM)["definitions"]


def valid(schema: dict, body: dict) -> bool:
    return jsonschema.Draft4Validator(schema).is_valid(body)


@pytest.mark.parametrize("kind, unique, own", [("custom_entities", "code", "project_key"),
                                               ("contacts", "email", "member_no")])
def test_edit_names_its_record_by_any_unique_field(definitions, kind, unique, own):
    edit = definitions[f"edit-{kind}"]
    assert valid(edit, {own: "7" if kind == "custom_entities" else 7})
    assert valid(edit, {unique: "a@example.test"})
    assert not valid(edit, {}), "a body naming no unique field picks no record"


def test_edit_of_a_kind_with_one_unique_field_still_requires_it(definitions):
    edit = definitions["edit-leads"]
    assert edit["required"] == ["email"]
    assert not valid(edit, {"firstname": "Ada"})


@pytest.mark.parametrize("kind, create_only", [("custom_entities", {"name", "budget_code"}),
                                               ("leads", {"segment"})])
def test_updates_never_require_what_only_a_create_needs(definitions, kind, create_only):
    assert create_only <= set(definitions[f"create-{kind}"]["required"])
    for prefix in ("input", "edit"):
        schema = definitions[f"{prefix}-{kind}"]
        required = set(schema.get("required", [])) | {
            a for branch in schema.get("anyOf", []) for a in branch["required"]}
        assert not required & create_only, f"{prefix}-{kind} requires {required & create_only}"
