"""Turn a run into the results dict the report renderer takes, and write it.

One source of truth: every status in the report (per operation, group, scenario, alias) is
derived here from what the run recorded: the failures (the runner's, session setup's and the
failed test reports'), the test outcomes per node id, the scenario outcomes and the alias matrix.
Nothing sets a status apart from them, so the report cannot say "passed" next to a failure.

The plugin calls, in this order:

- `record_test_report(run, report)` from `pytest_runtest_logreport`, for every report;
- `write_all(run, exitstatus)` at the end of a run on the controller (or `discard_stale(settings)`
  for `--collect-only`); `write_all` itself falls back to `discard_stale` when no test ran;
- `write_startup_failure(settings, message)` when the run stopped before any test could run.

docs/report.md ("Where the statuses come from") describes the derivation.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conformance.context import RunContext
from conformance.settings import Settings
from contract.lint import METHODS
from contract.operations import OPERATIONS_BY_KEY
from contract.resources import GROUPS, KINDS_BY_NAME, RECORD_KINDS, TAGS, RecordKind

try:
    from conformance.replay import replay_command
except ImportError:  # pragma: no cover - conformance/replay.py is written alongside this module
    def replay_command(settings: Settings, nodeid: str) -> str:
        return (f"pytest '{nodeid}' --flexie-seed {settings.seed} "
                f"--flexie-profile {settings.profile}")

#: Tests whose failures the runner records itself, one per operation (the id is its key).
RUNNER_TESTS = ("test_probes", "test_operation", "test_coverage")

#: The report files a run writes into the reports folder, besides conformance.json/html.
PYTEST_OUTPUTS = ("pytest-report.html", "junit.xml")

#: Which column of an operation's row a failure of each kind shows in.
COLUMN = {"property": "property", "scenario": "scenarios", "stateful": "scenarios",
          "alias": "aliases"}

_STATUS_ORDER = ("failed", "passed", "skipped", "not-run")
#: The embedded mock's demo accounts (workspace/demo_accounts.toml): who is behind its keys.
_TAG_TO_GROUP = {tag: group for group, tag in TAGS.items()}
_SPEC_LINT = "test_spec_lint"


# --- node ids ------------------------------------------------------------------------------

def split_nodeid(nodeid: str) -> tuple[str, str | None]:
    """(function, parameter id): `...::test_probes[GET /x]` -> ("test_probes", "GET /x")."""
    last = nodeid.split("::")[-1]
    func, bracket, rest = last.partition("[")
    return func, (rest[:-1] if bracket and rest.endswith("]") else None)


def recorded_by_runner(nodeid: str) -> bool:
    """Whether the test is one of RUNNER_TESTS, whose outcome is an operation's."""
    func, param = split_nodeid(nodeid)
    return func in RUNNER_TESTS and param is not None


def runner_operation(nodeid: str) -> str | None:
    """The operation key a runner test names (`test_operation[GET /contacts/{id}]`)."""
    return split_nodeid(nodeid)[1] if recorded_by_runner(nodeid) else None


def spec_operations(raw: dict) -> list[tuple[str, dict]]:
    return [(f"{m.upper()} {p}", op) for p, item in raw.get("paths", {}).items()
            for m, op in item.items() if m in METHODS]


def _group(key: str, op: dict | None = None) -> str:
    known = OPERATIONS_BY_KEY.get(key)
    if known is not None:
        return known.group
    tags = (op or {}).get("tags") or ["untagged"]
    return _TAG_TO_GROUP.get(tags[0], tags[0].lower().replace(" ", "_"))


def _worst(states: Iterable[str]) -> str:
    """One status for several: failed over passed over skipped over not-run."""
    found = set(states)
    return next((s for s in _STATUS_ORDER if s in found), "not-run")


# --- what scenarios and alias checks exercise ----------------------------------------------

def _on(kind: RecordKind | None, *templates: str) -> tuple[str, ...]:
    """Operation keys from templates: `P` is the kind's path, `L` its static-list path."""
    keys = []
    for template in templates:
        method, path = template.split(" ", 1)
        if kind is not None and (path == "P" or path.startswith("P/")):
            path = kind.path + path[1:]
        elif kind is not None and path.startswith("L/"):
            path = kind.list_path + path[1:]
        keys.append(f"{method} {path}")
    return tuple(keys)


