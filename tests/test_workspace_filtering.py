"""Filter-input filters, search rule sets, free-text search, ordering and paging."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from workspace import create_app
from workspace.exceptions import BadRequest
from workspace.filtering import compile_filters, sort_key
from workspace.testing import JsonClient, unique_token

PEOPLE = [  # first_name, city, lifetime_value, vip, interests, best_call_time, email domain
    ("Ann", "London", 100.0, True, ["crm"], "09:00", "alpha.example.com"),
    ("Bob", "Berlin", 250.5, False, ["crm", "support"], "10:30", "beta.example.com"),
    ("Cid", "Lyon", None, True, [], "14:00", "alpha.example.com"),
    ("Dee", "london", 999.0, None, ["training"], None, "gamma.example.org"),
    ("Eve", None, 42.0, False, None, "23:59", "beta.example.com"),
]


@pytest.fixture(scope="module")
def world():
    app = create_app()
    c = JsonClient(app)
    marker = f"Filt-{unique_token()}"
    ids = {}
    for first, city, value, vip, interests, time, domain in PEOPLE:
        body = {"first_name": first, "city": city, "lifetime_value": value, "vip": vip,
                "interests": interests, "best_call_time": time, "company": marker,
                "email": f"{first.lower()}@{domain}",
                "linkedin_url": f"https://www.linkedin.example.com/in/{first.lower()}"}
        body = {k: v for k, v in body.items() if v is not None}  # null is not a value
        ids[first] = c.ok("POST", "/contacts/new", body)["contact"]["id"]
    return app, c, marker, ids


def _names(world, filters, **extra):
    _, c, marker, ids = world
    body = {"filters": [{"type": "text", "alias": "company",
                         "value": {"operator": "eq", "input": marker}}, *filters],
            "limit": 100, **extra}
    out = c.ok("POST", "/contacts", body)
    by_id = {v: k for k, v in ids.items()}
    return [by_id[r["id"]] for r in out["contacts"]]


def f(alias, operator, value=None, ftype="text", **flags):
    return {"type": ftype, "alias": alias, "value": {"operator": operator, "input": value},
            **flags}


@pytest.mark.parametrize("flt,expected", [
    (f("city", "eq", "LONDON"), ["Ann", "Dee"]),
    (f("city", "neq", "london"), ["Bob", "Cid", "Eve"]),
    (f("city", "contains", "ON"), ["Ann", "Cid", "Dee"]),
    (f("city", "not_contains", "on"), ["Bob", "Eve"]),
    (f("city", "starts_with", "l"), ["Ann", "Cid", "Dee"]),
    (f("city", "ends_with", "n"), ["Ann", "Bob", "Cid", "Dee"]),
    (f("email", "like", "%@beta.example.com"), ["Bob", "Eve"]),
    (f("email", "like", "alpha"), ["Ann", "Cid"]),
    (f("email", "like", "a%@%.org"), []),
    (f("email", "like", "d%@%.org"), ["Dee"]),
    (f("city", "contains", "lond", strict=True), []),
    (f("city", "contains", "london", strict=True), ["Ann", "Dee"]),
    (f("city", "like", "ber", starts=True), ["Bob"]),
    (f("city", "like", "on", ends=True), ["Ann", "Cid", "Dee"]),
    (f("city", "like", "l", starts=True, ends=True), []),
    (f("city", "in", ["Lyon", "Berlin"]), ["Bob", "Cid"]),
    (f("city", "notIn", ["Lyon", "Berlin"]), ["Ann", "Dee", "Eve"]),
    (f("city", "isNull"), ["Eve"]),
    (f("city", "isNotNull"), ["Ann", "Bob", "Cid", "Dee"]),
    (f("lifetime_value", "gt", 100, "number"), ["Bob", "Dee"]),
    (f("lifetime_value", "gte", 100, "number"), ["Ann", "Bob", "Dee"]),
    (f("lifetime_value", "lt", 100, "number"), ["Eve"]),
    (f("lifetime_value", "lte", 250.5, "number"), ["Ann", "Bob", "Eve"]),
    (f("lifetime_value", "isNull", None, "number"), ["Cid"]),
    (f("lifetime_value", "in", [42, 999], "number"), ["Dee", "Eve"]),
    (f("vip", "eq", True, "boolean"), ["Ann", "Cid"]),
    (f("vip", "eq", False, "boolean"), ["Bob", "Eve"]),
    (f("vip", "neq", True, "boolean"), ["Bob", "Dee", "Eve"]),
    (f("interests", "in", ["crm"], "selectIn"), ["Ann", "Bob"]),
    (f("interests", "notIn", ["crm"], "selectIn"), ["Cid", "Dee", "Eve"]),
    (f("interests", "isNull", None, "selectIn"), ["Cid", "Eve"]),
    (f("best_call_time", "gte", "10:30", "time"), ["Bob", "Cid", "Eve"]),
    (f("linkedin_url", "contains", "/in/a", "url"), ["Ann"]),
])
def test_filter_input_operators(world, flt, expected):
    assert _names(world, [flt]) == expected


def test_filters_combine_with_and_and_order(world):
    flt = [f("email", "ends_with", ".com"), f("vip", "isNotNull", None, "boolean")]
    assert _names(world, flt, orderBy="first_name", orderByDir="DESC") == ["Eve", "Cid", "Bob",
                                                                           "Ann"]
    assert _names(world, [], orderBy="lifetime_value") == ["Cid", "Eve", "Ann", "Bob", "Dee"]
    assert _names(world, [], orderBy="city", orderByDir="ASC")[0] == "Eve"  # nulls first


def test_dates_and_datetimes_compare_as_instants():
    c = JsonClient(create_app())
    marker = unique_token()
    for day, at in (("2026-01-10", "2026-01-10T10:00:00+00:00"),
                    ("2026-03-01", "2026-03-01T09:00:00+02:00"),
                    ("2025-12-31", "2025-12-31T23:00:00-05:00")):
        c.ok("POST", "/leads/new", {"first_name": marker, "expected_close": day,
                                    "email": f"{marker}.{day}@example.com"})
        c.ok("POST", "/accounts/new", {"name": marker, "renewal_at": at})

    def count(path, alias, op, value, ftype):
        body = {"filters": [{"type": "text", "alias": "first_name" if "leads" in path else
                             "name", "value": {"operator": "eq", "input": marker}},
                            f(alias, op, value, ftype)]}
        return c.ok("POST", path, body)["total"]
    assert count("/leads", "expected_close", "gt", "2026-01-01", "date") == 2
    assert count("/leads", "expected_close", "lte", "2026-01-10", "date") == 2
    # 2025-12-31T23:00-05:00 is 2026-01-01T04:00Z
    assert count("/accounts", "renewal_at", "gt", "2026-01-01T00:00:00+00:00", "datetime") == 3
    assert count("/accounts", "renewal_at", "lt", "2026-03-01T08:00:00+00:00", "datetime") == 3
    assert count("/accounts", "renewal_at", "eq", "2026-03-01T07:00:00Z", "datetime") == 1
    # an operand is a value of its field: one that is no date is refused
    answer = c.call("POST", "/leads", {"filters": [f("expected_close", "gt", "soon", "date")]})
    assert answer.status == 400 and "expected_close" in answer.body["error"]["message"]


def test_nested_search_rule_sets(world):
    _, c, marker, ids = world

    def search(group, **extra):
        rules = {"condition": "AND", "rules": [
            {"field": "company", "operator": "eq", "value": marker}, group]}
        out = c.ok("POST", "/contacts/search", {"filters": rules, **extra})
        by_id = {v: k for k, v in ids.items()}
        return sorted(by_id[r["id"]] for r in out["contacts"]), out["total"]

    either = {"condition": "OR", "rules": [
        {"field": "city", "operator": "eq", "value": "Berlin"},
        {"field": "city", "operator": "eq", "value": "Lyon"}]}
    assert search(either) == (["Bob", "Cid"], 2)
    nested = {"condition": "AND", "rules": [
        {"field": "email", "operator": "ends_with", "value": ".com"},
        {"condition": "OR", "rules": [
            {"field": "vip", "operator": "eq", "value": True},
            {"field": "lifetime_value", "operator": "lt", "value": 50}]}]}
    assert search(nested) == (["Ann", "Cid", "Eve"], 3)
    by_object = {"condition": "AND", "rules": [
        {"field": {"entity": "contact", "field": "first_name"}, "operator": "in",
         "value": ["Ann", "Eve"]}]}
    assert search(by_object) == (["Ann", "Eve"], 2)
    stamps = {"condition": "AND", "rules": [
        {"field": "date_added", "operator": "gt", "value": "2020-01-01T00:00:00+00:00"}]}
    assert search(stamps)[1] == 5
    paged = c.ok("POST", "/contacts/search", {"filters": {"condition": "AND", "rules": [
        {"field": "company", "operator": "eq", "value": marker}]}, "page": 2, "limit": 2})
    assert paged["total"] == 5 and [r["id"] for r in paged["contacts"]] == [ids["Cid"],
                                                                            ids["Dee"]]


def test_search_on_related_records():
    c = JsonClient(create_app())
    token = unique_token()
    contact = c.ok("POST", "/contacts/new", {"email": f"{token}@related.example.com"})
    deal = c.ok("POST", "/deals/new", {"name": f"Deal {token}"})["deal"]["id"]
    c.ok("POST", "/deals/new", {"name": f"Other {token}"})
    c.ok("POST", f"/deals/{deal}/associations",
         {"associations": {"contacts": [contact["contact"]["id"]]}})
    found = c.ok("POST", "/deals/search", {"filters": {"condition": "AND", "rules": [
        {"field": {"entity": "contact", "field": "email"}, "operator": "contains",
         "value": token}]}})
    assert [d["id"] for d in found["deals"]] == [deal]
    owners = c.ok("POST", "/deals/search", {"filters": {"condition": "AND", "rules": [
        {"field": {"entity": "owner", "field": "username"}, "operator": "eq",
         "value": "acme.sales"}]}})
    assert owners["total"] == 3  # the seeded deals belong to the sales user
    bad = c.call("POST", "/deals/search", {"filters": {"condition": "AND", "rules": [
        {"field": {"entity": "planet", "field": "name"}, "operator": "eq", "value": 1}]}})
    assert bad.status == 400 and "planet" in bad.body["error"]["message"]


def test_free_text_search_and_paging(world):
    _, c, marker, ids = world
    found = c.ok("GET", "/contacts", query={"search": marker.upper(), "limit": 100})
    assert found["total"] == 5
    pages = [c.ok("GET", "/contacts", query={"search": marker, "limit": 2, "start": s,
                                             "orderBy": "id"}) for s in (0, 2, 4)]
    assert [p["total"] for p in pages] == [5, 5, 5]
    assert [r["id"] for p in pages for r in p["contacts"]] == sorted(ids.values())
    desc = c.ok("GET", "/contacts", query={"search": marker, "orderByDir": "DESC"})
    assert [r["id"] for r in desc["contacts"]] == sorted(ids.values(), reverse=True)
    beyond = c.ok("GET", "/contacts", query={"search": marker, "start": 50})
    assert beyond == {"total": 5, "contacts": []}


def test_unknown_alias_and_operator_are_named():
    fields = {}
    with pytest.raises(BadRequest, match="nope"):
        compile_filters([{"type": "text", "alias": "nope", "value": {"operator": "eq"}}],
                        fields)
    c = JsonClient(create_app())
    answer = c.call("POST", "/contacts", {"filters": [f("city", "approx", "x")]})
    assert answer.status == 400 and "approx" in answer.body["error"]["message"]
    answer = c.call("POST", "/contacts/search", {"filters": {"condition": "AND", "rules": [
        {"field": "shoe_size", "operator": "eq", "value": 1}]}})
    assert answer.status == 400 and "shoe_size" in answer.body["error"]["message"]


def test_sort_key_orders_mixed_types_without_errors():
    values = [None, "b", 3, True, "A", 1.5, ["x"], ""]
    assert sorted(values, key=sort_key)[:2] in ([None, ""], ["", None])


@pytest.mark.parametrize("key", ["acme-demo-key", "globex-demo-key"])
def test_strategies_filters_and_searches_answer_200(key):
    """The shared strategies' filter-input and rule sets are all accepted (200)."""
    strategies = pytest.importorskip("strategies")
    c = JsonClient(create_app(), key)

    def check_kind(path: str) -> None:
        fields = c.ok("GET", f"{path}/list/fields")

        @settings(max_examples=25, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(flt=strategies.filter_input(fields), rules=strategies.search_rule_set(fields))
        def check(flt, rules):
            answer = c.call("POST", path, flt)
            assert answer.status == 200, (flt, answer.data)
            answer = c.call("POST", f"{path}/search", rules)
            assert answer.status == 200, (rules, answer.data)
        check()

    for path in ("/contacts", "/leads", "/accounts", "/deals", "/cases", "/ce/projects"
                 if key.startswith("acme") else "/ce/shipments"):
        check_kind(path)


@pytest.mark.parametrize("faults", [(), ("pagination-off-by-one",), ("limit-ignored",),
                                    ("total-counts-page",)])
def test_sql_paged_and_filtered_listings_agree(faults):
    """Plain listings are paged by SQLite, filtered ones in Python: same answers."""
    c = JsonClient(create_app(faults=faults))
    everything = [{"type": "datetime", "alias": "date_added", "value": {"operator": "isNotNull"}}]
    for extra in ({"limit": 2, "start": 1}, {"limit": 3, "orderByDir": "DESC"},
                  {"start": 3}, {"limit": 100, "start": 0, "orderBy": "id"}):
        plain = c.ok("POST", "/contacts", extra)
        filtered = c.ok("POST", "/contacts", {**extra, "filters": everything})
        assert plain == filtered, extra
