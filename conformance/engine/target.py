"""The workspace under test, reached in process (WSGI) or over HTTP, with auth applied.

Every request the suite makes itself (fixtures, follow-up reads, probes, scenarios, cleanup)
goes through `Target.request`, which passes it to the target's write guard first (set by the
pool of owned records, see `conformance.engine.safety.WriteGuard`: writes to records the run did not
create are refused before they leave) and paces requests when a rate limit is set: each
workspace (URL and key) at its own rate, so a workspace that answers 429 slows only itself.

A live workspace may be busy: an answer 429 (or 503 with Retry-After) is the workspace asking
to wait, not a verdict on the request, so it is retried after the wait it asks for (capped at
MAX_WAIT_S), at most `retries` times; only when the retries are spent is it a failure.
Every request and retry is counted on the run's traffic meter (`conformance.observed`).
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlencode, urlsplit

import requests

from conformance.engine.pacing import WorkspacePace, connection_slots, workspace_pace
from conformance.engine.stopping import stop_if_requested
from conformance.observed import Traffic, current_bucket, meter

if TYPE_CHECKING:
    from conformance.config.settings import Settings

#: What a transport answers (a Reply, a Schemathesis response), sent again while asked to wait.
A = TypeVar("A")


class TargetError(Exception):
    """The target cannot be tested: unreachable, refusing the key, or not a Flexie API."""


class NonConforming(TargetError):
    """The target is a Flexie API that answered as the contract forbids: a finding about the
    workspace (a failed verdict), not a mistake of the user's (a usage error). `code` names
    Schemathesis's check that judges such an answer."""

    def __init__(self, message: str, reply: Reply, request: tuple[str, str], code: str) -> None:
        super().__init__(message)
        self.reply = reply
        self.request = request
        self.code = code


#: The longest single wait a Retry-After can impose; a longer one is cut to this.
MAX_WAIT_S = 60.0
#: The wait before retrying a 429 that names none (doubled on each retry).
DEFAULT_WAIT_S = 1.0
DEFAULT_RETRIES = 3


class RetriesExhausted(TargetError):
    """The workspace still asked to wait (429/503) after every retry allowed was spent;
    `answer` is its last answer."""

    def __init__(self, message: str, answer: Any = None) -> None:
        super().__init__(message)
        self.answer = answer


def retry_after(status: int, headers: dict[str, str], attempt: int) -> float | None:
    """Seconds to wait before retrying this answer, or None when it is not one to retry:
    429 always (Retry-After, else 1, 2, 4 ... s), 503 only with Retry-After (a 503 without it
    is a server error). Retry-After is seconds or an HTTP date; waits are capped at MAX_WAIT_S."""
    if status not in (429, 503):
        return None
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return DEFAULT_WAIT_S * 2 ** attempt if status == 429 else None
    try:
        wait = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return DEFAULT_WAIT_S * 2 ** attempt if status == 429 else None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = (when - datetime.now(UTC)).total_seconds()
    return min(max(wait, 0.0), MAX_WAIT_S)


def exhausted_message(method: str, path: str, status: int, retries: int,
                      bucket: str | None = None) -> str:
    """Why a request failed after its retries, naming the request and the operation tested."""
    testing = f" (testing {bucket})" if bucket and bucket != f"{method} {path}" else ""
    return (f"{method} {path}{testing} still answered HTTP {status} after {retries} retries "
            f"(each waited as Retry-After asked, at most {MAX_WAIT_S:.0f} s): the workspace's "
            "rate limit outlasted --flexie-retries")


class Guard(Protocol):
    """What `Target.request` asks before a request leaves and tells after an answer came."""

    def check(self, method: str, path: str) -> None: ...

    def learn(self, method: str, path: str, status: int, body: Any) -> None: ...


def connection_problem(exc: requests.RequestException) -> str:
    """Why a request got no answer, in words: refused, DNS, TLS, timeout."""
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed (certificate or protocol)"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "no answer within the timeout"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema |
                  requests.exceptions.InvalidSchema):
        return "not a valid http(s) URL"
    if "Name or service not known" in text or "NameResolutionError" in text or \
            "nodename nor servname" in text or "getaddrinfo failed" in text:
        return "host name not found (DNS)"
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        return "connection refused (nothing listens on that host and port)"
    if "Network is unreachable" in text:
        return "network unreachable"
    return type(exc).__name__


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str
    #: The request that got this answer, as a curl command with the credential left as an
    #: environment variable (set by `Target.request`; empty for answers to generated cases).
    curl: str = ""

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.text) if self.text else None
        except json.JSONDecodeError:
            return None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