@dataclass(frozen=True)
class ScenarioUse:
    """What a scenario test checks: its group and the operations under test.

    Operations a scenario only uses to set up (creating the contact a note is put on) are not
    listed: a notes bug must not mark POST /contacts/new failed. `per_kind`: the test is
    parametrized by record kind (`[contacts]`), which fills `P` and `L` and names the group
    unless `group` is given; otherwise the templates apply to every record kind."""

    group: str | None
    templates: tuple[str, ...]
    per_kind: bool = False

    def operations(self, param: str | None) -> list[str]:
        if self.per_kind:
            kind = KINDS_BY_NAME.get(param or "")
            return list(_on(kind, *self.templates)) if kind is not None else []
        if any(t.split(" ", 1)[1][:1] in "PL" for t in self.templates):
            return [key for k in RECORD_KINDS for key in _on(k, *self.templates)]
        return list(_on(None, *self.templates))

    def group_for(self, param: str | None) -> str | None:
        if self.group is None and self.per_kind and param in KINDS_BY_NAME:
            return param
        return self.group


#: Scenario tests (conformance/test_scenarios.py, test_state_machine.py) by function name.
#: tests/test_report_truth.py checks that every scenario test is here and every key exists.
SCENARIOS: dict[str, ScenarioUse] = {
    "test_record_lifecycle": ScenarioUse(None, (
        "POST P/new", "GET P/{id}", "POST L/lists/{id}/add/{entityId}", "GET P/{id}/lists",
        "GET P", "PUT P/edit", "POST P/identify", "POST P/search",
        "POST L/lists/{id}/remove/{entityId}", "DELETE P/{id}"), per_kind=True),
    "test_notes_on_a_record": ScenarioUse("notes", (
        "POST /notes/{entityType}/{entityId}", "GET /notes/{id}", "PUT /notes/{id}",
        "GET P/{id}/notes", "DELETE /notes/{id}", "DELETE /notes/{entityType}/{entityId}"),
        per_kind=True),
    "test_task_lifecycle": ScenarioUse("tasks", (
        "POST /tasks/new", "POST /tasks/{id}/complete", "GET /tasks/{id}",
        "POST /tasks/{id}/incomplete", "PATCH /tasks/{id}", "GET /tasks/list/categories",
        "DELETE /tasks/{id}")),
    "test_case_replies_by_id_and_identifier": ScenarioUse("cases", (
        "POST /cases/{id}/replies", "POST /cases/replies/{identifier}",
        "GET /cases/{id}/replies", "GET /cases/replies/{identifier}")),
    "test_email_send": ScenarioUse("emails", ("GET /emails", "POST /emails/{id}/send")),
    "test_user_lifecycle": ScenarioUse("users", (
        "POST /users/new", "POST /users/{id}/permission", "GET /users/self",
        "PUT /users/{id}", "GET /users/{id}", "DELETE /users/{id}")),
    "test_deal_associations": ScenarioUse("deals", (
        "POST /deals/{id}/associations", "DELETE /deals/{id}/associations")),
    "test_pipeline_lifecycle": ScenarioUse("pipelines", (
        "POST /pipelines", "GET /pipelines", "PATCH /pipelines/{id}", "GET /pipelines/{id}",
        "GET /stages", "DELETE /pipelines/{id}")),
    "test_model_based_sequences": ScenarioUse(None, (
        "POST P/new", "GET P/{id}", "PUT P/{id}", "PATCH P/{id}", "PUT P/edit",
        "DELETE P/{id}", "POST L/lists/{id}/add/{entityId}",
        "POST L/lists/{id}/remove/{entityId}", "GET P", "GET P/{id}/lists")),
}


