"""A finding has one type from the check that raises it to the report that shows it
(conformance/findings.py): frozen, added through `Findings.add` only, written as the report's
failure entry and read back unchanged."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from conformance.checks import CheckFailure
from conformance.checks.registry import alias_evidence, finding_evidence
from conformance.config.settings import Settings
from conformance.declared import Declared
from conformance.declared import Kind as DeclaredKind
from conformance.findings import (
    ASSUMED,
    NO_EVIDENCE,
    Evidence,
    Finding,
    Findings,
    Kind,
    Outcome,
    ReasonKind,
)
from conformance.observed import Observed, checks_line
from conformance.plugin import outcomes, verdict
from conformance.report.validate import results_schema
from tests.test_report_truth import synthetic_run

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "conformance"
#: The keys of a failure entry only a finding may put together (the report's failure shape).
FAILURE_KEYS = {"check", "message"}

EVIDENCE = Evidence(ASSUMED, "docs/contract-notes.md: Unknown aliases")


def _finding(**changes: object) -> Finding:
    base = Finding(check="unknown_alias_is_refused", operation="PUT /contacts/{id}",
                   message="accepted an unknown alias\nsecond line", status=200,
                   answer='{"contact": {}}', request="curl -X PUT http://localhost/x",
                   test="conformance/test_operations.py::test_operation[PUT /contacts/{id}]",
                   group="contacts", replay="pytest conformance -k x")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_finding_is_frozen():
    finding = _finding()
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.check = "other"  # type: ignore[misc]
    assert finding.with_(check="other").check == "other" and finding.check != "other"


def test_findings_take_only_findings():
    findings = Findings()
    with pytest.raises(TypeError):
        findings.add({"check": "x", "message": "y"})  # type: ignore[arg-type]
    added = findings.add(_finding())
    assert list(findings) == [added] and len(findings) == 1 and findings


def _suite_files() -> list[Path]:
    return [p for p in SUITE.rglob("*.py") if p.name != "findings.py"
            and "reports" not in p.parts]


def test_no_module_builds_a_finding_by_hand():
    """Every writer builds a Finding and adds it: no dict with a failure's keys, and no
    list operation on a run's failures, outside conformance/findings.py."""
    offenders = []
    for path in _suite_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if FAILURE_KEYS <= keys:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} builds a dict")
            if isinstance(node, ast.Attribute) and node.attr in ("append", "extend") and \
                    isinstance(node.value, ast.Attribute) and node.value.attr == "failures":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .failures."
                                 f"{node.attr}")
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Attribute) \
                    and node.target.attr == "failures":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .failures +=")
    assert not offenders, offenders


def _failure_schema() -> dict:
    schema = results_schema()
    return {**schema["$defs"]["failure"], "$defs": schema["$defs"]}


@pytest.mark.parametrize("outcome", [Outcome.FAILED, Outcome.WARNING])
def test_each_reported_outcome_is_a_valid_failure_entry(outcome: Outcome):
    finding = _finding(outcome=outcome, evidence=EVIDENCE)
    entry = finding.to_json()
    jsonschema.validate(entry, _failure_schema())
    assert entry["warning"] is (outcome is Outcome.WARNING)
    assert entry["id"] == "property|PUT /contacts/{id}|unknown_alias_is_refused"
    assert (entry["curl"], entry["response_excerpt"], entry["nodeid"]) == \
        (finding.request, finding.answer, finding.test)
    assert Finding.from_json(json.loads(json.dumps(entry))) == finding


def test_the_report_entry_keeps_its_keys_and_order():
    entry = _finding(evidence=EVIDENCE).to_json()
    assert list(entry) == ["evidence", "evidence_source", "warning", "id", "kind",
                           "operation", "group", "check", "message", "curl", "status",
                           "response_excerpt", "nodeid", "replay"]


def test_an_ungraded_finding_is_written_unclassified():
    entry = _finding(outcome=Outcome.FAILED).to_json()
    assert (entry["evidence"], entry["evidence_source"]) == \
        (NO_EVIDENCE.level, NO_EVIDENCE.source)


def test_a_spec_defect_keeps_its_own_id():
    finding = Finding(check="spec lint: no-200", operation=None, ident="spec|/x|no-200")
    assert finding.id == "spec|/x|no-200"
    assert Finding.from_json(finding.with_(evidence=EVIDENCE).to_json()).ident == \
        "spec|/x|no-200"


