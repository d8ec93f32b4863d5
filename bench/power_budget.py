"""Detection under the request budget: `bench_power.py --budget` (issue 16).

The `ci` profile is what runs on every deploy against a live workspace, within a budget of
requests (`conformance/config/profiles.py`). This mode asks whether it still catches the mock's
faults, and what the budget costs against the `quick` profile. Per fault of the catalogue,
side by side (one run after the other in the same job, the order alternating from fault to
fault, so both see the same load on a shared machine):
  ci     `pytest conformance --flexie-profile ci -x --flexie-mock-fault NAME`
  quick  `pytest conformance --flexie-profile quick -x --flexie-mock-fault NAME`
each read only from outside: its exit code and its conformance.json. Caught = exit 1 with a
failure in conformance.json, not a warning, whose check is meant for the fault (the catalogue's
`caught_by`, see bench/attribution.py): a run red on another check only is "other", not a
catch, and the table prints per fault the first meant check that named it and on which
operation. Requests to the first failure = traffic.requests of the -x
run (setup and cleanup included); budget spent = the budget section's `spent` (cleanup of
the run's own records is exempt from the budget). A ci detection counts towards the target
only if the budget it spent is within --max-requests.
Once, the faithful mock under ci without -x: it must pass (exit 0, no failure) and spend at
most --max-requests; its budget section (planned, spent, exempt, left out) is printed.

With -x a run stops at its first failing test: "other" means that test failed on checks not
meant for the fault, so whether a meant check would have caught it later is not measured.

Gate (exit 1): ci catches less than --target % of the faults run, or the faithful ci run is
red, has no budget section, or spent over --max-requests.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from bench.attribution import first_meant, first_other
from bench.common import SuiteRun, fmt, median, progress, run_jobs, run_suite
from conformance.config.profiles import PROFILES as SUITE_PROFILES

TARGET_PCT = 90.0
#: The `ci` profile's own budget: a ci detection counts only within it.
MAX_REQUESTS: int = SUITE_PROFILES["ci"]["budget"]
PROFILES = ("ci", "quick")


@dataclass
class BudgetResult:
    """One fault under both profiles."""

    fault: str
    ci: SuiteRun
    quick: SuiteRun


@dataclass
class Verdict:
    """The summary's figures and whether the gate holds."""

    lines: list[str]
    failed: list[str] = field(default_factory=list)  # why the gate is shut; empty: it holds
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


def caught(run: SuiteRun, fault: str) -> bool:
    """Caught: pytest's exit 1 (tests failed) with a failure conformance.json records under a
    check meant for `fault`, not a warning; an exit 1 without one is no catch of this fault."""
    return run.rc == 1 and first_meant(run.found, fault) is not None


def red_elsewhere(run: SuiteRun, fault: str) -> bool:
    """Red, but on checks not meant for `fault` only: a failure nobody can pin on it."""
    return run.rc == 1 and not caught(run, fault) and first_other(run.found) is not None


def spent(run: SuiteRun) -> int | None:
    """The requests counted against the budget (None: the run had no budget section)."""
    return run.budget.get("spent") if run.budget else None


def within(run: SuiteRun, fault: str, max_requests: int) -> bool:
    """Caught with the budget's count at most `max_requests`."""
    used = spent(run)
    return caught(run, fault) and used is not None and used <= max_requests


def faithful_ok(run: SuiteRun, max_requests: int) -> list[str]:
    """Why the faithful ci run fails the gate (empty: green, and within the budget)."""
    why = []
    if run.rc != 0 or run.failures:
        why.append(f"the faithful mock is red under ci (exit {run.rc}, "
                   f"{run.failures if run.failures is not None else 'no'} failures"
                   + (f"; {run.error}" if run.error else "") + ")")
    used = spent(run)
    if used is None:
        why.append("the faithful ci run reported no budget section")
    elif used > max_requests:
        why.append(f"the faithful ci run spent {used} requests, over {max_requests}")
    return why


def suite_options(args: argparse.Namespace) -> list[str]:
    """What every suite run of the bench is given: `--assumptions warn` measures the setting
    the README gives staging, where a failure resting on an assumption is only a warning."""
    return ["--flexie-assumptions", args.assumptions] if args.assumptions != "fail" else []