def scenario_operations(name: str) -> list[str]:
    """Operations a scenario (`test_task_lifecycle`, `test_record_lifecycle[contacts]`)
    checks, as the contract names them; [] for a scenario this table does not know."""
    func, param = split_nodeid(name)
    use = SCENARIOS.get(func)
    if use is None:
        return []
    return [key for key in dict.fromkeys(use.operations(param)) if key in OPERATIONS_BY_KEY]


def scenario_group(name: str, keywords: Iterable[str] = ()) -> str:
    """The resource group a scenario belongs to; "scenarios" when it spans several."""
    func, param = split_nodeid(name)
    use = SCENARIOS.get(func)
    group = use.group_for(param) if use is not None else None
    if group is None and use is None:
        words = set(keywords)
        group = next((g for g in GROUPS if g in words), None)
    return group or "scenarios"


#: Alias checks per entity (conformance/test_aliases.py): the published field list is read
#: from `list/fields`; a round trip creates, reads, updates and filters through the alias.
ALIAS_FIELDS = ("GET P/list/fields",)
ALIAS_ROUND_TRIP = ("POST P/new", "GET P/{id}", "PUT P/{id}", "POST P")
_ENTITY = r"(ce:[A-Za-z0-9_]+|" + "|".join(k.name for k in RECORD_KINDS
                                          if not k.is_custom_entity) + ")"


def entity_kind(entity: str) -> RecordKind | None:
    from contract.accounts import entity_kind as kind_of

    try:
        return kind_of(entity)
    except KeyError:
        return None


def alias_entity(nodeid: str) -> tuple[str, str | None]:
    """(which check, entity) of an alias test: ("fields", "contacts") for
    `test_fields_match_expectation[acme-contacts]`, ("round_trip", "ce:projects") for
    `test_field_round_trips[acme-ce:projects-budget]`; entity None when not named."""
    func, param = split_nodeid(nodeid)
    check = "fields" if func == "test_fields_match_expectation" else "round_trip"
    pattern = rf"-{_ENTITY}$" if check == "fields" else rf"-{_ENTITY}-[^-]+$"
    found = re.search(pattern, param or "")
    return check, found.group(1) if found else None


def alias_operations(entity: str, check: str) -> list[str]:
    kind = entity_kind(entity)
    templates = ALIAS_FIELDS if check == "fields" else ALIAS_ROUND_TRIP
    return [k for k in _on(kind, *templates) if k in OPERATIONS_BY_KEY] if kind else []


def _is_alias_test(nodeid: str, keywords: Iterable[str] = ()) -> bool:
    return "test_aliases.py" in nodeid or "aliases" in set(keywords)


# --- recording test reports ------------------------------------------------------------------

def record_test_report(run: RunContext, report: pytest.TestReport) -> None:
    """One pytest report (setup, call or teardown; on the xdist controller too): the test's
    outcome, its failure when nothing else records it, and a scenario's outcome."""
    observed = run.observed
    if report.when == "setup" and report.passed:
        return
    if report.when == "teardown" and not report.failed:
        return
    state = "failed" if report.failed else "skipped" if report.skipped else "passed"
    observed.outcome(report.nodeid, state)
    keywords = list(report.keywords)
    if report.failed:
        observed.test_failure(report.nodeid, _test_failure(report, keywords))
    if "scenario" in keywords or split_nodeid(report.nodeid)[0] in SCENARIOS:
        name = report.nodeid.split("::")[-1]
        observed.scenario(name, scenario_group(name, keywords), state, report.duration)


def _kind_of(nodeid: str, keywords: list[str]) -> str:
    if "state_machine" in nodeid:
        return "stateful"
    if _is_alias_test(nodeid, keywords):
        return "alias"
    if "scenario" in keywords or split_nodeid(nodeid)[0] in SCENARIOS:
        return "scenario"
    return "property"


