"""`flexie-conformance`: run the suite, or sweep what a killed run left behind.

    flexie-conformance run [pytest args...]      same as `pytest conformance ...`
    flexie-conformance sweep --url URL [--apikey KEY] [--ledger reports/ledger.jsonl]

The sweep deletes every record the ledger says a run created on that target and no run
deleted; it touches nothing else. The key comes from --apikey or FLEXIE_API_KEY.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from conformance.ledger import read_outstanding, sweep
from conformance.settings import DEFAULT_REPORTS, Settings
from conformance.target import TargetError, make_target


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


def _run(extra: list[str]) -> int:
    import pytest

    root = Path(__file__).resolve().parent
    return int(pytest.main([str(root), *extra]))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        return _run(argv[1:])
    parser = argparse.ArgumentParser(prog="flexie-conformance", description=__doc__.split(
        "\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the conformance suite (arguments go to pytest)")
    sw = sub.add_parser("sweep", help="delete records a killed run left behind")
    sw.add_argument("--url", required=True, help="the workspace's API base URL (…/api)")
    sw.add_argument("--apikey", help="API key (default: $FLEXIE_API_KEY)")
    sw.add_argument("--auth", choices=["header", "query"], default="header")
    sw.add_argument("--ledger", default=str(DEFAULT_REPORTS / "ledger.jsonl"))
    args = parser.parse_args(argv)
    return _sweep(args)


if __name__ == "__main__":
    sys.exit(main())
