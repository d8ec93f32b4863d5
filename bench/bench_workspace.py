"""Requests per second of the mocked workspace, beside a trivial JSON app as the ceiling.

    python bench/bench_workspace.py [--requests 2000] [--server waitress]

Measures GET-by-id and create, in process (werkzeug's test Client) and over HTTP on loopback
(requests.Session against waitress with the same settings `flexie-mock` uses), and prints a
table with the ratio to the trivial app measured the same way. Targets: in process >= 3,000
GET-by-id/s; over HTTP >= 70% of the trivial app's rate. Not a test: numbers vary by machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from werkzeug.test import Client

from workspace import create_app
from workspace.server import serve_in_thread

KEY = {"apikey": "acme-demo-key"}
TRIVIAL_BODY = json.dumps({"contact": {"id": 1, "first_name": "Ada"}}).encode()


def trivial_app(environ: dict, start_response: Callable[..., Any]) -> list[bytes]:
    """The ceiling: a WSGI app that answers a fixed JSON body, reading the body it gets."""
    stream = environ.get("wsgi.input")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if stream is not None and length:
        stream.read(length)
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(TRIVIAL_BODY)))])
    return [TRIVIAL_BODY]


def rate(fn: Callable[[int], None], n: int, rounds: int = 3) -> float:
    """Best-of-rounds requests per second of n calls (a warm-up round first)."""
    fn(-1)
    results = []
    for r in range(rounds):
        start = time.perf_counter()
        for i in range(n):
            fn(r * n + i)
        results.append(n / (time.perf_counter() - start))
    return max(results) if rounds > 1 else statistics.mean(results)


def contact_body(i: int) -> dict:
    return {"first_name": "Bench", "last_name": f"N{i}", "email": f"bench{i}@example.com",
            "city": "London"}


def in_process(n: int) -> dict[str, float]:
    app = create_app()
    c = Client(app)
    rid = c.post("/api/contacts/new", headers=KEY, json=contact_body(-9)).json["contact"]["id"]
    trivial = Client(trivial_app)

    def get(i: int) -> None:
        assert c.get(f"/api/contacts/{rid}", headers=KEY).status_code == 200

    def create(i: int) -> None:
        assert c.post("/api/contacts/new", headers=KEY, json=contact_body(i)).status_code == 201

    return {
        "GET by id": rate(get, n),
        "create": rate(create, n),
        "trivial GET": rate(lambda i: trivial.get(f"/api/contacts/{rid}", headers=KEY), n),
        "trivial POST": rate(lambda i: trivial.post("/api/contacts/new", headers=KEY,
                                                    json=contact_body(i)), n),
    }


def over_http(n: int) -> dict[str, float]:
    app = create_app()
    base, stop = serve_in_thread(app)
    tbase, tstop = serve_in_thread(trivial_app)
    try:
        s = requests.Session()
        s.headers.update(KEY)
        rid = s.post(f"{base}/api/contacts/new", json=contact_body(-9)).json()["contact"]["id"]

        def get(i: int) -> None:
            assert s.get(f"{base}/api/contacts/{rid}").status_code == 200

        def create(i: int) -> None:
            assert s.post(f"{base}/api/contacts/new", json=contact_body(i)).status_code == 201

        return {
            "GET by id": rate(get, n),
            "create": rate(create, n),
            "trivial GET": rate(lambda i: s.get(f"{tbase}/api/contacts/{rid}"), n),
            "trivial POST": rate(lambda i: s.post(f"{tbase}/api/contacts/new",
                                                  json=contact_body(i)), n),
        }
    finally:
        stop()
        tstop()


def over_raw_http(n: int) -> dict[str, float]:
    """The same over http.client: a lighter client, to show the server's own headroom."""
    out: dict[str, float] = {}
    for name, app in (("GET by id", create_app()), ("trivial GET", trivial_app)):
        base, stop = serve_in_thread(app)
        try:
            host, port = base.removeprefix("http://").rsplit(":", 1)
            conn = http.client.HTTPConnection(host, int(port))
            path = "/api/contacts/61"  # the first seeded acme contact

            def get(i: int, conn: http.client.HTTPConnection = conn, path: str = path) -> None:
                conn.request("GET", path, headers=KEY)
                response = conn.getresponse()
                response.read()
                assert response.status == 200
            out[name] = rate(get, n)
            conn.close()
        finally:
            stop()
    out["create"], out["trivial POST"] = float("nan"), float("nan")
    return out


def table(results: dict[str, dict[str, float]]) -> str:
    lines = [f"{'where':<24} {'operation':<10} {'req/s':>9} {'trivial req/s':>14} "
             f"{'ratio':>7}", "-" * 68]
    for where, r in results.items():
        for op, trivial in (("GET by id", "trivial GET"), ("create", "trivial POST")):
            if r[op] != r[op]:  # not measured
                continue
            lines.append(f"{where:<24} {op:<10} {r[op]:>9,.0f} {r[trivial]:>14,.0f} "
                         f"{r[op] / r[trivial]:>6.0%}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    args = parser.parse_args(argv)
    results = {"in process (test Client)": in_process(args.requests),
               "HTTP (requests.Session)": over_http(args.requests),
               "HTTP (http.client)": over_raw_http(args.requests)}
    print(table(results))
    ok_local = results["in process (test Client)"]["GET by id"] >= 3000
    http = results["HTTP (requests.Session)"]
    ok_http = http["GET by id"] >= 0.7 * http["trivial GET"]
    print(f"\ntarget in process >= 3,000 GET/s: {'met' if ok_local else 'MISSED'}; "
          f"over HTTP >= 70% of trivial: {'met' if ok_http else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