def _test_failure(report: pytest.TestReport, keywords: list[str]) -> dict:
    """A failed test report as a failure entry, with the operation and group it names."""
    name = report.nodeid.split("::")[-1]
    kind = _kind_of(report.nodeid, keywords)
    operation = runner_operation(report.nodeid)
    group = _group(operation) if operation else None
    if kind == "scenario":
        group = scenario_group(name, keywords)
        group = None if group == "scenarios" else group
    elif kind == "alias":
        check, entity = alias_entity(report.nodeid)
        kind_ = entity_kind(entity) if entity else None
        group = kind_.name if kind_ is not None else None
        if check == "fields" and entity:
            operation = next(iter(alias_operations(entity, "fields")), None)
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else str(report.longrepr)[-800:]
    if report.when != "call":
        message = f"error in {report.when}: {message}"
    return {"nodeid": report.nodeid, "operation": operation, "group": group, "check": name,
            "kind": kind, "message": message[:1500], "status": None,
            "response_excerpt": None, "curl": None}


# --- building the results ------------------------------------------------------------------

def _failure_entry(settings: Settings, f: dict, outcomes: dict[str, str]) -> dict:
    kind = f.get("kind") or "property"
    operation = f.get("operation") or None
    nodeid = f.get("nodeid") or (_runner_nodeid(operation, outcomes) if operation else None)
    group = f.get("group") or (_group(operation) if operation else None)
    return {
        "id": f"{kind}|{operation or ''}|{f['check']}", "kind": kind,
        "operation": operation, "group": group, "check": f["check"],
        "message": str(f.get("message") or ""), "curl": f.get("curl") or None,
        "status": f.get("status"), "response_excerpt": f.get("response_excerpt"),
        "nodeid": nodeid,
        "replay": f.get("replay") or replay_command(settings, nodeid or "conformance"),
    }


def _runner_nodeid(operation: str, outcomes: dict[str, str]) -> str:
    """The runner test that recorded a failure without saying so: a failed one of its
    operation (probes run first), else its property test."""
    tests = [n for n in outcomes if runner_operation(n) == operation]
    failed = [n for n in tests if outcomes[n] == "failed"]
    if failed or tests:
        return (failed or tests)[0]
    try:
        from conformance.replay import operation_nodeid
    except ImportError:  # pragma: no cover
        return f"conformance/test_operations.py::test_operation[{operation}]"
    return operation_nodeid("test_operation", operation)


def collect_failures(run: RunContext) -> list[dict]:
    """Every failure once: the runner's and setup's, the spec's defects (when the lint test
    ran), and each failed test that nothing else recorded.

    A failed runner test (test_operation, test_probes, test_coverage) is not recorded again
    when the runner recorded its failures: those carry the test's node id (or, from a runner
    that does not name it, the test's operation). Only a runner test that failed without the
    runner recording anything (a health check, a refused unsafe request, a fixture error)
    adds its own entry, so the report never says failed without saying what failed."""
    s, observed = run.settings, run.observed
    outcomes = observed.outcomes
    entries = [_failure_entry(s, f, outcomes) for f in observed.failures]
    named = {f["nodeid"] for f in observed.failures if f.get("nodeid")}
    unnamed_ops = {f["operation"] for f in observed.failures
                   if not f.get("nodeid") and f.get("operation")}
    lint_nodeid = next((n for n in outcomes if split_nodeid(n)[0] == _SPEC_LINT), None)
    if lint_nodeid is not None:
        for problem in run.spec_problems:
            where = problem.where if problem.where.split(" ")[0] in \
                {m.upper() for m in METHODS} else None
            entries.append({
                "id": f"spec|{problem.where}|{problem.rule}", "kind": "property",
                "operation": where, "group": _group(where) if where else None,
                "check": f"spec lint: {problem.rule}", "message": problem.message,
                "curl": None, "status": None, "response_excerpt": None,
                "nodeid": lint_nodeid, "replay": replay_command(s, lint_nodeid)})
    for nodeid, f in observed.test_failures.items():
        if recorded_by_runner(nodeid) and (nodeid in named
                                           or runner_operation(nodeid) in unnamed_ops):
            continue
        if nodeid == lint_nodeid and run.spec_problems:
            continue  # each defect is an entry of its own, above
        entries.append(_failure_entry(s, f, outcomes))
    # One entry per id; a later record of the same check (Hypothesis's shrunk example) wins.
    by_id: dict[str, dict] = {}
    for entry in entries:
        by_id.pop(entry["id"], None)
        by_id[entry["id"]] = entry
    return list(by_id.values())


