"""Each key's own rate limit, as a Flexie workspace limits each account: a WSGI middleware.

Every credential (the `apikey` header or query parameter, or a bearer token) has a token
bucket holding one second of requests (at least one); a request that finds it empty is
answered 429 with `Retry-After` (whole seconds until the next token, as HTTP writes it) and
the Flexie error body. Keys never wait for each other: a client that hammers one account
slows that account alone.

    flexie-mock --rate-limit-per-key 2    # two requests a second per key
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from workspace.exceptions import ApiError


def credential(environ: dict) -> str:
    """Who a request speaks for: its key or token ("" when it names none)."""
    key = environ.get("HTTP_APIKEY")
    if key:
        return key
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if query.get("apikey"):
        return query["apikey"][0]
    return environ.get("HTTP_AUTHORIZATION", "")


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class PerKeyLimit:
    """`app` behind a limit of `per_second` requests per key (burst: one second's worth)."""

    app: Callable[..., Iterable[bytes]]
    per_second: float
    clock: Callable[[], float] = time.monotonic
    refused: dict[str, int] = field(default_factory=dict)  # per key, for tests and benches
    _buckets: dict[str, _Bucket] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.per_second <= 0:
            raise ValueError(f"the rate limit per key must be positive, not {self.per_second}")
        self.capacity = max(1.0, self.per_second)

    def wait_for(self, key: str) -> float:
        """Take a token for `key`: 0 when there was one, else the seconds until there is."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(self.capacity, now))
            bucket.tokens = min(self.capacity,
                                bucket.tokens + (now - bucket.at) * self.per_second)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            self.refused[key] = self.refused.get(key, 0) + 1
            return (1.0 - bucket.tokens) / self.per_second

    def __call__(self, environ: dict, start_response: Callable[..., object]) -> Iterable[bytes]:
        wait = self.wait_for(credential(environ))
        if not wait:
            return self.app(environ, start_response)
        error = ApiError(f"Too many requests for this key: at most {self.per_second:g} a "
                         "second. Retry after the time Retry-After gives.", status=429)
        body = json.dumps(error.body()).encode()
        start_response("429 Too Many Requests", [
            ("Content-Type", "application/json"), ("Retry-After", str(math.ceil(wait))),
            ("Content-Length", str(len(body)))])
        return [body]
