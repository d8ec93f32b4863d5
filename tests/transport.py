"""The faithful mock behind a real-world transport, for the no-false-alarm tests.

A live Flexie workspace is PHP behind a web server: it rate-limits (429 or 503 with
Retry-After), gzips answers, escapes JSON as PHP does (`\\/`, `\\uXXXX`), may write the same
instant as `Z` instead of `+00:00`, returns record keys the contract does not name, and takes
tens of milliseconds per request. None of that is a conformance failure, so a conforming
workspace behind any of it must stay green. `Transport` is a WSGI middleware that adds each
of them in front of `workspace.create_app()` without changing the mock.

    python -m tests.transport --variant rate-limit --port 0   # serve one variation
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

#: An instant written with a `+00:00` offset (what the mock writes), as text in a JSON string.
_UTC_OFFSET = re.compile(r'("\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)\+00:00"')
#: The key added to every record; no Flexie contract names it.
UNKNOWN_KEY = "x_unknown_vendor_field"


@dataclass(frozen=True)
class Switches:
    """What the transport does to each exchange; all off is the mock as it is."""

    rate_limit_every: int = 0  # every Nth request is refused, alternately 429 and 503
    retry_after: str = "1"
    gzip: bool = False  # gzip every answer the client accepts gzip for
    php_json: bool = False  # re-encode JSON as PHP's json_encode does (`\/`, `\uXXXX`)
    zulu_dates: bool = False  # `+00:00` -> `Z` in every date-time of an answer
    unknown_keys: bool = False  # add a key the contract does not name to every record
    latency_s: float = 0.0  # sleep before each answer
    #: Bytes appended to every JSON answer: a broken workspace (a PHP notice after the JSON),
    #: not a variation a conforming one may have; no entry of VARIANTS uses it.
    trailing: bytes = b""


#: The variations the tests and the false-alarm benchmark run through.
VARIANTS: dict[str, Switches] = {
    "rate-limit": Switches(rate_limit_every=97),
    "gzip": Switches(gzip=True),
    "php-json": Switches(php_json=True),
    "zulu-dates": Switches(zulu_dates=True),
    "unknown-keys": Switches(unknown_keys=True),
    "latency": Switches(latency_s=0.040),
}


@dataclass
class Counters:
    """What the transport did, so a test can show the variation really happened."""

    requests: int = 0
    refused: dict[int, int] = field(default_factory=dict)
    gzipped: int = 0
    rewritten: int = 0
    dates: int = 0  # date-times rewritten to `Z`
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def _with_unknown_keys(value: Any) -> Any:
    """Every record (an object with an id) gains UNKNOWN_KEY, nested ones too."""
    if isinstance(value, list):
        return [_with_unknown_keys(v) for v in value]
    if isinstance(value, dict):
        out = {k: _with_unknown_keys(v) for k, v in value.items()}
        if "id" in out:
            out[UNKNOWN_KEY] = {"vendor": "extension", "flag": True}
        return out
    return value


def php_encode(value: Any) -> str:
    """JSON as PHP's json_encode writes it by default: non-ASCII as \\uXXXX, `/` as `\\/`."""
    return json.dumps(value, ensure_ascii=True).replace("/", "\\/")


class Transport:
    """WSGI middleware: the switches applied to every request and answer of `app`."""

    def __init__(self, app: Callable, switches: Switches) -> None:
        self.app = app
        self.switches = switches
        self.counters = Counters()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        s = self.switches
        with self.counters.lock:
            self.counters.requests += 1
            n = self.counters.requests
        if s.latency_s:
            time.sleep(s.latency_s)
        if s.rate_limit_every and n % s.rate_limit_every == 0:
            status = 429 if (n // s.rate_limit_every) % 2 else 503
            with self.counters.lock:
                self.counters.refused[status] = self.counters.refused.get(status, 0) + 1
            body = json.dumps({"error": {"code": status, "message": "slow down"}}).encode()
            start_response(f"{status} {'Too Many Requests' if status == 429 else 'Busy'}",
                           [("Content-Type", "application/json"),
                            ("Retry-After", s.retry_after),
                            ("Content-Length", str(len(body)))])
            return [body]
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = self.app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        body = self._rewrite(body, headers)
        if s.trailing and body and any(k.lower() == "content-type" and "json" in v
                                       for k, v in headers):
            body += s.trailing
        if s.gzip and body and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
            headers.append(("Vary", "Accept-Encoding"))
            with self.counters.lock:
                self.counters.gzipped += 1
        headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers)
        return [body]

    def _rewrite(self, body: bytes, headers: list) -> bytes:
        s = self.switches
        kind = next((v for k, v in headers if k.lower() == "content-type"), "")
        if not body or "json" not in kind or not (s.php_json or s.zulu_dates or s.unknown_keys):
            return body
        try:
            value = json.loads(body)
        except ValueError:
            return body  # not JSON after all: passed on as it is
        if s.unknown_keys:
            value = _with_unknown_keys(value)
        text = php_encode(value) if s.php_json else json.dumps(value)
        dates = 0
        if s.zulu_dates:
            text, dates = _UTC_OFFSET.subn(r'\1Z"', text)
        with self.counters.lock:
            self.counters.rewritten += 1
            self.counters.dates += dates
        return text.encode()


def wrap(variant: str | Switches, app: Any = None) -> Transport:
    """The faithful mock (a fresh one unless `app` is given) behind one variation."""
    from workspace import create_app

    switches = VARIANTS[variant] if isinstance(variant, str) else variant
    return Transport(app if app is not None else create_app(), switches)


@contextmanager
def served(variant: str | Switches, **overrides: Any) -> Iterator[tuple[str, Transport]]:
    """A fresh mock behind `variant` on a free loopback port: yields its /api URL and the
    middleware (its counters), and stops the server afterwards."""
    from workspace.server import serve_in_thread

    switches = VARIANTS[variant] if isinstance(variant, str) else variant
    transport = wrap(replace(switches, **overrides))
    base, stop = serve_in_thread(transport, host="127.0.0.1", port=0, threads=8)
    try:
        yield base.rstrip("/") + "/api", transport
    finally:
        stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.transport", description=__doc__)
    parser.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    from workspace.server import serve_until_signalled

    serve_until_signalled(wrap(args.variant), port=args.port, note=f" ({args.variant})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
