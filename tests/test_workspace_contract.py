"""Every one of the operations answers a valid request as the contract says."""

from __future__ import annotations

import pytest

from contract.operations import OPERATIONS, OPERATIONS_BY_KEY
from contract.spec import validate_response
from workspace import create_app
from workspace.testing import JsonClient, plan


@pytest.fixture(scope="module")
def app():
    return create_app()


@pytest.mark.parametrize("account,key", [("acme", "acme-demo-key"),
                                         ("globex", "globex-demo-key")])
def test_every_operation_answers_per_contract(app, account, key):
    client = JsonClient(app, key=key)
    requests = plan(client, account)
    assert len(requests) == len(OPERATIONS)
    seen = set()
    for req in requests:
        answer = client.call(req.method, req.path, req.body)
        where = f"{req.method} {req.path} -> {answer.status} {answer.data[:200]!r}"
        assert answer.status == req.op.success, where
        if req.op.response is None:
            assert answer.data == b"", where
        else:
            assert answer.content_type == "application/json", where
            validate_response(req.method, req.op.path, answer.status, answer.body)
        seen.add(req.op.key)
    assert seen == set(OPERATIONS_BY_KEY)


def test_unknown_ids_answer_404_json_for_every_id_operation(app):
    client = JsonClient(app)
    checked = 0
    for op in OPERATIONS:
        if "{id}" not in op.path or op.resource in ("custom_entities",):
            continue
        path = op.path.replace("{id}", "987654321").replace("{entityId}", "1")
        body = {} if op.body else None
        if op.body == "associations-input":
            body = {"associations": {}}
        if op.body == "permission-input":
            body = {"permissions": ["lead:leads:viewown"]}
        if op.body == "reply-input":
            body = {"text": "hello"}
        answer = client.call(op.method, path, body)
        assert answer.status == 404, (op.key, answer.status, answer.data)
        validate_response(op.method, op.path, 404, answer.body)
        checked += 1
    assert checked > 60


def test_custom_entity_unknown_table_is_404(app):
    client = JsonClient(app)
    for path in ("/ce/nosuchtable", "/ce/nosuchtable/1", "/ce/nosuchtable/list/fields"):
        answer = client.call("GET", path)
        assert answer.status == 404, path
        assert "nosuchtable" in answer.body["error"]["message"]
    # another account's table is unknown too
    assert client.call("GET", "/ce/shipments").status == 404


def test_field_definitions_list_standard_and_custom_fields(app):
    acme = JsonClient(app).ok("GET", "/contacts/list/fields")
    globex = JsonClient(app, "globex-demo-key").ok("GET", "/contacts/list/fields")
    acme_aliases = {f["alias"] for f in acme}
    globex_aliases = {f["alias"] for f in globex}
    assert {"first_name", "email", "industry_code", "vip", "lifetime_value"} <= acme_aliases
    assert {"first_name", "loyalty_tier", "newsletter_opt_in", "birthday"} <= globex_aliases
    assert "vip" not in globex_aliases and "loyalty_tier" not in acme_aliases
    by_alias = {f["alias"]: f for f in acme}
    assert by_alias["industry_code"]["type"] == "select"
    assert by_alias["industry_code"]["options"] == ["AGR", "MAN", "RET", "TEC", "FIN"]
    assert by_alias["industry_code"]["custom"] is True
    assert by_alias["email"]["unique"] is True
    assert {"operator": "eq", "value": "string"} in by_alias["email"]["operators"]
    ce = JsonClient(app).ok("GET", "/ce/projects/list/fields")
    ce_by_alias = {f["alias"]: f for f in ce}
    assert ce_by_alias["name"]["required"] and ce_by_alias["code"]["unique"]
    assert ce_by_alias["project_key"]["unique"]


def test_filters_include_stamps_and_related_fields(app):
    fields = JsonClient(app).ok("GET", "/deals/list/filters")
    plain = [f["field"] for f in fields if isinstance(f["field"], str)]
    related = [f["field"] for f in fields if isinstance(f["field"], dict)]
    assert "date_added" in plain and "date_modified" in plain
    assert {"entity": "contact", "field": "email"} in related
    assert {"entity": "owner", "field": "email"} in related


def test_field_categories_differ_per_account(app):
    acme = JsonClient(app).ok("GET", "/contacts/list/fields/categories")
    globex = JsonClient(app, "globex-demo-key").ok("GET", "/contacts/list/fields/categories")
    assert {"core", "professional"} <= {c["alias"] for c in acme}
    assert {"core", "loyalty"} <= {c["alias"] for c in globex}


def test_static_list_ids_are_distinct_per_kind(app):
    client = JsonClient(app)
    ids = []
    for path in ("/contacts", "/leads", "/accounts", "/deals", "/cases", "/ce/projects"):
        lists = client.ok("GET", f"{path}/list/lists")
        assert lists, path
        ids += [x["id"] for x in lists]
    assert len(ids) == len(set(ids))


def test_errors_are_json_with_code_and_message(app):
    client = JsonClient(app)
    for method, path, key in (("GET", "/contacts/999999", "acme-demo-key"),
                              ("GET", "/contacts", None),
                              ("GET", "/contacts/abc", "acme-demo-key"),
                              ("GET", "/nowhere", "acme-demo-key"),
                              ("DELETE", "/contacts", "acme-demo-key")):
        answer = client.call(method, path, key=key)
        assert answer.status >= 400
        assert answer.content_type == "application/json"
        assert answer.body["error"]["code"] == answer.status
        assert answer.body["error"]["message"]
    assert client.call("DELETE", "/contacts").status == 405