def measure(fault: str, index: int, seed: int, timeout: float,
            extra: list[str] | None = None) -> BudgetResult:
    """Both profiles on one fault, with -x; the first alternates so drift evens out."""
    order = PROFILES if index % 2 == 0 else PROFILES[::-1]
    runs: dict[str, SuiteRun] = {}
    for profile in order:
        run = run_suite(["-x", "--flexie-mock-fault", fault, *(extra or [])], seed, timeout,
                        profile=profile)
        runs[profile] = run
        progress(f"{fault}: {profile} {verdict(run, fault)} after "
                 f"{fmt(run.requests, 'd')} requests in {run.wall_s:.1f}s")
    return BudgetResult(fault, runs["ci"], runs["quick"])


def run_faithful(seed: int, timeout: float, extra: list[str] | None = None) -> SuiteRun:
    """The faithful mock under ci, to completion (no -x): the whole budgeted run."""
    progress("(faithful): ci to completion ...")
    run = run_suite(extra or [], seed, timeout, profile="ci")
    progress(f"(faithful): ci {verdict(run)}, {fmt(run.requests, 'd')} requests in "
             f"{run.wall_s:.1f}s")
    return run


def run_all(faults: list[str], args: argparse.Namespace) -> tuple[SuiteRun, list[BudgetResult]]:
    """The faithful ci run first, then the faults, `--jobs` at a time (with 2, the faithful
    run shares the machine with the first faults)."""
    extra = suite_options(args)
    tasks = [lambda: run_faithful(args.seed, args.timeout, extra)] + [
        lambda i=i, f=f: measure(f, i, args.seed, args.timeout, extra)
        for i, f in enumerate(faults)]
    faithful, *results = run_jobs(lambda task: task(), tasks, args.jobs)
    return faithful, results


def verdict(run: SuiteRun, fault: str | None = None) -> str:
    """caught / other (red on checks not meant for the fault) / passed / ERROR; for the
    faithful mock (no fault) red / passed."""
    if run.error:
        return "ERROR"
    if fault is None:
        return "red" if run.rc == 1 else "passed" if run.rc == 0 else f"exit {run.rc}"
    if caught(run, fault):
        return "caught"
    if red_elsewhere(run, fault):
        return "other"
    return "passed" if run.rc == 0 else f"exit {run.rc}"


def first(run: SuiteRun, fault: str) -> str:
    """The first check meant for `fault` that named it, and on which operation; else what the
    run failed on instead."""
    meant = first_meant(run.found, fault)
    if run.rc == 1 and meant is not None:
        return f"caught by {meant}"
    other = first_other(run.found)
    if run.rc == 1 and other is not None:
        return f"no check meant for it; first failure {other}"
    return run.error or "-"


def table(results: list[BudgetResult]) -> str:
    """One row per fault, ci beside quick, then each profile's first failure."""
    w = max([28, *(len(r.fault) + 1 for r in results)])  # route-scoped specs are long
    head = (f"{'fault':<{w}} {'ci':<9} {'reqs':>5} {'spent':>5} {'time s':>6}   "
            f"{'quick':<9} {'reqs':>5} {'time s':>6}   {'reqs q/ci':>9}")
    lines = [head, "-" * len(head)]
    for r in results:
        ratio = (r.quick.requests / r.ci.requests
                 if caught(r.ci, r.fault) and caught(r.quick, r.fault) and r.ci.requests
                 else None)
        lines.append(f"{r.fault:<{w}} {verdict(r.ci, r.fault):<9} {fmt(r.ci.requests, 'd'):>5} "
                     f"{fmt(spent(r.ci), 'd'):>5} {r.ci.wall_s:>6.1f}   "
                     f"{verdict(r.quick, r.fault):<9} {fmt(r.quick.requests, 'd'):>5} "
                     f"{r.quick.wall_s:>6.1f}   {fmt(ratio, '.1f'):>9}")
        lines.append(f"    ci:    {first(r.ci, r.fault)[:130]}")
        lines.append(f"    quick: {first(r.quick, r.fault)[:130]}")
    return "\n".join(lines)


def left_out_by_test(node_ids: list[str]) -> str:
    """The tests the budget left out, counted by test function ("test_x x3, test_y x1")."""
    counts: dict[str, int] = {}
    for node in node_ids:
        name = node.split("::")[-1].split("[", 1)[0]
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{name} x{n}" for name, n in counts.items())


