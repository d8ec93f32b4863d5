"""False alarms: does the suite stay green on workspaces that conform, whatever the seed?

    python bench/bench_false_alarms.py [--seeds 20 | --seeds 1-19,909] [--jobs 1] [--variants a,b]
                                       [--profile quick|ci] [--json PATH] [--timeout 900]
                                       [--live-tree]

Every run is against a conforming workspace, so every red run is a false alarm:
  readme        the README's first command, `pytest conformance -n 2 -p no:cacheprovider
                --flexie-seed S` (the embedded mock in process, coverage on);
  live:VARIANT  the live mode (`--flexie-url`, coverage off, as a quick live run is) against
                the faithful mock served behind one transport variation of tests/transport.py
                (rate limits, gzip, PHP's JSON escapes, `Z` date-times, unknown record keys,
                40 ms latency), each in its own server process;
  account:NAME  the live mode against the mock serving one extra account of
                tests/accounts/*.toml (its key, its custom-entity table if it has one).
With `--profile ci` every variation runs the `ci` profile (its request budget) in one
process, as the README advises for it, instead of `quick` with `-n 2`.
Seeds 1..N for each (`--seeds N`), or the seeds listed (`--seeds 1-19,909`: a seed that
once raised a false alarm among the others). It prints, per variation and seed, green or red,
how many stayed green, and the failures of the red runs (the first failing test and check).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import (
    DEFAULT_TIMEOUT,
    BenchError,
    SuiteRun,
    exits_cleanly,
    fmt,
    machine,
    progress,
    run_jobs,
    run_suite,
    save_json,
    snapshot,
)
from tests.transport import VARIANTS

README = "readme"
OTHER_KEY = "globex-demo-key"


@dataclass(frozen=True)
class Variation:
    """One kind of conforming workspace and how the suite is pointed at it."""

    name: str
    server: list[str] | None  # the server command (None: the embedded mock)
    suite: tuple[str, ...]  # options of the suite besides the seed and the profile
    profile: str = "quick"


def _account(path: Path) -> tuple[str, str, str | None]:
    """(name, key, first custom-entity table) of the first account of a mock accounts file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    account = (data.get("account") or [{}])[0]
    tables = account.get("table") or []
    if "name" not in account or "api_key" not in account:
        raise BenchError(f"{path}: its first [[account]] needs a name and an api_key")
    return account["name"], account["api_key"], tables[0]["name"] if tables else None


def variations(chosen: str | None, profile: str = "quick") -> list[Variation]:
    """The README command, every transport variation, and every extra account found, under
    `profile` (`ci`: in one process, the others with `-n 2`)."""
    workers = () if profile == "ci" else ("-n", "2")
    live = ("--flexie-apikey", "acme-demo-key", "--flexie-other-apikey", OTHER_KEY,
            "--flexie-ce-table", "projects", "--flexie-coverage", "off", *workers)
    found = [Variation(README, None, workers)]
    for name in VARIANTS:
        found.append(Variation(f"live:{name}", [sys.executable, "-m", "tests.transport",
                                                "--variant", name, "--port", "0"], live))
    accounts = common.REPO / "tests" / "accounts"
    for path in sorted(accounts.glob("*.toml")) if accounts.is_dir() else []:
        name, key, table = _account(path)
        suite = ("--flexie-apikey", key, "--flexie-other-apikey", OTHER_KEY,
                 "--flexie-coverage", "off", "--flexie-accounts", str(path), *workers)
        if table:
            suite += ("--flexie-ce-table", table)
        found.append(Variation(f"account:{name}", [
            sys.executable, "-m", "workspace", "--host", "127.0.0.1", "--port", "0",
            "--accounts", str(path)], suite))
    found = [replace(v, profile=profile) for v in found]
    if chosen:
        wanted = set(chosen.split(","))
        unknown = wanted - {v.name for v in found}
        if unknown:
            raise BenchError(f"unknown variation {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(v.name for v in found)}")
        found = [v for v in found if v.name in wanted]
    return found


