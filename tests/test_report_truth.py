"""The report tells the truth: every status is derived from what the run recorded.

A synthetic run (pytest reports fed through `record_test_report`, runner failures, an alias
matrix) with failures of every kind on several operations: each failure is in conformance.json
once, with its operation, and its operation, group and kind show failed in both
conformance.json and conformance.html; the same run without the failures shows none. Runs
that did not run (startup failure, --collect-only, nothing selected) leave no result behind.
"""

from __future__ import annotations

import functools
import json
import re
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.checks.aliases.plan import AliasPlan, build_plan
from conformance.config.settings import DEMO_KEY, ROOT, Settings
from conformance.declared import REPORT_ATTRIBUTE
from conformance.findings import Finding
from conformance.observed import Observed
from conformance.plugin.outcomes import record_test_report
from conformance.report import results
from conformance.report.coverage import alias_finding
from conformance.report.results import (
    COLUMN,
    build_results,
    discard_stale,
    write_all,
    write_startup_failure,
)
from conformance.run import Run
from contract.operations import OPERATIONS, OPERATIONS_BY_KEY
from contract.resources import RECORD_KINDS
from contract.spec import load_spec
from tests.declarations import Collected, collect

RAW = load_spec(ROOT / "flexie-api.json")

OP = "conformance/test_operations.py::test_operation"
PROBES = "conformance/test_probes.py::test_probes"
COVERAGE = "conformance/test_coverage.py::test_coverage"
SCEN = "conformance/test_scenarios.py"
ALIASES = "conformance/test_aliases.py"
MACHINE = "conformance/test_state_machine.py::test_model_based_sequences"
LINT = "conformance/test_spec.py::test_spec_lint"


@functools.cache
def suite() -> dict[str, Collected]:
    """What each test of the suite declares, as pytest collects it by default."""
    return collect()


def report(nodeid: str, outcome: str = "passed", when: str = "call",
           keywords: tuple[str, ...] = (), message: str = "boom") -> pytest.TestReport:
    """A report of a test of the suite, with the declaration its report carries in a run."""
    longrepr = None if outcome == "passed" else (
        ("file.py", 1, f"Skipped: {message}") if outcome == "skipped" else message)
    made = pytest.TestReport(nodeid, ("file.py", 1, nodeid), dict.fromkeys(keywords, 1),
                             outcome, longrepr, when, duration=0.25)
    declared = suite()[nodeid].declared
    assert declared is not None, nodeid
    setattr(made, REPORT_ATTRIBUTE, declared.as_dict())
    return made


def synthetic_run(settings: Settings, plan: Any = None, problems: tuple = ()) -> Run:
    """A run for the report alone: no target was opened (its URL is the settings'), nothing
    sent, the real spec."""
    observed = Observed()
    target = SimpleNamespace(base_url=settings.url or "http://localhost/api", bearer=None,
                             app=None, traffic=observed.traffic)
    return Run(settings=settings, target=target, schema=SimpleNamespace(raw_schema=RAW),
               spec_problems=problems, runner=SimpleNamespace(), alias_plan=plan or AliasPlan(),
               observed=observed, close=lambda: None, started=time.time())


def run_tests(run: Run, tests: list[tuple[str, str, tuple[str, ...]]]) -> None:
    """Setup, call and teardown reports of each (nodeid, outcome, keywords), as pytest logs."""
    for nodeid, outcome, keywords in tests:
        for when in ("setup", "call", "teardown"):
            state = outcome if when == "call" else "passed"
            record_test_report(run, report(nodeid, state, when, keywords,
                                           message=f"{nodeid} failed"))


def runner_failure(operation: str, check: str, nodeid: str | None) -> Finding:
    return Finding(check=check, operation=operation, message=f"{check} broke", status=200,
                   answer="{}", request=f"curl -H 'apikey: {DEMO_KEY}' http://localhost/api/x",
                   test=nodeid)


