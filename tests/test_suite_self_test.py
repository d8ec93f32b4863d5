"""The conformance suite proves itself: green against the faithful mock, red against every
fault of the mock's catalogue, with the failing check named."""

from __future__ import annotations

import json

import pytest

from tests.suite_runner import run_suite
from workspace.faults import FAULTS


@pytest.mark.slow
def test_suite_passes_against_the_faithful_mock(tmp_path):
    run = run_suite(reports=tmp_path)
    assert run.code == 0, run.output[-6000:]
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["verdict"] == "passed"
    exercised = [o for o in report["operations"] if o["statuses"]["property"] == "passed"]
    assert len(exercised) == report["spec"]["operations"] == 194
    assert report["coverage"]["operations"]["exercised"] == 194, report["coverage"]
    assert not report["failures"]
    assert (tmp_path / "conformance.html").exists() and (tmp_path / "junit.xml").exists()


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_is_detected(tmp_path, fault):
    run = run_suite("--flexie-mock-fault", fault, "-x", reports=tmp_path)
    assert run.code == 1, f"fault {fault} went unnoticed:\n{run.output[-3000:]}"
    found = "FAILED" in run.output or "creating the records the suite works on failed" in \
        run.output
    assert found and f"faults {fault}" in run.output, run.output[-3000:]
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["verdict"] == "failed" and report["failures"], report["failures"]


#: Each Flexie check and each scenario, the fault that breaks what it checks, and a -k
#: selection that reaches it quickly: every check that passes can be shown to fail.
CHECK_FAULTS = {
    "errors_are_json": ("error-without-message", "test_operation and GET and contacts and id"),
    "listing_total_agrees": ("list-total-string", "test_operation and GET and contacts"),
    "read_back_equals_written": ("update-not-persisted", "test_operation and PUT and contacts"),
    "deleted_record_is_gone": ("delete-not-persisted", "test_operation and DELETE and contacts"),
    "list_membership_persisted": ("list-add-not-persisted",
                                  "test_operation and contact and add"),
    "task_completion_persisted": ("task-complete-noop",
                                  "test_operation and tasks and complete"),
    "unknown_id_is_404": ("not-found-200", "test_probes and GET and contacts"),
    "other_account_cannot_read": ("cross-account-leak", "test_probes and GET and contacts"),
    "unknown_key_is_refused": ("wrong-key-accepted", "test_probes and GET and contacts"),
    "malformed_json_is_400": ("bad-json-500", "test_probes and POST and contacts"),
    "edit_never_creates": ("edit-creates", "test_probes and PUT and contacts and edit"),
    "unknown_alias_is_refused": ("unknown-alias-accepted", "test_probes and PUT and contacts"),
    "invalid_values_are_refused": ("wrong-type-accepted", "test_probes and PUT and contacts"),
    "paging_is_consistent": ("pagination-off-by-one", "test_probes and GET and contacts"),
    "filters_are_applied": ("filter-ignored", "test_probes and POST and contacts"),
    "search_finds_written": ("search-or-as-and", "test_probes and contacts and search"),
    "test_record_lifecycle[contacts]": ("list-add-not-persisted",
                                        "test_record_lifecycle and contacts"),
    "test_task_lifecycle": ("task-complete-noop", "test_task_lifecycle"),
    "test_notes_on_a_record[contacts]": ("update-not-persisted",
                                         "test_notes_on_a_record and contacts"),
    "test_case_replies_by_id_and_identifier": ("not-found-200", "test_case_replies"),
    "test_email_send": ("not-found-200", "test_email_send"),
    "test_user_lifecycle": ("update-not-persisted", "test_user_lifecycle"),
    "test_deal_associations": ("create-status-200", "test_deal_associations"),
    "test_pipeline_lifecycle": ("update-not-persisted", "test_pipeline_lifecycle"),
    "test_model_based_sequences": ("update-not-persisted", "test_model_based_sequences"),
    "test_field_round_trips[acme-contacts-vip]": ("wrong-type-accepted",
                                                  "test_field_round_trips and acme and vip"),
}


@pytest.mark.slow
@pytest.mark.parametrize("check", list(CHECK_FAULTS))
def test_each_check_fails_against_the_fault_that_breaks_it(tmp_path, check):
    fault, selection = CHECK_FAULTS[check]
    run = run_suite("--flexie-mock-fault", fault, "-k", selection, reports=tmp_path)
    assert run.code == 1, f"{check} passed against {fault}:\n{run.output[-3000:]}"
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert check in {f["check"] for f in report["failures"]}, report["failures"]


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