@pytest.mark.parametrize("finding", [
    _finding(),
    _finding(kind=Kind.ALIAS, checks=("created_value_reads_back", "invalid_value_refused")),
    _finding(setup=True, evidence=EVIDENCE, outcome=Outcome.WARNING),
    _finding(outcome=Outcome.NOT_CHECKED, reason_kind=ReasonKind.INAPPLICABLE),
    _finding(outcome=Outcome.LEFT_OUT, kind=Kind.STATEFUL, request=None, answer=None),
], ids=["ungraded", "alias", "setup", "not-checked", "left-out"])
def test_findings_travel_between_processes_unchanged(finding: Finding):
    worker, controller = Observed(), Observed()
    worker.failures.add(finding)
    controller.absorb(json.loads(json.dumps(worker.export())))
    assert list(controller.failures) == [finding]


def test_grading_makes_a_warning_only_of_an_assumption_under_warn():
    finding = _finding()
    assert finding.graded(EVIDENCE, "warn").outcome is Outcome.WARNING
    assert finding.graded(EVIDENCE, "fail").outcome is Outcome.FAILED
    assert finding.graded(NO_EVIDENCE, "warn").blocking


def test_a_written_reason_reads_back_with_its_kind():
    assert ReasonKind.of_written("applies to reads, not creates") is ReasonKind.INAPPLICABLE
    assert ReasonKind.of_written("judges answers 2xx, not 404") is ReasonKind.INAPPLICABLE
    assert ReasonKind.of_written("no second account's key") is ReasonKind.CANNOT_JUDGE


# --- the typed facts a test report carries from where the exception is at hand -----------------

ALIAS_TEST = "conformance/test_aliases.py::test_field_round_trips[acme-deals-budget_code]"


def _report(nodeid: str, outcome: str, longrepr: str) -> pytest.TestReport:
    return pytest.TestReport(nodeid=nodeid, location=("conformance/x.py", 1, "x"),
                             keywords={"aliases": 1}, outcome=outcome,  # type: ignore[arg-type]
                             longrepr=longrepr, when="call")


def test_a_failed_alias_test_names_its_checks_in_a_field():
    failure = CheckFailure("created_value_reads_back, invalid_value_refused",
                           "account acme, deals, budget_code", "did not read back")
    report = _report(ALIAS_TEST, "failed", "the message is not read")
    verdict.lead_with_the_check(report, SimpleNamespace(excinfo=SimpleNamespace(value=failure)))
    found = Declared(DeclaredKind.ALIAS, entity="deals", check="round_trip")
    finding = outcomes.test_failure_entry(report, found)
    assert finding.kind is Kind.ALIAS
    assert finding.checks == ("created_value_reads_back", "invalid_value_refused")
    assert finding_evidence(finding) == alias_evidence(list(finding.checks))


def test_a_test_the_budget_left_out_says_so_in_a_field(tmp_path: Path):
    run = synthetic_run(Settings(reports=tmp_path))
    report = _report("conformance/test_operations.py::test_operation[GET /users]", "failed",
                     "BudgetSpent")
    verdict.left_out(report, SimpleNamespace(location=("conformance/x.py", 1, "x")), 10)
    assert report.skipped and getattr(report, outcomes.REPORT_OUTCOME) == Outcome.LEFT_OUT
    outcomes.record_test_report(run, report)
    assert run.observed.left_out == [report.nodeid]


def test_a_not_checked_reason_is_grouped_by_its_kind_not_its_wording():
    """The terminal groups a check's own filters under "does not apply" by the kind the
    NotChecked carried; a reason read back from a written report gets its kind from its text."""
    worker, controller = Observed(), Observed()
    worker.check("GET /x", "a", "not-checked", "outside the filters", ReasonKind.INAPPLICABLE)
    worker.check("GET /x", "b", "not-checked", "applies to nothing here", ReasonKind.CANNOT_JUDGE)
    controller.absorb(json.loads(json.dumps(worker.export())))
    assert controller.reason_kinds == {"outside the filters": ReasonKind.INAPPLICABLE,
                                       "applies to nothing here": ReasonKind.CANNOT_JUDGE}
    line = checks_line(controller.check_counts(), controller.reason_kinds)
    assert "does not apply (1)" in line and "applies to nothing here (1)" in line
    written = Observed()
    written.check("GET /x", "c", "not-checked", "applies to reads operations")
    assert written.reason_kinds["applies to reads operations"] is ReasonKind.INAPPLICABLE