def alias_row(entity: str, alias: str, *, present: bool = True, type_ok: bool | None = True,
              round_trip: str = "passed") -> dict:
    return {"account": "acme", "entity": entity, "alias": alias, "type": "text",
            "expected": True, "present": present, "type_ok": type_ok,
            "round_trip": round_trip, "detail": ""}


def make_run(tmp_path: Path, *, failing: bool) -> Run:
    """A run over the real spec: property tests, probes, boundary cases, scenarios, the state
    machine, alias checks and the spec lint; with `failing`, failures of every kind."""
    settings = Settings(seed=1, apikey=DEMO_KEY, other_apikey="globex-demo-key",
                        reports=tmp_path / "reports", coverage=True)
    plan = build_plan(settings)  # the embedded mock's demo accounts: the key names acme
    run = synthetic_run(settings, plan)
    bad = "failed" if failing else "passed"
    scenario = ("scenario",)
    tests = [
        (f"{OP}[PATCH /accounts/{{id}}]", bad, ()),
        (f"{OP}[GET /contacts]", "passed", ()),
        (f"{OP}[GET /tasks]", bad, ()),  # fails without the runner recording anything
        (f"{PROBES}[GET /contacts/{{id}}]", bad, ()),
        (f"{PROBES}[PATCH /accounts/{{id}}]", "passed", ()),
        (f"{COVERAGE}[POST /leads/new]", bad, ()),
        (f"{OP}[POST /emails/{{id}}/send]", "skipped", ()),
        (f"{SCEN}::test_task_lifecycle", bad, scenario),
        (f"{SCEN}::test_user_lifecycle", "passed", scenario),
        (f"{SCEN}::test_pipeline_lifecycle", "passed", scenario),
        (f"{SCEN}::test_record_lifecycle[contacts]", "passed", (*scenario, "contacts")),
        (f"{SCEN}::test_notes_on_a_record[deals]", "passed", (*scenario, "deals")),
        (MACHINE, bad, scenario),
        (f"{ALIASES}::test_fields_match_expectation[acme-contacts]", bad, ("aliases",)),
        (f"{ALIASES}::test_fields_match_expectation[acme-leads]", "passed", ("aliases",)),
        (f"{ALIASES}::test_field_round_trips[acme-deals-competitor]", bad, ("aliases",)),
        (LINT, "passed", ()),
    ]
    run_tests(run, tests)
    rows = [alias_row("contacts", "vip"), alias_row("leads", "source"),
            alias_row("deals", "competitor", round_trip=bad)]
    if failing:
        rows.append(alias_row("contacts", "industry_code", present=False, type_ok=None,
                              round_trip="skipped"))
        for finding in [
            runner_failure("PATCH /accounts/{id}", "read_back_equals_written",
                           f"{OP}[PATCH /accounts/{{id}}]"),
            # the same check on another case of the same operation: one failure, not two
            runner_failure("PATCH /accounts/{id}", "read_back_equals_written",
                           f"{OP}[PATCH /accounts/{{id}}]"),
            runner_failure("GET /contacts/{id}", "unknown_id_is_404", None),  # no nodeid
            runner_failure("POST /leads/new", "not_a_server_error",
                           f"{COVERAGE}[POST /leads/new]"),
        ]:
            run.observed.failures.add(finding)
    for row in rows:
        plan.results[(row["account"], row["entity"], row["alias"])] = row
    return run


def write(run: Run, exitstatus: int) -> tuple[dict, str]:
    write_all(run, exitstatus)
    out = run.settings.reports
    return (json.loads((out / "conformance.json").read_text(encoding="utf-8")),
            (out / "conformance.html").read_text(encoding="utf-8"))


# --- reading the HTML back -------------------------------------------------------------------