def pct(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def summarise(results: list[BudgetResult], faithful: SuiteRun, target_pct: float = TARGET_PCT,
              max_requests: int = MAX_REQUESTS) -> Verdict:
    """Detection under ci against the target, requests and time to the first failure ci vs
    quick (medians over the faults both caught: a fair pairing), the faithful run."""
    n = len(results)
    hit = [r for r in results if within(r.ci, r.fault, max_requests)]
    over = [r.fault for r in results
            if caught(r.ci, r.fault) and not within(r.ci, r.fault, max_requests)]
    missed = [r.fault for r in results if not caught(r.ci, r.fault)]
    elsewhere = [r.fault for r in results if red_elsewhere(r.ci, r.fault)]
    quick_hit = sum(caught(r.quick, r.fault) for r in results)
    quick_elsewhere = [r.fault for r in results if red_elsewhere(r.quick, r.fault)]
    both = [r for r in results if caught(r.ci, r.fault) and caught(r.quick, r.fault)]
    ci_reqs = median([r.ci.requests for r in both])
    quick_reqs = median([r.quick.requests for r in both])
    ratio = median([r.quick.requests / r.ci.requests for r in both
                    if r.ci.requests and r.quick.requests is not None])
    ci_s, quick_s = median([r.ci.wall_s for r in both]), median([r.quick.wall_s for r in both])
    rate = pct(len(hit), n)
    met = bool(results) and rate >= target_pct
    budget = faithful.budget or {}
    left_out = budget.get("left_out") or []
    lines = [
        f"caught by a check meant for the fault under ci within {max_requests:,} requests: "
        f"{len(hit)}/{n} ({rate:.0f}%); target {target_pct:.0f}%: "
        f"{'met' if met else 'MISSED'}"
        + (f"; missed: {', '.join(missed)}" if missed else "")
        + (f" (red on other checks only: {', '.join(elsewhere)})" if elsewhere else "")
        + (f"; caught over budget: {', '.join(over)}" if over else ""),
        f"caught under quick: {quick_hit}/{n} ({pct(quick_hit, n):.0f}%)"
        + (f"; red on other checks only: {', '.join(quick_elsewhere)}"
           if quick_elsewhere else ""),
        f"requests to the first failure, median over the {len(both)} faults both caught: "
        f"ci {fmt(ci_reqs, '.0f')}, quick {fmt(quick_reqs, '.0f')} (median ratio quick/ci "
        f"{fmt(ratio, '.1f')}); wall time ci {fmt(ci_s)}s, quick {fmt(quick_s)}s",
        f"faithful mock under ci (no -x): {verdict(faithful)} (exit {faithful.rc}), "
        f"{fmt(faithful.requests, 'd')} requests sent in {faithful.wall_s:.1f}s; budget "
        + (f"limit {budget.get('limit')}, planned {budget.get('planned')}, spent "
           f"{budget.get('spent')} (+{budget.get('exempt')} cleanup, exempt), "
           f"{len(left_out)} tests left out" if budget else "section missing"),
    ]
    if left_out:
        lines.append("  left out: " + left_out_by_test(left_out))
    errors = [f"{r.fault} {p}: {run.error}" for r in results
              for p, run in (("ci", r.ci), ("quick", r.quick)) if run.error]
    lines += [f"error: {e}" for e in errors]
    failed = [] if met else [f"ci caught {rate:.0f}% of {n} faults, under the "
                             f"{target_pct:.0f}% target"]
    failed += faithful_ok(faithful, max_requests)
    figures = {"faults": n, "ci_detected": len(hit), "ci_detected_pct": round(rate, 1),
               "ci_missed": missed, "ci_over_budget": over, "ci_red_elsewhere": elsewhere,
               "quick_detected": quick_hit, "quick_red_elsewhere": quick_elsewhere,
               "paired": len(both), "median_requests_ci": ci_reqs,
               "median_requests_quick": quick_reqs, "median_ratio_quick_ci": ratio,
               "median_wall_s_ci": ci_s, "median_wall_s_quick": quick_s,
               "faithful_rc": faithful.rc, "faithful_requests": faithful.requests,
               "faithful_budget": faithful.budget, "target_pct": target_pct,
               "max_requests": max_requests}
    lines.append("gate: " + ("met" if not failed else "SHUT: " + "; ".join(failed)))
    return Verdict(lines, failed, figures)
