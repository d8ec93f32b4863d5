"""Speed: how long a user waits for a verdict, and what verdict they get, our suite beside
plain Schemathesis on the same spec, the same example budget and the same phases.

    python bench/bench_speed.py [--repeat 1] [--seed 1] [--json PATH] [--st-phases P]
                                [--only NAMES] [--timeout 900]

Every variant runs against the faithful mock, with the same seed and 12 examples per operation
(our quick profile's budget):
  ours                 pytest conformance --flexie-profile quick, in process
  ours -n 2            the same with pytest-xdist's 2 workers
  st adapted           schemathesis run ADAPTED -n 12 -w 1 against a fresh `python -m workspace`
  st adapted -w 2      the same with 2 workers
  st published         schemathesis run flexie-api.json -n 12 -w 1 (the contract as published)
ADAPTED is the spec our suite generates from: flexie-api.json narrowed to the demo account's
custom fields exactly as the suite narrows it at start (conformance.engine.narrowing; written by
bench.common.write_adapted_spec). So "ours" and "st adapted" generate from one spec; the few
seconds of reading the account's fields are inside our wall time and printed separately for
Schemathesis (it is given the narrowed file for free). Schemathesis runs the phases our quick
profile runs through it (examples, coverage, fuzzing); its stateful phase is left out, and our
suite runs its own state machine, scenarios, probes and alias checks besides, inside its time.

Printed per variant: the wall time from process start to exit (what a user waits for), the
verdict on the faithful mock (any failure there is a false alarm), and the test cases each tool
reports. Those are not the same unit, so no cases-per-second ratio is printed: ours counts every
request its runner sent and checked (fuzzed cases, the coverage phase's boundary cases, the
probes); Schemathesis counts the cases it generated. The comparison is the wall-time ratio
against Schemathesis on the same spec with as many workers. Each variant runs --repeat times,
interleaved so drifting load hits all alike; the median is reported.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
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
    exits_cleanly,
    fmt,
    machine,
    median,
    mock_server,
    progress,
    run_schemathesis,
    run_suite,
    save_json,
    snapshot,
    write_adapted_spec,
)

QUICK_BUDGET_S = 120.0  # the project's target for the whole quick profile on 2 cores
SAME_PHASES = "examples,coverage,fuzzing"  # what our quick profile runs through Schemathesis


@dataclass
class Variant:
    """One way of running a tool; `spec` and `workers` pair it with its like-for-like."""

    name: str
    tool: str  # ours | schemathesis
    spec: str  # adapted | published
    workers: int
    run: Callable[[int, float], SuiteRun | StRun]
    runs: list[SuiteRun | StRun] = field(default_factory=list)

    def wall(self) -> float | None:
        return median([r.wall_s for r in self.runs])

    def cases(self) -> float | None:
        return median([r.test_cases for r in self.runs])


@dataclass
class Specs:
    """The spec files plain Schemathesis is given, and what adapting cost."""

    published: Path
    adapted: Path
    adapt_s: float = 0.0


def ours(extra: list[str]) -> Callable[[int, float], SuiteRun]:
    """A runner of our suite with these extra pytest options."""
    return lambda seed, timeout: run_suite(extra, seed, timeout)


def plain(specs: Specs, which: str, workers: int, phases: str) -> Callable[[int, float], StRun]:
    """A runner of plain Schemathesis on one spec file against a fresh faithful mock."""
    def run(seed: int, timeout: float) -> StRun:
        with mock_server() as url:
            return run_schemathesis(url, seed, QUICK_EXAMPLES, workers=workers, phases=phases,
                                    timeout=timeout, spec=getattr(specs, which))
    return run


def variants(specs: Specs, phases: str) -> list[Variant]:
    """The variants, in the order they run within a repeat."""
    return [
        Variant("ours", "ours", "adapted", 1, ours([])),
        Variant("ours -n 2", "ours", "adapted", 2, ours(["-n", "2"])),
        Variant("st adapted", "schemathesis", "adapted", 1, plain(specs, "adapted", 1, phases)),
        Variant("st adapted -w 2", "schemathesis", "adapted", 2,
                plain(specs, "adapted", 2, phases)),
        Variant("st published", "schemathesis", "published", 1,
                plain(specs, "published", 1, phases)),
    ]


def verdict(run: SuiteRun | StRun) -> str:
    """What the user is told about the faithful mock: passed, or how many failures."""
    if run.error:
        return f"ERROR ({run.error})"
    if isinstance(run, SuiteRun):
        return "passed" if run.rc == 0 else f"FAILED, {run.failures} failures (false alarm)"
    if run.outcome == "passed":
        return "passed"
    kinds = len(run.signatures())
    return f"{run.outcome.upper()}, {kinds} check x operation (false alarm)"


def measure(chosen: list[Variant], repeat: int, seed: int, timeout: float) -> None:
    """Run every variant `repeat` times, round-robin."""
    for i in range(1, repeat + 1):
        for v in chosen:
            progress(f"repeat {i}/{repeat}: {v.name} ...")
            result = v.run(seed, timeout)
            v.runs.append(result)
            progress(f"repeat {i}/{repeat}: {v.name}: {result.wall_s:.1f}s, exit {result.rc}, "
                     f"{verdict(result)}, {result.test_cases} test cases")


def pair(chosen: list[Variant], v: Variant) -> Variant | None:
    """Schemathesis on the same spec with as many workers as `v`."""
    return next((b for b in chosen if b.tool == "schemathesis" and b.spec == v.spec
                 and b.workers == v.workers), None)


def table(chosen: list[Variant]) -> str:
    """Median wall time to a verdict, the verdict and the test cases of each variant."""
    head = (f"{'variant':<16} {'spec':<9} {'workers':>7} {'wall s':>7} {'test cases':>10}  "
            f"{'verdict on the faithful mock':<44} exit codes")
    lines = [head, "-" * len(head)]
    for v in chosen:
        codes = ",".join(str(r.rc) for r in v.runs)
        shown = verdict(v.runs[-1]) if v.runs else "-"
        lines.append(f"{v.name:<16} {v.spec:<9} {v.workers:>7} {fmt(v.wall()):>7} "
                     f"{fmt(v.cases(), ',.0f'):>10}  {shown[:44]:<44} {codes}")
    return "\n".join(lines)


def comparisons(chosen: list[Variant], specs: Specs) -> list[str]:
    """Like for like: wall time of ours over Schemathesis on the same spec and workers."""
    out = [f"adapting the spec to the account (reading its fields, narrowing): "
           f"{specs.adapt_s:.2f}s, inside our wall time; not added to Schemathesis's"]
    for v in chosen:
        base = pair(chosen, v) if v.tool == "ours" else None
        if base and v.wall() and base.wall():
            r = v.wall() / base.wall()
            faster = "faster" if r < 1 else "slower"
            out.append(f"time to a verdict, same spec ({v.spec}), {v.workers} worker(s): "
                       f"{v.name} {v.wall():.1f}s vs {base.name} {base.wall():.1f}s = {r:.2f}x "
                       f"({faster})")
    out.append("test cases per second: not compared (ours counts requests sent and checked, "
               "probes included; Schemathesis counts generated cases)")
    return out


def targets(chosen: list[Variant]) -> list[str]:
    """The project's targets: the quick profile within 120 s on 2 cores, and green."""
    out = []
    for v in chosen:
        if v.tool == "ours" and v.wall() is not None:
            within = "met" if v.wall() <= QUICK_BUDGET_S else "over"
            green = all(r.rc == 0 and r.verdict == "passed" for r in v.runs)
            out.append(f"quick profile <= {QUICK_BUDGET_S:.0f}s ({v.name}): {v.wall():.1f}s, "
                       f"{within}; verdict on the faithful mock: "
                       f"{'passed' if green else 'FAILED'}")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=1, help="runs per variant; median reported")
    p.add_argument("--seed", type=int, default=1, help="seed of every run (default 1)")
    p.add_argument("--json", type=Path, default=Path("/tmp/bench_speed.json"),
                   help="where to save the results (default /tmp/bench_speed.json)")
    p.add_argument("--st-phases", default=SAME_PHASES,
                   help=f"Schemathesis --phases (default {SAME_PHASES}, the phases our quick "
                        "profile runs through it)")
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


