"""Detection power: does each fault of the mock's catalogue get caught, and how fast?

    python bench/bench_power.py [--faults a,b] [--jobs 1] [--seed 1] [--json PATH]
                                [--attribute] [--st-spec published|adapted] [--timeout 900]
    python bench/bench_power.py --budget [--faults a,b] [--jobs 1] [--seed 1] [--json PATH]
                                [--target 90] [--max-requests 1000] [--timeout 900]
                                [--assumptions fail|warn]

--budget is detection under the request budget (issue 16): per fault, our `ci` profile
(budget 1,000 requests) beside our `quick` profile, both with -x; caught by a check meant
for the fault (or red on other checks only), requests and wall time to the first failure,
the first meant check that caught it and on which operation; then the faithful mock
under ci to completion (green, within the budget). No Schemathesis. Exit 1 if ci catches
under --target % of the faults run, or the faithful ci run is red or over budget: a gate.
Details in bench/power_budget.py.

Without --budget:

For every fault of `workspace.faults.FAULTS`, side by side:
  ours  `pytest conformance --flexie-profile quick -x --flexie-mock-fault NAME` in process;
        caught = exit code 1 with a failure in conformance.json, not a warning, whose check is
        meant for the fault (the catalogue's `caught_by`, bench/attribution.py); a run red on
        other checks only is "other", no catch; the table names the first meant check that
        caught it and on which operation; time = the process wall time to the first failure.
  st    plain `schemathesis run` with its default checks and the same example budget (-n 12)
        against a fresh `python -m workspace --fault NAME` on loopback, with --max-failures 1;
        detected = failures found (errors alone are "errored", not a detection).
Both also run once against the faithful mock, the false-positive check: ours must pass;
whatever Schemathesis reports there is noise a QA engineer has to triage. Because that noise
can be its first failure whatever the fault, --attribute also runs Schemathesis to completion
against the faithful mock and per fault, marks a first failure that also occurs on the faithful
mock as "noise", and counts the failures (check code + operation) absent on the faithful mock:
the findings that can be attributed to the fault. (Same seed, same findings: two full runs
against the faithful mock gave identical failure sets.)

Faults found per minute: the faults a tool detected, counted only where the detection can be
told from noise (the tool passes the faithful mock, or --attribute shows a failure the faithful
mock lacks), over the minutes of the runs that found them (the sum of their wall times).
--st-spec adapted gives Schemathesis the spec our suite generates from (the contract narrowed
to the demo account, bench.common.write_adapted_spec), so both tools get the same inputs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_TIMEOUT,
    QUICK_EXAMPLES,
    BenchError,
    StRun,
    SuiteRun,
    exits_cleanly,
    fmt,
    machine,
    median,
    mock_server,
    progress,
    run_jobs,
    run_schemathesis,
    run_suite,
    save_json,
    snapshot,
    write_adapted_spec,
)
from bench.power_budget import MAX_REQUESTS, TARGET_PCT, caught, suite_options
from bench.power_budget import first as first_caught
from bench.power_budget import run_all as run_budget
from bench.power_budget import summarise as summarise_budget
from bench.power_budget import table as budget_table
from bench.power_budget import verdict as suite_verdict
from workspace.faults import FAULTS, FaultSpec

FAITHFUL = "(faithful)"


@dataclass
class FaultResult:
    """Both tools against one mock (a fault, or the faithful one)."""

    fault: str
    ours: SuiteRun
    st: StRun
    st_full: StRun | None = None  # --attribute: Schemathesis run to completion
    new_signatures: list[str] | None = None  # st_full's failures absent on the faithful mock
    st_first_is_noise: bool | None = None  # st's first failure also occurs on the faithful mock


def run_ours(fault: str | None, seed: int, timeout: float,
             options: list[str] | None = None) -> SuiteRun:
    """Our quick profile in process, stopping at the first failure."""
    extra = ["-x", *(options or [])] + (["--flexie-mock-fault", fault] if fault else [])
    return run_suite(extra, seed, timeout)


def run_st(fault: str | None, seed: int, timeout: float, stop_first: bool,
           spec: Path | None = None) -> StRun:
    """Plain Schemathesis on `spec` (default the contract) against a fresh mock server with
    this fault."""
    with mock_server([fault] if fault else []) as url:
        return run_schemathesis(url, seed, QUICK_EXAMPLES, workers=1, stop_first=stop_first,
                                timeout=timeout, spec=spec)


def measure(fault: str | None, args: argparse.Namespace) -> FaultResult:
    """Ours, then Schemathesis (first failure, and to completion with --attribute)."""
    name = fault or FAITHFUL
    progress(f"{name}: ours ...")
    ours = run_ours(fault, args.seed, args.timeout, suite_options(args))
    progress(f"{name}: ours {verdict_ours(ours, fault)} in {ours.wall_s:.1f}s; schemathesis ...")
    st = run_st(fault, args.seed, args.timeout, stop_first=True, spec=args.st_spec_path)
    progress(f"{name}: schemathesis {st.outcome} in {st.wall_s:.1f}s")
    full = None
    if args.attribute:
        full = run_st(fault, args.seed, args.timeout, stop_first=False,
                      spec=args.st_spec_path)
        progress(f"{name}: schemathesis full run {full.outcome} in {full.wall_s:.1f}s, "
                 f"{len(full.signatures())} failure signatures")
    return FaultResult(name, ours, st, full)


def fault_of(result: FaultResult) -> str | None:
    """The fault a result measured; None for the faithful mock."""
    return None if result.fault == FAITHFUL else result.fault


def verdict_ours(run: SuiteRun, fault: str | None) -> str:
    """caught / other / passed / an error for a fault (see power_budget.verdict); red /
    passed for the faithful mock."""
    if run.error:
        return f"ERROR ({run.error})"
    return suite_verdict(run, fault)


def caught_ours(result: FaultResult) -> bool:
    """Our suite caught the fault with a check meant for it."""
    fault = fault_of(result)
    return fault is not None and caught(result.ours, fault)


def verdict_st(run: StRun) -> str:
    """detected / errored / passed / crashed, for Schemathesis."""
    if run.detected:
        return "detected"
    return {"errors": "errored", "passed": "passed"}.get(run.outcome, run.outcome)


def attribute(results: list[FaultResult], faithful: FaultResult) -> None:
    """Mark which full-run failures are new compared with the faithful mock."""
    if faithful.st_full is None:
        return
    noise = faithful.st_full.signatures()
    for r in results:
        if r.st_full is not None:
            r.new_signatures = sorted(r.st_full.signatures() - noise)
        first = sorted(r.st.signatures())
        r.st_first_is_noise = bool(first) and set(first) <= noise


def table(results: list[FaultResult], attributed: bool) -> str:
    """The side-by-side table, one row per fault, the faithful mock first."""
    head = (f"{'fault':<26} {'ours':<9} {'time s':>7}  {'first check meant for it':<56} "
            f"{'schemathesis':<12} {'time s':>7}  {'its first failure':<34}")
    if attributed:
        head += f"  {'first':<5} {'new vs faithful':>15}"
    lines = [head, "-" * len(head)]
    for r in results:
        fault = fault_of(r)
        test = (first_caught(r.ours, fault) if fault else short_test(r.ours.first_failed))[:56]
        line = (f"{r.fault:<26} {verdict_ours(r.ours, fault)[:9]:<9} {r.ours.wall_s:>7.1f}  "
                f"{test:<56} {verdict_st(r.st):<12} {r.st.wall_s:>7.1f}  "
                f"{short_st(r.st)[:34]:<34}")
        if attributed:
            new = "-" if r.new_signatures is None else str(len(r.new_signatures))
            line += f"  {'noise' if r.st_first_is_noise else '':<5} {new:>15}"
        lines.append(line)
    return "\n".join(lines)


def short_test(test_id: str | None) -> str:
    """A pytest id without its file, to fit the table (the JSON keeps the whole id)."""
    if not test_id:
        return "-"
    if test_id.startswith("exit: "):
        return "setup aborted: " + test_id.split(" failed: ", 1)[-1]
    return test_id.split("::", 1)[-1]


def short_st(run: StRun) -> str:
    """Schemathesis' first failure as "CODE METHOD /path"."""
    if not run.failures:
        return "-"
    ops = run.failures[0].get("operations") or ["?"]
    return f"{run.failures[0]['code']} {ops[0]}"