def _alias_rows(run: RunContext) -> list[dict]:
    rows = dict(run.observed.aliases)
    if run.alias_plan is not None:
        rows.update({"|".join(k): row for k, row in run.alias_plan.results.items()})
    return [rows[k] for k in sorted(rows)]


def _alias_statuses(run: RunContext, aliases: list[dict]) -> dict[str, list[str]]:
    """Per operation, the states of the alias checks that exercise it (see docs/report.md)."""
    from conformance.report.coverage import alias_finding

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
        if _is_alias_test(nodeid):
            check, entity = alias_entity(nodeid)
            if entity:
                add(entity, check, state)
    return states


def _operation_states(run: RunContext, failures: list[dict],
                      scenarios: list[dict], aliases: list[dict]) -> dict[str, dict[str, str]]:
    """statuses per operation key: every column from what was recorded, never set apart."""
    columns: dict[str, dict[str, list[str]]] = {
        "property": {}, "scenarios": {}, "aliases": _alias_statuses(run, aliases)}
    for nodeid, state in run.observed.outcomes.items():
        key = runner_operation(nodeid)
        if key is not None:
            columns["property"].setdefault(key, []).append(state)
    for scenario in scenarios:
        for key in scenario["operations"]:
            columns["scenarios"].setdefault(key, []).append(scenario["status"])
    for f in failures:
        if f["operation"]:
            columns[COLUMN[f["kind"]]].setdefault(f["operation"], []).append("failed")
    keys = {k for column in columns.values() for k in column}
    return {key: {name: _worst(column.get(key, ())) for name, column in columns.items()}
            for key in keys}


def _scenarios(run: RunContext, failures: list[dict]) -> list[dict]:
    failed = {f["check"] for f in failures if f["kind"] in ("scenario", "stateful")}
    out = []
    for name, (group, state, duration) in run.observed.scenarios.items():
        out.append({"name": name, "group": group,
                    "status": "failed" if name in failed else state,
                    "duration_s": round(max(duration, 0.0), 3),
                    "operations": scenario_operations(name)})
    return out


def target_account(run: RunContext) -> str | None:
    """The account behind the run's key: the accounts file's account (the embedded mock's demo
    file by default) whose key is the run's, else the one chosen with --flexie-account, else
    the file's only account. None when nothing says."""
    from conformance.aliases import account_key

    s = run.settings
    accounts = list(run.alias_plan.accounts) if run.alias_plan is not None else []
    for account in accounts:
        try:
            if s.apikey and account_key(account) == s.apikey:
                return account.name
        except ValueError:  # its key variable is not set: not the run's account
            continue
    if s.account:
        return s.account
    names = [a.name for a in accounts if a.url in (None, s.url)]
    return names[0] if len(names) == 1 else None


def _stopped(exitstatus: int) -> str | None:
    return {
        int(pytest.ExitCode.INTERRUPTED): "the run was interrupted (Ctrl-C, SIGTERM or "
                                          "pytest.exit) before it finished: the results are "
                                          "partial",
        int(pytest.ExitCode.INTERNAL_ERROR): "pytest hit an internal error: the results are "
                                             "partial",
        int(pytest.ExitCode.USAGE_ERROR): "pytest was used wrongly: the results are partial",
    }.get(exitstatus)


def build_results(run: RunContext, exitstatus: int) -> dict:
    s = run.settings
    observed = run.observed
    raw = run.schema.raw_schema if run.schema is not None else {}
    failures = collect_failures(run)
    if exitstatus == int(pytest.ExitCode.TESTS_FAILED) and not failures:
        failures.append(_unrecorded_failure(s))
    scenarios = _scenarios(run, failures)
    aliases = _alias_rows(run)
    states = _operation_states(run, failures, scenarios, aliases)
    not_run = dict.fromkeys(("property", "scenarios", "aliases"), "not-run")
    operations = []
    for key, op in spec_operations(raw):
        operations.append({
            "key": key, "operation_id": op.get("operationId") or key,
            "group": _group(key, op),
            "statuses": states.get(key, not_run),
            "documented_status_codes": sorted(int(c) for c in op.get("responses", {})
                                              if c.isdigit()),
            "seen_status_codes": sorted(observed.statuses.get(key, ())),
            "test_cases": observed.cases.get(key, 0),
        })
    stopped = _stopped(exitstatus)
    verdict = "failed" if failures else "error" if stopped else "passed"
    return {
        **_header(run, raw), "verdict": verdict, "stopped": stopped,
        "duration_s": round(max(time.time() - run.started, 0.0), 2),
        "operations": operations, "failures": failures, "scenarios": scenarios,
        "aliases": aliases, "baseline": None,
    }


