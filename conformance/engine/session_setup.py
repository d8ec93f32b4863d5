"""Start-up and wind-down of a run, in named steps: open the target, preflight, load the
schema, prepare the runner; set up the owned records on first use; clean up at the end.

conformance/run.py composes them into `start_run`; the pytest plugin writes the reports.
Each step takes the parts it needs (settings, target, what the run observed), and a step that
cannot be had raises StartupError with one readable line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsonschema
from requests.structures import CaseInsensitiveDict

from conformance.checks.evidence import schemathesis_evidence
from conformance.config.settings import Settings
from conformance.engine import stopping
from conformance.engine.ledger import Ledger
from conformance.engine.narrowing import account_fields, narrow
from conformance.engine.outcomes import SetupStopped, StartupError
from conformance.engine.owned import OwnedRecords, SetupError
from conformance.engine.runner import Runner, retry_schemathesis_requests
from conformance.engine.safety import UnsafeRequest, match_request
from conformance.engine.target import NonConforming, Target, TargetError, make_target
from conformance.findings import Finding, Kind
from conformance.observed import Observed
from contract.lint import Problem, lint
from contract.spec import SpecError, load_spec, response_schema
from workspace import create_app
from workspace.server import serve_in_thread

if TYPE_CHECKING:
    from schemathesis import AuthContext, Case

EMBEDDED_BASE = "http://localhost/api"


def _nothing_to_close() -> None:
    """A target that started nothing of its own (a live workspace, the mock in process)."""


@dataclass(frozen=True)
class Opened:
    """The target under test, and how to stop what opening it started (the embedded mock's
    HTTP server)."""

    target: Target
    close: Callable[[], None] = _nothing_to_close


def open_target(s: Settings) -> Opened:
    """The workspace under test: the embedded mock (in process or over HTTP) or the URL."""
    try:
        if s.embedded:
            return _open_embedded(s)
        bearer = s.oauth_token or (_client_credentials_token(s) if s.oauth_client_id
                                   else None)
        return Opened(make_target(s, base_url=s.url or "", bearer=bearer))
    except TargetError as exc:
        raise StartupError(str(exc)) from None


def preflight(s: Settings, target: Target, observed: Observed) -> str | None:
    """The first request. None: the workspace answered as the contract says; else the line
    the run stops with, its finding recorded (the run fails on it, exit 1)."""
    try:
        target.preflight()
    except NonConforming as exc:  # a finding: the run fails on it (exit 1), named by its check
        observed.failures.add(preflight_failure(s, exc))
        return f"flexie: the workspace broke the contract at its first request: {exc}"
    except TargetError as exc:
        raise StartupError(str(exc)) from None
    return None


def preflight_failure(s: Settings, exc: NonConforming) -> Finding:
    """The preflight's finding as a failure of GET /users/self, named by the check that
    judges such an answer."""
    operation = " ".join(exc.request)
    return Finding(check=exc.code, operation=operation, kind=Kind.PROPERTY,
                   status=exc.reply.status, message=str(exc), answer=exc.reply.text[:500],
                   request=exc.reply.curl or None, setup=True).graded(
        schemathesis_evidence(exc.code.split()[0], operation), s.assumptions)


def _open_embedded(s: Settings) -> Opened:
    try:
        app = create_app(faults=list(s.mock_faults))
    except ValueError as exc:
        raise StartupError(str(exc)) from None
    if s.transport == "http":
        base, stop = serve_in_thread(app, host="127.0.0.1", port=0)
        return Opened(make_target(
            s, base_url=base.rstrip("/") + ("" if base.endswith("/api") else "/api")), stop)
    return Opened(make_target(s, base_url=EMBEDDED_BASE, app=app))


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
    return str(token)


def load_schema(s: Settings, target: Target) -> tuple[Any, list[Problem]]:
    """The spec under test as a Schemathesis schema, inputs narrowed to the account's fields,
    and the spec's own defects."""
    import schemathesis

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
    if target.app is not None:
        schema.app = target.app
    else:
        schema.config.update(base_url=target.base_url)
    return schema, problems


