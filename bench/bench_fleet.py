"""A fleet of workspaces: do accounts verified side by side take about the time of one?

    python bench/bench_fleet.py [--sizes 1,50,200] [--shards 4] [--rate 2] [--latency-ms 40]
                                [--concurrency 200] [--retries 8] [--seed 1] [--json PATH]
                                [--timeout 1800] [--live-tree]

One mock server process serves the largest fleet of generated accounts (workspace/fleet.py,
varied field types) behind a limit per key (workspace/limits.py: `--rate` requests a second,
429 with Retry-After past it) and `--latency-ms` per request (tests/transport.py). Side by
side in one run, the alias tests of the first 1, 50 and 200 accounts
(`pytest conformance -m aliases --flexie-accounts FILE`) run with `--flexie-rate-limit` equal
to the server's limit and `--flexie-concurrency`; then the largest fleet once more as
`--shards` processes at once (`--flexie-shard k/N`), merged with `flexie-conformance merge`.
The shards share the run's own account (its key reads the fields before any test), so at
start-up they are N clients of one limited key: every run gets `--flexie-retries`.
It prints wall time, requests, 429s and verdict per run, each size's ratio to one account
(target: 200 accounts within 3 times one), and whether the merged shards give the verdict
and counts of the one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import exits_cleanly, machine, progress, run_jobs, save_json, snapshot

MAIN_KEY = "acme-demo-key"  # the run's own account: a demo account the mock always serves


@dataclass
class FleetRun:
    name: str
    accounts: int
    wall_s: float
    rc: int
    verdict: str | None
    requests: int | None
    retries: int | None
    counts: dict[str, Any]
    first_failure: str | None
    tail: list[str]


def serve(accounts: Path, rate: float, latency_ms: float, threads: int) -> int:
    """The server child: the fleet behind the limit per key and the latency, until SIGTERM."""
    from tests.transport import Switches, Transport
    from workspace import create_app
    from workspace.limits import PerKeyLimit
    from workspace.server import serve_until_signalled

    app = create_app(accounts_file=accounts)
    served = Transport(PerKeyLimit(app, rate), Switches(latency_s=latency_ms / 1000))
    serve_until_signalled(served, threads=threads)
    return 0


@contextmanager
def fleet_server(accounts: Path, args: argparse.Namespace) -> Iterator[str]:
    log = accounts.with_name("server.log")
    cmd = [sys.executable, str(common.REPO / "bench" / "bench_fleet.py"), "--serve",
           str(accounts), "--rate", str(args.rate), "--latency-ms", str(args.latency_ms),
           "--server-threads", str(args.server_threads)]
    with log.open("w") as out:
        proc = common.spawn(cmd, common.REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield common._wait_for_url(proc, log, 120.0)
    finally:
        common._stop(proc)


def _counts(report: dict[str, Any]) -> dict[str, Any]:
    """What one run and its merged shards must agree on."""
    summary = report.get("summary") or {}
    return {"verdict": report.get("verdict"), "aliases": summary.get("aliases"),
            "failures": summary.get("failures"),
            "alias_rows": sorted(json.dumps(r, sort_keys=True)
                                 for r in report.get("aliases", []))}


def _result(name: str, accounts: int, proc: common.Proc, reports: Path) -> FleetRun:
    path = reports / "conformance.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    traffic = report.get("traffic") or {}
    failures = report.get("failures") or []
    first = f"{failures[0].get('nodeid')}: {failures[0].get('message')}"[:600] \
        if failures else None
    return FleetRun(name, accounts, round(proc.wall_s, 1), proc.rc, report.get("verdict"),
                    traffic.get("requests"), traffic.get("retries"), _counts(report), first,
                    (proc.stdout + proc.stderr).splitlines()[-8:])


def run_fleet(url: str, accounts_file: Path, reports: Path, args: argparse.Namespace,
              *extra: str) -> common.Proc:
    cmd = [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
           "-m", "aliases", "--flexie-url", url, "--flexie-apikey", MAIN_KEY,
           "--flexie-accounts", str(accounts_file), "--flexie-rate-limit", str(args.rate),
           "--flexie-concurrency", str(args.concurrency), "--flexie-seed", str(args.seed),
           "--flexie-retries", str(args.retries),
           "--flexie-reports", str(reports), *extra]
    return common.run_proc(cmd, common.REPO, args.timeout)


def measure(args: argparse.Namespace, tmp: Path) -> tuple[list[FleetRun], dict[str, Any]]:
    from workspace.fleet import write_fleet

    largest = max(args.sizes)
    files = {n: write_fleet(tmp / f"fleet-{n}.toml", n, args.seed) for n in args.sizes}
    runs: list[FleetRun] = []
    with fleet_server(files[largest], args) as url:
        for n in args.sizes:
            progress(f"{n} accounts: one process")
            proc = run_fleet(url, files[n], tmp / f"run-{n}", args)
            runs.append(_result(f"{n} accounts", n, proc, tmp / f"run-{n}"))
        progress(f"{largest} accounts: {args.shards} shards at once")
        started = time.perf_counter()
        shards = run_jobs(lambda k: run_fleet(url, files[largest], tmp / f"shard-{k}", args,
                                              "--flexie-shard", f"{k}/{args.shards}"),
                          range(1, args.shards + 1), args.shards)
        shards_wall = time.perf_counter() - started
    merged = common.run_proc([sys.executable, "-m", "conformance", "merge",
                              *(str(tmp / f"shard-{k}") for k in range(1, args.shards + 1)),
                              "-o", str(tmp / "merged")], common.REPO, args.timeout)
    merged_run = _result(f"{largest} accounts, {args.shards} shards merged", largest,
                         common.Proc(merged.rc, shards_wall, merged.stdout, merged.stderr),
                         tmp / "merged")
    whole = next(r for r in runs if r.accounts == largest)
    comparison = {"shards": args.shards, "wall_s": round(shards_wall, 1),
                  "shard_rcs": [s.rc for s in shards], "merge_rc": merged.rc,
                  "merged_verdict": merged_run.verdict, "merged_requests": merged_run.requests,
                  "same_as_one_run": merged_run.counts == whole.counts,
                  "merged_first_failure": merged_run.first_failure,
                  "merge_output": (merged.stdout + merged.stderr).strip().splitlines()[-3:]}
    return runs, comparison


def report(runs: Sequence[FleetRun], comparison: dict[str, Any], args: argparse.Namespace
           ) -> list[str]:
    one = next((r for r in runs if r.accounts == min(args.sizes)), runs[0])
    lines = [f"fleet on the mock: {args.rate:g} requests/s per key, {args.latency_ms:g} ms "
             f"latency, --flexie-concurrency {args.concurrency}, --flexie-retries "
             f"{args.retries}, seed {args.seed}",
             f"{'run':<34} {'wall s':>8} {'ratio':>7} {'requests':>9} {'429s':>6}  verdict"]
    for r in runs:
        ratio = r.wall_s / one.wall_s if one.wall_s else float("nan")
        lines.append(f"{r.name:<34} {r.wall_s:>8.1f} {ratio:>6.2f}x {r.requests or 0:>9,} "
                     f"{r.retries or 0:>6}  {r.verdict}")
    largest = max(runs, key=lambda r: r.accounts)
    ratio = largest.wall_s / one.wall_s if one.wall_s else float("nan")
    lines.append(f"target: {largest.accounts} accounts within 3x one account's wall time: "
                 f"{ratio:.2f}x, {'met' if ratio <= 3 else 'NOT met'}")
    lines.append(f"{comparison['shards']} shards at once: {comparison['wall_s']:.1f} s wall "
                 f"({comparison['wall_s'] / one.wall_s:.2f}x one account), merged verdict "
                 f"{comparison['merged_verdict']}, {comparison['merged_requests'] or 0:,} "
                 f"requests; verdict and counts as the one run: "
                 f"{'yes' if comparison['same_as_one_run'] else 'NO'}")
    for r in runs:
        if r.rc not in (0, 1) or r.verdict is None:
            lines.append(f"  {r.name}: exit {r.rc}: " + " | ".join(r.tail[-3:]))
        elif r.first_failure:
            lines.append(f"  {r.name}: first failure {r.first_failure}")
    if comparison["merged_first_failure"]:
        lines.append(f"  merged shards: first failure {comparison['merged_first_failure']}")
    if comparison["merge_rc"] not in (0, 1):
        lines.append("  merge: " + " | ".join(comparison["merge_output"]))
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1,50,200",
                   type=lambda s: sorted({int(x) for x in s.split(",") if x}))
    p.add_argument("--shards", type=int, default=4)
    p.add_argument("--rate", type=float, default=2.0, help="requests a second per key")
    p.add_argument("--latency-ms", type=float, default=40.0)
    p.add_argument("--concurrency", type=int, default=200,
                   help="--flexie-concurrency of every run")
    p.add_argument("--retries", type=int, default=8, help="--flexie-retries of every run")
    p.add_argument("--server-threads", type=int, default=64)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=1800.0)
    p.add_argument("--json", type=Path, default=Path("/tmp/bench_fleet.json"))
    p.add_argument("--live-tree", action="store_true", help="run the live tree, no snapshot")
    p.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the server child
    args = p.parse_args(argv)
    if not args.sizes or min(args.sizes) < 1 or args.shards < 1 or args.rate <= 0:
        p.error("--sizes, --shards and --rate take positive numbers")
    return args


@exits_cleanly("bench_fleet")
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve is not None:
        return serve(args.serve, args.rate, args.latency_ms, args.server_threads)
    started, before = time.time(), machine()
    with snapshot(not args.live_tree), tempfile.TemporaryDirectory(prefix="bench-fleet-") as t:
        runs, comparison = measure(args, Path(t))
    lines = report(runs, comparison, args)
    for line in lines:
        print(line)
    save_json(args.json, {"args": {k: str(v) for k, v in vars(args).items()},
                          "machine": before, "loadavg_end": os.getloadavg(),
                          "elapsed_s": round(time.time() - started, 1),
                          "runs": [asdict(r) for r in runs], "shards": comparison,
                          "lines": lines})
    print(f"\nresults saved to {args.json}")
    return 0 if comparison["same_as_one_run"] and all(r.verdict == "passed" for r in runs) \
        else 1


if __name__ == "__main__":
    sys.exit(main())