def _unrecorded_failure(settings: Settings) -> dict:
    """pytest failed but nothing said what (e.g. a plugin's error): say so, never "passed"."""
    return {"id": "property||pytest", "kind": "property", "operation": None, "group": None,
            "check": "pytest", "message": "pytest reported a failure the suite did not record; "
            "see pytest-report.html or junit.xml beside this report", "curl": None,
            "status": None, "response_excerpt": None, "nodeid": None,
            "replay": replay_command(settings, "conformance")}


def _header(run: RunContext, raw: dict) -> dict:
    s = run.settings
    info = raw.get("info", {})
    url = run.target.base_url if (s.url and run.target is not None) else s.url
    return {
        "target": {"url": url or f"embedded mock workspace ({s.transport})",
                   "transport": "live" if s.url else s.transport,
                   "auth": "oauth2" if (s.oauth_token or s.oauth_client_id) else s.auth,
                   "account": target_account(run)},
        "spec": {"title": str(info.get("title", "")), "version": str(info.get("version", "")),
                 "path": str(s.spec), "operations": len(spec_operations(raw))},
        "profile": s.profile, "seed": s.seed,
        "started": datetime.fromtimestamp(run.started, tz=UTC).isoformat(timespec="seconds"),
    }


# --- writing -------------------------------------------------------------------------------

def _secrets(run: RunContext) -> list[str]:
    found = list(run.settings.secrets)
    bearer = getattr(run.target, "bearer", None)
    if isinstance(bearer, str) and bearer:
        found.append(bearer)
    return found


def write_all(run: RunContext, exitstatus: int) -> None:
    """The report of a finished run (controller only); a run in which no test ran and
    nothing was recorded writes a "did not run" report instead (see discard_stale)."""
    from conformance.report import write_reports

    exitstatus = int(exitstatus)
    if not run.observed.outcomes and not run.observed.failures:
        why = _stopped(exitstatus)
        discard_stale(run.settings, reason="no test ran: " + (why or "no test was selected"))
        return
    try:
        results = build_results(run, exitstatus)
        paths = write_reports(results, run.settings.reports, secrets=_secrets(run),
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
    from conformance.report import write_reports

    _remove_outputs(settings, PYTEST_OUTPUTS)
    results = not_run_results(settings, stopped)
    try:
        paths = write_reports(results, settings.reports, secrets=settings.secrets)
    except (ValueError, OSError) as exc:
        _remove_outputs(settings, ("conformance.json", "conformance.html"))
        sys.stderr.write(f"flexie: could not write the report: {exc}\n")
        return
    sys.stderr.write(f"flexie: no result; {paths['html']} says why\n")


def not_run_results(settings: Settings, stopped: str) -> dict:
    """The results of a run that did not run: verdict "error", and why."""
    run = RunContext(settings)
    raw = _spec_quietly(settings.spec)
    header = _header(run, raw)
    header["spec"]["operations"] = len(spec_operations(raw))
    return {**header, "verdict": "error", "stopped": stopped, "duration_s": 0.0,
            "operations": [], "failures": [], "scenarios": [], "aliases": [],
            "baseline": None}


def _spec_quietly(path: Path) -> dict:
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


__all__ = ["COLUMN", "RUNNER_TESTS", "SCENARIOS", "build_results", "collect_failures",
           "discard_stale", "record_test_report", "recorded_by_runner", "scenario_operations",
           "spec_operations", "write_all", "write_startup_failure"]