def _register_auth(schema: Any, target: Target) -> None:
    """Our credentials, as Schemathesis's auth provider: explicit, so its auth checks know
    them from generated ones and can probe without them."""

    class FlexieAuth:
        def get(self, case: Case[Any], ctx: AuthContext) -> tuple[dict[str, str], dict[str, str]]:
            return target.credentials()

        def set(self, case: Case[Any], data: tuple[dict[str, str], dict[str, str]],
                ctx: AuthContext) -> None:
            headers, query = data
            if headers:
                # Schemathesis's headers are case-insensitive: ours replace any spelling
                merged = CaseInsensitiveDict(case.headers or None)
                merged.update(headers)
                case.headers = merged
            if query:
                case.query = {**(case.query or {}), **query}

    schema.auth.auth(refresh_interval=None)(FlexieAuth)


def prepare(s: Settings, target: Target, observed: Observed) -> Runner:
    """The runner over its pool of owned records, journaled in the ledger; nothing is sent
    until `set_up` (the first test that needs the records)."""
    ledger = Ledger(s.reports / "ledger.jsonl", s.run_id, target.base_url)
    owned = OwnedRecords(target, ledger, s.run_id, s.ce_table, allow_send=s.allow_send,
                         read_only=s.read_only)
    return Runner(s, target, owned, observed)


def set_up(runner: Runner, schema: Any) -> None:
    """Create the pool of owned records (not in a read-only run). A target that cannot be set
    up broke the contract before any test could run: that finding is recorded, and
    SetupStopped says why the run stops."""
    runner.observed.use_meter(runner.target.traffic)  # this process's requests travel along
    stopping.install()  # Ctrl-C and SIGTERM stop between requests, then clean up
    if runner.settings.read_only:
        return
    try:
        runner.owned.setup()
    except (SetupError, TargetError) as exc:
        # The target broke the contract before any test could run: that is a finding.
        runner.observed.failures.add(setup_failure(runner.settings, schema, exc))
        raise SetupStopped(
            f"flexie: creating the records the suite works on failed: {exc}") from None


def setup_failure(s: Settings, schema: Any, exc: Exception) -> Finding:
    """The failure that stopped setup, named as the check that judges it: an answer that
    breaks the spec's response schema is a schema violation of its operation (the same
    finding Schemathesis's check reports), anything else is `setup`."""
    message = f"creating the records the suite works on failed: {exc}"
    entry = Finding(check="setup", kind=Kind.PROPERTY, message=message, setup=True)
    reply = getattr(exc, "reply", None)
    request = getattr(exc, "request", None)
    found = match_request(*request) if request else None
    if reply is None or found is None:
        return entry
    op, _ = found
    entry = entry.with_(operation=op.key, status=reply.status, answer=reply.text[:500],
                        request=reply.curl or None)
    try:
        documented = response_schema(schema.raw_schema, op.method, op.path, reply.status)
        if documented is not None:
            jsonschema.validate(reply.json, documented)
    except KeyError:
        return entry  # an undocumented status: the setup line says which
    except jsonschema.ValidationError as error:
        where = "/".join(map(str, error.absolute_path)) or "the body"
        entry = entry.with_(check=SCHEMA_VIOLATION,
                            message=f"{error.message} (at {where}); {message}")
    return entry


#: The name a response-schema violation has in the report (Schemathesis's code and title).
SCHEMA_VIOLATION = "ST108 Response violates schema"


def cleanup(runner: Runner) -> tuple[int, list[str]]:
    """Delete what the run created (journaled in the ledger): how many, and which failed."""
    target = runner.target

    def delete(path: str) -> int:
        try:
            return target.request("DELETE", path, exempt=True).status
        except UnsafeRequest:  # the guard's word: not a record of this run, so left alone
            return 0

    return runner.owned.ledger.cleanup(delete)
