"""Bad and hostile input answers 4xx JSON, never 500, and never corrupts a record."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.resources import KINDS_BY_NAME
from workspace import create_app
from workspace.testing import JsonClient, create_body

CONTACT = KINDS_BY_NAME["contacts"]


@pytest.fixture(scope="module")
def app():
    return create_app()


@pytest.fixture(scope="module")
def client(app):
    return JsonClient(app)


def _is_json_error(answer, status: int | None = None) -> bool:
    ok = (answer.content_type == "application/json" and isinstance(answer.body, dict)
          and answer.body["error"]["code"] == answer.status and answer.body["error"]["message"])
    return bool(ok) and (status is None or answer.status == status)


@pytest.mark.parametrize("raw", [b"{", b'{"email": }', b"nul", b"{'a': 1}", b'{"a": NaN}',
                                 b'{"a": Infinity}', b"\xff\xfe{}", b'{"a": 1}}',
                                 b"[" * 50000, b'{"a":' * 50000])
def test_malformed_json_is_400(client, raw):
    answer = client.call("POST", "/contacts/new", raw=raw)
    assert _is_json_error(answer, 400), answer.data[:200]


@pytest.mark.parametrize("body", [[], [1, 2], "text", 42, None, True])
def test_body_must_be_an_object(client, body):
    raw = json.dumps(body).encode()
    for method, path in (("POST", "/contacts/new"), ("PUT", "/contacts/edit"),
                         ("POST", "/contacts/search"), ("POST", "/contacts")):
        answer = client.call(method, path, raw=raw)
        assert _is_json_error(answer, 400), (method, path, body, answer.data)


def test_required_body_missing(client):
    assert _is_json_error(client.call("POST", "/contacts/new"), 400)
    assert _is_json_error(client.call("POST", "/contacts/identify"), 400)


def test_unknown_alias_is_named(client):
    answer = client.call("POST", "/contacts/new", {**create_body(CONTACT), "shoe_size": 44})
    assert _is_json_error(answer, 400) and "shoe_size" in answer.body["error"]["message"]
    globex_alias = client.call("POST", "/contacts/new", {**create_body(CONTACT),
                                                         "loyalty_tier": "gold"})
    assert "loyalty_tier" in globex_alias.body["error"]["message"]


BAD_VALUES = {  # alias of an acme contact/lead/account field -> values it must refuse
    ("contacts", "industry_code"): ["ZZZ", 3, ["AGR"]],
    ("contacts", "vip"): ["yes", 1, None if False else "true"],
    ("contacts", "lifetime_value"): ["lots", True, {"a": 1}],
    ("contacts", "linkedin_url"): ["not a url", "example.com/no-scheme",
                                   "https://x.example.com/a b", "https://bücher.example/"],
    ("contacts", "interests"): ["crm", ["crm", "golf"], [1]],
    ("contacts", "best_call_time"): ["25:61", "ab:cd", "9:30"],
    ("contacts", "home_timezone"): ["Mars/Olympus_Mons", "Not/AZone"],
    ("contacts", "email"): ["no-at-sign", "two@@example.com", "@example.com",
                            ".@x63.example.com", "a b@example.com"],
    ("contacts", "phone"): ["abc", "phone-number"],
    ("contacts", "country"): ["Atlantis", "Narnia", 7],
    ("contacts", "first_name"): [{"a": 1}, ["x"], "x" * 256],
    ("contacts", "owner_id"): [0, -1, 1.5, "x"],
    ("leads", "lead_score"): [1.5, "x", 2**70, 2**31],
    ("leads", "budget"): [1e13, -1e13, "1e3"],
    ("leads", "expected_close"): ["2026-13-45", "not-a-date", "2026-02-30"],
    ("accounts", "renewal_at"): ["yesterday", "2026-13-45T25:61:00+00:00"],
    ("accounts", "employees"): ["many", 2.5],
}


@pytest.mark.parametrize("kind,alias", list(BAD_VALUES))
def test_wrong_types_are_400_naming_the_field(client, kind, alias):
    k = KINDS_BY_NAME[kind]
    for value in BAD_VALUES[(kind, alias)]:
        answer = client.call("POST", f"{k.path}/new", {**create_body(k), alias: value})
        assert _is_json_error(answer, 400), (alias, value, answer.status)
        assert alias in answer.body["error"]["message"]


def test_null_is_not_a_field_value(client):
    """Input schemas type every field without null: null answers 400 naming the field."""
    for alias in ("owner_id", "city", "vip"):
        answer = client.call("POST", "/contacts/new", {**create_body(CONTACT), alias: None})
        assert _is_json_error(answer, 400) and alias in answer.body["error"]["message"]
    assert client.call("POST", "/tasks/new", {"task": "x", "category_id": None}).status == 400
    email = client.ok("GET", "/emails")["emails"][0]["id"]
    assert client.call("POST", f"/emails/{email}/send", {"contactIds": None}).status == 400


def test_required_fields(client):
    answer = client.call("POST", "/accounts/new", {"email": "x@example.com"})
    assert _is_json_error(answer, 400) and "name" in answer.body["error"]["message"]
    acc = client.ok("POST", "/accounts/new", create_body(KINDS_BY_NAME["accounts"]))["account"]
    assert client.call("PATCH", f"/accounts/{acc['id']}", {"name": None}).status == 400
    assert client.ok("GET", f"/accounts/{acc['id']}")["account"] == acc


HOSTILE = ["Zoë Ångström 🚀", "'; DROP TABLE records; --", "\" OR 1=1 --", "a\x00b",
           "\u202eevil", "<script>alert(1)</script>", "%00%27", "\\u0000", "\ud800",
           "${jndi:ldap://x}", "../../etc/passwd", " leading and trailing "]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_round_trip(client, value):
    body = {**create_body(CONTACT), "company": value, "city": value[:255]}
    created = client.call("POST", "/contacts/new", body)
    assert created.status == 201, created.data
    rid = created.body["contact"]["id"]
    got = client.ok("GET", f"/contacts/{rid}")["contact"]
    assert got["company"] == value and got["city"] == value[:255]
    if value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") == value:
        found = client.ok("GET", "/contacts", query={"search": value, "limit": 100})
        assert rid in [c["id"] for c in found["contacts"]]
    searched = client.ok("POST", "/contacts/search", {"filters": {"condition": "AND", "rules": [
        {"field": "company", "operator": "eq", "value": value}]}})
    assert [c["id"] for c in searched["contacts"]] == [rid]


def test_body_over_one_mebibyte_is_refused(client):
    big = json.dumps({**create_body(CONTACT), "company": "x" * (1024 * 1024)}).encode()
    answer = client.call("POST", "/contacts/new", raw=big)
    assert _is_json_error(answer, 413)
    just_under = json.dumps({"filters": {"condition": "AND", "rules": []},
                             "pad": "y" * 1_000_000}).encode()
    assert client.call("POST", "/contacts/search", raw=just_under).status == 200


@pytest.mark.parametrize("path", ["/contacts/0", "/contacts/-1", "/contacts/1.5",
                                  "/contacts/abc", "/contacts/9999999999999999999999",
                                  "/contacts/%20", "/cases/replies/ref-1", "/ce/BAD/1"])
def test_path_parameters_are_validated(client, path):
    assert _is_json_error(client.call("GET", path), 400), path


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"limit": "abc"},
                                   {"start": -1}, {"start": "x"}, {"start": 2**31},
                                   {"orderBy": "nope"}, {"orderByDir": "UP"},
                                   {"entityList": 0}])
def test_listing_parameters_are_validated(client, query):
    answer = client.call("GET", "/contacts", query=query)
    assert _is_json_error(answer, 400), query


@pytest.mark.parametrize("path,body", [
    ("/contacts", {"limit": "10"}),
    ("/contacts", {"filters": None}),
    ("/contacts", {"search": None}),
    ("/contacts", {"orderByDir": None}),
    ("/contacts", {"filters": "email"}),
    ("/contacts", {"filters": [{"type": "text", "alias": "nope",
                                "value": {"operator": "eq", "input": 1}}]}),
    ("/contacts", {"filters": [{"type": "text", "alias": "email",
                                "value": {"operator": "near", "input": 1}}]}),
    ("/contacts", {"filters": [{"type": "boolean", "alias": "vip",
                                "value": {"operator": "contains", "input": "x"}}]}),
    ("/contacts", {"filters": [{"alias": "email", "value": {"operator": "eq"}}]}),
    ("/contacts", {"filters": [{"type": "colour", "alias": "email", "value": {}}]}),
    ("/contacts", {"filters": [{"type": "text", "alias": "email", "value": {},
                                "strict": "yes"}]}),
    ("/contacts/search", {"filters": {"rules": []}}),
    ("/contacts/search", {"filters": {"condition": "AND", "rules": [
        {"condition": "AND", "operator": "AAA", "rules": []}]}}),
    ("/contacts/search", {"filters": {"condition": "AND", "rules": []}, "page": 2**31}),
    ("/contacts/search", {"filters": {"condition": "XOR", "rules": []}}),
    ("/contacts/search", {"filters": {"condition": "AND", "rules": [{"field": "nope",
                                                                     "operator": "eq"}]}}),
    ("/contacts/search", {"filters": {"condition": "AND", "rules": []}, "page": 0}),
    ("/contacts/search", {"filters": {"condition": "AND", "rules": []}, "limit": 101}),
    ("/contacts/search", {"page": 1}),
    ("/deals/{deal}/associations", {"associations": {"contacts": [2**31]}}),
    ("/deals/{deal}/associations", {"associations": {"contacts": [10**30]}}),
])
def test_bad_filters_are_400(client, path, body):
    deal = client.ok("GET", "/deals")["deals"][0]["id"]
    answer = client.call("POST", path.replace("{deal}", str(deal)), body)
    assert _is_json_error(answer, 400), (body, answer.data)


@pytest.mark.parametrize("flt", [
    {"type": "text", "alias": "city", "value": {}},  # no operator
    {"type": "text", "alias": "city", "value": {"input": "x"}},
    {"type": "text", "alias": "city", "value": {"operator": "eq"}},  # no input
    {"type": "text", "alias": "city", "value": {"operator": "contains", "input": None}},
    {"type": "text", "alias": "city", "value": {"operator": "contains", "input": ""}},
    {"type": "text", "alias": "city", "value": {"operator": "in", "input": []}},
    {"type": "text", "alias": "city", "value": {"operator": "in", "input": "London"}},
    {"type": "number", "alias": "lifetime_value", "value": {"operator": "gt", "input": "lots"}},
    {"type": "lookup", "alias": "owner_id", "value": {"operator": "eq", "input": 0}},
    {"type": "select", "alias": "industry_code", "value": {"operator": "eq", "input": "ZZZ"}},
    {"type": "boolean", "alias": "vip", "value": {"operator": "eq", "input": "yes"}},
    {"type": "selectIn", "alias": "interests", "value": {"operator": "in", "input": ["golf"]}},
])
def test_filter_operands_are_values_of_their_field(client, flt):
    """An operand is checked as a write of the field would be; only the null checks take
    none, the text operators take a non-empty string, in/notIn a non-empty array."""
    answer = client.call("POST", "/contacts", {"filters": [flt]})
    assert _is_json_error(answer, 400), (flt, answer.data)


def test_null_checks_and_bodiless_search(client):
    total = client.ok("GET", "/contacts", query={"limit": 1})["total"]
    nulls = client.ok("POST", "/contacts", {"filters": [
        {"type": "text", "alias": "city", "value": {"operator": "isNull"}}]})
    not_nulls = client.ok("POST", "/contacts", {"filters": [
        {"type": "text", "alias": "city", "value": {"operator": "isNotNull", "input": None}}]})
    assert nulls["total"] + not_nulls["total"] == total
    assert client.ok("POST", "/contacts/search")["total"] == total
    rule_without_value = {"filters": {"condition": "AND", "rules": [
        {"field": "city", "operator": "eq"}]}}
    assert client.call("POST", "/contacts/search", rule_without_value).status == 400
    assert client.call("POST", "/contacts/search", {"filters": {"condition": "AND", "rules": [
        {}]}}).status == 400


def test_deeply_nested_rule_groups_are_400(client):
    group: dict = {"condition": "AND", "rules": []}
    for _ in range(40):
        group = {"condition": "OR", "rules": [group]}
    assert _is_json_error(client.call("POST", "/contacts/search", {"filters": group}), 400)


def test_unknown_routes_and_methods(client):
    assert _is_json_error(client.call("GET", "/"), 404)
    assert _is_json_error(client.call("GET", "/api/contacts"), 404)  # /api/api/...
    answer = client.call("DELETE", "/contacts", {})
    assert _is_json_error(answer, 405) and "POST" in answer.headers["Allow"]
    shadowed = client.call("PUT", "/contacts/new", {})  # not PUT /contacts/{id} with id "new"
    assert _is_json_error(shadowed, 405) and shadowed.headers["Allow"] == "POST"
    assert client.call("OPTIONS", "/contacts/edit").headers["Allow"] == "PATCH, POST, PUT"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12)
bodies = st.dictionaries(st.sampled_from(["first_name", "email", "vip", "lifetime_value",
                                          "interests", "filters", "limit", "start",
                                          "unique_field", "unique_field_value", "page",
                                          "orderBy", "condition", "rules", "x"]),
                         json_values, max_size=5)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(method_path=st.sampled_from([("POST", "/contacts/new"), ("PUT", "/contacts/edit"),
                                    ("PATCH", "/contacts/edit"), ("POST", "/contacts"),
                                    ("POST", "/contacts/search"),
                                    ("POST", "/contacts/identify"),
                                    ("POST", "/tasks"), ("POST", "/users/new"),
                                    ("POST", "/deals/new")]),
       body=bodies)
def test_random_bodies_never_answer_500(client, method_path, body):
    method, path = method_path
    answer = client.call(method, path, body)
    assert answer.status < 500, (method, path, body, answer.data)
    if answer.status >= 400:
        assert _is_json_error(answer)


junk = json_values | st.sampled_from(["eq", "in", "AND", "OR", "email", "city", "vip", "text",
                                      "lifetime_value", "date_added"])
filter_items = st.fixed_dictionaries({}, optional={
    "type": junk, "alias": junk, "strict": junk, "starts": junk, "ends": junk,
    "value": st.fixed_dictionaries({}, optional={"operator": junk, "input": junk}) | junk})
rules = st.recursive(
    st.fixed_dictionaries({}, optional={"field": junk | st.fixed_dictionaries(
        {"entity": junk, "field": junk}), "operator": junk, "value": junk}),
    lambda inner: st.fixed_dictionaries({"rules": st.lists(inner, max_size=3)},
                                        optional={"condition": junk, "operator": junk}),
    max_leaves=6)


@settings(max_examples=200, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/contacts", "/deals", "/users", "/emails", "/ce/projects"]),
       filters=st.lists(filter_items, max_size=3), group=rules,
       paging=st.dictionaries(st.sampled_from(["limit", "start", "orderBy", "orderByDir",
                                               "search", "entityList", "page"]), junk))
def test_junk_filters_and_rule_sets_never_answer_500(client, path, filters, group, paging):
    for method, sub, body in (("POST", "", {"filters": filters, **paging}),
                              ("POST", "/search", {"filters": group, **paging})):
        if sub and path in ("/users", "/emails"):
            continue
        answer = client.call(method, path + sub, body)
        assert answer.status in (200, 400, 404), (path + sub, body, answer.data)
        assert answer.status == 200 or _is_json_error(answer)


def test_valid_values_from_the_strategies_round_trip(app):
    """The shared strategies' valid values are accepted and read back equal."""
    strategies = pytest.importorskip("strategies")
    fields = JsonClient(app, "globex-demo-key").ok("GET", "/contacts/list/fields")
    writable = [f for f in fields if not f["readOnly"] and not f["unique"]]

    @settings(max_examples=40, deadline=None)
    @given(payload=strategies.record_payload(writable, include_optional=True))
    def check(payload):
        c = JsonClient(app, "globex-demo-key")
        created = c.call("POST", "/contacts/new", payload)
        assert created.status == 201, (payload, created.data)
        got = c.ok("GET", f"/contacts/{created.body['contact']['id']}")["contact"]
        for f in writable:
            if f["alias"] in payload:
                assert strategies.values_equal(f, payload[f["alias"]], got[f["alias"]]), f
    check()
