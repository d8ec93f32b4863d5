"""The conformance suite proves itself: green against the faithful mock, and against every
fault of the mock's catalogue red with the right check named.

Each fault names the checks that must report it (`failures[].check` of conformance.json:
our checks by name, Schemathesis's as "ST<code> <title>"); each scenario names the step that
must fail (the StepFailed text of conformance/scenarios/steps.py). One narrow run per fault
serves its check and the scenario steps it breaks. An expectation that the faithful mock's
run also meets could not fail: `test_no_expectation_is_met_by_the_faithful_mock` applies every
one of them to one shared clean run and asserts it is not met.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from filelock import FileLock

from contract.operations import OPERATIONS
from tests.suite_runner import WRITES_A_RUN_MAY_NOT_MAKE, not_exercised, run_suite
from workspace.faults import (
    FAULTS,
    ST_AUTH,
    ST_CONTENT_TYPE,
    ST_INVALID_AUTH,
    ST_SCHEMA,
    ST_SERVER_ERROR,
    ST_STATUS,
)


@dataclass(frozen=True)
class Expect:
    """What one fault's run must report: `checks` each among failures[].check, and for each
    scenario test id in `steps`, a failure of that test whose message holds every fragment
    (the step that failed and what it expected)."""

    selection: str
    checks: tuple[str, ...] = ()
    steps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    coverage: bool = False


def _selection(*parts: str) -> str:
    return " or ".join(f"({p})" for p in parts)


LIFECYCLE = "test_record_lifecycle[{}]"
NOTES = "test_notes_on_a_record[{}]"

#: Every fault of the catalogue, the checks that must name it, and the scenario steps it breaks.
EXPECTED: dict[str, Expect] = {
    "create-status-200": Expect(
        _selection("test_operation and POST and contacts and new",
                   "test_notes_on_a_record and leads"),
        (ST_STATUS,),
        # Leads are created with 200 by contract, so the note is the first create that breaks.
        {NOTES.format("leads"): ("add a note", "expected HTTP 201, got 200")}),
    "delete-status-200": Expect("test_operation and DELETE and contacts", (ST_STATUS,)),
    "envelope-renamed": Expect("test_operation and GET and contacts and id", (ST_SCHEMA,)),
    "list-total-string": Expect("test_operation and GET and contacts",
                                (ST_SCHEMA, "listing_total_agrees")),
    "id-as-string": Expect("test_operation and GET and contacts and id", (ST_SCHEMA,)),
    "field-renamed": Expect("test_operation and POST and contacts and new",
                            ("read_back_equals_written",)),
    "auth-ignored": Expect(_selection("test_operation and GET and contacts",
                                      "test_probes and GET and contacts"),
                           (ST_AUTH, "missing_key_is_refused")),
    "wrong-key-accepted": Expect(
        _selection("test_probes and GET and contacts", "test_probes and ce and list",
                   "test_coverage and GET and contacts"),
        ("unknown_key_is_refused", "unknown_key_is_refused @ GET /ce/{tableName}/list/fields",
         ST_INVALID_AUTH), coverage=True),
    "error-not-json": Expect("test_operation and GET and contacts and id",
                             ("errors_are_json", ST_CONTENT_TYPE)),
    "error-without-message": Expect("test_operation and GET and contacts and id",
                                    ("errors_are_json", ST_SCHEMA)),
    "update-not-persisted": Expect(
        _selection("test_operation and PUT and contacts and id",
                   "test_record_lifecycle and accounts", "test_notes_on_a_record and contacts",
                   "test_user_lifecycle", "test_pipeline_lifecycle",
                   "test_model_based_sequences"),
        ("read_back_equals_written",),
        {LIFECYCLE.format("accounts"): ("the change made through /edit is visible on account",),
         NOTES.format("contacts"): ("the record's notes list the updated note",),
         "test_user_lifecycle": ("the user's new position reads back",),
         "test_pipeline_lifecycle": ("the pipeline's new name reads back",),
         "test_model_based_sequences": ("reads back", "the model says")}),
    "patch-replaces": Expect("test_operation and PUT and contacts and id",
                             ("read_back_equals_written",)),
    "delete-not-persisted": Expect(
        _selection("test_operation and DELETE and contacts", "test_record_lifecycle and cases",
                   "test_notes_on_a_record and accounts"),
        ("deleted_record_is_gone",),
        {LIFECYCLE.format("cases"): ("read case", "expected HTTP 404, got 200"),
         NOTES.format("accounts"): ("GET /notes/", "expected HTTP 404, got 200")}),
    "list-add-not-persisted": Expect(
        _selection("test_operation and contact and add", "test_record_lifecycle and contacts"),
        ("list_membership_persisted",),
        {LIFECYCLE.format("contacts"): ("after adding, list", "among the lists of contact")}),
    "list-remove-not-persisted": Expect(
        _selection("test_operation and contact and lists and (add or remove)",
                   "test_record_lifecycle and leads"),
        ("list_membership_persisted",),
        {LIFECYCLE.format("leads"): ("after removing, list", "no longer a list of lead")}),
    "edit-creates": Expect(
        _selection("test_probes and PUT and contacts and edit",
                   "test_record_lifecycle and custom_entities"),
        ("edit_never_creates",),
        {LIFECYCLE.format("custom_entities"): ("update a entity by unique field",
                                               "expected HTTP 404, got 200")}),
    "edit-ignores-unique": Expect("test_operation and PUT and contacts and edit",
                                  ("read_back_equals_written",)),
    "pagination-off-by-one": Expect("test_probes and GET and (contacts or tasks)",
                                    ("paging_is_consistent", "paging_is_consistent @ GET /tasks")),
    "limit-ignored": Expect("test_probes and GET and contacts", ("paging_is_consistent",)),
    "total-counts-page": Expect("test_probes and GET and (contacts or tasks)",
                                ("paging_is_consistent", "paging_is_consistent @ GET /tasks")),
    "filter-ignored": Expect(
        _selection("test_probes and POST and contacts", "test_probes and POST and cases"),
        ("filters_are_applied", "filters_are_applied @ POST /cases")),
    "search-or-as-and": Expect(
        "test_probes and (contacts or cases) and search",
        ("search_finds_written", "search_finds_written @ POST /cases/search")),
    "cross-account-leak": Expect("test_probes and GET and contacts",
                                 ("other_account_cannot_read",)),
    "server-error-on-unicode": Expect("test_operation and POST and contacts and new",
                                      (ST_SERVER_ERROR,)),
    "bad-json-500": Expect("test_probes and POST and contacts", ("malformed_json_is_400",)),
    "unknown-alias-accepted": Expect("test_probes and (PUT or PATCH) and contacts",
                                     ("unknown_alias_is_refused",
                                      "unknown_alias_is_refused @ PATCH /contacts/{id}")),
    "wrong-type-accepted": Expect(
        _selection("test_probes and (PUT or PATCH) and contacts",
                   "test_field_round_trips and acme and vip"),
        ("invalid_values_are_refused", "invalid_values_are_refused @ PATCH /contacts/{id}"),
        {"test_field_round_trips[acme-contacts-vip]": ("invalid_value_refused",)}),
    "not-found-200": Expect(
        _selection("test_probes and GET and contacts", "test_notes_on_a_record and cases",
                   "test_case_replies", "test_email_send", "test_deal_associations",
                   "test_probes and GET and cases and replies"),
        ("unknown_id_is_404", "unknown_id_is_404 @ GET /cases/replies/{identifier}"),
        {NOTES.format("cases"): ("GET /notes/", "expected HTTP 404, got 200"),
         "test_case_replies_by_id_and_identifier": ("/cases/replies/ZZ-",
                                                    "expected HTTP 404, got 200"),
         "test_email_send": ("/send", "expected HTTP 404, got 200"),
         "test_deal_associations": ("attaching a record that does not exist is refused",)}),
    "content-type-text": Expect("test_operation and GET and contacts", (ST_CONTENT_TYPE,)),
    "task-complete-noop": Expect(
        _selection("test_operation and tasks and complete", "test_task_lifecycle"),
        ("task_completion_persisted",),
        {"test_task_lifecycle": ("complete answers is_completed true",)}),
    "deleted-in-listing": Expect(
        _selection("test_operation and DELETE and contacts", "test_record_lifecycle and deals",
                   "test_notes_on_a_record and deals"),
        ("deleted_record_is_gone",),
        {LIFECYCLE.format("deals"): ("deleted deal", "is gone from the listing"),
         NOTES.format("deals"): ("no notes remain on the record",)}),
    "ordering-ignored": Expect("test_probes and (GET or POST) and contacts",
                               ("listing_is_ordered", "listing_is_ordered @ POST /contacts")),
    # A remove "confirmed" by the empty answer of a 500 would pass: the read must fail it.
    "membership-read-500": Expect(
        _selection("test_operation and contact and lists and remove",
                   "test_record_lifecycle and contacts"),
        ("list_membership_persisted",),
        {LIFECYCLE.format("contacts"): ("lists of contact", "expected HTTP 200, got 500")}),
    "identify-misses": Expect(
        _selection("test_operation and contacts and identify",
                   "test_record_lifecycle and contacts"),
        ("positive_case_succeeds",),
        {LIFECYCLE.format("contacts"): ("identify a contact by", "expected HTTP 200, got 404")}),
}

#: Faults whose expected check is known not to report them (the integrator's to fix in the
#: check or the setup, never by weakening the expectation): strict, so a fix turns them red.
KNOWN_GAPS: dict[str, str] = {}


def unmet(report: dict, expect: Expect) -> list[str]:
    """What of `expect` the report does not show (empty: every expectation met)."""
    failures = report.get("failures") or []
    reported = {f["check"] for f in failures} | {f"{f['check']} @ {f.get('operation')}"
                                                  for f in failures}
    missing = [f"check {c!r} not reported" for c in expect.checks if c not in reported]
    for test, fragments in expect.steps.items():
        messages = [f.get("message") or "" for f in failures if f["check"] == test]
        if not any(all(part in m for part in fragments) for m in messages):
            missing.append(f"{test}: no failure of the step {fragments} (its failures: "
                           f"{[m[:200] for m in messages]})")
    return missing


def _params() -> list:
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[name]))
            if name in KNOWN_GAPS else name for name in sorted(EXPECTED)]


def test_every_fault_and_check_has_an_expectation():
    """No fault of the catalogue and no registered check goes unproven."""
    from conformance.checks.registry import CASE_CHECKS, PROBES

    assert set(EXPECTED) == set(FAULTS)
    expected = {c for e in EXPECTED.values() for c in e.checks}
    assert set(CASE_CHECKS) | set(PROBES) <= expected, \
        sorted((set(CASE_CHECKS) | set(PROBES)) - expected)


def test_the_checks_meant_for_each_fault_are_the_ones_proven_here():
    """`Fault.caught_by` (what the benchmarks count as caught) names exactly the checks and
    scenarios this self-test proves report the fault: no claim goes unproven."""
    for name, expect in EXPECTED.items():
        proven = {c.split(" @ ")[0] for c in expect.checks} | set(expect.steps)
        assert set(FAULTS[name].caught_by) == proven, name


@pytest.mark.slow
@pytest.mark.parametrize("fault", _params())
def test_each_fault_is_reported_by_its_check(tmp_path, fault):
    expect = EXPECTED[fault]
    run = run_suite("--flexie-mock-fault", fault, "-k", expect.selection,
                    *(() if expect.coverage else ("--flexie-coverage", "off")),
                    reports=tmp_path)
    assert run.code == 1, f"fault {fault} went unnoticed:\n{run.output[-3000:]}"
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["verdict"] == "failed"
    problems = unmet(report, expect)
    assert not problems, (problems, [(f["check"], f["message"][:200])
                                     for f in report["failures"]])


@pytest.fixture(scope="session")
def faithful_run(tmp_path_factory) -> tuple[int, str, Path]:
    """One run of the whole suite against the faithful mock, shared by every test and every
    xdist worker of this session (the first to arrive runs it, the others read its result)."""
    shared = tmp_path_factory.getbasetemp().parent / "faithful-run"
    with FileLock(str(shared) + ".lock"):
        done = shared / "outcome.json"
        if not done.exists():
            run = run_suite(reports=shared / "reports")
            done.write_text(json.dumps({"code": run.code, "output": run.output[-6000:]}))
        outcome = json.loads(done.read_text())
    return outcome["code"], outcome["output"], shared / "reports"


@pytest.mark.slow
def test_suite_passes_against_the_faithful_mock(faithful_run):
    code, output, reports = faithful_run
    assert code == 0, output
    report = json.loads((reports / "conformance.json").read_text())
    assert report["verdict"] == "passed"
    exercised = [o for o in report["operations"] if o["statuses"]["property"] == "passed"]
    assert len(exercised) == report["spec"]["operations"] == len(OPERATIONS)
    # A positive case of each was answered with success, but for the writes no run makes.
    assert not_exercised(report) == WRITES_A_RUN_MAY_NOT_MAKE, not_exercised(report)
    assert report["coverage"]["operations"]["exercised"] == 191, report["coverage"]
    assert not report["failures"]
    assert (reports / "conformance.html").exists() and (reports / "junit.xml").exists()


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_no_expectation_is_met_by_the_faithful_mock(faithful_run, fault):
    """Each fault's expectation, applied to the faithful mock's run (every selection of the
    fault runs included), fails in every part: none of them passes whatever the workspace
    does. The scenarios it names ran there and passed. (That the run is clean as a whole is
    test_suite_passes_against_the_faithful_mock's to say.)"""
    _, _, reports = faithful_run
    report = json.loads((reports / "conformance.json").read_text())
    expect = EXPECTED[fault]
    ran = {s.get("name") or s.get("test"): s.get("status") for s in report["scenarios"]}
    for test in expect.steps:
        if not test.startswith("test_field_round_trips"):  # an alias test, not a scenario
            assert ran.get(test) == "passed", (test, ran)
    problems = unmet(report, expect)
    assert len(problems) == len(expect.checks) + len(expect.steps), problems


@pytest.mark.slow
def test_one_fault_fails_only_where_it_should(tmp_path):
    """With one fault, the report names the failing operations and check, and nothing else."""
    run = run_suite("--flexie-mock-fault", "cross-account-leak", "--flexie-coverage", "off",
                    reports=tmp_path)
    assert run.code == 1, run.output[-3000:]
    report = json.loads((tmp_path / "conformance.json").read_text())
    failures = report["failures"]
    assert failures and {f["check"] for f in failures} == {"other_account_cannot_read"}
    assert all(f["operation"].startswith("GET ") and f["operation"].endswith("{id}")
               for f in failures)
    # the custom-entity table both demo accounts have is judged too, not passed for want of it
    assert "GET /ce/{tableName}/{id}" in {f["operation"] for f in failures}
    html = (tmp_path / "conformance.html").read_text()
    assert "other_account_cannot_read" in html and failures[0]["operation"] in html


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["error-without-message", "wrong-type-accepted"])
def test_the_boundary_cases_fail_against_a_broken_workspace(tmp_path, fault):
    """The coverage phase's cases, on their own, catch errors that do not say what is wrong and
    a workspace that takes a string for a boolean (sent to an owned record: the coverage phase
    writes path ids as text, and binding must read them as a server does)."""
    selection = "test_coverage and PUT and contacts and id"
    run = run_suite("--flexie-mock-fault", fault, "-k", selection,
                    reports=tmp_path)
    assert run.code == 1, run.output[-3000:]
    assert "FAILED conformance/test_coverage.py::test_coverage[PUT /contacts/{id}]" in run.output
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["failures"], "the failing cases are in the report"
    faithful = run_suite("-k", selection, reports=tmp_path / "faithful")
    assert faithful.code == 0, faithful.output[-3000:]