def html_operations(page: str) -> dict[str, dict[str, str]]:
    """Per operation key, the status pills of its row in the per-group tables."""
    rows = {}
    for body in re.findall(r'<tr class="(?:is-ok|has-fail)">(.*?)</tr>', page, re.S):
        method = re.search(r'<span class="method m-\w+">(\w+)</span>', body)
        path = re.search(r'<div class="opline">.*?</span><span>(.*?)</span></div>', body, re.S)
        if not (method and path):
            continue
        key = f"{method.group(1)} {path.group(1).replace('<wbr>', '')}"
        pills = re.findall(r'class="st st-([a-z-]+)"', body)
        rows[key] = dict(zip(("property", "scenarios", "aliases"), pills, strict=True))
    return rows


def html_groups(page: str) -> dict[str, dict[str, bool]]:
    """Per group of the overview table, whether each column counts a failure."""
    start = page.index('<section id="matrix"')
    table = page[start:page.index("</table>", start)]
    groups = {}
    for name, cells in re.findall(
            r'<td><a href="#g-[^"]+">([^<]+)</a></td><td class="num">\d+</td>(.*?)</tr>',
            table, re.S):
        columns = re.findall(r"<td>(.*?)</td>", cells, re.S)
        groups[name] = {k: 'class="c-failed"' in c for k, c in
                        zip(("property", "scenarios", "aliases"), columns, strict=True)}
    return groups


# --- the failing run -------------------------------------------------------------------------

@pytest.fixture
def failing(tmp_path: Path) -> tuple[dict, str]:
    return write(make_run(tmp_path, failing=True), 1)


def test_every_failure_is_recorded_once_with_its_operation(failing: tuple[dict, str]) -> None:
    doc, _ = failing
    ids = [f["id"] for f in doc["failures"]]
    assert len(ids) == len(set(ids))
    by_id = {f["id"]: f for f in doc["failures"]}
    assert set(by_id) == {
        "property|PATCH /accounts/{id}|read_back_equals_written",
        "property|GET /contacts/{id}|unknown_id_is_404",
        "property|POST /leads/new|not_a_server_error",
        "property|GET /tasks|test_operation[GET /tasks]",
        "scenario||test_task_lifecycle",
        "stateful||test_model_based_sequences",
        "alias|GET /contacts/list/fields|test_fields_match_expectation[acme-contacts]",
        "alias||test_field_round_trips[acme-deals-competitor]",
    }
    # No copy of a runner-recorded failure under the test's name, none without its operation.
    assert not any(f["check"].startswith(("test_operation[PATCH", "test_probes", "test_cov"))
                   for f in doc["failures"])
    assert by_id["property|GET /contacts/{id}|unknown_id_is_404"]["nodeid"] == \
        f"{PROBES}[GET /contacts/{{id}}]"
    for f in doc["failures"]:
        assert f["nodeid"] and f["nodeid"].split("::")[0] in f["replay"], f
        assert "--flexie-seed 1" in f["replay"]
    assert by_id["scenario||test_task_lifecycle"]["group"] == "tasks"
    assert by_id["alias||test_field_round_trips[acme-deals-competitor]"]["group"] == "deals"


def test_every_failure_shows_failed_in_json_and_html(failing: tuple[dict, str]) -> None:
    assert_failures_show_failed(*failing)


def well_formed(page: str) -> None:
    from tests.test_report import _Balance

    parser = _Balance()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []
    for target in re.findall(r'href="#([^"]+)"', page):
        assert target in parser.ids, f"dangling link #{target}"


def assert_failures_show_failed(doc: dict, page: str) -> None:
    """Each failure once; its operation, group and kind failed in conformance.json and .html;
    both files agree on every operation's statuses."""
    well_formed(page)
    assert doc["failures"] and len({f["id"] for f in doc["failures"]}) == len(doc["failures"])
    ops = {o["key"]: o for o in doc["operations"]}
    html_ops = html_operations(page)
    html_grp = html_groups(page)
    assert len(html_ops) == len(ops) == len(OPERATIONS)
    for f in doc["failures"]:
        column = COLUMN[f["kind"]]
        assert doc["summary"]["operations"][column]["failed"] >= 1, f["id"]
        if f["operation"]:
            assert ops[f["operation"]]["statuses"][column] == "failed", f["id"]
            assert html_ops[f["operation"]][column] == "failed", f["id"]
            assert html_grp[ops[f["operation"]]["group"]][column], f["id"]
        if f["group"]:
            assert html_grp[f["group"]][column], f["id"]
            assert any(o["statuses"][column] == "failed" for o in ops.values()
                       if o["group"] == f["group"]), f["id"]
    # The JSON and the HTML agree on every status of every operation.
    for key, op in ops.items():
        assert html_ops[key] == op["statuses"], key
    assert doc["verdict"] == "failed" and "FAILED" in page


