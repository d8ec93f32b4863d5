"""Start-up and wind-down of a run: spec, target, owned records, cleanup, reports."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import jsonschema
import pytest

from conformance.checks.aliases.plan import build_plan
from conformance.checks.evidence import schemathesis_evidence
from conformance.config.settings import Settings
from conformance.engine import stopping
from conformance.engine.ledger import Ledger
from conformance.engine.narrowing import account_fields, narrow
from conformance.engine.owned import OwnedRecords, SetupError
from conformance.engine.runner import Runner, retry_schemathesis_requests
from conformance.engine.safety import UnsafeRequest, match_request
from conformance.engine.tables import table_of
from conformance.engine.target import NonConforming, Target, TargetError, make_target
from conformance.report import results
from conformance.run import RunContext
from contract.lint import lint
from contract.spec import SpecError, load_spec, response_schema
from workspace import create_app
from workspace.server import serve_in_thread

EMBEDDED_BASE = "http://localhost/api"


class StartupError(Exception):
    """The run cannot start: one readable line saying why (bad input, unusable target)."""


def start_run(settings: Settings) -> RunContext:
    """The run context with its alias plan, a reachable target and the narrowed schema.

    Raises StartupError with one readable line when any of them cannot be had."""
    run = RunContext(settings)
    try:
        run.alias_plan = build_plan(settings, settings.account)
    except ValueError as exc:  # the accounts file's own error type is a ValueError
        raise StartupError(str(exc)) from None

    settings.ce_table = table_of(run.alias_plan.everyone, settings)
    start_target(run)
    run.schema, run.spec_problems = load_schema(run)
    return run


def start_target(run: RunContext) -> None:
    s = run.settings
    try:
        if s.embedded:
            _start_embedded(run)
        else:
            bearer = s.oauth_token or (_client_credentials_token(s) if s.oauth_client_id
                                       else None)
            run.target = make_target(s, base_url=s.url or "", bearer=bearer)
        run.require_target().preflight()
    except NonConforming as exc:  # a finding: the run fails on it (exit 1), named by its check
        run.observed.failures.append({**preflight_failure(run, exc), "setup": True})
        run.startup_error = f"flexie: the workspace broke the contract at its first request: {exc}"
    except TargetError as exc:
        raise StartupError(str(exc)) from None


def preflight_failure(run: RunContext, exc: NonConforming) -> dict:
    """The preflight's finding as a failure of GET /users/self, named by the check that
    judges such an answer."""
    operation = " ".join(exc.request)
    return {"operation": operation, "check": exc.code, "kind": "property",
            "status": exc.reply.status, "message": str(exc),
            "response_excerpt": exc.reply.text[:500], "curl": exc.reply.curl or None,
            **schemathesis_evidence(exc.code.split()[0], operation).graded(
                run.settings.assumptions)}


def _start_embedded(run: RunContext) -> None:
    s = run.settings
    try:
        app = create_app(faults=list(s.mock_faults))
    except ValueError as exc:
        raise StartupError(str(exc)) from None
    run.app = app
    if s.transport == "http":
        base, stop = serve_in_thread(app, host="127.0.0.1", port=0)
        run.stop_server = stop
        run.target = make_target(
            s, base_url=base.rstrip("/") + ("" if base.endswith("/api") else "/api"))
    else:
        run.target = make_target(s, base_url=EMBEDDED_BASE, app=app)


def _client_credentials_token(s: Settings) -> str:
    import requests

    origin = (s.url or "").rstrip("/").rsplit("/api", 1)[0]
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


def load_schema(run: RunContext) -> tuple[Any, list]:
    """The spec under test as a Schemathesis schema, inputs narrowed to the account's fields."""
    import schemathesis

    s = run.settings
    target = run.require_target()
    try:
        raw = load_spec(s.spec)
    except SpecError as exc:
        raise StartupError(f"invalid spec: {exc}") from None
    problems = lint(raw)
    try:
        fields = account_fields(target, s.ce_table)
    except TargetError as exc:  # e.g. still rate-limited after every retry
        raise StartupError(f"reading the account's fields failed: {exc}") from None
    raw = narrow(raw, fields)
    try:
        schema = schemathesis.openapi.from_dict(raw)
    except Exception as exc:  # Schemathesis raises several types for unusable documents
        raise StartupError(f"invalid spec {s.spec}: {str(exc).splitlines()[0]}") from None
    _register_auth(schema, target)
    # The probes Schemathesis's checks send (ignored_auth) are paced, counted and retried.
    retry_schemathesis_requests(schema, target)
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
    if run.app is not None and target.app is not None:
        schema.app = run.app
    else:
        schema.config.update(base_url=target.base_url)
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


