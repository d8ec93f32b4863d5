"""bench_power.py --budget: its summary and its gate, fed made-up runs (no suite is run).

The bench is a gate on the issue's target (the ci profile detects 90 % of the fault catalogue
within its request budget, and stays green on the faithful mock within them), so its arithmetic
and its exit code must be right on both sides of each threshold.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import bench_power
from bench.attribution import Finding
from bench.common import StRun, SuiteRun
from bench.power_budget import (
    MAX_REQUESTS,
    BudgetResult,
    caught,
    first,
    left_out_by_test,
    summarise,
    table,
    verdict,
)
from workspace.faults import FAULTS

NAMES = list(FAULTS)
#: A failure of a check no fault of the catalogue is caught by.
UNRELATED = Finding("ST202 Missing Content-Type header", "GET /contacts")


def meant(fault: str) -> Finding:
    """A failure of the first check the catalogue says is meant for `fault`."""
    return Finding(FAULTS[fault].caught_by[0], "PATCH /accounts/edit")


def run(rc: int, failures: int, requests: int, spent: int | None = None,
        wall_s: float = 5.0, left_out: list[str] | None = None,
        found: list[Finding] | None = None) -> SuiteRun:
    """A suite run as conformance.json and the exit code would describe it."""
    budget = None if spent is None else {"limit": MAX_REQUESTS, "planned": 3000, "spent": spent,
                                          "exempt": 20, "left_out": left_out or []}
    return SuiteRun(["--flexie-profile", "ci"], rc, wall_s, None, 10, failures,
                    "failed" if failures else "passed",
                    "conformance/test_operations.py::test_operation[GET /contacts]" if failures
                    else None, "property: check @ GET /contacts" if failures else None,
                    requests=requests, budget=budget, found=found or [])


def hit(fault: str, requests: int = 100) -> SuiteRun:
    """Red, with an unrelated failure first and then one meant for `fault`."""
    return run(1, 2, requests, spent=requests - 20, found=[UNRELATED, meant(fault)])


def miss() -> SuiteRun:
    return run(0, 0, 900, spent=880)


GREEN = run(0, 0, 1040, spent=1000, wall_s=45.0, left_out=[
    "conformance/test_aliases.py::test_field_round_trips[acme-a]",
    "conformance/test_aliases.py::test_field_round_trips[acme-b]",
    "conformance/test_state.py::test_model_based_sequences"])


def results(ci_hits: int, total: int = 31) -> list[BudgetResult]:
    return [BudgetResult(NAMES[i], hit(NAMES[i], 100 + i) if i < ci_hits else miss(),
                         hit(NAMES[i], 400 + i)) for i in range(total)]


def test_target_met_at_28_of_31() -> None:
    verdict = summarise(results(28), GREEN)
    assert verdict.ok, verdict.failed
    assert verdict.figures["ci_detected"] == 28
    assert verdict.figures["ci_detected_pct"] == 90.3
    assert verdict.figures["paired"] == 28
    assert verdict.figures["median_requests_ci"] == 113.5  # 100..127
    assert verdict.figures["median_requests_quick"] == 413.5
    assert "28/31 (90%); target 90%: met" in verdict.lines[0]
    assert verdict.lines[-1] == "gate: met"


def test_target_missed_at_27_of_31() -> None:
    verdict = summarise(results(27), GREEN)
    assert not verdict.ok
    assert verdict.failed == ["ci caught 87% of 31 faults, under the 90% target"]
    assert f"MISSED; missed: {', '.join(NAMES[27:31])}" in verdict.lines[0]
    assert verdict.lines[-1].startswith("gate: SHUT")


@pytest.mark.parametrize(("ci_hits", "ok"), [(9, True), (8, False)])
def test_target_is_at_least_90_percent(ci_hits: int, ok: bool) -> None:
    assert summarise(results(ci_hits, total=10), GREEN).ok is ok


def test_exit_1_without_a_recorded_failure_is_no_detection() -> None:
    broken = run(1, 0, 80, spent=60)
    assert not caught(broken, "edit-creates")
    result = BudgetResult("edit-creates", broken, hit("edit-creates"))
    assert summarise([result], GREEN).figures["ci_detected"] == 0


def test_red_on_a_check_not_meant_for_the_fault_is_no_catch() -> None:
    elsewhere = run(1, 1, 80, spent=60, found=[UNRELATED, meant("bad-json-500")])
    assert not caught(elsewhere, "edit-creates") and caught(elsewhere, "bad-json-500")
    assert verdict(elsewhere, "edit-creates") == "other"
    assert first(elsewhere, "edit-creates") == (
        "no check meant for it; first failure ST202 Missing Content-Type header @ GET /contacts")
    summary = summarise([BudgetResult("edit-creates", elsewhere, elsewhere)], GREEN)
    assert summary.figures["ci_detected"] == summary.figures["quick_detected"] == 0
    assert summary.figures["ci_red_elsewhere"] == ["edit-creates"]
    assert "(red on other checks only: edit-creates)" in summary.lines[0]


def test_a_meant_check_that_is_only_a_warning_is_no_catch() -> None:
    warned = Finding("edit_never_creates", "PATCH /accounts/edit", warning=True)
    assert not caught(run(1, 1, 80, spent=60, found=[warned]), "edit-creates")
    assert not caught(run(0, 0, 80, spent=60, found=[warned]), "edit-creates")


def test_a_route_scoped_fault_is_attributed_like_its_name() -> None:
    scoped = "edit-creates@PATCH /accounts/edit"
    assert caught(hit("edit-creates"), scoped)
    assert first(hit("edit-creates"), scoped) == (
        "caught by edit_never_creates @ PATCH /accounts/edit")


def test_the_table_names_per_fault_the_first_meant_check_and_its_operation() -> None:
    text = table([BudgetResult("edit-creates", hit("edit-creates"), miss())])
    assert "edit-creates                 caught" in text
    assert "    ci:    caught by edit_never_creates @ PATCH /accounts/edit" in text
    assert "    quick: -" in text


def test_a_detection_over_budget_does_not_count() -> None:
    a, b = NAMES[:2]
    over = run(1, 1, MAX_REQUESTS + 300, spent=MAX_REQUESTS + 200, found=[meant(a)])
    verdict = summarise([BudgetResult(a, over, hit(a)), BudgetResult(b, hit(b), hit(b))],
                        GREEN)
    assert verdict.figures["ci_detected"] == 1
    assert verdict.figures["ci_over_budget"] == [a]
    assert not verdict.ok  # 50 %


@pytest.mark.parametrize(("faithful", "why"), [
    (run(1, 2, 600, spent=580), "the faithful mock is red under ci (exit 1, 2 failures)"),
    (run(0, 0, MAX_REQUESTS + 200, spent=MAX_REQUESTS + 100),
     f"the faithful ci run spent {MAX_REQUESTS + 100} requests, over {MAX_REQUESTS}"),
    (run(0, 0, 700, spent=None), "the faithful ci run reported no budget section"),
])
def test_faithful_red_or_over_budget_shuts_the_gate(faithful: SuiteRun, why: str) -> None:
    verdict = summarise(results(31), faithful)
    assert verdict.failed == [why]


def test_left_out_counted_by_test() -> None:
    assert left_out_by_test(GREEN.budget["left_out"]) == (
        "test_field_round_trips x2, test_model_based_sequences x1")
    line = summarise(results(31), GREEN).lines
    assert any("spent 1000 (+20 cleanup, exempt), 3 tests left out" in x for x in line)


def test_budget_options() -> None:
    args = bench_power.parse_args(["--budget", "--faults", "auth-ignored"])
    assert args.budget and args.json == Path("/tmp/bench_power_budget.json")
    assert args.target == 90 and args.max_requests == MAX_REQUESTS
    assert bench_power.parse_args([]).json == Path("/tmp/bench_power.json")
    with pytest.raises(SystemExit) as stopped:
        bench_power.parse_args(["--budget", "--attribute"])
    assert stopped.value.code == 2


@pytest.mark.parametrize(("ci_hits", "rc"), [(2, 0), (1, 1)])
def test_main_exit_code_is_the_gate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str], ci_hits: int,
                                    rc: int) -> None:
    names = list(FAULTS)[:2]
    fake = [BudgetResult(n, hit(n) if i < ci_hits else miss(), hit(n)) for i, n in
            enumerate(names)]
    monkeypatch.setattr(bench_power, "run_budget", lambda faults, args: (GREEN, fake))
    monkeypatch.setattr(bench_power, "machine", lambda: {})
    out = tmp_path / "b.json"
    assert bench_power.main(["--budget", "--live-tree", "--faults", ",".join(names),
                             "--json", str(out)]) == rc
    saved = json.loads(out.read_text())
    assert saved["mode"] == "budget" and saved["summary"]["ci_detected"] == ci_hits
    assert [f["fault"] for f in saved["faults"]] == names
    assert f"caught by {FAULTS[names[0]].caught_by[0]} @ PATCH /accounts/edit" in (
        capsys.readouterr().out)


def test_unknown_fault_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_power.main(["--budget", "--faults", "no-such-fault"]) == 2
    assert capsys.readouterr().err.strip() == (
        "bench_power: error: unknown fault(s): no-such-fault; see docs/faults.md")


def test_quick_mode_counts_only_faults_a_meant_check_caught() -> None:
    """bench_power without --budget: the same attribution, in its table and its summary."""
    st = StRun([], 0, 1.0, None, "passed", 10)
    faithful = bench_power.FaultResult(bench_power.FAITHFUL, miss(), st)
    results = [bench_power.FaultResult("edit-creates", hit("edit-creates"), st),
               bench_power.FaultResult("bad-json-500",
                                       run(1, 1, 80, found=[UNRELATED]), st)]
    text = bench_power.table([faithful, *results], attributed=False)
    assert "caught by edit_never_creates @ PATCH /accounts/edit" in text
    assert "bad-json-500               other" in text
    lines = bench_power.summary(results, faithful, attributed=False)
    assert lines[0].startswith("detection rate: ours 1/2 (50%) caught by a check meant")
    assert bench_power.targets(results, faithful)[0].endswith("MISSED bad-json-500")
