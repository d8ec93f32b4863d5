"""Start-up and wind-down of a run: spec, target, owned records, cleanup, reports."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.ledger import Ledger
from conformance.narrowing import account_fields, narrow
from conformance.owned import OwnedRecords, SetupError
from conformance.target import Target, TargetError
from contract.lint import lint
from contract.spec import SpecError, load_spec

EMBEDDED_BASE = "http://localhost/api"


def start_target(session: Any) -> None:
    s = session.settings
    try:
        if s.embedded:
            _start_embedded(session)
        else:
            bearer = s.oauth_token or (_client_credentials_token(s) if s.oauth_client_id
                                       else None)
            session.target = Target(s.url, apikey=s.apikey, auth=s.auth, bearer=bearer,
                                    rate_limit=s.rate_limit)
        session.target.preflight()
    except TargetError as exc:
        raise pytest.UsageError(str(exc)) from None


def _start_embedded(session: Any) -> None:
    from workspace import create_app

    s = session.settings
    try:
        app = create_app(faults=list(s.mock_faults))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    session.app = app
    if s.transport == "http":
        from workspace.server import serve_in_thread

        base, stop = serve_in_thread(app, host="127.0.0.1", port=0)
        session.stop_server = stop
        session.target = Target(base.rstrip("/") + ("" if base.endswith("/api") else "/api"),
                                apikey=s.apikey, auth=s.auth, rate_limit=s.rate_limit)
    else:
        session.target = Target(EMBEDDED_BASE, apikey=s.apikey, auth=s.auth, app=app,
                                rate_limit=s.rate_limit)


def _client_credentials_token(s: Any) -> str:
    import requests

    origin = s.url.rstrip("/").rsplit("/api", 1)[0]
    try:
        resp = requests.post(f"{origin}/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": s.oauth_client_id,
            "client_secret": s.oauth_client_secret or ""}, timeout=30)
    except requests.RequestException as exc:
        raise TargetError(f"cannot reach {origin}/oauth2/token: {type(exc).__name__}") from exc
    token = resp.json().get("access_token") if resp.headers.get(
        "content-type", "").startswith("application/json") else None
    if resp.status_code != 200 or not token:
        raise TargetError(f"{origin}/oauth2/token refused the client (HTTP {resp.status_code})")
    return token


def load_schema(session: Any) -> tuple[Any, list]:
    """The spec under test as a Schemathesis schema, inputs narrowed to the account's fields."""
    import schemathesis

    s = session.settings
    try:
        raw = load_spec(s.spec)
    except SpecError as exc:
        raise pytest.UsageError(f"invalid spec: {exc}") from None
    problems = lint(raw)
    raw = narrow(raw, account_fields(session.target, s.ce_table))
    try:
        schema = schemathesis.openapi.from_dict(raw)
    except Exception as exc:  # Schemathesis raises several types for unusable documents
        raise pytest.UsageError(f"invalid spec {s.spec}: {str(exc).splitlines()[0]}") from None
    _register_auth(schema, session.target)
    # Schemathesis's pytest plugin builds the coverage phase's cases at collection, for every
    # operation in every xdist worker; conformance/test_coverage.py builds them when it runs.
    schema.config.phases.coverage.enabled = False
    # Unknown query parameters are ignored by the contract (as by most HTTP APIs), so adding
    # them is no negative test.
    schema.config.generation.update(allow_extra_parameters=False)
    # Mask credentials in Schemathesis's own output, but not every field named "*key"
    # (project_key is data, and a reproduction needs it).
    schema.config.output.sanitization.sensitive_markers = (
        "token", "secret", "password", "passwd", "auth", "apikey", "api_key", "api-key",
        "cookie", "session")
    if session.app is not None:
        schema.app = session.app
    else:
        schema.config.update(base_url=session.target.base_url)
    return schema, problems


def _register_auth(schema: Any, target: Target) -> None:
    """Our credentials, as Schemathesis's auth provider: explicit, so its auth checks know
    them from generated ones and can probe without them."""

    class FlexieAuth:
        def get(self, case: Any, ctx: Any) -> tuple[dict, dict]:
            return target.credentials()

        def set(self, case: Any, data: tuple[dict, dict], ctx: Any) -> None:
            headers, query = data
            if headers:
                case.headers = {**(case.headers or {}), **headers}
            if query:
                case.query = {**(case.query or {}), **query}

    schema.auth.auth(refresh_interval=None)(FlexieAuth)


def ensure_runner(session: Any) -> Any:
    if session.runner is not None:
        return session.runner
    from conformance.runner import Runner

    s = session.settings
    ledger = Ledger(s.reports / "ledger.jsonl", s.run_id, session.target.base_url)
    owned = OwnedRecords(session.target, ledger, s.run_id, s.ce_table, allow_send=s.allow_send)
    session.runner = Runner(s, session.target, owned, session.observed)
    _install_signal_cleanup(session)
    if not s.read_only:
        try:
            owned.setup()
        except (SetupError, TargetError) as exc:
            # The target broke the contract before any test could run: that is a finding.
            session.observed.failures.append({
                "operation": None, "check": "setup", "kind": "property", "status": None,
                "message": f"creating the records the suite works on failed: {exc}",
                "response_excerpt": None, "curl": None})
            pytest.exit(f"flexie: creating the records the suite works on failed: {exc}",
                        returncode=1)
    return session.runner


def _install_signal_cleanup(session: Any) -> None:
    """SIGTERM ends the run like Ctrl-C does, so the cleanup in sessionfinish still runs."""
    def on_term(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread (xdist worker threads): nothing to install
        pass


def cleanup(session: Any) -> tuple[int, list[str]]:
    runner = session.runner
    if runner is None:
        return 0, []
    target = session.target
    return runner.owned.ledger.cleanup(lambda path: target.request("DELETE", path).status)


def finish(session: Any, pytest_session: pytest.Session, exitstatus: int) -> None:
    deleted, failed = cleanup(session)
    if session.runner is not None:
        sys.stderr.write(f"\nflexie: cleanup deleted {deleted} records created by run "
                         f"{session.settings.run_id}"
                         + (f"; could not delete {', '.join(failed)}" if failed else "") + "\n")
    config = pytest_session.config
    if hasattr(config, "workerinput"):  # an xdist worker: the controller writes the report
        if session.alias_plan is not None:
            session.observed.aliases.update(
                {"|".join(k): row for k, row in session.alias_plan.results.items()})
        config.workeroutput["flexie"] = json.dumps(session.observed.export())
        return
    from conformance.results import write_all

    write_all(session, pytest_session, exitstatus)


def reports_dir(session: Any) -> Path:
    return session.settings.reports