def run_bench(args: argparse.Namespace, work: Path) -> tuple[list[Variant], Specs]:
    """Take the snapshot, write the adapted spec from a faithful mock, run the variants."""
    with snapshot(not args.live_tree) as tree:
        progress(f"running the tree at {tree}")
        specs = Specs(published=tree / "flexie-api.json", adapted=work / "adapted.json")
        with mock_server() as url:
            specs.adapt_s = write_adapted_spec(url, specs.adapted)
        chosen = choose(variants(specs, args.st_phases), args.only)
        progress(f"{len(chosen)} variants x {args.repeat}, seed {args.seed}, "
                 f"{QUICK_EXAMPLES} examples per operation, schemathesis --phases "
                 f"{args.st_phases}")
        measure(chosen, args.repeat, args.seed, args.timeout)
    return chosen, specs


@exits_cleanly("bench_speed")
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, before = time.time(), machine()
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as work:
        chosen, specs = run_bench(args, Path(work))
    print(table(chosen))
    print()
    for line in comparisons(chosen, specs) + targets(chosen):
        print(line)
    print(f"load average at start {before['loadavg'][0]:.2f}, at end {os.getloadavg()[0]:.2f} "
          f"({os.cpu_count()} cores)")
    data: dict[str, Any] = {
        "seed": args.seed, "repeat": args.repeat, "st_phases": args.st_phases,
        "examples": QUICK_EXAMPLES, "snapshot": not args.live_tree, "adapt_s": specs.adapt_s,
        "machine": before, "loadavg_end": os.getloadavg(),
        "elapsed_s": round(time.time() - started, 1),
        "variants": [{"name": v.name, "tool": v.tool, "spec": v.spec, "workers": v.workers,
                      "median_wall_s": v.wall(), "median_test_cases": v.cases(),
                      "runs": v.runs} for v in chosen]}
    save_json(args.json, data)
    print(f"\nresults saved to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
