"""The workspace under test, reached in process (WSGI) or over HTTP, with auth applied.

Every request the suite makes itself (fixtures, follow-up reads, probes, scenarios, cleanup)
goes through `Target.request`, which passes it to the target's write guard first (set by the
pool of owned records, see `conformance.safety.WriteGuard`: writes to records the run did not
create are refused before they leave) and paces requests when a rate limit is set.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode, urlsplit

import requests

if TYPE_CHECKING:
    from conformance.settings import Settings


class TargetError(Exception):
    """The target cannot be tested: unreachable, refusing the key, or not a Flexie API."""


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


class RateLimiter:
    """At most `per_second` requests per second across threads."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            time.sleep(delay)


class Target:
    """A Flexie workspace: base URL (ending in /api), credentials and a transport."""

    def __init__(self, base_url: str, *, apikey: str | None, auth: str = "header",
                 bearer: str | None = None, app: Any = None,
                 rate_limit: float | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.apikey = apikey
        self.auth = auth
        self.bearer = bearer
        self.app = app
        self.limiter = RateLimiter(rate_limit)
        self._session = requests.Session()
        self._client = None
        if app is not None:
            from werkzeug.test import Client

            self._client = Client(app)
        self.requests_sent = 0
        self.guard: Guard | None = None

    def __repr__(self) -> str:  # credentials masked: reprs end up in tracebacks and reports
        return (f"Target({self.base_url!r}, apikey={'[REDACTED]' if self.apikey else None!r}, "
                f"auth={self.auth!r}, bearer={'[REDACTED]' if self.bearer else None!r})")

    @property
    def base_path(self) -> str:
        return urlsplit(self.base_url).path

    def credentials(self, key: str | None = None,
                    bearer: str | None = None) -> tuple[dict, dict]:
        """(headers, query) that authenticate as `key` or `bearer` (default: the run's own)."""
        if bearer is not None or (key is None and self.bearer):
            return {"Authorization": f"Bearer {bearer or self.bearer}"}, {}
        key = key if key is not None else self.apikey
        if key is None:
            return {}, {}
        return ({}, {"apikey": key}) if self.auth == "query" else ({"apikey": key}, {})

    def request(self, method: str, path: str, *, json_body: Any = None,
                raw_body: bytes | None = None, params: dict | None = None,
                key: str | None = None, bearer: str | None = None,
                anonymous: bool = False) -> Reply:
        if self.guard is not None:
            self.guard.check(method, path)
        headers, query = ({}, {}) if anonymous else self.credentials(key, bearer)
        query = {**query, **(params or {})}
        body = raw_body
        if json_body is not None:
            body = json.dumps(json_body).encode()
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.limiter.wait()
        self.requests_sent += 1
        reply = self._send(method, path, query, body, headers)
        reply.curl = self._curl(method, path, query, body, headers)
        if self.guard is not None:
            self.guard.learn(method, path, reply.status, reply.json)
        return reply

    def _curl(self, method: str, path: str, query: dict, body: bytes | None,
              headers: dict) -> str:
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

    def _send(self, method: str, path: str, query: dict, body: bytes | None,
              headers: dict) -> Reply:
        if self._client is not None:
            resp = self._client.open(self.base_path + path, method=method, query_string=query,
                                     data=body, headers=headers)
            return Reply(resp.status_code, {k.lower(): v for k, v in resp.headers.items()},
                         resp.get_data(as_text=True))
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
        if reply.status != 200 or not isinstance(reply.json, dict):
            raise TargetError(f"{self.base_url} does not answer like a Flexie API "
                              f"(GET /users/self gave HTTP {reply.status})")


_DEFAULT = object()


def make_target(settings: Settings, *, base_url: str, apikey: str | object | None = _DEFAULT,
                app: Any = None, bearer: str | None = None) -> Target:
    """The one place a `Target` is built: auth placement and the rate limit come from the
    run's settings, so every target of a run (the main one, other accounts', the sweep's)
    sends credentials the same way and shares the same pace."""
    key = settings.apikey if apikey is _DEFAULT else apikey
    return Target(base_url, apikey=key, auth=settings.auth, bearer=bearer, app=app,
                  rate_limit=settings.rate_limit)