@pytest.mark.slow
def test_a_real_run_tells_the_truth(tmp_path: Path) -> None:
    """The suite against the mock with a fault: the same assertions on the files it wrote."""
    from tests.suite_runner import run_suite

    selection = ("test_task_lifecycle or test_user_lifecycle or "
                 "(test_operation and PUT and contacts and id) or "
                 "(test_probes and PATCH and accounts and id)")
    run = run_suite("--flexie-coverage", "off", "--flexie-mock-fault", "update-not-persisted",
                    "-k", selection, reports=tmp_path, seed=1)
    assert run.code == 1, run.output[-3000:]
    doc = json.loads((tmp_path / "conformance.json").read_text(encoding="utf-8"))
    page = (tmp_path / "conformance.html").read_text(encoding="utf-8")
    assert_failures_show_failed(doc, page)
    kinds = {(f["kind"], f["operation"] or f["group"]) for f in doc["failures"]}
    assert ("property", "PUT /contacts/{id}") in kinds and ("scenario", "tasks") in kinds
    st = {o["key"]: o["statuses"] for o in doc["operations"]}
    assert st["PATCH /accounts/{id}"]["property"] == "passed"  # its probes ran and passed
    assert st["POST /users/new"]["scenarios"] == "failed"
    assert doc["target"]["account"] == "acme"
    assert DEMO_KEY not in json.dumps(doc) and DEMO_KEY not in page


def test_statuses_come_from_what_ran(failing: tuple[dict, str]) -> None:
    doc, page = failing
    st = {o["key"]: o["statuses"] for o in doc["operations"]}
    assert st["PATCH /accounts/{id}"]["property"] == "failed"
    assert st["GET /contacts"]["property"] == "passed"
    assert st["POST /emails/{id}/send"]["property"] == "skipped"
    assert st["GET /users"]["property"] == "not-run"
    # scenarios: the ones that ran, on the operations they check
    for key in ("POST /tasks/{id}/complete", "GET /tasks/list/categories"):
        assert st[key]["scenarios"] == "failed", key
    for key in ("POST /users/new", "POST /users/{id}/permission", "POST /pipelines",
                "GET /stages", "POST /notes/{entityType}/{entityId}", "GET /deals/{id}/notes"):
        assert st[key]["scenarios"] == "passed", key
    assert st["PUT /contacts/{id}"]["scenarios"] == "failed"  # the state machine's
    assert st["GET /workflows"]["scenarios"] == "not-run"
    # aliases: the field list and the round trip per entity
    assert st["GET /contacts/list/fields"]["aliases"] == "failed"
    assert st["GET /leads/list/fields"]["aliases"] == "passed"
    assert st["PUT /deals/{id}"]["aliases"] == "failed"
    assert st["PUT /leads/{id}"]["aliases"] == "passed"
    assert st["GET /cases/list/fields"]["aliases"] == "not-run"
    scen = {s["name"]: s for s in doc["scenarios"]}
    assert scen["test_task_lifecycle"]["status"] == "failed"
    assert scen["test_task_lifecycle"]["group"] == "tasks"
    assert scen["test_user_lifecycle"]["group"] == "users"
    assert "GET /stages" in scen["test_pipeline_lifecycle"]["operations"]
    assert doc["target"]["account"] == "acme"
    assert re.search(r"<dt>Account</dt><dd>acme</dd>", page)


