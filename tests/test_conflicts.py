"""A state conflict is not valid data rejected: the workspace answers 409, the contract
documents it, Schemathesis's positive_data_acceptance accepts it, and binding avoids the
conflicts the run itself would cause (a unique value it already used)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth

from conformance.config.settings import DEFAULT_SPEC, Settings
from conformance.engine.ledger import Ledger
from conformance.engine.owned import OwnedRecords
from conformance.engine.safety import bind
from conformance.engine.target import make_target
from contract.operations import OPERATIONS_BY_KEY
from workspace import create_app

CONFLICTS = ("PUT /users/{id}", "POST /users/new", "DELETE /pipelines/{id}",
             "POST /contacts/new", "PUT /contacts/{id}", "POST /contacts/edit",
             "PATCH /ce/{tableName}/{id}")


def test_conflicting_operations_document_409():
    spec = json.loads(DEFAULT_SPEC.read_text())
    for key in CONFLICTS:
        method, path = key.split(" ", 1)
        assert "409" in spec["paths"][path][method.lower()]["responses"], key
    assert "409" not in spec["paths"]["/contacts/{id}"]["get"]["responses"]


@pytest.fixture()
def run(tmp_path: Path) -> tuple[Any, OwnedRecords, Any]:
    """The embedded mock, a pool of owned records on it, and the contract as Schemathesis
    reads it."""
    app = create_app()
    s = Settings.from_values({"reports": str(tmp_path)})
    target = make_target(s, base_url="http://localhost/api", app=app)
    owned = OwnedRecords(target, Ledger(tmp_path / "ledger.jsonl", s.run_id, "t"), s.run_id,
                         "projects")
    owned.setup()
    schema = schemathesis.openapi.from_dict(json.loads(DEFAULT_SPEC.read_text()))
    schema.app = app
    return schema, owned, target


def _send(schema: Any, owned: OwnedRecords, key: str, path_parameters: dict,
          body: dict | None, *, bound: bool) -> tuple[int, dict | None]:
    """One generated positive case of `key`, aimed at `path_parameters` with `body`, through
    Schemathesis's checks (which raise on a failure); (status, body sent)."""
    method, path = key.split(" ", 1)
    seen: list[tuple[int, dict | None]] = []

    @settings(max_examples=1, database=None, phases=["generate"],
              suppress_health_check=list(HealthCheck))
    @given(case=schema[path][method].as_strategy())
    def test(case: Any) -> None:
        case.path_parameters = dict(path_parameters)
        case.body = dict(body) if body is not None else case.body
        if bound:
            bind(case, OPERATIONS_BY_KEY[key], owned, ce_table="projects")
        case.path_parameters = dict(path_parameters)  # this record, whatever binding picks
        response = case.call(headers={"apikey": "acme-demo-key"})
        case.validate_response(response, excluded_checks=[ignored_auth])
        seen.append((response.status_code, case.body))

    test()
    return seen[0]


def test_a_conflict_is_409_and_not_a_rejection_of_valid_data(run):
    schema, owned, target = run
    first, second = owned.ids["users"][:2]
    taken = owned.record("users", first)["username"]
    status, _ = _send(schema, owned, "PUT /users/{id}", {"id": second}, {"username": taken},
                      bound=False)
    assert status == 409
    deal = owned.create("deals")["id"]
    pipeline = owned.create("pipelines")["id"]
    assert target.request("PUT", f"/deals/{deal}", json_body={"pipeline_id": pipeline}).status \
        == 200
    status, _ = _send(schema, owned, "DELETE /pipelines/{id}", {"id": pipeline}, None,
                      bound=False)
    assert status == 409


def test_binding_avoids_a_unique_value_the_run_already_used(run):
    schema, owned, _ = run
    first, second = owned.ids["users"][:2]
    taken = owned.record("users", first)["username"]
    status, sent = _send(schema, owned, "PUT /users/{id}", {"id": second},
                         {"username": taken}, bound=True)
    assert status == 200 and sent["username"] != taken and owned.run_id in sent["username"]


def test_typed_unique_custom_fields_get_fresh_values_of_their_type(tmp_path):
    owned = OwnedRecords(target=None, ledger=Ledger(tmp_path / "l.jsonl", "fcT", "t"),
                         run_id="fcT", ce_table=None)
    owned.custom_fields["contacts"] = [
        {"alias": "member_no", "type": "integer", "unique": True, "custom": True},
        {"alias": "grade", "type": "select", "options": ["A+", "B/C"], "unique": True},
        {"alias": "branch", "type": "select", "options": ["Zürich, Süd"], "required": True,
         "unique": True},
        {"alias": "first_touch", "type": "date", "unique": True}]
    create = OPERATIONS_BY_KEY["POST /contacts/new"]

    class Case:
        path_parameters: dict = {}
        body = {"member_no": 5, "grade": "A+", "branch": "Zürich, Süd",
                "first_touch": "2020-01-01", "email": "a@example.com"}

    bind(Case, create, owned)
    body = Case.body
    assert isinstance(body["member_no"], int) and body["member_no"] != 5
    assert body["first_touch"] != "2020-01-01" and len(body["first_touch"]) == 10
    assert "grade" not in body  # too few values to promise a fresh one: not sent
    assert body["branch"] == "Zürich, Süd"  # required: sent (a collision would be a 409)
    assert body["email"].startswith("fcT-")
    payload = owned.payload("contacts")
    assert isinstance(payload["member_no"], int) and payload["branch"] == "Zürich, Süd"
    assert "grade" not in payload
