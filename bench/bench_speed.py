"""Speed: our quick profile beside plain Schemathesis, in test cases per second.

    python bench/bench_speed.py [--repeat 1] [--seed 1] [--json PATH] [--st-phases P]
                                [--only NAMES] [--timeout 900]

Runs, with the same seed, against the faithful mock:
  ours in process        pytest conformance --flexie-profile quick
  ours over HTTP         ... --flexie-transport http
  ours in process -n 2   ... -n 2 (pytest-xdist)
  schemathesis -w 1      schemathesis run -n 12 -w 1 against a fresh `python -m workspace`
  schemathesis -w 2      the same with 2 workers
For each: the process wall time, the test cases sent (ours: the sum of operations[*].test_cases
in conformance.json; Schemathesis: "N generated"), test cases per second, and the ratio of
ours to Schemathesis with one worker and with the same number of workers. Each variant runs
--repeat times, interleaved so drifting machine load hits all alike; the median is reported.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_TIMEOUT,
    QUICK_EXAMPLES,
    BenchError,
    StRun,
    SuiteRun,
    fmt,
    machine,
    median,
    mock_server,
    progress,
    run_schemathesis,
    run_suite,
    save_json,
    snapshot,
    stop_all,
)

QUICK_BUDGET_S = 120.0  # the project's target for the whole quick profile on 2 cores


@dataclass
class Variant:
    """One way of running a tool; `workers` pairs it with its like-for-like Schemathesis."""

    name: str
    tool: str  # ours | schemathesis
    workers: int
    run: Callable[[int, float], SuiteRun | StRun]
    runs: list[SuiteRun | StRun] = field(default_factory=list)

    def wall(self) -> float | None:
        return median([r.wall_s for r in self.runs])

    def cases(self) -> float | None:
        return median([r.test_cases for r in self.runs])

    def rate(self) -> float | None:
        """Median of the per-run rates (not the ratio of medians)."""
        return median([r.test_cases / r.wall_s for r in self.runs if r.test_cases])


def ours(extra: list[str]) -> Callable[[int, float], SuiteRun]:
    """A runner of our suite with these extra pytest options."""
    return lambda seed, timeout: run_suite(extra, seed, timeout)


def plain(workers: int, phases: str | None) -> Callable[[int, float], StRun]:
    """A runner of plain Schemathesis against a fresh faithful mock over HTTP."""
    def run(seed: int, timeout: float) -> StRun:
        with mock_server() as url:
            return run_schemathesis(url, seed, QUICK_EXAMPLES, workers=workers,
                                    phases=phases, timeout=timeout)
    return run


def variants(phases: str | None) -> list[Variant]:
    """The five variants, in the order they run within a repeat."""
    return [
        Variant("ours in process", "ours", 1, ours([])),
        Variant("ours over HTTP", "ours", 1, ours(["--flexie-transport", "http"])),
        Variant("ours in process -n 2", "ours", 2, ours(["-n", "2"])),
        Variant("schemathesis -w 1", "schemathesis", 1, plain(1, phases)),
        Variant("schemathesis -w 2", "schemathesis", 2, plain(2, phases)),
    ]


def describe(run: SuiteRun | StRun) -> str:
    """A one-line outcome for progress and the table's notes."""
    if isinstance(run, SuiteRun):
        return (f"exit {run.rc}, {run.test_cases} test cases, failures {run.failures}"
                + (f", {run.error}" if run.error else ""))
    return (f"exit {run.rc} ({run.outcome}), {run.test_cases} test cases"
            + (f", {run.error}" if run.error else ""))


def measure(chosen: list[Variant], repeat: int, seed: int, timeout: float) -> None:
    """Run every variant `repeat` times, round-robin."""
    for i in range(1, repeat + 1):
        for v in chosen:
            progress(f"repeat {i}/{repeat}: {v.name} ...")
            result = v.run(seed, timeout)
            v.runs.append(result)
            progress(f"repeat {i}/{repeat}: {v.name}: {result.wall_s:.1f}s, {describe(result)}")


def baseline(chosen: list[Variant], workers: int) -> Variant | None:
    """The Schemathesis variant with this many workers, if it ran."""
    return next((v for v in chosen if v.tool == "schemathesis" and v.workers == workers), None)


def ratio(v: Variant, base: Variant | None) -> str:
    """ours/schemathesis test-case rate, e.g. "0.42x"."""
    mine, theirs = v.rate(), base.rate() if base else None
    return f"{mine / theirs:.2f}x" if mine and theirs else "-"