def test_a_clean_run_shows_no_failure(tmp_path: Path) -> None:
    doc, page = write(make_run(tmp_path, failing=False), 0)
    assert doc["verdict"] == "passed" and doc["failures"] == [] and doc["stopped"] is None
    assert not [o["key"] for o in doc["operations"] if "failed" in o["statuses"].values()]
    assert all(s["status"] != "failed" for s in doc["scenarios"])
    assert all(alias_finding(a) == "ok" for a in doc["aliases"])
    assert page.count('class="st st-failed"') == 1  # the legend's
    assert 'class="c-failed"' not in page and "PASSED" in page
    st = {o["key"]: o["statuses"] for o in doc["operations"]}
    assert st["POST /tasks/{id}/complete"]["scenarios"] == "passed"
    assert st["GET /contacts/list/fields"]["aliases"] == "passed"


def test_no_secret_in_the_report(failing: tuple[dict, str]) -> None:
    doc, page = failing
    assert DEMO_KEY not in json.dumps(doc) and DEMO_KEY not in page


# --- the derivation rules ----------------------------------------------------------------------

def test_a_runner_failure_on_another_operation_needs_its_own_entry(tmp_path: Path) -> None:
    run = make_run(tmp_path, failing=False)
    run_tests(run, [(f"{OP}[PUT /contacts/{{id}}]", "failed", ())])
    run.observed.failures.add(runner_failure("GET /contacts/{id}", "read_back_equals_written",
                                                f"{OP}[PUT /contacts/{{id}}]"))
    doc = build_results(run, 1)
    assert [f["id"] for f in doc["failures"]] == [
        "property|GET /contacts/{id}|read_back_equals_written"]  # recorded by the runner once
    st = {o["key"]: o["statuses"] for o in doc["operations"]}
    assert st["GET /contacts/{id}"]["property"] == st["PUT /contacts/{id}"]["property"] == \
        "failed"


def test_a_failed_exit_without_a_record_is_not_passed(tmp_path: Path) -> None:
    doc = build_results(make_run(tmp_path, failing=False), 1)
    assert doc["verdict"] == "failed" and [f["check"] for f in doc["failures"]] == ["pytest"]


def test_an_interrupted_run_says_so(tmp_path: Path) -> None:
    doc, page = write(make_run(tmp_path, failing=False), 2)
    assert doc["verdict"] == "error" and "interrupted" in doc["stopped"]
    assert "STOPPED" in page and "did not finish" in page
    doc, page = write(make_run(tmp_path, failing=True), 2)
    assert doc["verdict"] == "failed" and "interrupted" in doc["stopped"]


def test_teardown_errors_count(tmp_path: Path) -> None:
    run = make_run(tmp_path, failing=False)
    record_test_report(run, report(f"{SCEN}::test_user_lifecycle", "failed", "teardown",
                                   ("scenario",), message="cleanup broke"))
    doc = build_results(run, 1)
    assert [f["message"] for f in doc["failures"]] == ["error in teardown: cleanup broke"]
    st = {o["key"]: o["statuses"] for o in doc["operations"]}
    assert st["POST /users/new"]["scenarios"] == "failed"


def test_spec_defects_are_reported_once(tmp_path: Path) -> None:
    run = replace(make_run(tmp_path, failing=False), spec_problems=(
        SimpleNamespace(where="GET /contacts", rule="no-200", message="no 200 answer"),))
    run_tests(run, [(LINT, "failed", ())])
    doc = build_results(run, 1)
    assert [f["id"] for f in doc["failures"]] == ["spec|GET /contacts|no-200"]
    assert {o["key"]: o for o in doc["operations"]}["GET /contacts"]["statuses"][
        "property"] == "failed"


