"""flexie-api.json: valid, loadable, complete against both references, and lint-clean."""

from __future__ import annotations

import json
import re

import pytest
import schemathesis
from openapi_spec_validator import validate

from contract import build
from contract.lint import lint
from contract.operations import (
    CREATABLE,
    CREATE_OPERATIONS,
    OPERATIONS,
    RESOURCES,
    UNOWNABLE,
    Action,
    Effect,
)
from contract.resources import GROUPS
from contract.spec import load_spec

SPEC = build.SPEC_PATH
METHODS = {"get", "put", "post", "delete", "patch"}
# A path on the page: /api, then segments that are lowercase words or {params}; the endpoint's
# title follows with no space, starting with a capital letter.
PAGE_ENDPOINT = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)/api((?:/(?:\{[A-Za-z]+\}|[a-z_]+))+)")


@pytest.fixture(scope="module")
def spec() -> dict:
    return load_spec(SPEC)


def published_operations(reference) -> dict[tuple[str, str], set[str]]:
    published = json.loads((reference / "flexie-api.json").read_text())
    return {(m.upper(), p): set(op.get("responses", {}))
            for p, item in published["paths"].items() for m, op in item.items() if m in METHODS}


def page_operations(reference) -> set[tuple[str, str]]:
    return set(PAGE_ENDPOINT.findall((reference / "flexie-api-page.txt").read_text()))


def our_operations(spec) -> dict[tuple[str, str], set[str]]:
    return {(m.upper(), p): set(op["responses"])
            for p, item in spec["paths"].items() for m, op in item.items() if m in METHODS}


def test_committed_spec_is_the_generated_one():
    assert build.main(["--check"]) == 0, "run `python -m contract.build`"


def test_spec_is_valid_swagger_2(spec):
    validate(spec)
    assert spec["info"] == {**spec["info"], "title": "Flexie", "version": "1.0.1"}
    assert spec["basePath"] == "/api" and spec["schemes"] == ["https"]


def test_schemathesis_loads_every_operation():
    schema = schemathesis.openapi.from_path(str(SPEC))
    loaded, errors = 0, []
    for result in schema.get_all_operations():
        try:
            result.ok()
            loaded += 1
        except Exception as exc:
            errors.append(str(exc))
    assert errors == []
    assert loaded == len(OPERATIONS)


def test_security_accepts_header_query_and_oauth2(spec):
    defs = spec["securityDefinitions"]
    assert defs["apikeyHeader"] == {"type": "apiKey", "in": "header", "name": "apikey"}
    assert defs["apikeyQuery"] == {"type": "apiKey", "in": "query", "name": "apikey"}
    assert defs["oauth2"]["flow"] == "accessCode"
    assert defs["oauth2"]["tokenUrl"].endswith("/oauth2/token")
    for (method, path), codes in our_operations(spec).items():
        op = spec["paths"][path][method.lower()]
        assert len(op["security"]) == 3, f"{method} {path}"
        assert {"401", "403"} <= codes, f"{method} {path} documents no 401/403"


def test_lint_clean(spec):
    assert [str(p) for p in lint(spec)] == []


def test_lint_finds_the_published_defects(reference):
    problems = lint(load_spec(reference / "flexie-api.json"))
    undeclared = {p.where for p in problems if p.rule == "path-parameter"}
    assert undeclared == {"POST /deals/{id}/associations", "DELETE /deals/{id}/associations",
                          "PUT /pipelines/{id}", "PATCH /pipelines/{id}",
                          "DELETE /pipelines/{id}"}
    assert any(p.rule == "security" and p.where == "GET /reports" for p in problems)
    misspelt = {p.message.split("'")[1] for p in problems if p.rule == "operation-id"}
    assert {"updateLeadByUnqiueField", "lisDeals"} <= misspelt


def test_every_published_operation_and_status_code_is_ours(spec, reference):
    ours = our_operations(spec)
    for key, codes in published_operations(reference).items():
        assert key in ours, f"{key} of the published spec is missing"
        assert codes <= ours[key], f"{key}: published codes {sorted(codes - ours[key])} missing"


def test_every_page_endpoint_is_ours(spec, reference):
    page = page_operations(reference)
    assert len(page) == 142
    assert page == {(o.method, o.path) for o in OPERATIONS if o.on_page}
    assert page <= set(our_operations(spec))


def test_union_of_references_is_exactly_ours(spec, reference):
    union = set(published_operations(reference)) | page_operations(reference)
    documented = {(o.method, o.path) for o in OPERATIONS if o.on_page or o.in_published_spec}
    assert union == documented <= set(our_operations(spec))


def test_catalogue_flags_match_references(reference):
    published, page = published_operations(reference), page_operations(reference)
    for op in OPERATIONS:
        key = (op.method, op.path)
        assert op.in_published_spec == (key in published), op.key
        assert op.on_page == (key in page), op.key


def test_every_operation_is_described(spec):
    for (method, path), _ in our_operations(spec).items():
        op = spec["paths"][path][method.lower()]
        assert op["summary"] and len(op["tags"]) == 1, f"{method} {path}"
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]*)*", op["operationId"]), op["operationId"]


def test_eighteen_groups_tagged(spec):
    used = {op["tags"][0] for item in spec["paths"].values() for op in item.values()}
    assert used == {t["name"] for t in spec["tags"]} and len(used) == 18


def test_lint_rules_catch_broken_specs(spec):
    broken = json.loads(json.dumps(spec))
    contact = broken["paths"]["/contacts/{id}"]["get"]
    contact["parameters"] = []
    contact["tags"] = []
    broken["paths"]["/leads/{id}"]["get"]["operationId"] = contact["operationId"]
    broken["definitions"]["success"]["example"] = {"success": "yes"}
    rules = {p.rule for p in lint(broken)}
    assert {"path-parameter", "tag", "operation-id", "example"} <= rules


def test_resource_facts_follow_from_the_operations():
    """What the suite once listed by hand is computed from the operations, to the same sets."""
    assert UNOWNABLE == {"workflows", "emails", "reports", "forms", "pages", "roles", "stages",
                         "dynamic_endpoints"}
    assert CREATABLE == {"contacts", "leads", "accounts", "deals", "cases", "custom_entities",
                         "notes", "tasks", "users", "pipelines"}
    assert {r: o.key for r, o in CREATE_OPERATIONS.items() if r in ("tasks", "users", "notes",
                                                                     "pipelines")} == {
        "notes": "POST /notes/{entityType}/{entityId}", "tasks": "POST /tasks/new",
        "users": "POST /users/new", "pipelines": "POST /pipelines"}
    assert sorted(RESOURCES) == sorted(GROUPS)  # every group the report orders has operations


def test_actions_and_effects_are_typed_and_spelt_as_the_spec_spells_them(spec):
    for op in OPERATIONS:
        assert isinstance(op.action, Action) and isinstance(op.effect, Effect), op.key
        flexie = spec["paths"][op.path][op.method.lower()]["x-flexie"]
        assert (flexie["action"], flexie["effect"]) == (op.action.value, op.effect.value)
        assert op.is_read != op.writes and op.writes == (op.creates or op.changes or op.deletes)
    assert {op.key for op in OPERATIONS if op.is_create} == {
        op.key for op in CREATE_OPERATIONS.values()}
