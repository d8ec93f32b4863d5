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
from bench.common import SuiteRun
from bench.power_budget import MAX_REQUESTS, BudgetResult, caught, left_out_by_test, summarise
from workspace.faults import FAULTS


def run(rc: int, failures: int, requests: int, spent: int | None = None,
        wall_s: float = 5.0, left_out: list[str] | None = None) -> SuiteRun:
    """A suite run as conformance.json and the exit code would describe it."""
    budget = None if spent is None else {"limit": MAX_REQUESTS, "planned": 3000, "spent": spent,
                                          "exempt": 20, "left_out": left_out or []}
    return SuiteRun(["--flexie-profile", "ci"], rc, wall_s, None, 10, failures,
                    "failed" if failures else "passed",
                    "conformance/test_operations.py::test_operation[GET /contacts]" if failures
                    else None, "property: check @ GET /contacts" if failures else None,
                    requests=requests, budget=budget)


def hit(requests: int = 100) -> SuiteRun:
    return run(1, 1, requests, spent=requests - 20)


def miss() -> SuiteRun:
    return run(0, 0, 900, spent=880)


GREEN = run(0, 0, 1040, spent=1000, wall_s=45.0, left_out=[
    "conformance/test_aliases.py::test_field_round_trips[acme-a]",
    "conformance/test_aliases.py::test_field_round_trips[acme-b]",
    "conformance/test_state.py::test_model_based_sequences"])


def results(ci_hits: int, total: int = 31) -> list[BudgetResult]:
    return [BudgetResult(f"fault-{i}", hit(100 + i) if i < ci_hits else miss(), hit(400 + i))
            for i in range(total)]


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
    assert verdict.failed == ["ci detected 87% of 31 faults, under the 90% target"]
    assert "MISSED; missed: fault-27, fault-28, fault-29, fault-30" in verdict.lines[0]
    assert verdict.lines[-1].startswith("gate: SHUT")


@pytest.mark.parametrize(("ci_hits", "ok"), [(9, True), (8, False)])
def test_target_is_at_least_90_percent(ci_hits: int, ok: bool) -> None:
    assert summarise(results(ci_hits, total=10), GREEN).ok is ok


def test_exit_1_without_a_recorded_failure_is_no_detection() -> None:
    broken = run(1, 0, 80, spent=60)
    assert not caught(broken)
    assert summarise([BudgetResult("a", broken, hit())], GREEN).figures["ci_detected"] == 0


def test_a_detection_over_budget_does_not_count() -> None:
    over = run(1, 1, MAX_REQUESTS + 300, spent=MAX_REQUESTS + 200)
    verdict = summarise([BudgetResult("a", over, hit()), BudgetResult("b", hit(), hit())],
                        GREEN)
    assert verdict.figures["ci_detected"] == 1
    assert verdict.figures["ci_over_budget"] == ["a"]
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
    fake = [BudgetResult(n, hit() if i < ci_hits else miss(), hit()) for i, n in
            enumerate(names)]
    monkeypatch.setattr(bench_power, "run_budget", lambda faults, args: (GREEN, fake))
    monkeypatch.setattr(bench_power, "machine", lambda: {})
    out = tmp_path / "b.json"
    assert bench_power.main(["--budget", "--live-tree", "--faults", ",".join(names),
                             "--json", str(out)]) == rc
    saved = json.loads(out.read_text())
    assert saved["mode"] == "budget" and saved["summary"]["ci_detected"] == ci_hits
    assert [f["fault"] for f in saved["faults"]] == names
    assert "test_operation[GET /contacts] | property: check @ GET /contacts" in (
        capsys.readouterr().out)


def test_unknown_fault_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_power.main(["--budget", "--faults", "no-such-fault"]) == 2
    assert capsys.readouterr().err.strip() == (
        "bench_power: error: unknown fault(s): no-such-fault; see docs/faults.md")