class SetupStopped(Exception):
    """Setup failed in an xdist worker: the test that needed it is not run, and the worker
    stops (pytest.exit would crash the controller's scheduling)."""


def ensure_runner(run: RunContext, session: pytest.Session) -> Runner:
    """The runner, creating the pool of owned records on first use. A target that cannot be
    set up ends the run with that one finding: at once in one process, after the current
    test in an xdist worker."""
    if run.startup_error is not None:
        stop_at_setup(run, session, run.startup_error)
    if run.runner is not None:
        return run.runner
    s = run.settings
    target = run.require_target()
    ledger = Ledger(s.reports / "ledger.jsonl", s.run_id, target.base_url)
    owned = OwnedRecords(target, ledger, s.run_id, s.ce_table, allow_send=s.allow_send,
                         read_only=s.read_only)
    run.runner = Runner(s, target, owned, run.observed)
    stopping.install()  # Ctrl-C and SIGTERM stop between requests, then clean up
    if not s.read_only:
        try:
            owned.setup()
        except (SetupError, TargetError) as exc:
            # The target broke the contract before any test could run: that is a finding.
            run.observed.failures.append({**setup_failure(run, exc), "setup": True})
            stop_at_setup(run, session,
                          f"flexie: creating the records the suite works on failed: {exc}")
    return run.runner


def stop_at_setup(run: RunContext, session: pytest.Session, message: str) -> NoReturn:
    """End the run on the finding that stopped its setup (recorded already): at once in one
    process (exit 1), after the current test in an xdist worker."""
    if not hasattr(session.config, "workerinput"):
        pytest.exit(message, returncode=1)
    run.startup_error = message
    session.shouldstop = message
    raise SetupStopped(message) from None


def setup_failure(run: RunContext, exc: Exception) -> dict:
    """The failure that stopped setup, named as the check that judges it: an answer that
    breaks the spec's response schema is a schema violation of its operation (the same
    finding Schemathesis's check reports), anything else is `setup`."""
    message = f"creating the records the suite works on failed: {exc}"
    entry = {"operation": None, "check": "setup", "kind": "property", "status": None,
             "message": message, "response_excerpt": None, "curl": None}
    reply = getattr(exc, "reply", None)
    request = getattr(exc, "request", None)
    found = match_request(*request) if request else None
    if reply is None or found is None or run.schema is None:
        return entry
    op, _ = found
    entry.update(operation=op.key, status=reply.status, response_excerpt=reply.text[:500],
                 curl=reply.curl or None)
    try:
        schema = response_schema(run.schema.raw_schema, op.method, op.path, reply.status)
        if schema is not None:
            jsonschema.validate(reply.json, schema)
    except KeyError:
        return entry  # an undocumented status: the setup line says which
    except jsonschema.ValidationError as error:
        where = "/".join(map(str, error.absolute_path)) or "the body"
        entry.update(check=SCHEMA_VIOLATION,
                     message=f"{error.message} (at {where}); {message}")
    return entry


#: The name a response-schema violation has in the report (Schemathesis's code and title).
SCHEMA_VIOLATION = "ST108 Response violates schema"


def cleanup(run: RunContext) -> tuple[int, list[str]]:
    runner = run.runner
    if runner is None:
        return 0, []
    target: Target = runner.target

    def delete(path: str) -> int:
        try:
            return target.request("DELETE", path, exempt=True).status
        except UnsafeRequest:  # the guard's word: not a record of this run, so left alone
            return 0

    return runner.owned.ledger.cleanup(delete)


def finish(run: RunContext, config: pytest.Config, exitstatus: int) -> None:
    """Delete what the run created, then hand results to the controller or write reports."""
    deleted, failed = cleanup(run)
    if run.runner is not None:
        sys.stderr.write(f"\nflexie: cleanup deleted {deleted} records created by run "
                         f"{run.settings.run_id}"
                         + (f"; could not delete {', '.join(failed)}" if failed else "") + "\n")
    if hasattr(config, "workerinput"):  # an xdist worker: the controller writes the report
        if run.alias_plan is not None:
            run.observed.aliases.update(
                {"|".join(k): row for k, row in run.alias_plan.results.items()})
        config.workeroutput["flexie"] = json.dumps(  # type: ignore[attr-defined]  # xdist's
            run.observed.export())
        return

    if config.option.collectonly:
        results.discard_stale(run.settings, reason="--collect-only: no test ran")
    else:
        results.write_all(run, exitstatus)