def summary(faulty: list[FaultResult], faithful: FaultResult, attributed: bool) -> list[str]:
    """Detection rates, total and median times, and the false-positive check."""
    n = len(faulty)
    ours_hit = sum(caught_ours(r) for r in faulty)
    st_hit = sum(r.st.detected for r in faulty)
    lines = [
        f"detection rate: ours {ours_hit}/{n} ({pct(ours_hit, n)}) caught by a check meant "
        f"for the fault, "
        f"schemathesis {st_hit}/{n} ({pct(st_hit, n)})",
        f"total time over {n} faults: ours {sum(r.ours.wall_s for r in faulty):.1f}s, "
        f"schemathesis {sum(r.st.wall_s for r in faulty):.1f}s; median per fault: ours "
        f"{fmt(median([r.ours.wall_s for r in faulty]))}s, schemathesis "
        f"{fmt(median([r.st.wall_s for r in faulty]))}s",
        f"faithful mock: ours {verdict_ours(faithful.ours, None)} (exit {faithful.ours.rc}); "
        f"schemathesis {verdict_st(faithful.st)} (exit {faithful.st.rc}), first failure: "
        f"{faithful.st.first_failure() or '-'}",
    ]
    if attributed and faithful.st_full is not None:
        full = faithful.st_full
        lines.append(f"schemathesis noise on the faithful mock (full run): "
                     f"{sum(f.get('count') or 0 for f in full.failures)} failures, "
                     f"{len(full.signatures())} distinct signatures: "
                     + ", ".join(f"{f['code']} {f['title']} x{len(f['operations'])} ops"
                                 for f in full.failures))
        noisy = sum(bool(r.st_first_is_noise) for r in faulty)
        lines.append(f"schemathesis first failure (--max-failures 1) is one it also reports on "
                     f"the faithful mock for {noisy}/{n} faults")
        hit = sum(bool(r.new_signatures) for r in faulty)
        lines.append(f"schemathesis attributable detection (a failure absent on the faithful "
                     f"mock): {hit}/{n} ({pct(hit, n)})")
    lines += per_minute(faulty, faithful)
    broken = [f"{r.fault} ({r.ours.crash or 'no traceback'})"
              for r in [faithful, *faulty] if not r.ours.report_written or r.ours.crash]
    if broken:
        lines.append(f"ours ended without conformance.json or with a traceback: "
                     f"{'; '.join(broken)}")
    errors = [f"{r.fault}: ours {r.ours.error}" for r in faulty if r.ours.error]
    errors += [f"{r.fault}: schemathesis {r.st.error}" for r in faulty if r.st.error]
    lines += [f"error: {e}" for e in errors]
    return lines