class Target:
    """A Flexie workspace: base URL (ending in /api), credentials and a transport."""

    def __init__(self, base_url: str, *, apikey: str | None, auth: str = "header",
                 bearer: str | None = None, app: Any = None,
                 pace: WorkspacePace | None = None, retries: int = DEFAULT_RETRIES,
                 traffic: Traffic | None = None,
                 slots: threading.BoundedSemaphore | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.apikey = apikey
        self.auth = auth
        self.bearer = bearer
        self.app = app
        self.pace = pace  # the workspace's rate limit and the run's budget (None: neither)
        self.slots = slots  # the process's cap on requests in flight (None: no cap)
        self._session = requests.Session()
        self._client = None
        if app is not None:
            from werkzeug.test import Client

            self._client = Client(app)
        self.retries = max(0, retries)
        self.traffic = traffic if traffic is not None else Traffic()
        self.guard: Guard | None = None

    def __repr__(self) -> str:  # credentials masked: reprs end up in tracebacks and reports
        return (f"Target({self.base_url!r}, apikey={'[REDACTED]' if self.apikey else None!r}, "
                f"auth={self.auth!r}, bearer={'[REDACTED]' if self.bearer else None!r})")

    @property
    def base_path(self) -> str:
        return urlsplit(self.base_url).path

    def credentials(self, key: str | None = None,
                    bearer: str | None = None) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, query) that authenticate as `key` or `bearer` (default: the run's own)."""
        if bearer is not None or (key is None and self.bearer):
            return {"Authorization": f"Bearer {bearer or self.bearer}"}, {}
        key = key if key is not None else self.apikey
        if key is None:
            return {}, {}
        return ({}, {"apikey": key}) if self.auth == "query" else ({"apikey": key}, {})

    def request(self, method: str, path: str, *, json_body: Any = None,
                raw_body: bytes | None = None, params: dict[str, Any] | None = None,
                key: str | None = None, bearer: str | None = None,
                anonymous: bool = False, exempt: bool = False) -> Reply:
        """Send one request of the suite's own (`exempt`: cleanup of the run's own records,
        which the request budget never refuses)."""
        if self.guard is not None:
            self.guard.check(method, path)
        headers, query = ({}, {}) if anonymous else self.credentials(key, bearer)
        query = {**query, **(params or {})}
        body = raw_body
        if json_body is not None:
            body = json.dumps(json_body).encode()
        if body is not None:
            headers["Content-Type"] = "application/json"
        reply = self.send_with_retries(
            lambda: self._send(method, path, query, body, headers),
            lambda r: (r.status, r.headers), f"{method} {path}", exempt=exempt)
        reply.curl = self._curl(method, path, query, body, headers)
        if self.guard is not None:
            self.guard.learn(method, path, reply.status, reply.json)
        return reply

    @property
    def requests_sent(self) -> int:
        return self.traffic.total_requests

    def send_with_retries(self, send: Callable[[], A],
                          status_of: Callable[[A], tuple[int, dict[str, str]]], request: str,
                          bucket: str | None = None, *, exempt: bool = False) -> A:
        """`send()` paced and counted, again after each wait a 429/503 asks for; the last
        answer once it is not one to retry. `status_of(answer)` gives (status, lower-case
        headers). Raises RetriesExhausted, naming `request` and the operation, when the
        workspace still asks to wait after `self.retries` retries."""
        bucket = bucket or current_bucket()
        attempt = 0
        while True:
            if not exempt:
                stop_if_requested()  # Ctrl-C lands here, never inside a request
            if self.pace is not None:
                self.pace.take(exempt=exempt)  # may raise BudgetSpent: nothing was sent
            self.traffic.sent(bucket)
            with self.slots if self.slots is not None else nullcontext():
                answer = send()
            status, headers = status_of(answer)
            wait = retry_after(status, headers, attempt)
            if wait is None:
                return answer
            if attempt >= self.retries:
                method, _, path = request.partition(" ")
                raise RetriesExhausted(exhausted_message(method, path, status, self.retries,
                                                         bucket), answer)
            attempt += 1
            self.traffic.retried(wait, bucket)
            if self.pace is not None:
                self.pace.defer(wait)  # the whole workspace waits, not this request alone
            time.sleep(wait)

    def _curl(self, method: str, path: str, query: dict[str, Any], body: bytes | None,
              headers: dict[str, str]) -> str:
        """The request as a curl command; the credential is an environment variable."""
        secrets = {v for v in (self.apikey, self.bearer) if v}
        hidden = {k: ("$FLEXIE_API_KEY" if v in secrets else v) for k, v in query.items()}
        url = self.base_url + path + (("?" + urlencode(hidden, safe="$")) if hidden else "")
        parts = ["curl", "-X", method, shlex.quote(url)]
        for name, value in headers.items():
            if name.lower() == "apikey":
                value = "$FLEXIE_API_KEY"
            elif name.lower() == "authorization":
                value = "Bearer $FLEXIE_OAUTH_TOKEN"
            parts += ["-H", f'"{name}: {value}"' if "$" in value
                      else shlex.quote(f"{name}: {value}")]
        if body is not None:
            parts += ["-d", shlex.quote(body.decode("utf-8", "replace"))]
        return " ".join(parts)

    def _send(self, method: str, path: str, query: dict[str, Any], body: bytes | None,
              headers: dict[str, str]) -> Reply:
        if self._client is not None:
            local = self._client.open(self.base_path + path, method=method, query_string=query,
                                      data=body, headers=headers)
            return Reply(local.status_code, {k.lower(): v for k, v in local.headers.items()},
                         local.get_data(as_text=True))
        try:
            resp = self._session.request(method, self.base_url + path, params=query, data=body,
                                         headers=headers, timeout=30)
        except requests.RequestException as exc:
            raise TargetError(f"cannot reach {self.base_url}: "
                              f"{connection_problem(exc)}") from None
        return Reply(resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, resp.text)

    def preflight(self) -> None:
        """Fail fast, with one line, when the target cannot be tested at all."""
        reply = self.request("GET", "/users/self")
        if reply.status in (401, 403):
            raise TargetError(f"{self.base_url} refused the API key or token "
                              f"(HTTP {reply.status})")
        if reply.status != 200:
            raise TargetError(f"{self.base_url} does not answer like a Flexie API "
                              f"(GET /users/self gave HTTP {reply.status})")
        problem = body_problem(reply)
        if problem is None:
            return
        message = (f"{self.base_url} does not conform: GET /users/self answered HTTP 200 with "
                   f"{problem}; the contract answers a JSON object")
        if claims_json(reply):  # a JSON API that breaks its own answers: the workspace's fault
            code = "ST108 Response violates schema" if reply.json is not None else \
                "ST109 JSON deserialization error"
            raise NonConforming(message, reply, ("GET", "/users/self"), code)
        raise TargetError(f"{message} (is the URL the API's base, ending in /api?)")


def claims_json(reply: Reply) -> bool:
    """Whether an answer says it is JSON: by its Content-Type, or by a body that starts with
    a JSON value (a web page at the wrong URL does neither)."""
    if reply.content_type == "application/json" or reply.content_type.endswith("+json"):
        return True
    try:
        json.JSONDecoder().raw_decode(reply.text.lstrip())
    except ValueError:
        return False
    return True


def body_problem(reply: Reply) -> str | None:
    """What is wrong with an answer that should be a JSON object, in words; None if nothing."""
    kind = reply.content_type or "no Content-Type"
    start = " ".join(reply.text[:60].split())
    if not reply.text.strip():
        return f"an empty body ({kind})"
    try:
        body = json.loads(reply.text)
    except json.JSONDecodeError as exc:
        return (f"a body that is not JSON ({kind}; {exc.msg} at character {exc.pos}; "
                f"it starts {start!r})")
    if not isinstance(body, dict):
        return f"JSON that is not an object but {type(body).__name__} ({kind}; {start!r})"
    return None


_DEFAULT = object()


def make_target(settings: Settings, *, base_url: str, apikey: str | object | None = _DEFAULT,
                app: Any = None, bearer: str | None = None) -> Target:
    """The one place a `Target` is built: auth placement and the rate limit come from the
    run's settings, so every target of a run (the main one, other accounts', the sweep's)
    sends credentials the same way, is paced like every target of its workspace (URL and
    key), shares the run's budget, retries and cap on requests in flight, and counts into
    the run's one traffic meter."""
    key = apikey if apikey is None or isinstance(apikey, str) else settings.apikey  # _DEFAULT
    workspace = f"{base_url.rstrip('/')} {key or bearer or ''}"
    return Target(base_url, apikey=key, auth=settings.auth, bearer=bearer, app=app,
                  pace=workspace_pace(settings, workspace), retries=settings.retries,
                  traffic=meter(settings.run_id),
                  slots=connection_slots(settings.concurrency))
