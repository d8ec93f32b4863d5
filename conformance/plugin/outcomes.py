"""What each pytest report of a suite test says, recorded in the run: its outcome, the
declaration it carries (conformance/declared.py), a scenario's outcome, and a failed test's
Finding when nothing else recorded one. Runs on the xdist controller too (the reports travel
there with the attributes set on them here and in conformance/plugin/verdict.py)."""

from __future__ import annotations

import pytest

from conformance.declared import Declared, alias_operations, entity_kind, recorded
from conformance.declared import Kind as TestKind
from conformance.findings import Finding, Kind, Outcome
from conformance.report.results import group_of
from conformance.run import Run

#: The attribute of a test report that holds its Outcome when the run, not the test, decided
#: it (conformance.plugin.verdict.left_out sets Outcome.LEFT_OUT); it travels from xdist workers.
REPORT_OUTCOME = "flexie_outcome"
#: The attribute of a failed test report that names the checks its CheckFailure named (an
#: alias test's), set where the exception is at hand (conformance.plugin.verdict).
REPORT_CHECKS = "flexie_checks"


def record_test_report(run: Run, report: pytest.TestReport) -> None:
    """One pytest report (setup, call or teardown; on the xdist controller too): the test's
    outcome, its failure when nothing else records it, and a scenario's outcome."""
    observed = run.observed
    if report.when == "setup" and report.passed:
        return
    if report.when == "teardown" and not report.failed:
        return
    state = "failed" if report.failed else "skipped" if report.skipped else "passed"
    found = recorded(report)
    if found is not None:
        observed.tests[report.nodeid] = found
    observed.outcome(report.nodeid, state)
    if report.skipped and getattr(report, REPORT_OUTCOME, None) == Outcome.LEFT_OUT:
        observed.left_out.append(report.nodeid)
    if report.failed:
        observed.test_failure(report.nodeid, test_failure_entry(report, found))
    if found is not None and found.is_scenario:
        name = report.nodeid.split("::")[-1]
        observed.scenario(name, found.group or "scenarios", state, report.duration)


#: The kind of failure a failed test of each kind is.
_FAILURE_KIND = {TestKind.STATE_MACHINE: Kind.STATEFUL, TestKind.ALIAS: Kind.ALIAS,
                 TestKind.SCENARIO: Kind.SCENARIO}


def test_failure_entry(report: pytest.TestReport, found: Declared | None) -> Finding:
    """A failed test report as a failure entry, with the operation and group it declares."""
    name = report.nodeid.split("::")[-1]
    kind = _FAILURE_KIND.get(found.kind, Kind.PROPERTY) if found is not None else Kind.PROPERTY
    operation = found.operation if found is not None else None
    group = group_of(operation) if operation else None
    if found is not None and kind is Kind.SCENARIO:
        group = found.group
    elif found is not None and kind is Kind.ALIAS:
        kind_ = entity_kind(found.entity) if found.entity else None
        group = kind_.name if kind_ is not None else None
        if found.check == "fields" and found.entity:
            operation = next(iter(alias_operations(found.entity, "fields")), None)
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else str(report.longrepr)[-800:]
    if report.when != "call":
        message = f"error in {report.when}: {message}"
    return Finding(check=name, operation=operation, kind=kind, message=message[:1500],
                   test=report.nodeid, group=group,
                   checks=tuple(getattr(report, REPORT_CHECKS, None) or ()))