def per_minute(faulty: list[FaultResult], faithful: FaultResult) -> list[str]:
    """Faults found per minute of runs: only findings a user can attribute to the fault count
    (a tool that also fails the faithful mock has told them nothing by failing)."""
    mins = sum(r.ours.wall_s for r in faulty) / 60
    ours_found = sum(caught_ours(r) for r in faulty) if faithful.ours.rc == 0 else 0
    lines = [f"faults found per minute: ours {ours_found} in {mins:.1f} min of -x runs = "
             f"{ours_found / mins:.1f}/min" if mins else "faults found per minute: ours -"]
    first_mins = sum(r.st.wall_s for r in faulty) / 60
    if not faithful.st.detected:
        found = sum(r.st.detected for r in faulty)
        lines.append(f"faults found per minute: schemathesis (--max-failures 1, passes the "
                     f"faithful mock) {found} in {first_mins:.1f} min = "
                     f"{found / first_mins:.1f}/min")
    elif faithful.st_full is not None:
        full_mins = sum(r.st_full.wall_s for r in faulty if r.st_full) / 60
        found = sum(bool(r.new_signatures) for r in faulty)
        lines.append(f"faults found per minute: schemathesis 0 from its first failures "
                     f"({first_mins:.1f} min: it fails the faithful mock too); {found} "
                     f"attributable from full runs in {full_mins:.1f} min = "
                     f"{found / full_mins:.1f}/min")
    else:
        lines.append(f"faults found per minute: schemathesis 0 attributable in "
                     f"{first_mins:.1f} min (it fails the faithful mock too; --attribute "
                     f"runs it to completion and counts what the faithful mock lacks)")
    return lines


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def targets(faulty: list[FaultResult], faithful: FaultResult) -> list[str]:
    """The project's target for detection, and that ours passes on the faithful mock."""
    all_hit = all(caught_ours(r) for r in faulty) and bool(faulty)
    missed = [r.fault for r in faulty if not caught_ours(r)]
    clean = faithful.ours.rc == 0
    return [f"target 100% of the catalogue detected by our suite: "
            f"{'met' if all_hit else 'MISSED ' + ', '.join(missed)}",
            f"false-positive check (ours passes on the faithful mock): "
            f"{'met' if clean else 'MISSED, exit ' + str(faithful.ours.rc)}"]


