"""How a test's outcome becomes the run's verdict, beyond pass and fail.

A test the request budget stopped is left out (skipped, saying so); under
`--flexie-assumptions warn` a failure resting only on our assumptions is a warning; under
`--flexie-fail-on new` a run whose failures are all in the baseline exits 0. The plugin's
hooks call these; this module holds the rules.
"""

from __future__ import annotations

import json

import pytest

from conformance.checks import CheckFailure
from conformance.declared import declared, recorded
from conformance.engine.outcomes import SetupStopped
from conformance.engine.pacing import budget_spent_in
from conformance.engine.runner import OperationFailed
from conformance.findings import Outcome
from conformance.plugin.outcomes import REPORT_CHECKS, REPORT_OUTCOME, test_failure_entry
from conformance.report.baseline import fail_on_new
from conformance.report.results import LEFT_OUT
from conformance.run import Run


def spent_budget(exc: BaseException | None) -> bool:
    """Whether the request budget stopped the test (directly, or inside Hypothesis's or
    Schemathesis's wrapping of it)."""
    return budget_spent_in(exc) is not None


def left_out(report: pytest.TestReport, item: pytest.Item, budget: int | None) -> None:
    """A test the budget stopped is not a failure: it is left out, and says so."""
    not_run(report, item, f"{LEFT_OUT} (all {budget} requests spent)")
    setattr(report, REPORT_OUTCOME, str(Outcome.LEFT_OUT))


def not_run(report: pytest.TestReport, item: pytest.Item, reason: str) -> None:
    """The test did not run for a reason of the run's, not of the operation's: skipped."""
    path, line, _ = item.location
    report.outcome = "skipped"
    report.longrepr = (str(path), (line or 0) + 1, f"Skipped: {reason}")


def setup_stopped(exc: BaseException | None) -> bool:
    """Whether the test did not run because setting up the run's records failed."""
    return isinstance(exc, SetupStopped)


def stopped_at_setup(run: Run) -> bool:
    """Whether a process of the run failed to set up its records (a recorded finding)."""
    return any(f.setup for f in run.observed.failures)


def assumed_only_is_a_warning(run: Run, report: pytest.TestReport,
                              call: pytest.CallInfo[None]) -> None:
    """Under `--flexie-assumptions warn`, a test that failed with one check failure resting
    only on our assumptions (an alias check; the runner itself raises only the others) is
    recorded as a warning and passes."""
    failure = call.excinfo.value if call.excinfo is not None else None
    if not isinstance(failure, CheckFailure) \
            or not failure.evidence.is_warning(run.settings.assumptions):
        return
    entry = test_failure_entry(report, recorded(report))
    run.observed.failures.add(entry.graded(failure.evidence, run.settings.assumptions))
    report.outcome = "passed"
    report.longrepr = None


def lead_with_the_check(report: pytest.TestReport, call: pytest.CallInfo[None]) -> None:
    """The short summary shows the crash line: let it start with `[check] operation`, not
    with the exception's module path."""
    if call.excinfo is not None and isinstance(call.excinfo.value, CheckFailure):
        # the checks it names (an alias test's, joined), for the report's evidence
        setattr(report, REPORT_CHECKS, call.excinfo.value.check.split(", "))
    crash = getattr(report.longrepr, "reprcrash", None)
    if call.excinfo is not None and crash is not None and \
            isinstance(call.excinfo.value, OperationFailed | CheckFailure):
        crash.message = str(call.excinfo.value).splitlines()[0]


#: What a scenario's own code raises when an answer lacks the shape it reads (a null where
#: the contract promises a record, ...): the workspace's deviation, not a bug to show raw.
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError)


def name_the_step(item: pytest.Item, report: pytest.TestReport,
                  call: pytest.CallInfo[None]) -> None:
    """A scenario that met an answer of an unexpected shape fails as a step: the short
    summary and the report name the last call and what the scenario read, not a raw
    `KeyError` (the steps themselves raise StepFailed for missing keys and records)."""
    error = call.excinfo.value if call.excinfo is not None else None
    crash = getattr(report.longrepr, "reprcrash", None)
    found = declared(item)
    if found is None or not found.is_scenario or crash is None \
            or isinstance(error, AssertionError) or not isinstance(error, _SHAPE_ERRORS):
        return
    steps = getattr(item, "funcargs", {}).get("steps")
    last = steps.log[-1] if steps is not None and steps.log else "no call yet"
    crash.message = (f"the answer to the last step ({last}) lacks the shape the scenario "
                     f"reads: {type(error).__name__}: {error}")


def warning_lines(run: Run) -> list[str]:
    """Failures that rest only on our assumptions, listed (not failed) under
    `--flexie-assumptions warn`."""
    warnings = {(f.check, f.operation): f for f in run.observed.failures if f.warning}
    if not warnings:
        return []
    lines = [f"flexie: {len(warnings)} warnings: failures that rest only on our assumptions "
             "(--flexie-assumptions warn); the workspace may be right"]
    for (check, operation), f in sorted(warnings.items(), key=lambda kv: str(kv[0])):
        lines.append(f"  warning [{check}] {operation or ''}: "
                     f"{(f.message.splitlines() or [''])[0][:160]} "
                     f"(assumed: {f.evidence.source if f.evidence else None})")
    return lines


def ratchet(run: Run, session: pytest.Session) -> str | None:
    """`--flexie-fail-on new`: a run whose failures are all in the baseline exits 0; the
    written conformance.json (its baseline section) says which are new and which fixed."""
    s = run.settings
    if s.fail_on != "new" or s.baseline is None or session.exitstatus != 1:
        return None
    try:
        doc = json.loads((s.reports / "conformance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # no report, no ratchet: the run keeps its failing status
    judged = fail_on_new(doc, s.baseline)
    if judged is None:
        return None
    passes, message = judged
    if passes:
        session.exitstatus = pytest.ExitCode.OK
    return message
