"""A run under a request budget never sends more than the budget allows (its own cleanup
excepted, and counted), leaves out what does not fit and says what; what proves the most
comes first."""

from __future__ import annotations

import json
from types import SimpleNamespace

from conformance.config.profiles import PROFILES
from conformance.declared import Kind
from conformance.plugin import budget
from conformance.plugin.params import declare
from contract.operations import OPERATIONS
from tests.suite_runner import WRITES_A_RUN_MAY_NOT_MAKE, not_exercised, run_suite


def test_a_budgeted_run_never_exceeds_its_budget(tmp_path):
    run = run_suite("--flexie-profile", "ci", "--flexie-budget", "120", "-n", "2",
                    "-k", "contacts or tasks", reports=tmp_path)
    assert run.code == 0, run.output[-3000:]
    doc = json.loads((tmp_path / "conformance.json").read_text())
    spent = doc["budget"]
    assert spent["limit"] == 120 and spent["spent"] <= 120
    assert spent["left_out"], "a budget this small must leave tests out"
    # Every request the run sent was counted: against the budget, or as exempt cleanup.
    assert doc["traffic"]["requests"] == spent["spent"] + spent["exempt"]
    assert "left out for lack of budget" in run.output
    assert "flexie: budget 120 requests: spent" in run.output
    left = {o["key"] for o in doc["operations"] if o["statuses"]["property"] == "skipped"}
    assert left, "operations left out show as skipped, not passed"


#: What the suite's tests declare (conformance/test_*.py), by a name for this test.
DECLARED = {
    "test_probes": declare(kind=Kind.PROBE, cost=3.9, tier=0, order=0),
    "test_operation": declare(kind=Kind.OPERATION, cost=2.1, tier=0, order=1),
    "test_record_lifecycle": declare(kind=Kind.SCENARIO, cost=22, tier=1, then=3),
    "test_fields_match_expectation": declare(kind=Kind.ALIAS, check="fields", cost=1, tier=2),
    "test_field_round_trips": declare(kind=Kind.ALIAS, check="round_trip", cost=21, tier=4),
}


def _item(name: str, key: str | None = None):
    """A collected test as the budget reads it: its flexie marks (an operation's test's
    parameter declares its operation) and its function."""
    marks = [declare(exercises=(key,)).mark] if key else []
    marks.append(DECLARED[name].mark)
    return SimpleNamespace(name=name, key=key, obj=DECLARED[name],
                           iter_markers=lambda name=None: iter(marks))


def test_the_order_puts_every_operation_before_the_scenarios_and_aliases():
    items = [_item("test_field_round_trips"), _item("test_record_lifecycle"),
             _item("test_probes", "GET /a"), _item("test_probes", "GET /b"),
             _item("test_record_lifecycle"), _item("test_operation", "GET /a"),
             _item("test_fields_match_expectation"), _item("test_operation", "GET /b")]
    budget.order(items)
    names = [(i.name, i.key) for i in items]
    assert names[:4] == [("test_probes", "GET /a"), ("test_operation", "GET /a"),
                         ("test_probes", "GET /b"), ("test_operation", "GET /b")]
    assert [n for n, _ in names[4:]] == ["test_record_lifecycle", "test_fields_match_expectation",
                                         "test_record_lifecycle", "test_field_round_trips"]
    plan = budget.plan(items, budget.SETUP_ESTIMATE + 14)
    assert plan.fits == 4 and "the first 4 of 8 tests" in plan.line()


def test_the_ci_profile_judges_every_operation_the_scenarios_and_the_aliases(tmp_path):
    """Issue 16's bar: the ci budget against the mock reaches every operation (every probe
    on it and its decisive pair), one scenario of each kind and every alias of the accounts
    file."""
    run = run_suite("--flexie-profile", "ci", reports=tmp_path, seed=1)
    assert run.code == 0, run.output[-3000:]
    doc = json.loads((tmp_path / "conformance.json").read_text())
    spent, limit = doc["budget"], PROFILES["ci"]["budget"]
    assert spent["limit"] == limit and spent["spent"] <= limit
    left = spent["left_out"]
    assert not [t for t in left if "test_operations.py" in t or "test_probes.py" in t
                or "test_aliases.py" in t], left
    assert all(o["statuses"]["property"] == "passed" for o in doc["operations"])
    # Issue 21: every operation's positive case was answered with success, except the
    # writes a live run may not make, which say why.
    assert not_exercised(doc) == WRITES_A_RUN_MAY_NOT_MAKE, not_exercised(doc)
    exercised = len(OPERATIONS) - len(WRITES_A_RUN_MAY_NOT_MAKE)
    assert doc["coverage"]["operations"]["exercised"] == exercised
    assert f"{exercised} of {len(OPERATIONS)} operations exercised" in run.output
    ran = {s["name"].split("[")[0] for s in doc["scenarios"] if s["status"] == "passed"}
    assert {"test_record_lifecycle", "test_notes_on_a_record", "test_task_lifecycle",
            "test_user_lifecycle", "test_pipeline_lifecycle", "test_deal_associations",
            "test_case_replies_by_id_and_identifier"} <= ran, ran
    trips = {row["round_trip"] for row in doc["aliases"] if row["expected"]}
    assert trips == {"passed"}, trips


def test_a_refused_valid_positive_case_fails_naming_its_route(tmp_path):
    """A workspace whose identify of one resource finds nothing (a 404 Schemathesis's
    positive_data_acceptance accepts) fails under ci, on that route only."""
    run = run_suite("--flexie-profile", "ci", "--flexie-mock-fault",
                    "identify-misses@POST /leads/identify",
                    "-k", "test_operation and (leads or contacts)", reports=tmp_path, seed=1)
    assert run.code == 1, run.output[-2000:]
    doc = json.loads((tmp_path / "conformance.json").read_text())
    named = {(f["check"], f["operation"]) for f in doc["failures"]}
    assert named == {("positive_case_succeeds", "POST /leads/identify")}, named
    assert "[positive_case_succeeds] POST /leads/identify" in run.output
    row = next(o for o in doc["operations"] if o["key"] == "POST /leads/identify")
    assert row["exercise"]["exercised"] is False and row["exercise"]["status"] == 404
    assert "No lead has" in row["exercise"]["excerpt"]
    assert not_exercised(doc) == {"POST /leads/identify":
                                  "the workspace refused a valid positive case"}

