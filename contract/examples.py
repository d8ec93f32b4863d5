"""Request examples per operation: path parameters that name records the embedded demo
workspace holds, and bodies written for the resource they are sent to.

Examples are the spec's promise of a request that succeeds: tools such as Dredd and Prism send
them as they are, and tests/test_spec_examples.py sends every one to a fresh embedded mock.
Shared bodies (filter-input, search-input, identify-input) get one example per resource, as a
body that names fields of another resource (`email` for deals) is rightly refused. Ids are those
`workspace/seed.py` assigns to the demo account `acme`; the test keeps them true. Deletes aim
at records no other example uses, so sending every example in the spec's order succeeds.
"""

from __future__ import annotations

from typing import Any

from contract.fields import JsonObject
from contract.operations import Action, Operation

#: The demo record each resource's examples name, and the one its delete removes.
RECORD_ID = {"contacts": 61, "leads": 65, "accounts": 69, "deals": 72, "cases": 75,
             "custom_entities": 78, "notes": 81, "tasks": 93, "users": 6, "pipelines": 14,
             "workflows": 24, "emails": 32, "reports": 35, "forms": 57, "pages": 59,
             "roles": 1}
DELETED_ID = {"contacts": 64, "leads": 68, "accounts": 71, "deals": 74, "cases": 77,
              "custom_entities": 80, "notes": 83, "tasks": 95, "users": 8, "pipelines": 19,
              "workflows": 30}
#: Each record kind's first static list.
LIST_ID = {"contacts": 1, "leads": 3, "accounts": 5, "deals": 7, "cases": 9,
           "custom_entities": 11}
TABLE_NAME = "projects"
CASE_IDENTIFIER = "REF-1001"

#: (alias, value) a filter or search on each resource matches demo records with.
_MATCH = {"contacts": ("email", "acme.example.com"), "leads": ("email", "acme.example.com"),
          "accounts": ("name", "Acme"), "deals": ("name", "renewal"),
          "cases": ("title", "error"), "custom_entities": ("name", "Projects"),
          "users": ("email", "acme.example.com"), "workflows": ("name", "Welcome"),
          "emails": ("subject", "Acme"), "reports": ("name", "Contacts"),
          "pages": ("title", "Pricing"), "roles": ("name", "Sales")}
#: The unique field and a value a demo record has, per record kind.
_IDENTIFY = {"contacts": ("email", "lucas.moreau.contacts@acme.example.com"),
             "leads": ("email", "lucas.moreau.leads@acme.example.com"),
             "accounts": ("email", "info.1@cobalt.example.com"),
             "deals": ("external_id", "ACME-ERP-1000"),
             "cases": ("identifier", CASE_IDENTIFIER),
             "custom_entities": ("code", "PRO-2025-001")}


#: (create, update) examples of the collections whose descriptions carry none.
COLLECTION_EXAMPLES: dict[str, tuple[JsonObject, JsonObject]] = {
    "notes": ({"text": "Called about the renewal; follow up next week."},
              {"text": "Followed up: renewal signed."}),
    "tasks": ({"task": "Call back about the renewal", "due_date": "2026-06-25T14:00:00+00:00"},
              {"task": "Call back about the renewal (moved)"}),
    "users": ({"username": "jane.doe", "firstName": "Jane", "lastName": "Doe",
               "email": "jane.doe@acme.example.com", "password": "Correct-Horse-42"},
              {"position": "Account manager"}),
    "pipelines": ({"name": "Partners"}, {"name": "Sales (EMEA)"}),
    "workflows": ({"name": "Welcome series"}, {"name": "Welcome series (v2)"}),
}
PAGING_EXAMPLE = {"start": 0, "limit": 30}
ASSOCIATIONS_EXAMPLE = {"associations": {"contacts": [RECORD_ID["contacts"]],
                                         "accounts": [RECORD_ID["accounts"]]}}


def path_example(op: Operation, name: str) -> Any:
    """The example of one path parameter of an operation."""
    if name == "tableName":
        return TABLE_NAME
    if name == "identifier":
        return CASE_IDENTIFIER
    if name == "entityType":
        return "contact"
    if name == "entityId":
        if op.resource == "notes":
            return DELETED_ID["contacts"] - 1 if op.action == Action.DELETE_FOR_RECORD \
                else RECORD_ID["contacts"]
        return RECORD_ID[op.resource]
    if op.changes_membership:
        return LIST_ID[op.resource]
    if op.is_delete:
        return DELETED_ID[op.resource]
    return RECORD_ID[op.resource]


def body_example(op: Operation) -> JsonObject | None:
    """A per-resource example for the bodies several resources share; None: the body's own
    definition carries its example."""
    if op.body == "filter-input" and op.resource in _MATCH:
        alias, value = _MATCH[op.resource]
        return {"filters": [{"type": "text", "alias": alias, "strict": False,
                             "value": {"operator": "like", "input": value, "label": False}}],
                "start": 0, "limit": 30, "orderBy": "id", "orderByDir": "DESC"}
    if op.body == "search-input" and op.resource in _MATCH:
        alias, value = _MATCH[op.resource]
        return {"filters": {"condition": "OR", "rules": [
            {"field": alias, "operator": "contains", "value": value},
            {"condition": "AND", "rules": [{"field": "id", "operator": "gt", "value": 0}]}]},
            "page": 1, "limit": 30}
    if op.body == "identify-input" and op.resource in _IDENTIFY:
        field, value = _IDENTIFY[op.resource]
        return {"unique_field": field, "unique_field_value": value}
    return None