def test_the_live_account_comes_from_the_accounts_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PROD_KEY", "live-key-0123456789")
    settings = Settings(url="https://x.example/api", apikey="live-key-0123456789", seed=1,
                        reports=tmp_path)
    accounts = [SimpleNamespace(name="prod", url=None, key_env="PROD_KEY", api_key=None),
                SimpleNamespace(name="staging", url=None, key_env="NOPE", api_key=None)]
    run = synthetic_run(settings, SimpleNamespace(accounts=accounts, everyone=accounts,
                                                  results={}))
    assert results.target_account(run) == "prod"
    run = replace(run, alias_plan=AliasPlan())
    assert results.target_account(run) is None
    settings.account = "chosen"
    assert results.target_account(run) == "chosen"


# --- what the scenarios check ------------------------------------------------------------------

def test_every_scenario_declares_the_operations_it_checks() -> None:
    scenarios = {nodeid: c.declared for nodeid, c in suite().items()
                 if c.declared is not None and c.declared.is_scenario}
    assert len(scenarios) >= len(RECORD_KINDS) + 8, sorted(scenarios)
    for nodeid, declared in scenarios.items():
        assert declared.exercises, nodeid
        missing = [k for k in declared.exercises if k not in OPERATIONS_BY_KEY]
        assert not missing, (nodeid, missing)


# --- runs without a result -----------------------------------------------------------------------

def stale_folder(tmp_path: Path) -> Settings:
    settings = Settings(seed=3, apikey="secret-apikey-42", reports=tmp_path / "reports")
    settings.reports.mkdir()
    for name in ("pytest-report.html", "junit.xml"):
        (settings.reports / name).write_text("<testsuite tests='9' failures='0'/>")
    (settings.reports / "conformance.json").write_text(json.dumps({"verdict": "passed"}))
    return settings


def assert_no_result(settings: Settings, reason: str) -> tuple[dict[str, Any], str]:
    out = settings.reports
    assert not (out / "pytest-report.html").exists() and not (out / "junit.xml").exists()
    doc = json.loads((out / "conformance.json").read_text(encoding="utf-8"))
    page = (out / "conformance.html").read_text(encoding="utf-8")
    assert doc["verdict"] == "error" and reason in doc["stopped"]
    assert doc["failures"] == doc["operations"] == []
    assert "DID NOT RUN" in page and 'id="stopped-reason"' in page and reason in page
    assert "PASSED" not in page
    well_formed(page)
    return doc, page


def test_startup_failure_writes_why_and_removes_stale_reports(tmp_path: Path) -> None:
    settings = stale_folder(tmp_path)
    write_startup_failure(settings, "https://x.example/api refused the key secret-apikey-42 "
                                    "(HTTP 401)")
    doc, _ = assert_no_result(settings, "refused the key [REDACTED] (HTTP 401)")
    assert doc["stopped"].startswith("the run stopped at startup: ")
    assert doc["spec"]["operations"] == len(OPERATIONS)
    assert doc["target"]["account"] is None  # not a key of the mock's demo accounts
    for path in settings.reports.iterdir():
        assert b"secret-apikey-42" not in path.read_bytes(), path


def test_startup_failure_with_an_unreadable_spec(tmp_path: Path) -> None:
    settings = stale_folder(tmp_path)
    settings.spec = tmp_path / "missing.json"
    write_startup_failure(settings, f"invalid spec: spec not found: {settings.spec}")
    doc, _ = assert_no_result(settings, "spec not found")
    assert doc["spec"]["operations"] == 0


def test_collect_only_leaves_no_result(tmp_path: Path) -> None:
    settings = stale_folder(tmp_path)
    discard_stale(settings)
    assert_no_result(settings, "no test ran")


def test_a_run_without_tests_leaves_no_result(tmp_path: Path) -> None:
    settings = stale_folder(tmp_path)
    run = synthetic_run(settings)
    write_all(run, 5)
    assert_no_result(settings, "no test ran: no test was selected")


def test_the_report_reads_pytests_exit_statuses_by_their_numbers():
    """results.Exit spells the statuses the report tells apart as pytest numbers them (the
    report layer imports no pytest)."""
    for status in results.Exit:
        assert int(status) == int(pytest.ExitCode[status.name])