def table(chosen: list[Variant]) -> str:
    """Median wall time, test cases and rate per variant, with both ratios."""
    head = (f"{'variant':<22} {'wall s':>7} {'test cases':>10} {'cases/s':>8} "
            f"{'vs st -w 1':>10} {'vs st same -w':>13}  exit codes")
    lines = [head, "-" * len(head)]
    single = baseline(chosen, 1)
    for v in chosen:
        same = baseline(chosen, v.workers)
        codes = ",".join(str(r.rc) for r in v.runs)
        lines.append(f"{v.name:<22} {fmt(v.wall()):>7} {fmt(v.cases(), '.0f'):>10} "
                     f"{fmt(v.rate()):>8} {ratio(v, single):>10} {ratio(v, same):>13}  "
                     f"{codes}")
    return "\n".join(lines)


def targets(chosen: list[Variant]) -> list[str]:
    """The project's speed targets, met or missed, from the medians: the rate of every variant
    of ours against Schemathesis with as many workers, and the quick profile's wall time on the
    machine's 2 cores (with -n 2, which uses both)."""
    by_name = {v.name: v for v in chosen}
    out = []
    for v in chosen:
        base = baseline(chosen, v.workers)
        if v.tool == "ours" and base and v.rate() and base.rate():
            r = v.rate() / base.rate()
            out.append(f"target >= 2x schemathesis test cases/s: {v.name} vs {base.name}: "
                       f"{r:.2f}x, {'met' if r >= 2 else 'MISSED'}")
    for name in ("ours in process -n 2", "ours in process"):
        v = by_name.get(name)
        if v and v.wall() is not None:
            out.append(f"quick profile <= {QUICK_BUDGET_S:.0f}s ({name}): {v.wall():.1f}s, "
                       f"{'met' if v.wall() <= QUICK_BUDGET_S else 'over'}")
    xdist = by_name.get("ours in process -n 2")
    if xdist and xdist.runs:
        safe = all(r.rc == 0 and r.failures == 0 and r.verdict == "passed" for r in xdist.runs)
        detail = "; ".join(describe(r) for r in xdist.runs)
        out.append(f"target -n 2 runs safely: {'met' if safe else 'MISSED'} ({detail})")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=1, help="runs per variant; median reported")
    p.add_argument("--seed", type=int, default=1, help="seed of every run (default 1)")
    p.add_argument("--json", type=Path, default=Path("/tmp/bench_speed.json"),
                   help="where to save the results (default /tmp/bench_speed.json)")
    p.add_argument("--st-phases", help="Schemathesis --phases (default: its own default, all "
                   "four); e.g. examples,fuzzing to match our quick profile's phases")
    p.add_argument("--only", help="comma-separated variant names to run (default: all)")
    p.add_argument("--live-tree", action="store_true",
                   help="run the live tree, not a snapshot taken at start (others edit it)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"seconds per run before it is killed (default {DEFAULT_TIMEOUT:.0f})")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def choose(all_variants: list[Variant], only: str | None) -> list[Variant]:
    """The variants named by --only, checked."""
    if not only:
        return all_variants
    names = [n.strip() for n in only.split(",") if n.strip()]
    known = {v.name: v for v in all_variants}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BenchError(f"unknown variant(s): {', '.join(unknown)}; known: "
                         f"{', '.join(known)}")
    return [known[n] for n in names]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        chosen = choose(variants(args.st_phases), args.only)
        progress(f"{len(chosen)} variants x {args.repeat}, seed {args.seed}, "
                 f"schemathesis -n {QUICK_EXAMPLES}"
                 + (f" --phases {args.st_phases}" if args.st_phases else ""))
        started, before = time.time(), machine()
        with snapshot(not args.live_tree) as tree:
            progress(f"running the tree at {tree}")
            measure(chosen, args.repeat, args.seed, args.timeout)
    except BenchError as exc:
        print(f"bench_speed: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        stop_all()
        print("bench_speed: interrupted; every run it started was stopped", file=sys.stderr)
        return 130
    print(table(chosen))
    print()
    for line in targets(chosen):
        print(line)
    data: dict[str, Any] = {
        "seed": args.seed, "repeat": args.repeat, "st_phases": args.st_phases,
        "snapshot": not args.live_tree,
        "machine": before, "loadavg_end": os.getloadavg(),
        "elapsed_s": round(time.time() - started, 1),
        "variants": [{"name": v.name, "tool": v.tool, "workers": v.workers,
                      "median_wall_s": v.wall(), "median_test_cases": v.cases(),
                      "median_cases_per_s": v.rate(), "runs": v.runs} for v in chosen]}
    save_json(args.json, data)
    print(f"\nresults saved to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