@contextmanager
def workspace(variation: Variation) -> Iterator[str | None]:
    """The variation's server on a free loopback port (its /api URL), or None (embedded)."""
    if variation.server is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="bench-fa-") as tmp:
        log = Path(tmp) / "server.log"
        with log.open("w") as out:
            proc = common.spawn(variation.server, common.REPO, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            yield common._wait_for_url(proc, log, 30.0)
        finally:
            common._stop(proc)


@dataclass
class Outcome:
    variation: str
    seed: int
    green: bool
    run: SuiteRun


def run_one(variation: Variation, seed: int, timeout: float) -> Outcome:
    with workspace(variation) as url:
        extra = list(variation.suite) + (["--flexie-url", url] if url else [])
        run = run_suite(extra, seed, timeout, profile=variation.profile)
    green = run.rc == 0 and run.verdict == "passed"
    progress(f"{variation.name} seed {seed}: {'green' if green else 'RED'} "
             f"({run.wall_s:.0f} s)" + ("" if green else f" {run.first_check or run.error}"))
    return Outcome(variation.name, seed, green, run)


def run_all(chosen: list[Variation], seeds: list[int], jobs: int,
            timeout: float) -> list[Outcome]:
    work = [(v, s) for v in chosen for s in seeds]
    return run_jobs(lambda item: run_one(*item, timeout), work, jobs)


def report(outcomes: list[Outcome]) -> list[str]:
    """Per variation: green count and the seeds; then each red run's failures."""
    lines = [f"{'variation':<22} {'green':>7}  seeds (. green, X red)   median s"]
    names = list(dict.fromkeys(o.variation for o in outcomes))
    for name in names:
        rows = [o for o in outcomes if o.variation == name]
        marks = "".join("." if o.green else "X" for o in rows)
        times = sorted(o.run.wall_s for o in rows)
        lines.append(f"{name:<22} {sum(o.green for o in rows):>3}/{len(rows):<3}  "
                     f"{marks:<24} {fmt(times[len(times) // 2])}")
    total = sum(o.green for o in outcomes)
    lines.append(f"\n{total} of {len(outcomes)} runs green; "
                 f"{len(outcomes) - total} false alarms")
    for o in outcomes:
        if not o.green:
            r = o.run
            lines.append(f"\nRED {o.variation} seed {o.seed}: exit {r.rc}, verdict {r.verdict}, "
                         f"{r.failures} failures; first test {r.first_failed}; "
                         f"first check {r.first_check}" + (f"; {r.error}" if r.error else ""))
            lines += ["    " + line for line in r.tail[-8:]]
    return lines


def seed_list(text: str) -> list[int]:
    """`N` (seeds 1..N) or a comma-separated list of seeds and ranges (`1-19,909`)."""
    seeds: list[int] = []
    try:
        if text.strip().isdigit():
            seeds = list(range(1, int(text) + 1))
        else:
            for part in text.split(","):
                first, _, last = part.strip().partition("-")
                seeds += range(int(first), int(last or first) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not N nor a list like 1-19,909") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"{text!r} names no seed")
    return list(dict.fromkeys(seeds))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=seed_list, default=seed_list("20"),
                   help="N (seeds 1..N) or the seeds per variation, as 1-19,909")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time (each uses -n 2)")
    p.add_argument("--variants", help="comma-separated variation names (default: all)")
    p.add_argument("--profile", choices=("quick", "ci"), default="quick",
                   help="the suite's profile (ci: one process, within its request budget)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    p.add_argument("--json", type=Path, default=Path("/tmp/bench_false_alarms.json"))
    p.add_argument("--live-tree", action="store_true",
                   help="run the live tree instead of a snapshot of it")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs takes a number of at least 1")
    return args


@exits_cleanly("bench_false_alarms")
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, before = time.time(), machine()
    with snapshot(not args.live_tree):
        chosen = variations(args.variants, args.profile)
        progress(f"{len(chosen)} variations x {len(args.seeds)} seeds, jobs {args.jobs}")
        outcomes = run_all(chosen, args.seeds, args.jobs, args.timeout)
    for line in report(outcomes):
        print(line)
    data: dict[str, Any] = {"seeds": args.seeds, "jobs": args.jobs, "profile": args.profile,
                            "machine": before,
                            "loadavg_end": os.getloadavg(),
                            "elapsed_s": round(time.time() - started, 1),
                            "runs": outcomes}
    save_json(args.json, data)
    print(f"\nresults saved to {args.json}")
    return 0 if all(o.green for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