def choose_faults(spec: str | None) -> list[str]:
    """The faults to run, checked against the catalogue: names, or route-scoped specs
    (`edit-creates@PATCH /accounts/edit`, docs/faults.md)."""
    if not spec:
        return list(FAULTS)
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n.partition("@")[0].strip() not in FAULTS]
    if unknown:
        raise BenchError(f"unknown fault(s): {', '.join(unknown)}; see docs/faults.md")
    for name in names:
        try:
            FaultSpec.parse(name)
        except ValueError as exc:
            raise BenchError(str(exc)) from None
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--faults", help="comma-separated subset of the catalogue, names or "
                   "route-scoped specs such as 'edit-creates@PATCH /accounts/edit' "
                   "(default: all)")
    p.add_argument("--jobs", type=int, default=1, choices=(1, 2),
                   help="faults measured at a time (default 1: clean timings)")
    p.add_argument("--seed", type=int, default=1, help="seed of both tools (default 1)")
    p.add_argument("--json", type=Path, default=None,
                   help="where to save the results (default /tmp/bench_power.json, with "
                        "--budget /tmp/bench_power_budget.json)")
    p.add_argument("--budget", action="store_true",
                   help="detection under the request budget: the ci profile beside the quick "
                        "profile per fault (both -x), and the faithful mock under ci; exit 1 "
                        "if ci misses --target or the faithful run is red or over budget")
    p.add_argument("--target", type=float, default=TARGET_PCT,
                   help=f"--budget: the %% of the faults run that ci must detect within "
                        f"--max-requests (default {TARGET_PCT:.0f})")
    p.add_argument("--max-requests", type=int, default=MAX_REQUESTS,
                   help=f"--budget: the requests a detection and the faithful run may spend "
                        f"by the budget's count (default {MAX_REQUESTS})")
    p.add_argument("--assumptions", choices=("fail", "warn"), default="fail",
                   help="our suite's --flexie-assumptions (default fail); with warn, as the "
                        "README runs staging, a failure resting on an assumption is a "
                        "warning and catches nothing")
    p.add_argument("--attribute", action="store_true",
                   help="also run Schemathesis to completion per fault and diff its failures "
                        "with the faithful mock's (about 70 s more per fault)")
    p.add_argument("--st-spec", choices=("published", "adapted"), default="published",
                   help="the spec Schemathesis gets: the contract as published (default), or "
                        "the one our suite generates from, narrowed to the demo account")
    p.add_argument("--live-tree", action="store_true",
                   help="run the live tree, not a snapshot taken at start (others edit it)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"seconds per run before it is killed (default {DEFAULT_TIMEOUT:.0f})")
    args = p.parse_args(argv)
    if args.budget and (args.attribute or args.st_spec != "published"):
        p.error("--attribute and --st-spec compare with Schemathesis; --budget does not run it")
    if args.json is None:
        args.json = Path("/tmp/bench_power_budget.json" if args.budget
                         else "/tmp/bench_power.json")
    args.st_spec_path = None
    return args


def run_all(faults: list[str], args: argparse.Namespace) -> tuple[FaultResult, list[FaultResult]]:
    """The faithful mock first, then the faults, `--jobs` at a time."""
    faithful = measure(None, args)
    faulty = run_jobs(lambda f: measure(f, args), faults, args.jobs)
    attribute(faulty, faithful)
    attribute([faithful], faithful)
    return faithful, faulty


def main_budget(args: argparse.Namespace) -> int:
    """--budget: ci beside quick per fault, the faithful mock under ci; 1 if the gate shuts."""
    faults = choose_faults(args.faults)
    progress(f"{len(faults)} faults, profiles ci and quick (-x), seed {args.seed}, "
             f"jobs {args.jobs}, assumptions {args.assumptions}; target {args.target:.0f}% "
             f"within {args.max_requests:,} requests")
    started, before = time.time(), machine()
    with snapshot(not args.live_tree) as tree:
        progress(f"running the tree at {tree}")
        faithful, results = run_budget(faults, args)
    print(budget_table(results))
    print()
    verdict = summarise_budget(results, faithful, args.target, args.max_requests)
    for line in verdict.lines:
        print(line)
    save_json(args.json, {"mode": "budget", "seed": args.seed, "jobs": args.jobs,
                          "assumptions": args.assumptions,
                          "machine": before, "snapshot": not args.live_tree,
                          "loadavg_end": os.getloadavg(),
                          "elapsed_s": round(time.time() - started, 1),
                          "summary": verdict.figures, "gate": verdict.failed,
                          "faithful": faithful, "faults": results})
    print(f"\nresults saved to {args.json}")
    return 0 if verdict.ok else 1


@exits_cleanly("bench_power")
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.budget:
        return main_budget(args)
    faults = choose_faults(args.faults)
    progress(f"{len(faults)} faults, seed {args.seed}, jobs {args.jobs}, assumptions "
             f"{args.assumptions}, schemathesis -n {QUICK_EXAMPLES} --max-failures 1 on the "
             f"{args.st_spec} spec"
             + (", plus full runs (--attribute)" if args.attribute else ""))
    started, before = time.time(), machine()
    with snapshot(not args.live_tree) as tree, \
            tempfile.TemporaryDirectory(prefix="bench-power-") as work:
        progress(f"running the tree at {tree}")
        if args.st_spec == "adapted":
            args.st_spec_path = Path(work) / "adapted.json"
            with mock_server() as url:
                write_adapted_spec(url, args.st_spec_path)
        faithful, faulty = run_all(faults, args)
    print(table([faithful, *faulty], args.attribute))
    print()
    for line in summary(faulty, faithful, args.attribute) + targets(faulty, faithful):
        print(line)
    data: dict[str, Any] = {"seed": args.seed, "jobs": args.jobs, "machine": before,
                            "assumptions": args.assumptions,
                            "st_spec": args.st_spec,
                            "snapshot": not args.live_tree,
                            "loadavg_end": os.getloadavg(),
                            "elapsed_s": round(time.time() - started, 1),
                            "faithful": faithful, "faults": faulty}
    save_json(args.json, data)
    print(f"\nresults saved to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
