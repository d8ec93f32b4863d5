"""Turn a run into the results dict the report renderer takes, and write it.

One source of truth: every status in the report (per operation, group, scenario, alias) is
derived here from what the run recorded: the failures (the runner's, session setup's and the
failed test reports'), the test outcomes per node id, the scenario outcomes and the alias matrix.
Nothing sets a status apart from them, so the report cannot say "passed" next to a failure.

The plugin calls, in this order:

- (conformance/plugin/outcomes.py records each pytest report into the run's Observed);
- `write_all(run, exitstatus)` at the end of a run on the controller (or `discard_stale(settings)`
  for `--collect-only`); `write_all` itself falls back to `discard_stale` when no test ran;
- `write_startup_failure(settings, message)` when the run stopped before any test could run.

docs/report.md ("Where the statuses come from") describes the derivation.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import TypedDict

from conformance.checks.aliases.plan import AliasPlan
from conformance.checks.registry import finding_evidence
from conformance.config.settings import Settings
from conformance.config.shard import share
from conformance.declared import Kind as TestKind
from conformance.declared import alias_operations
from conformance.engine.pacing import shared_pace
from conformance.engine.tables import run_account
from conformance.findings import Finding, Kind
from conformance.observed import Exercise, Observed, Traffic
from conformance.report.coverage import NOT_RUN, alias_finding
from conformance.report.identity import run_identity
from conformance.report.render import write_reports
from conformance.report.replay import replay_command
from conformance.run import Run
from contract.accounts import AccountSpec
from contract.fields import JsonObject
from contract.lint import METHODS
from contract.operations import OPERATIONS_BY_KEY
from contract.resources import TAGS

#: The report files a run writes into the reports folder, besides conformance.json/html.
PYTEST_OUTPUTS = ("pytest-report.html", "junit.xml")

#: Which column of an operation's row a failure of each kind shows in.
COLUMN = {"property": "property", "scenario": "scenarios", "stateful": "scenarios",
          "alias": "aliases"}

_STATUS_ORDER = ("failed", "passed", "skipped", "not-run")
#: The embedded mock's demo accounts (workspace/demo_accounts.toml): who is behind its keys.
_TAG_TO_GROUP = {tag: group for group, tag in TAGS.items()}


# --- what each test declares -----------------------------------------------------------------

def runner_operation(run: Run, nodeid: str) -> str | None:
    """The operation whose outcome a test's is: the one an operation's test (its property
    tests, probes or boundary cases, whose failures the runner records) declares."""
    found = run.observed.tests.get(nodeid)
    return found.operation if found is not None else None


def spec_operations(raw: JsonObject) -> list[tuple[str, JsonObject]]:
    return [(f"{m.upper()} {p}", op) for p, item in raw.get("paths", {}).items()
            for m, op in item.items() if m in METHODS]


def group_of(key: str, op: JsonObject | None = None) -> str:
    """The resource group of an operation (its tag's, for one the contract does not know)."""
    known = OPERATIONS_BY_KEY.get(key)
    if known is not None:
        return known.group
    tags = (op or {}).get("tags") or ["untagged"]
    tag = str(tags[0])
    return _TAG_TO_GROUP.get(tag, tag.lower().replace(" ", "_"))


def worst(states: Iterable[str]) -> str:
    """One status for several: failed over passed over skipped over not-run."""
    found = set(states)
    return next((s for s in _STATUS_ORDER if s in found), "not-run")


# --- recording test reports ------------------------------------------------------------------

#: What a test the budget stopped says (conformance.plugin.verdict.left_out).
LEFT_OUT = "left out for lack of budget"
# --- building the results ------------------------------------------------------------------

def _graded(settings: Settings, f: Finding) -> Finding:
    """What a failure rests on (conformance/checks/evidence.py), and whether this run lists
    it as a warning (`--flexie-assumptions warn` and nothing but our assumption behind it)."""
    return f.graded(f.evidence or finding_evidence(f), settings.assumptions)


def _failure_entry(run: Run, f: Finding) -> Finding:
    """A recorded finding as the report shows it: graded, with its test, group and replay."""
    settings = run.settings
    operation = f.operation
    nodeid = f.test or (_runner_nodeid(run, operation) if operation else None)
    return _graded(settings, f).with_(
        test=nodeid, group=f.group or (group_of(operation) if operation else None),
        replay=f.replay or replay_command(settings, nodeid or "conformance"))


def _runner_nodeid(run: Run, operation: str) -> str | None:
    """The operation's test that recorded a failure without saying so: a failed one of the
    operation's tests (probes run first), else the first that ran; None when none ran."""
    outcomes = run.observed.outcomes
    tests = [n for n in outcomes if runner_operation(run, n) == operation]
    failed = [n for n in tests if outcomes[n] == "failed"]
    found = failed or tests
    return found[0] if found else None


def collect_failures(run: Run) -> list[Finding]:
    """Every failure once: the runner's and setup's, the spec's defects (when the lint test
    ran), and each failed test that nothing else recorded.

    A failed runner test (test_operation, test_probes, test_coverage) is not recorded again
    when the runner recorded its failures: those carry the test's node id (or, from a runner
    that does not name it, the test's operation). Only a runner test that failed without the
    runner recording anything (a health check, a refused unsafe request, a fixture error)
    adds its own entry, so the report never says failed without saying what failed."""
    s, observed = run.settings, run.observed
    outcomes = observed.outcomes
    entries = [_failure_entry(run, f) for f in observed.failures]
    named = {f.test for f in observed.failures if f.test}
    unnamed_ops = {f.operation for f in observed.failures if not f.test and f.operation}
    lint_nodeid = next((n for n in outcomes if n in observed.tests
                        and observed.tests[n].kind is TestKind.SPEC), None)
    if lint_nodeid is not None:
        for problem in run.spec_problems:
            where = problem.where if problem.where.split(" ")[0] in \
                {m.upper() for m in METHODS} else None
            entries.append(_graded(s, Finding(
                check=f"spec lint: {problem.rule}", operation=where, kind=Kind.PROPERTY,
                message=problem.message, group=group_of(where) if where else None,
                test=lint_nodeid, replay=replay_command(s, lint_nodeid),
                ident=f"spec|{problem.where}|{problem.rule}")))
    for nodeid, f in observed.test_failures.items():
        operation = runner_operation(run, nodeid)
        if operation is not None and (nodeid in named or operation in unnamed_ops):
            continue
        if nodeid == lint_nodeid and run.spec_problems:
            continue  # each defect is an entry of its own, above
        entries.append(_failure_entry(run, f))
    # One entry per id; a later record of the same check (Hypothesis's shrunk example) wins.
    by_id: dict[str, Finding] = {}
    for entry in entries:
        by_id.pop(entry.id, None)
        by_id[entry.id] = entry
    return list(by_id.values())


def _alias_rows(run: Run) -> list[JsonObject]:
    rows = dict(run.observed.aliases)
    rows.update({"|".join(k): row for k, row in run.alias_plan.results.items()})
    return [rows[k] for k in sorted(rows)]


def _alias_statuses(run: Run, aliases: list[JsonObject]) -> dict[str, list[str]]:
    """Per operation, the states of the alias checks that exercise it (see docs/report.md)."""
    states: dict[str, list[str]] = {}

    def add(entity: str, check: str, state: str) -> None:
        for key in alias_operations(entity, check):
            states.setdefault(key, []).append(state)

    for row in aliases:
        finding = alias_finding(row)
        add(row["entity"], "fields",
            "failed" if finding in ("missing", "unexpected", "type-mismatch") else "passed")
        add(row["entity"], "round_trip", row["round_trip"])
    for nodeid, state in run.observed.outcomes.items():
        found = run.observed.tests.get(nodeid)
        if found is not None and found.kind is TestKind.ALIAS and found.entity and found.check:
            add(found.entity, found.check, state)
    return states


def _operation_states(run: Run, failures: list[Finding],
                      scenarios: list[Scenario], aliases: list[JsonObject]
                      ) -> dict[str, dict[str, str]]:
    """statuses per operation key: every column from what was recorded, never set apart."""
    columns: dict[str, dict[str, list[str]]] = {
        "property": {}, "scenarios": {}, "aliases": _alias_statuses(run, aliases)}
    for nodeid, state in run.observed.outcomes.items():
        key = runner_operation(run, nodeid)
        if key is not None:
            columns["property"].setdefault(key, []).append(state)
    for scenario in scenarios:
        for key in scenario["operations"]:
            columns["scenarios"].setdefault(key, []).append(scenario["status"])
    for f in failures:
        if f.operation and f.blocking:
            columns[COLUMN[f.kind]].setdefault(f.operation, []).append("failed")
    keys = {k for column in columns.values() for k in column}
    return {key: {name: worst(column.get(key, ())) for name, column in columns.items()}
            for key in keys}


class Scenario(TypedDict):
    """A scenario's row in the report: its name (its test's), group, status, how long it
    took and the operations its test declares it exercises."""

    name: str
    group: str
    status: str
    duration_s: float
    operations: list[str]


def _scenarios(run: Run, failures: list[Finding]) -> list[Scenario]:
    failed = {f.check for f in failures if f.kind in (Kind.SCENARIO, Kind.STATEFUL)
              and f.blocking}
    # A scenario's name is its test's (`test_record_lifecycle[contacts]`): what it checks is
    # what that test declares.
    declared = {nodeid.split("::")[-1]: found for nodeid, found in run.observed.tests.items()}
    out: list[Scenario] = []
    for name, (group, state, duration) in run.observed.scenarios.items():
        out.append({"name": name, "group": group,
                    "status": "failed" if name in failed else state,
                    "duration_s": round(max(duration, 0.0), 3),
                    "operations": list(declared[name].exercises) if name in declared
                    else []})
    return out


def target_account(run: Run) -> str | None:
    """The account behind the run's key: the accounts file's account (the embedded mock's demo
    file by default) the run works as (conformance.engine.tables.run_account), else the one chosen
    with --flexie-account, else the file's only account. None when nothing says."""
    return _account_of(run.settings, run.alias_plan.everyone)


def _account_of(s: Settings, everyone: Iterable[AccountSpec]) -> str | None:
    accounts = list(everyone)
    account = run_account(accounts, s)
    if account is not None:
        return account.name
    if s.account:
        return s.account
    names = [a.name for a in accounts if a.url in (None, s.url)]
    return names[0] if len(names) == 1 else None


class Exit(IntEnum):
    """pytest's exit statuses the report tells apart (pytest.ExitCode's values: the report
    reads the number pytest ended with, and imports no pytest)."""

    TESTS_FAILED = 1
    INTERRUPTED = 2
    INTERNAL_ERROR = 3
    USAGE_ERROR = 4


def _stopped(exitstatus: int) -> str | None:
    return {
        int(Exit.INTERRUPTED): "the run was interrupted (Ctrl-C, SIGTERM or "
                                          "pytest.exit) before it finished: the results are "
                                          "partial",
        int(Exit.INTERNAL_ERROR): "pytest hit an internal error: the results are "
                                             "partial",
        int(Exit.USAGE_ERROR): "pytest was used wrongly: the results are partial",
    }.get(exitstatus)


def build_results(run: Run, exitstatus: int) -> JsonObject:
    s = run.settings
    observed = run.observed
    raw = run.schema.raw_schema
    failures = collect_failures(run)
    if exitstatus == int(Exit.TESTS_FAILED) and not failures:
        failures.append(_unrecorded_failure(s))
    scenarios = _scenarios(run, failures)
    aliases = _alias_rows(run)
    states = _operation_states(run, failures, scenarios, aliases)
    traffic = run_traffic(run)
    not_run = dict.fromkeys(("property", "scenarios", "aliases"), "not-run")
    operations = []
    for key, op in spec_operations(raw):
        operations.append({
            "key": key, "operation_id": op.get("operationId") or key,
            "group": group_of(key, op),
            "statuses": states.get(key, not_run),
            "documented_status_codes": sorted(int(c) for c in op.get("responses", {})
                                              if c.isdigit()),
            "seen_status_codes": sorted(observed.statuses.get(key, ())),
            "test_cases": observed.cases.get(key, 0),
            "requests": traffic.requests.get(key, 0),
            "retries": traffic.retries.get(key, 0),
            "checks": check_outcomes(observed, key),
            "dropped_requests": observed.dropped.get(key, 0),
            "exercise": operation_exercise(run, key).as_dict(),
        })
    stopped = _stopped(exitstatus)
    blocking = [f for f in failures if f.blocking]
    verdict = "failed" if blocking else "error" if stopped else "passed"
    return {
        **_header(run, raw), "verdict": verdict, "stopped": stopped,
        "duration_s": round(max(time.time() - run.started, 0.0), 2),
        "operations": operations, "failures": [f.to_json() for f in failures],
        "scenarios": scenarios,
        "aliases": aliases, "baseline": None,
        "traffic": traffic_summary(traffic, {key for key, _ in spec_operations(raw)}),
        "budget": budget_summary(run),
        "checks": observed.check_counts(),
    }


def check_outcomes(observed: Observed, key: str) -> dict[str, dict[str, str]]:
    """Each check's outcome on one operation, with the reason of a check not checked."""
    reasons = observed.reasons.get(key, {})
    return {name: {"outcome": outcome, **({"reason": reasons[name]} if name in reasons
                                          else {})}
            for name, outcome in sorted(observed.checks.get(key, {}).items())}


def operation_exercise(run: Run, key: str) -> Exercise:
    """Whether the operation was exercised (a positive case answered with success), from
    what the runner recorded; else why not: its test left out for lack of budget, not run."""
    found = run.observed.exercises.get(key)
    if found is not None:
        return found
    if any(runner_operation(run, n) == key for n in run.observed.left_out):
        return Exercise(False, LEFT_OUT)
    tests = run.observed.tests
    states = [s for n, s in run.observed.outcomes.items() if runner_operation(run, n) == key
              and tests[n].kind is TestKind.OPERATION]
    return Exercise(False, "its test was skipped" if states else NOT_RUN)


def exercise_line(run: Run) -> str:
    """The terminal's line on the operations exercised with a success, and why the others
    were not (those whose test did not run, as with `-k`, only counted)."""
    raw = run.schema.raw_schema
    exercises = {key: operation_exercise(run, key) for key, _ in spec_operations(raw)}
    done = sum(e.exercised for e in exercises.values())
    not_run = sum(e.reason == NOT_RUN for e in exercises.values())
    missing = [(k, e) for k, e in exercises.items() if not e.exercised and e.reason != NOT_RUN]
    line = (f"flexie: {done} of {len(exercises)} operations exercised (a positive case "
            "answered with success)" + (f", {not_run} not run" if not_run else ""))
    if not missing:
        return line
    shown = "; ".join(f"{key}: {_not_exercised(e)}" for key, e in missing[:8])
    return (f"{line}; {len(missing)} not exercised: {shown}"
            + ("; ... (conformance.html lists them all)" if len(missing) > 8 else ""))


def _not_exercised(exercise: Exercise) -> str:
    answer = exercise.status
    return str(exercise.reason) + (f" (answered {answer}: "
                                   f"{(exercise.excerpt or '')[:80]!r})"
                                   if answer is not None else "")


class BudgetSummary(TypedDict):
    """The report's `budget`: its limit, the plan's estimate, what the run spent against it
    and apart from it (cleanup), and the tests it left out (node ids)."""

    limit: int
    planned: int | None
    spent: int
    exempt: int
    left_out: list[str]


def budget_summary(run: Run) -> BudgetSummary | None:
    """The request budget: its limit, what the run spent against it and apart from it
    (cleanup of its own records), and the tests it left out; None without a budget."""
    s = run.settings
    pace = shared_pace(s) if s.budget is not None else None
    if pace is None or s.budget is None:
        return None
    spent, exempt = pace.spent()
    plan = run.observed.plan or {}
    return {"limit": s.budget, "planned": plan.get("estimate"), "spent": spent,
            "exempt": exempt, "left_out": sorted(set(run.observed.left_out))}


def budget_line(run: Run) -> str | None:
    """The terminal's line on the budget, or None without one."""
    summary = budget_summary(run)
    if summary is None:
        return None
    left = summary["left_out"]
    return (f"flexie: budget {summary['limit']:,} requests: spent {summary['spent']:,}"
            f" (+{summary['exempt']:,} cleanup, exempt); "
            + (f"{len(left)} tests left out for lack of budget: {', '.join(left[:5])}"
               + (" ..." if len(left) > 5 else "") if left else "nothing left out"))


def run_traffic(run: Run) -> Traffic:
    """Every request the run sent and every retry, across xdist workers and this process."""
    return run.observed.total_traffic(run.target.traffic)


def traffic_summary(traffic: Traffic, operations: set[str]) -> JsonObject:
    """The report's `traffic`: totals, and the requests no single operation's test sent
    (setup and cleanup, scenarios, alias checks) by who sent them."""
    others = sorted(set(traffic.requests) - operations)
    return {"requests": traffic.total_requests, "retries": traffic.total_retries,
            "retry_wait_s": round(traffic.waited_s, 2),
            "other": [{"name": name, "requests": traffic.requests.get(name, 0),
                       "retries": traffic.retries.get(name, 0)} for name in others]}


def _unrecorded_failure(settings: Settings) -> Finding:
    """pytest failed but nothing said what (e.g. a plugin's error): say so, never "passed"."""
    return _graded(settings, Finding(
        check="pytest", kind=Kind.PROPERTY,
        message="pytest reported a failure the suite did not record; see pytest-report.html "
                "or junit.xml beside this report",
        replay=replay_command(settings, "conformance")))


def _header(run: Run, raw: JsonObject) -> JsonObject:
    return _header_of(run.settings, raw, run.target.base_url, run.alias_plan, run.started)


def _header_of(s: Settings, raw: JsonObject, target_url: str | None, plan: AliasPlan,
               started: float) -> JsonObject:
    """The report's header: the target (at `target_url` when the run had one), the spec,
    the profile and seed, when it started, its share of a split run."""
    info = raw.get("info", {})
    url = target_url if (s.url and target_url is not None) else s.url
    return {
        "target": {"url": url or f"embedded mock workspace ({s.transport})",
                   "transport": "live" if s.url else s.transport,
                   "auth": "oauth2" if (s.oauth_token or s.oauth_client_id) else s.auth,
                   "account": _account_of(s, plan.everyone)},
        "spec": {"title": str(info.get("title", "")), "version": str(info.get("version", "")),
                 "path": str(s.spec), "operations": len(spec_operations(raw))},
        "profile": s.profile, "seed": s.seed, "run": run_identity(s),
        "started": datetime.fromtimestamp(started, tz=UTC).isoformat(timespec="seconds"),
        "shard": _shard_of(s, plan, raw),
    }


def shard_summary(run: Run, raw: JsonObject) -> JsonObject | None:
    """This job's share of a split run (conformance/plugin/sharding.py); None when not split."""
    return _shard_of(run.settings, run.alias_plan, raw)


def _shard_of(s: Settings, plan: AliasPlan, raw: JsonObject) -> JsonObject | None:
    shard = s.shard
    if shard is None:
        return None
    return {"index": shard[0], "total": shard[1],
            "accounts": [a.name for a in plan.accounts],
            "operations": share([key for key, _ in spec_operations(raw)], shard)}


# --- writing -------------------------------------------------------------------------------

def write_all(run: Run, exitstatus: int) -> None:
    """The report of a finished run (controller only); a run in which no test ran and
    nothing was recorded writes a "did not run" report instead (see discard_stale)."""
    exitstatus = int(exitstatus)
    if not run.observed.outcomes and not run.observed.failures:
        why = _stopped(exitstatus)
        discard_stale(run.settings, reason="no test ran: " + (why or "no test was selected"))
        return
    try:
        results = build_results(run, exitstatus)
        paths = write_reports(results, run.settings.reports, secrets=run.secrets,
                              baseline_path=run.settings.baseline)
    except (ValueError, OSError) as exc:
        _remove_outputs(run.settings, ("conformance.json", "conformance.html"))
        sys.stderr.write(f"flexie: could not write the report: {exc}\n")
        return
    sys.stderr.write(f"flexie: report written to {paths['html']}\n")


def write_startup_failure(settings: Settings, message: str) -> None:
    """The run stopped before any test ran (unreachable URL, refused key, invalid spec, bad
    accounts file ...): conformance.json/html say so and why; the pytest-html report and JUnit
    XML of an earlier run are removed, so nothing in the folder passes for this run's result."""
    _write_not_run(settings, f"the run stopped at startup: {message}")


def discard_stale(settings: Settings, reason: str | None = None) -> None:
    """A run that executes no test (`--collect-only`, a selection that matches nothing):
    earlier reports are replaced by a "did not run" report and the earlier pytest-html report
    and JUnit XML are removed, so nothing looks like a result of this run."""
    _write_not_run(settings, reason or "no test ran (--collect-only, or no test selected)")


def _write_not_run(settings: Settings, stopped: str) -> None:
    _remove_outputs(settings, PYTEST_OUTPUTS)
    results = not_run_results(settings, stopped)
    try:
        paths = write_reports(results, settings.reports, secrets=settings.secrets)
    except (ValueError, OSError) as exc:
        _remove_outputs(settings, ("conformance.json", "conformance.html"))
        sys.stderr.write(f"flexie: could not write the report: {exc}\n")
        return
    sys.stderr.write(f"flexie: no result; {paths['html']} says why\n")


def not_run_results(settings: Settings, stopped: str) -> JsonObject:
    """The results of a run that did not run: verdict "error", and why."""
    raw = _spec_quietly(settings.spec)
    header = _header_of(settings, raw, None, AliasPlan(), time.time())
    header["spec"]["operations"] = len(spec_operations(raw))
    return {**header, "verdict": "error", "stopped": stopped, "duration_s": 0.0,
            "operations": [], "failures": [], "scenarios": [], "aliases": [],
            "baseline": None}


def _spec_quietly(path: Path) -> JsonObject:
    """The spec's raw document for the header, or {} if it cannot be read (it may be why)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) and isinstance(raw.get("paths"), dict) else {}


def _remove_outputs(settings: Settings, names: Iterable[str]) -> None:
    for name in names:
        try:
            (Path(settings.reports) / name).unlink(missing_ok=True)
        except OSError as exc:
            sys.stderr.write(f"flexie: could not remove the stale {name}: {exc}\n")


__all__ = ["COLUMN", "build_results", "collect_failures",
           "discard_stale", "runner_operation",
           "spec_operations", "write_all", "write_startup_failure"]
