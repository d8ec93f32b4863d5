"""Runs one generated case: bind it to owned records, send it, validate the answer.

The test module stays declarative; everything a case goes through lives here: binding
(live safety), auth, the call through Schemathesis, the ledger for creates, Schemathesis's own
checks, the Flexie case checks and, once per operation, the probes.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from conformance.checks import CASE_CHECKS, PROBES, CheckContext, CheckFailure
from conformance.checks.evidence import schemathesis_evidence
from conformance.checks.registry import NotChecked, check_evidence
from conformance.checks.shapes import envelope, record_in, record_path, render
from conformance.config.settings import Settings
from conformance.engine.generation import coverage_cases, decisive_cases, property_test
from conformance.engine.outcomes import NotApplicable
from conformance.engine.owned import OwnedRecords
from conformance.engine.pacing import BudgetSpent, budget_spent_in
from conformance.engine.safety import (
    Binding,
    UnsafeRequest,
    addressed_id,
    assert_safe,
    bind,
    disposable_kind,
    is_positive,
)
from conformance.engine.target import Reply, RetriesExhausted, Target
from conformance.findings import Finding
from conformance.observed import FAILED, NOT_CHECKED, PASSED, Exercise, Observed
from conformance.report.redact import redact
from contract.operations import OPERATIONS_BY_KEY, Operation

if TYPE_CHECKING:
    from schemathesis.checks import CheckFunction


def stop_if_budget_spent(exc: BaseException) -> None:
    """Re-raise the budget's stop wherever it hides (Schemathesis groups the exceptions of
    its checks, and `ignored_auth` sends requests of its own)."""
    if (spent := budget_spent_in(exc)) is not None:
        raise spent


def only_input_is_the_record(op: Operation) -> bool:
    """Whether the operation's only inputs are the path's ids of records: under a budget its
    negative case is the unknown-id probe (an id that names nothing), not a malformed id too."""
    return op.body is None and op.query is None and \
        {"id", "entityId"} & set(op.path_params) != set() and \
        set(op.path_params) <= {"id", "entityId", "tableName", "entityType"}


def exercise_of(binding: Binding, reply: Reply) -> Exercise:
    """What a positive case's answer says of its operation: exercised on a success; else
    not, why (the case could not be made valid, or the workspace refused a valid one), and
    the answer."""
    if 200 <= reply.status < 300:
        return Exercise(True)
    reason = binding.unbound or "the workspace refused a valid positive case"
    return Exercise(False, reason, reply.status, reply.text[:200])


def current_nodeid() -> str | None:
    """The node id of the test running now, as pytest publishes it to the environment."""
    running = os.environ.get("PYTEST_CURRENT_TEST")
    return running.rsplit(" (", 1)[0] if running else None


def _headers(response: Any) -> dict[str, str]:
    return {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}


def _status_of(response: Any) -> tuple[int, dict[str, str]]:
    return response.status_code, _headers(response)


def as_reply(response: Any) -> Reply:
    """Schemathesis's answer to a generated case as the `Reply` our checks read."""
    return Reply(response.status_code, _headers(response),
                 response.text if hasattr(response, "text") else "")


#: Set while `Runner._call` sends a case: it retries and counts that request itself.
_CALLING = threading.local()


