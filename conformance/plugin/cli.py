"""`flexie-conformance`: run the suite, merge the reports of its shards, or sweep what a
killed run left behind.

    flexie-conformance run [pytest args...]      same as `pytest conformance ...`
    flexie-conformance merge DIR... -o OUTDIR [--baseline FILE --fail-on new]
    flexie-conformance sweep --url URL [--apikey KEY] [--ledger reports/ledger.jsonl]

The merge writes the report one run would have written from the report folders of its shards
(conformance/report/merge.py); exit 0 when it passed, 1 when it failed or has no verdict (a
shard missing or stopped), 2 when the folders cannot be merged. The sweep deletes every
record the ledger says a run created on that target and no run deleted; it touches nothing
else. The key comes from --apikey or FLEXIE_API_KEY.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from conformance.config.settings import DEFAULT_REPORTS, Settings
from conformance.engine.ledger import read_outstanding, sweep
from conformance.engine.target import TargetError, make_target
from conformance.report.baseline import fail_on_new
from conformance.report.merge import MergeRefused, merge_reports


def _sweep(args: argparse.Namespace) -> int:
    key = args.apikey or os.environ.get("FLEXIE_API_KEY")
    if not key:
        print("flexie-conformance sweep: give --apikey or set FLEXIE_API_KEY", file=sys.stderr)
        return 2
    settings = Settings(url=args.url, apikey=key, auth=args.auth)
    target = make_target(settings, base_url=args.url)
    ledger = Path(args.ledger)
    pending = read_outstanding(ledger, target.base_url)
    if not pending:
        print(f"nothing to sweep: {ledger} lists no leftover records on {target.base_url}")
        return 0
    print(f"sweeping {len(pending)} leftover records on {target.base_url} ...")
    try:
        deleted, failed = sweep(ledger, target.base_url,
                                lambda path: target.request("DELETE", path).status)
    except TargetError as exc:
        print(f"flexie-conformance sweep: {exc}", file=sys.stderr)
        return 1
    print(f"deleted {deleted}, already gone {len(pending) - deleted - len(failed)}, "
          f"failed {len(failed)}")
    for path in failed:
        print(f"  could not delete {path}", file=sys.stderr)
    return 1 if failed else 0


def _merge(args: argparse.Namespace) -> int:
    baseline = Path(args.baseline) if args.baseline else None
    if args.fail_on == "new" and baseline is None:
        print("flexie-conformance merge: --fail-on new needs --baseline: the earlier "
              "conformance.json whose failures are not new", file=sys.stderr)
        return 2
    try:
        parts, total, paths = merge_reports([Path(f) for f in args.folders], Path(args.output),
                                            baseline)
    except (MergeRefused, OSError) as exc:
        print(f"flexie-conformance merge: {exc}", file=sys.stderr)
        return 2
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    failures = len(doc["failures"])
    print(f"flexie: merged {len(parts)} reports"
          + (f" of a run split into {total} shards" if total else " (without shard numbers: "
             "the merge cannot tell whether one is missing)")
          + f": verdict {doc['verdict']}, {failures} failure{'' if failures == 1 else 's'}")
    if doc["stopped"]:
        print(f"flexie: {doc['stopped']}", file=sys.stderr)
    print(f"flexie: report written to {paths['html']}")
    code = 0 if doc["verdict"] == "passed" else 1
    judged = fail_on_new(doc, baseline) if args.fail_on == "new" and baseline else None
    if judged is not None:
        passes, message = judged
        print(message)
        code = 0 if passes else code
    return code


def _run(extra: list[str]) -> int:
    import pytest

    root = Path(__file__).resolve().parents[1]  # conformance/, where the suite lives
    return int(pytest.main([str(root), *extra]))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        return _run(argv[1:])
    parser = argparse.ArgumentParser(prog="flexie-conformance", description=__doc__.split(
        "\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the conformance suite (arguments go to pytest)")
    mg = sub.add_parser("merge", help="one report from the report folders of a run's shards")
    mg.add_argument("folders", nargs="+", metavar="DIR", help="a shard's report folder")
    mg.add_argument("-o", "--output", required=True, metavar="OUTDIR",
                    help="where the merged conformance.json, .html and junit.xml go")
    mg.add_argument("--baseline", metavar="FILE",
                    help="an earlier conformance.json to compare with (as --flexie-baseline)")
    mg.add_argument("--fail-on", choices=["any", "new"], default="any",
                    help="new: exit 0 when every failure is in the baseline "
                         "(as --flexie-fail-on)")
    sw = sub.add_parser("sweep", help="delete records a killed run left behind")
    sw.add_argument("--url", required=True, help="the workspace's API base URL (…/api)")
    sw.add_argument("--apikey", help="API key (default: $FLEXIE_API_KEY)")
    sw.add_argument("--auth", choices=["header", "query"], default="header")
    sw.add_argument("--ledger", default=str(DEFAULT_REPORTS / "ledger.jsonl"))
    args = parser.parse_args(argv)
    return _merge(args) if args.command == "merge" else _sweep(args)


if __name__ == "__main__":
    sys.exit(main())
