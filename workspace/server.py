"""`flexie-mock`: serve the workspace over HTTP with waitress, and a helper for tests.

    flexie-mock --host 127.0.0.1 --port 8080 [--db PATH] [--accounts FILE]
                [--fault SPEC]... [--list-faults] [--token-ttl N] [--threads N]
                [--fleet N [--fleet-seed S] [--fleet-file PATH]] [--rate-limit-per-key N]

Port 0 picks a free port; the chosen URL and the demo keys are printed. Ctrl-C or SIGTERM
stops the server cleanly. A fault SPEC is NAME or NAME@METHOD PATH (quote it: the route
holds a space), e.g. --fault 'edit-creates@PATCH /accounts/edit'. `--fleet N` serves N
generated accounts and writes their accounts file for the suite (workspace/fleet.py);
`--rate-limit-per-key N` answers 429 with Retry-After to a key past N requests a second
(workspace/limits.py).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from workspace.accounts import AccountsError
from workspace.app import create_app
from workspace.faults import SYNTAX, describe_all
from workspace.fleet import write_fleet
from workspace.limits import PerKeyLimit

DEFAULT_THREADS = 8
#: Accounts whose keys the start-up lines list (a fleet's others are summed up).
_LISTED = 6


def _server(app: Any, host: str, port: int, threads: int = DEFAULT_THREADS) -> Any:
    # clear_untrusted_proxy_headers silences a waitress warning; the mock trusts no proxy.
    return create_server(app, host=host, port=port, threads=threads,
                         clear_untrusted_proxy_headers=True, ident="flexie-mock",
                         connection_limit=256, channel_timeout=30)


def _base_url(server: Any) -> str:
    host, port = server.effective_host, server.effective_port
    host = f"[{host}]" if ":" in str(host) else host
    return f"http://{host}:{port}"


def shutdown(server: Any, loop_running: bool = True) -> None:
    """Close the listener, every open (keep-alive) connection and the worker threads."""
    server.flexie_stopping = True
    closed = threading.Event()

    def close_all() -> None:  # on the loop's thread, which then finds its map empty
        wasyncore.close_all(server._map)
        closed.set()
    if loop_running:
        try:
            server.trigger.pull_trigger(close_all)
        except OSError:
            pass
    if not closed.wait(2 if loop_running else 0):
        close_all()
    server.task_dispatcher.shutdown(timeout=5)


def _run(server: Any) -> None:
    try:
        server.run()
    except (OSError, ValueError):
        if not getattr(server, "flexie_stopping", False):  # closed under select(): expected
            raise


def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0,
                    threads: int = DEFAULT_THREADS) -> tuple[str, Callable[[], None]]:
    """Serve `app` on a background thread; returns the base URL (no /api) and a stop()."""
    server = _server(app, host, port, threads)
    thread = threading.Thread(target=_run, args=(server,), name="flexie-mock", daemon=True)
    thread.start()

    def stop() -> None:
        shutdown(server)
        thread.join(timeout=5)
    return _base_url(server), stop


def serve_until_signalled(app: Any, host: str = "127.0.0.1", port: int = 0,
                          threads: int = DEFAULT_THREADS, note: str = "") -> None:
    """Serve `app`, print its URL as flexie-mock does, and stop on SIGTERM or Ctrl-C: the
    server child of a test or benchmark that wraps the mock in middleware."""
    base, stop = serve_in_thread(app, host=host, port=port, threads=threads)
    print(f"Flexie mock workspace at {base.rstrip('/')}/api{note}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    stop()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flexie-mock", description="Serve a mocked Flexie CRM "
                                "workspace (the contract's API under /api).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    p.add_argument("--db", help="SQLite file to keep state in (default: in memory)")
    p.add_argument("--accounts", help="TOML file with more accounts (docs/workspace.md)")
    p.add_argument("--fault", action="append", default=[], metavar="SPEC",
                   help=f"enable a fault (repeatable): {SYNTAX}; see --list-faults")
    p.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    p.add_argument("--token-ttl", type=int, default=3600, metavar="SECONDS",
                   help="lifetime of OAuth access tokens")
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    p.add_argument("--fleet", type=int, metavar="N",
                   help="serve N generated accounts besides the demo ones (not with --accounts)")
    p.add_argument("--fleet-seed", type=int, default=1, metavar="S",
                   help="the generated accounts' seed (default 1)")
    p.add_argument("--fleet-file", default="fleet-accounts.toml", metavar="PATH",
                   help="where the generated accounts file goes, for --flexie-accounts "
                        "(default fleet-accounts.toml)")
    p.add_argument("--rate-limit-per-key", type=float, metavar="N",
                   help="at most N requests a second per key; past it 429 with Retry-After")
    return p


def _accounts_file(args: argparse.Namespace) -> str | None:
    """The accounts file to serve: --accounts, or the fleet written to --fleet-file."""
    if args.fleet is None:
        return args.accounts
    if args.accounts:
        raise ValueError("give --accounts or --fleet, not both")
    return str(write_fleet(args.fleet_file, args.fleet, args.fleet_seed))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list_faults:
        print(describe_all())
        return 0
    try:
        accounts_file = _accounts_file(args)
        app = create_app(accounts_file=accounts_file, db=args.db, faults=args.fault,
                         token_ttl=args.token_ttl)
        served = PerKeyLimit(app, args.rate_limit_per_key) if args.rate_limit_per_key \
            is not None else app
    except (AccountsError, ValueError, OSError) as exc:
        print(f"flexie-mock: error: {exc}", file=sys.stderr)
        return 2
    server = _server(served, args.host, args.port, args.threads)
    url = _base_url(server)
    print(f"Flexie mock workspace at {url}/api", flush=True)
    accounts = list(app.registry.accounts.values())
    for acc in accounts[:_LISTED]:
        print(f"  {acc.name}: apikey {acc.api_key} (admin), {acc.viewer_key} (viewer); "
              f"OAuth client {acc.client_id} / {acc.client_secret}")
    if len(accounts) > _LISTED:
        print(f"  ... and {len(accounts) - _LISTED} more accounts"
              + (" (keys <name>-key)" if args.fleet is not None else ""))
    if args.fleet is not None:
        print(f"  {args.fleet} generated accounts (seed {args.fleet_seed}); verify them with "
              f"--flexie-url {url}/api --flexie-accounts {accounts_file}")
    if args.rate_limit_per_key is not None:
        print(f"  at most {args.rate_limit_per_key:g} requests a second per key")
    if app.faults:
        print(f"  faults: {app.faults}")
    print("Press Ctrl-C to stop.", flush=True)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        shutdown(server, loop_running=False)
        app.backend.close()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
