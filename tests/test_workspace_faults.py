"""Every fault of the catalogue visibly changes behaviour, the way docs/faults.md says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contract.resources import KINDS_BY_NAME
from workspace import create_app
from workspace.faults import FAULTS, describe_all, resolve
from workspace.testing import JsonClient, create_body

Probe = Callable[[JsonClient], Any]
CONTACT = KINDS_BY_NAME["contacts"]


def _new_contact(c: JsonClient, **extra: Any) -> dict:
    return c.ok("POST", "/contacts/new", {**create_body(CONTACT, "probe"), **extra})["contact"]


def _seeded_contact(c: JsonClient) -> int:
    return c.ok("GET", "/contacts", query={"orderBy": "id"})["contacts"][0]["id"]


def _lists(c: JsonClient, cid: int) -> list[int]:
    return [x["id"] for x in c.ok("GET", f"/contacts/{cid}/lists")["lists"]]


def probe_add(c: JsonClient) -> Any:
    cid = _new_contact(c)["id"]
    lid = c.ok("GET", "/contacts/list/lists")[0]["id"]
    c.ok("POST", f"/contact/lists/{lid}/add/{cid}")
    return _lists(c, cid)


def probe_remove(c: JsonClient) -> Any:
    cid = _new_contact(c)["id"]
    lid = c.ok("GET", "/contacts/list/lists")[0]["id"]
    c.ok("POST", f"/contact/lists/{lid}/add/{cid}")
    c.ok("POST", f"/contact/lists/{lid}/remove/{cid}")
    return _lists(c, cid)


def probe_edit_ignores_unique(c: JsonClient) -> Any:
    older = _new_contact(c)
    c.ok("POST", "/contacts/new", create_body(CONTACT, "newer"))
    c.call("PUT", "/contacts/edit", {"email": older["email"], "city": "Zagreb"})
    return c.ok("GET", f"/contacts/{older['id']}")["contact"]["city"]


def probe_update(c: JsonClient) -> Any:
    cid = _new_contact(c)["id"]
    answer = c.ok("PUT", f"/contacts/{cid}", {"city": "Porto"})["contact"]["city"]
    return answer, c.ok("GET", f"/contacts/{cid}")["contact"]["city"]


def probe_patch(c: JsonClient) -> Any:
    cid = _new_contact(c)["id"]
    c.ok("PATCH", f"/contacts/{cid}", {"status": "Nurture"})
    return c.ok("GET", f"/contacts/{cid}")["contact"]["city"]


def probe_delete(c: JsonClient) -> Any:
    cid = _new_contact(c)["id"]
    return c.call("DELETE", f"/contacts/{cid}").status, c.call("GET", f"/contacts/{cid}").status


def probe_deleted_listing(c: JsonClient) -> Any:
    cid = _new_contact(c, city="Ghosttown")["id"]
    c.call("DELETE", f"/contacts/{cid}")
    return c.ok("GET", "/contacts", query={"search": "Ghosttown"})["total"]


def probe_task(c: JsonClient) -> Any:
    tid = c.ok("POST", "/tasks/new", {"task": "probe"})["task"]["id"]
    c.ok("POST", f"/tasks/{tid}/complete")
    return c.ok("GET", f"/tasks/{tid}")["task"]["is_completed"]


def probe_filter(c: JsonClient) -> Any:
    email = c.ok("GET", "/contacts")["contacts"][0]["email"]
    return c.ok("POST", "/contacts", {"filters": [{"type": "text", "alias": "email", "value": {
        "operator": "eq", "input": email}}]})["total"]


def probe_or(c: JsonClient) -> Any:
    return c.ok("POST", "/contacts/search", {"filters": {"condition": "OR", "rules": [
        {"field": "city", "operator": "eq", "value": "London"},
        {"field": "city", "operator": "eq", "value": "Berlin"}]}})["total"]


def probe_ordering(c: JsonClient) -> Any:
    """Two contacts whose titles sort against their ids, listed by title both ways."""
    first, second = (c.ok("POST", "/contacts/new", {**create_body(CONTACT, f"order-{v}"),
                                                    "title": f"ordering probe {v}"})
                     ["contact"]["id"] for v in "ba")
    return [[x["id"] for x in c.ok("GET", "/contacts", query={
        "search": "ordering probe", "orderBy": "title", "orderByDir": way})["contacts"]]
        == expected for way, expected in (("ASC", [second, first]), ("DESC", [first, second]))]


def probe_membership_read(c: JsonClient) -> Any:
    return c.call("GET", f"/contacts/{_new_contact(c)['id']}/lists").status


def probe_identify(c: JsonClient) -> Any:
    email = _new_contact(c)["email"]
    return c.call("POST", "/contacts/identify",
                  {"unique_field": "email", "unique_field_value": email}).status


def probe_leak(c: JsonClient) -> Any:
    globex = JsonClient(c.client.application, "globex-demo-key")
    gid = globex.ok("GET", "/contacts")["contacts"][0]["id"]
    return c.call("GET", f"/contacts/{gid}").status


def _answer(method: str, path: str, body: Any = None, *, pick: Callable[[Any], Any],
            **kw: Any) -> Probe:
    return lambda c: pick(c.call(method, path, body, **kw))


def _seeded(pick: Callable[[Any], Any]) -> Probe:
    return lambda c: pick(c.call("GET", f"/contacts/{_seeded_contact(c)}"))


PROBES: dict[str, Probe] = {
    "create-status-200": lambda c: c.call("POST", "/contacts/new",
                                          create_body(CONTACT, "s")).status,
    "delete-status-200": lambda c: (lambda a: (a.status, a.data))(
        c.call("DELETE", f"/contacts/{_new_contact(c)['id']}")),
    "envelope-renamed": _seeded(lambda a: sorted(a.body)),
    "list-total-string": _answer("GET", "/contacts", pick=lambda a: type(a.body["total"])),
    "id-as-string": _seeded(lambda a: type(a.body["contact"]["id"])),
    "field-renamed": _seeded(lambda a: "first_name" in a.body["contact"]),
    "auth-ignored": _answer("GET", "/contacts", key=None, pick=lambda a: a.status),
    "wrong-key-accepted": _answer("GET", "/contacts", key="made-up", pick=lambda a: a.status),
    "error-not-json": _answer("GET", "/contacts/999999", pick=lambda a: a.content_type),
    "error-without-message": _answer("GET", "/contacts/999999", pick=lambda a: a.body),
    "update-not-persisted": probe_update,
    "patch-replaces": probe_patch,
    "delete-not-persisted": probe_delete,
    "list-add-not-persisted": probe_add,
    "list-remove-not-persisted": probe_remove,
    "edit-creates": _answer("PUT", "/contacts/edit", {"email": "nobody@example.com",
                                                      "first_name": "X"},
                            pick=lambda a: a.status),
    "edit-ignores-unique": probe_edit_ignores_unique,
    "pagination-off-by-one": _answer("GET", "/contacts", query={"start": 0, "limit": 2},
                                     pick=lambda a: [r["id"] for r in a.body["contacts"]]),
    "limit-ignored": _answer("GET", "/contacts", query={"limit": 1},
                             pick=lambda a: len(a.body["contacts"])),
    "total-counts-page": _answer("GET", "/contacts", query={"limit": 1},
                                 pick=lambda a: a.body["total"]),
    "filter-ignored": probe_filter,
    "search-or-as-and": probe_or,
    "cross-account-leak": probe_leak,
    "server-error-on-unicode": _answer("POST", "/contacts/new",
                                       {**create_body(CONTACT, "u"), "first_name": "Zoë"},
                                       pick=lambda a: a.status),
    "bad-json-500": _answer("POST", "/contacts/new", raw=b'{"first_name": ',
                            pick=lambda a: a.status),
    "unknown-alias-accepted": _answer("POST", "/contacts/new",
                                      {**create_body(CONTACT, "a"), "shoe_size": 44},
                                      pick=lambda a: a.status),
    "wrong-type-accepted": _answer("POST", "/contacts/new",
                                   {**create_body(CONTACT, "t"), "lifetime_value": "lots"},
                                   pick=lambda a: a.status),
    "not-found-200": _answer("GET", "/contacts/999999", pick=lambda a: (a.status, a.body)),
    "content-type-text": _answer("GET", "/contacts", pick=lambda a: a.content_type),
    "task-complete-noop": probe_task,
    "deleted-in-listing": probe_deleted_listing,
    "ordering-ignored": probe_ordering,
    "membership-read-500": probe_membership_read,
    "identify-misses": probe_identify,
}


def test_every_fault_has_a_probe_and_docs():
    assert set(PROBES) == set(FAULTS)
    docs = (Path(__file__).resolve().parent.parent / "docs" / "faults.md").read_text()
    for name in FAULTS:
        assert f"`{name}`" in docs, name


@pytest.fixture(scope="module")
def faithful_answers() -> dict[str, Any]:
    return {name: probe(JsonClient(create_app())) for name, probe in PROBES.items()}


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_changes_behaviour(name, faithful_answers):
    faulty = PROBES[name](JsonClient(create_app(faults=[name])))
    assert faulty != faithful_answers[name], f"{name}: {faulty!r}"


def test_faithful_answers_are_the_contract(faithful_answers):
    a = faithful_answers
    assert a["create-status-200"] == 201
    assert a["delete-status-200"] == (204, b"")
    assert a["auth-ignored"] == a["wrong-key-accepted"] == 401
    assert a["limit-ignored"] == 1 and a["total-counts-page"] == 4
    assert a["filter-ignored"] == 1 and a["search-or-as-and"] == 2
    assert a["cross-account-leak"] == 404 and a["not-found-200"][0] == 404
    assert a["server-error-on-unicode"] == 201 and a["bad-json-500"] == 400
    assert a["unknown-alias-accepted"] == a["wrong-type-accepted"] == 400
    assert a["update-not-persisted"] == ("Porto", "Porto")
    assert a["task-complete-noop"] is True and a["deleted-in-listing"] == 0
    assert a["ordering-ignored"] == [True, True] and a["membership-read-500"] == 200


def test_unknown_fault_names_are_refused_with_the_known_ones():
    with pytest.raises(ValueError) as exc:
        create_app(faults=["no-such-fault"])
    assert "no-such-fault" in str(exc.value) and "create-status-200" in str(exc.value)
    assert resolve(["limit-ignored"]).on("GET /contacts") == frozenset({"limit-ignored"})
    assert all(name in describe_all() for name in FAULTS)


def test_faults_combine():
    c = JsonClient(create_app(faults=["envelope-renamed", "id-as-string"]))
    body = c.ok("GET", f"/contacts/{_seeded_contact(c)}")
    assert isinstance(body["data"]["id"], str)