class RetryingTransport:
    """Schemathesis's transport for the requests its own checks send (ignored_auth resends a
    case without credentials, or with invalid ones): paced, counted and retried after a
    429/503 as every request of ours is, so a busy workspace is no authentication failure."""

    def __init__(self, inner: Any, target: Target) -> None:
        self.inner = inner
        self.target = target

    def send(self, case: Any, **kwargs: Any) -> Any:
        if getattr(_CALLING, "active", False):
            return self.inner.send(case, **kwargs)
        request = f"{case.method.upper()} {case.formatted_path}"
        return self.target.send_with_retries(lambda: self.inner.send(case, **kwargs),
                                             _status_of, request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def retry_schemathesis_requests(schema: Any, target: Target) -> None:
    """Make `schema.transport` (what Schemathesis's checks send their probes through) a
    RetryingTransport. The property lives on the schema's class, so the schema gets a subclass
    that overrides it; done once, where the schema is loaded (session_setup.load_schema)."""
    cls = type(schema)
    if getattr(cls, "flexie_retrying", False):
        return
    inner = cls.transport

    def transport(self: Any) -> RetryingTransport:
        return RetryingTransport(inner.fget(self), target)

    schema.__class__ = type(f"Retrying{cls.__name__}", (cls,),
                            {"flexie_retrying": True, "transport": property(transport)})


class OperationFailed(AssertionError):
    """What one test case (or one operation's probes) broke: the first failure names its
    check and operation on the first line (pytest's short summary shows that line), then
    the curl reproduction and the other checks that failed on the same answer."""

    def __init__(self, entries: list[Finding]) -> None:
        first = entries[0]
        lines = [f"[{first.check}] {first.operation}: {first.message}"]
        if first.request:
            lines.append(f"reproduce: {first.request}")
        for other in entries[1:]:
            lines.append(f"also [{other.check}]: {other.message.splitlines()[0]}")
        super().__init__("\n".join(lines))
        self.entries = entries


class Runner:
    def __init__(self, settings: Settings, target: Target, owned: OwnedRecords,
                 observed: Observed) -> None:
        self.settings = settings
        self.target = target
        self.owned = owned
        self.observed = observed
        self._lock = threading.Lock()
        self._auth_checked: set[str] = set()  # operations ignored_auth has run on
        self._sent: dict[str, int] = {}  # generated cases sent, per operation

    # --- one case -----------------------------------------------------------------------
    def run(self, case: Any) -> None:
        op = OPERATIONS_BY_KEY.get(f"{case.operation.method.upper()} {case.operation.path}")
        if op is None:
            self._run_unknown(case)
            return
        self._skip_if_not_allowed(op)
        disposable = None
        kind = disposable_kind(op, case)
        if kind in self.owned.ids:
            disposable = self.owned.create(kind, disposable=True)["id"]
        binding = bind(case, op, self.owned, disposable=disposable,
                       ce_table=self.owned.ce_table)
        try:
            assert_safe(op, case.path_parameters or {}, self.owned,
                        read_only=self.settings.read_only)
        except UnsafeRequest:
            if case.meta is not None and case.meta.generation.mode.is_negative:
                # An invalid request the guard cannot prove harmless: not sent, but counted.
                self.observed.drop(op.key)
                return
            raise
        before = self._before(op, case)
        try:
            response = self._call(case, op.key)
        except RetriesExhausted as exc:
            reply = as_reply(exc.answer) if exc.answer is not None else None
            self._observe(op, reply or Reply(0, {}, ""), other_method=reply is None)
            failure = CheckFailure("retries_exhausted", op.key, str(exc), reply)
            raise OperationFailed([self._remember(failure, case)]) from None
        reply = as_reply(response)
        self._count_sent(op.key)
        self._journal(op, case, reply)
        if op.changes and 200 <= reply.status < 300 and \
                (written := record_in(reply, op.resource)) is not None:
            self.owned.written(op.resource, written)
        self._observe(op, reply, other_method=case.method.upper() != op.method.upper())
        # Every check sees every answer, so a report names all that broke, not just the first.
        found: list[Finding] = []
        try:
            case.validate_response(response, excluded_checks=self._excluded_checks(reply, op))
        except (Exception, BaseExceptionGroup) as exc:  # Schemathesis: a group of failures
            stop_if_budget_spent(exc)
            found += self._remember_schemathesis_failure(op, case, reply)
        ctx = self._context(op, before)
        ctx.binding = binding
        for name, check in CASE_CHECKS.items():
            self._judge(op, name, lambda check=check: check(ctx, case, reply), found, case,
                        reply)
        if is_positive(case):
            self.observed.exercise(op.key, exercise_of(binding, reply))
        self._raise_blocking(found)

    def _judge(self, op: Operation, name: str, call: Any, found: list[Finding], case: Any,
               reply: Reply | None = None) -> str | None:
        """Run one check or probe and record its outcome on the operation: passed, failed
        (added to `found`), or not checked (its reason returned)."""
        try:
            call()
        except NotChecked as why:
            self.observed.check(op.key, name, NOT_CHECKED, why.reason, why.kind)
            return why.reason
        except CheckFailure as failure:
            found.append(self._remember(failure, case))
        except BudgetSpent:
            raise  # the check could not send its request: left out, not failed
        except Exception as exc:  # the answer broke the check itself: still a finding
            broken = CheckFailure(name, op.key, f"{type(exc).__name__}: {exc}", reply,
                                  evidence=check_evidence(name, op))
            found.append(self._remember(broken, case))
        else:
            self.observed.check(op.key, name, PASSED)
            return None
        self.observed.check(op.key, name, FAILED)
        return None

    def _count_sent(self, key: str) -> None:
        with self._lock:
            self._sent[key] = self._sent.get(key, 0) + 1

    def _skip_if_none_sent(self, key: str, before: int) -> None:
        """A test none of whose generated cases could be sent checked nothing: it is
        skipped, saying why, never reported as passed."""
        if self._sent.get(key, 0) > before:
            return
        dropped = self.observed.dropped.get(key, 0)
        raise NotApplicable(f"not checked: no generated case of {key} could be sent"
                            + (f" ({dropped} refused by the safety guard)" if dropped else ""))

    def _raise_blocking(self, found: list[Finding]) -> None:
        """Raise the failures that fail the test: all of them, or under
        `--flexie-assumptions warn` those that rest on more than our assumptions (the others
        are recorded as warnings, and Hypothesis goes on looking for real failures)."""
        blocking = [entry for entry in found if entry.blocking]
        if blocking:
            raise OperationFailed(blocking)

    def run_property(self, schema: Any, key: str) -> None:
        """Generate and send the property-test cases of one operation."""
        def test_case(case: Any) -> None:
            self.run(case)

        sent = self._sent.get(key, 0)
        if self.settings.budget is not None:
            # Under a request budget every operation gets what proves the most first: one
            # positive and one negative case (a pair of requests, not a Hypothesis search).
            cases = decisive_cases(schema, key, self.settings.seed)
            op = OPERATIONS_BY_KEY.get(key)
            if op is not None and only_input_is_the_record(op):
                cases = cases[:1]  # its negative case is unknown_id_is_404's probe
            for case in cases:
                self.run(case)
        else:
            property_test(schema, key, test_case, self.settings.seed)()
        self._skip_if_none_sent(key, sent)

    def run_coverage(self, schema: Any, key: str) -> None:
        """Send every coverage-phase case of one operation; raise the first failure, after all
        were sent, with how many failed."""
        cases = coverage_cases(schema, key)
        sent = self._sent.get(key, 0)
        failures: list[BaseException] = []
        for case in cases:
            try:
                self.run(case)
            except (Exception, BaseExceptionGroup) as exc:
                stop_if_budget_spent(exc)
                failures.append(exc)
        if failures:
            first = failures[0]
            if len(failures) > 1:
                first.add_note(f"{len(failures) - 1} more coverage cases of {key} failed; "
                               "every failure is in the report")
            raise first
        self._skip_if_none_sent(key, sent)

    def _skip_if_not_allowed(self, op: Operation) -> None:
        """Operations this run may not send at all are skipped, saying why."""
        reason = None
        if self.settings.read_only and op.writes:
            reason = f"{op.key} changes data and the run is read-only"
        elif op.sends and not self.settings.allow_send:
            reason = f"{op.key} sends email; pass --flexie-allow-send to include it"
        if reason is not None:
            self.observed.exercise(op.key, Exercise(False, reason))
            raise NotApplicable(reason)

    def _run_unknown(self, case: Any) -> None:
        """An operation our contract does not know (from another --spec): reads only."""
        if case.operation.method.upper() != "GET":
            raise NotApplicable("not in the Flexie contract and not a read: not sent, for safety")
        key = f"{case.operation.method.upper()} {case.operation.path}"
        response = self._call(case, key)
        self._count_sent(key)
        case.validate_response(response)

    # --- plumbing -----------------------------------------------------------------------
    def _auth_proven(self, op: Operation | None, reply: Reply | None) -> bool:
        """Whether ignored_auth already ran on a successful answer of this operation (each is
        judged for itself: one route can lose its authentication while the others keep it);
        the first successful answer claims the run."""
        if op is None or reply is None or not 200 <= reply.status < 300:
            return False
        with self._lock:
            if op.key in self._auth_checked:
                return True
            self._auth_checked.add(op.key)
            return False

    def _call(self, case: Any, key: str) -> Any:
        """Send a generated case (in process or over HTTP) as `Target.request` sends: paced,
        counted under its operation, and again after the wait a 429/503 asks for, before any
        check sees the answer."""
        kwargs = {} if self.target.app is not None else {"base_url": self.target.base_url}
        request = f"{case.method.upper()} {case.formatted_path}"

        def call() -> Any:
            _CALLING.active = True
            try:
                return case.call(**kwargs)
            finally:
                _CALLING.active = False

        return self.target.send_with_retries(call, _status_of, request, bucket=key)

    def _excluded_checks(self, reply: Reply | None = None,
                         op: Operation | None = None) -> list[CheckFunction] | None:
        """Schemathesis checks that do not apply to this answer (None: every one applies).

        Swagger 2.0 names media types per operation, not per answer, so Schemathesis expects a
        Content-Type even on an empty 204, which rightly has none. With an OAuth token,
        Schemathesis removes only the declared API-key parameters when it probes without
        credentials, so the token stays and the probe proves nothing; the probes
        (missing_key_is_refused, unknown_key_is_refused) send none and an invalid token
        instead. Whether an operation enforces authentication is a property of the operation:
        `ignored_auth` resends a successful case without credentials and with an invalid key
        in each place a key goes, and once per operation proves as much as on all of its cases
        (which would be one request in four of the run). Under a request budget it is left
        out: the probes judge every operation for two requests instead of three, whatever its
        cases answered.
        """
        from schemathesis.specs.openapi.checks import content_type_conformance, ignored_auth

        excluded: list[CheckFunction] = []
        if reply is not None and reply.status == 204 and not reply.text:
            excluded.append(content_type_conformance)
        if self.target.bearer or self.settings.budget is not None or \
                self._auth_proven(op, reply):
            excluded.append(ignored_auth)
        return excluded or None

    def _before(self, op: Operation, case: Any) -> Reply | None:
        """The read of the record an update names, before it is sent (None: not read)."""
        if not op.is_update or not case.path_parameters:
            return None
        if self.settings.budget is not None and case.meta is not None \
                and case.meta.generation.mode.is_negative:
            return None  # under a budget: an invalid update is expected to change nothing
        # The id as the URL names it, read as a lenient server reads it: the coverage phase
        # writes path ids as text ("193"), and unsent fields must stay unchanged there too.
        record_id = addressed_id(case.path_parameters.get("id"))
        if record_id is None:
            return None
        return self.target.request("GET", record_path(op, self.owned.ce_table, record_id))

    def _journal(self, op: Operation, case: Any, reply: Reply) -> None:
        if not op.is_create or reply.status >= 300:
            return
        body = reply.json if isinstance(reply.json, dict) else {}
        singular, _ = envelope(op.resource)
        record = body.get(singular) or body.get("data")
        if isinstance(record, dict) and record.get("id") is not None:
            if isinstance(record["id"], int):
                self.owned.adopt(op.resource, record)
            delete = record_path(op, self.owned.ce_table, record["id"])
            if op.resource == "notes":
                delete = f"/notes/{record['id']}"
            self.owned.ledger.created(op.resource, delete)
        elif reply.status < 300:
            # A create that answered success without a record id: nothing to clean up by.
            self.owned.ledger.created(op.resource, render(op.path, self.owned.ce_table,
                                                          **(case.path_parameters or {})))

    def _observe(self, op: Operation, reply: Reply, *, other_method: bool = False) -> None:
        """Count the case; its status counts as the operation's unless the coverage phase sent
        another method to the path (its 405 is the path's answer, not the operation's)."""
        self.observed.response(op.key, None if other_method else reply.status)

    def _context(self, op: Operation, before: Reply | None = None) -> CheckContext:
        record = record_in(before, op.resource) if before is not None and \
            before.status == 200 else None
        return CheckContext(self.target, self.owned, op,
                            other_apikey=self.settings.other_apikey,
                            read_only=self.settings.read_only, before=record,
                            before_read=before, budgeted=self.settings.budget is not None)

    def probe(self, op: Operation) -> None:
        """Run every probe on one operation; raise the first failure after all have run. If
        no probe could judge the operation, the test is skipped with their reasons."""
        self._skip_if_not_allowed(op)
        ctx = self._context(op)
        ctx.observe = lambda status: self.observed.response(op.key, status)
        found: list[Finding] = []
        reasons: dict[str, str] = {}
        for name, probe in PROBES.items():
            reason = self._judge(op, name, lambda probe=probe: probe(ctx), found, None)
            if reason is not None:
                reasons[name] = reason
        self._raise_blocking(found)
        if not found and len(reasons) == len(PROBES):
            raise NotApplicable("not checked: no probe applies to " + op.key + ": " + "; ".join(
                f"{name}: {why}" for name, why in reasons.items()))

    # --- failures -----------------------------------------------------------------------
    def _remember(self, failure: CheckFailure, case: Any) -> Finding:
        reply = failure.reply
        return self._record(Finding(
            check=failure.check, operation=failure.operation, message=failure.message,
            status=reply.status if reply else None,
            answer=reply.text[:500] if reply else None,
            request=self._curl(case) if case is not None else (
                reply.curl if reply is not None and reply.curl else failure.request),
        ).graded(failure.evidence, self.settings.assumptions))

    def _remember_schemathesis_failure(self, op: Operation, case: Any,
                                       reply: Reply) -> list[Finding]:
        """One entry per Schemathesis failure: its code and title, and its own message."""
        exc = sys.exc_info()[1]
        entries: list[Finding] = []
        for failure in getattr(exc, "exceptions", None) or [exc]:
            code = getattr(failure, "code", "") or ""
            title = getattr(failure, "title", None) or type(failure).__name__
            message = getattr(failure, "message", None) or str(failure)
            entries.append(self._record(Finding(
                check=f"{code} {title}".strip(), operation=op.key,
                message=str(message).strip()[:800], status=reply.status,
                answer=reply.text[:500], request=self._curl(case),
            ).graded(schemathesis_evidence(code, op.key), self.settings.assumptions)))
        return entries

    def _record(self, finding: Finding) -> Finding:
        """Keep a failure for the report, with the test that found it (for its replay)."""
        return self.observed.failures.add(finding.with_(test=current_nodeid()))

    def _curl(self, case: Any) -> str:
        try:
            return redact(case.as_curl_command(base_url=self.target.base_url),
                          self.settings.secrets)
        except Exception:  # a curl line is a courtesy; never let it hide the failure
            return ""
