"""Every expectation is graded by its evidence, `--flexie-assumptions warn` lets a workspace
that differs only from our assumptions pass, and `--flexie-fail-on new` fails only on failures
a baseline does not hold.

The runs aim mock faults at one operation's probes: `unknown-alias-accepted` breaks only
`unknown_alias_is_refused` (an assumption: docs/contract-notes.md, "Unknown aliases"),
`edit-creates` breaks `edit_never_creates` (documented: /edit never creates), and
`wrong-type-accepted` adds `invalid_values_are_refused` beside the first.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conformance.checks import evidence
from conformance.checks.registry import (
    ALIAS_CHECKS,
    CASE_CHECKS,
    EVIDENCE,
    PROBES,
    finding_evidence,
)
from conformance.findings import Finding, Kind
from contract.operations import OPERATIONS

ROOT = Path(__file__).resolve().parent.parent
NOTES = (ROOT / "docs" / "contract-notes.md").read_text(encoding="utf-8")
TITLES = set(re.findall(r"^- \*\*(.+?)\*\*", NOTES, flags=re.M))
PUT_CONTACT = "conformance/test_probes.py::test_probes[PUT /contacts/{id}]"
EDIT_CONTACT = "conformance/test_probes.py::test_probes[PUT /contacts/edit]"


def _grades() -> list[evidence.Evidence]:
    found = []
    for name in [*CASE_CHECKS, *PROBES, *ALIAS_CHECKS]:
        spec = EVIDENCE[name]
        found += [spec] if isinstance(spec, evidence.Evidence) else \
            [spec(op) for op in OPERATIONS]
    for code in ("ST101", "ST103", "ST108", "ST201", "ST202", "ST204", "ST401", "ST402"):
        found += [evidence.schemathesis_evidence(code, op.key) for op in OPERATIONS]
    return found


def test_every_check_declares_its_evidence():
    registered = {*CASE_CHECKS, *PROBES, *ALIAS_CHECKS}
    assert registered <= set(EVIDENCE), registered - set(EVIDENCE)
    assert len(registered) >= 20


def test_every_assumption_names_a_line_of_the_contract_notes():
    missing = {e.source for e in _grades() if e.level == evidence.ASSUMED
               and e.source.removeprefix(f"{evidence.NOTES}: ") not in TITLES}
    assert not missing, f"no such line in docs/contract-notes.md: {missing}"


def test_levels_split_as_declared():
    levels = {e.level for e in _grades()}
    assert {evidence.DOCUMENTED, evidence.ASSUMED} <= levels <= set(evidence.LEVELS)
    assert EVIDENCE["unknown_alias_is_refused"].level == evidence.ASSUMED
    assert EVIDENCE["edit_never_creates"].level == evidence.DOCUMENTED


def test_an_unknown_basis_is_labelled_unclassified():
    assert evidence.schemathesis_evidence("ST999", None).level == evidence.UNCLASSIFIED
    assert finding_evidence(
        Finding("x", kind=Kind.ALIAS, checks=("no_such_check",))).level == evidence.UNCLASSIFIED
    assert finding_evidence(Finding("x")).level == evidence.UNCLASSIFIED
    assert finding_evidence(
        Finding("x", kind=Kind.ALIAS, checks=("invalid_value_refused",))).level == \
        evidence.ASSUMED
    assert "no evidence" in evidence.NO_EVIDENCE.source


def test_an_unclassified_failure_is_never_a_warning():
    """Unlike an assumption, an unknown basis fails the run under `warn` too; beside an
    assumption (one failure, several checks) it is what the failure shows."""
    assert evidence.NO_EVIDENCE.graded("warn") == {
        "evidence": "unclassified", "evidence_source": evidence.NO_EVIDENCE.source,
        "warning": False}
    assumption = evidence.assumed("Unknown aliases")
    assert assumption.graded("warn")["warning"]
    assert evidence.strongest([assumption, evidence.NO_EVIDENCE]) == evidence.NO_EVIDENCE
    assert evidence.strongest([evidence.NO_EVIDENCE, assumption]) == evidence.NO_EVIDENCE
    assert evidence.strongest([]) == evidence.NO_EVIDENCE
    known = evidence.observed("a fact")
    assert evidence.strongest([evidence.NO_EVIDENCE, known]) == known


def test_the_report_has_a_heading_for_every_level():
    from conformance.report.view import EVIDENCE_LEVELS

    assert sorted(level for level, _, _ in EVIDENCE_LEVELS) == sorted(evidence.LEVELS)


def test_the_report_labels_and_groups_an_unclassified_failure(tmp_path):
    """conformance.json keeps the level (the schema allows it) and the HTML groups the
    failure under its own heading and pill, not under "documented"."""
    from conformance.report import write_reports
    from conformance.report.validate import results_schema
    from tests.test_report import make_results

    results = make_results()
    results["failures"][0].update(evidence.NO_EVIDENCE.graded("warn"))
    results["failures"][1].update(evidence.documented("a page section").graded("warn"))
    results["failures"][2].pop("evidence", None)  # an older report: no level at all
    written = write_reports(results, tmp_path)
    doc = json.loads(written["json"].read_text(encoding="utf-8"))
    jsonschema.validate(doc, results_schema())
    assert doc["failures"][0]["evidence"] == "unclassified"
    page = written["html"].read_text(encoding="utf-8")
    unclassified = page.index('id="evidence-unclassified"')
    assert page.index('id="evidence-documented"') < unclassified
    cards = page[unclassified:]
    assert results["failures"][0]["id"] in cards and results["failures"][2]["id"] in cards
    assert results["failures"][1]["id"] not in cards
    assert '<span class="pill evidence-unclassified">unclassified</span>' in cards


def test_the_report_alone_registers_every_alias_check():
    """The xdist controller grades failures' evidence by check name (`finding_evidence`) and
    may import nothing of the alias checks itself: importing the report registers them."""
    code = ("import conformance.report.results\n"
            "from conformance.checks.registry import ALIAS_CHECKS\n"
            "print(len(ALIAS_CHECKS))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, env=os.environ)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) > 0


def test_a_check_without_evidence_is_refused_at_registration():
    from conformance.checks.registry import probe

    with pytest.raises(TypeError, match="evidence"):
        probe(lambda ctx: None)


# --- whole runs -----------------------------------------------------------------------------

def _run(tmp_path: Path, name: str, *args: str) -> tuple[int, dict, str]:
    reports = tmp_path / name
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--flexie-reports", str(reports), "--flexie-seed", "7", "--flexie-coverage", "off",
           *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=os.environ)
    doc = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
    return proc.returncode, doc, proc.stdout + proc.stderr


def test_assumed_only_failures_are_warnings_under_warn(tmp_path):
    fault = ("--flexie-mock-fault", "unknown-alias-accepted", PUT_CONTACT)
    code, doc, _ = _run(tmp_path, "fail", *fault)
    assert code == 1 and doc["verdict"] == "failed"
    [failure] = doc["failures"]
    assert failure["check"] == "unknown_alias_is_refused"
    assert (failure["evidence"], failure["warning"]) == ("assumed", False)
    assert failure["evidence_source"] == "docs/contract-notes.md: Unknown aliases"

    code, doc, output = _run(tmp_path, "warn", *fault, "--flexie-assumptions", "warn")
    assert code == 0, output[-2000:]
    assert doc["verdict"] == "passed"
    [failure] = doc["failures"]
    assert (failure["evidence"], failure["warning"]) == ("assumed", True)
    assert "warning [unknown_alias_is_refused] PUT /contacts/{id}" in output
    html = (tmp_path / "warn" / "conformance.html").read_text(encoding="utf-8")
    assert "Assumed: the workspace differs from a decision of ours" in html


def test_documented_failures_fail_under_warn(tmp_path):
    code, doc, _ = _run(tmp_path, "edit", "--flexie-mock-fault", "edit-creates", EDIT_CONTACT,
                        "--flexie-assumptions", "warn")
    assert code == 1 and doc["verdict"] == "failed"
    graded = {(f["check"], f["evidence"], f["warning"]) for f in doc["failures"]}
    assert ("edit_never_creates", "documented", False) in graded


def test_fail_on_new_fails_only_on_failures_not_in_the_baseline(tmp_path):
    old = ("--flexie-mock-fault", "unknown-alias-accepted", PUT_CONTACT)
    code, _, _ = _run(tmp_path, "baseline", *old)
    assert code == 1
    ratchet = ("--flexie-baseline", str(tmp_path / "baseline" / "conformance.json"),
               "--flexie-fail-on", "new")

    code, doc, output = _run(tmp_path, "same", *old, *ratchet)
    assert code == 0, output[-2000:]
    assert doc["baseline"]["new"] == [] and len(doc["baseline"]["unchanged"]) == 1
    assert "every failure is in the baseline" in output

    code, doc, output = _run(tmp_path, "more", *old, *ratchet,
                             "--flexie-mock-fault", "wrong-type-accepted")
    assert code == 1
    assert doc["baseline"]["new"] == ["property|PUT /contacts/{id}|invalid_values_are_refused"]
    assert "new since the baseline" in output

    code, doc, _ = _run(tmp_path, "fixed", PUT_CONTACT, *ratchet)
    assert code == 0 and doc["baseline"]["fixed"] == [
        "property|PUT /contacts/{id}|unknown_alias_is_refused"]


def test_fail_on_new_needs_a_baseline(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--flexie-reports", str(tmp_path), "--flexie-fail-on", "new",
                           PUT_CONTACT], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 4
    assert "--flexie-fail-on new needs --flexie-baseline" in proc.stdout + proc.stderr
