"""No false alarms from a real transport: the faithful mock behind rate limits, gzip, PHP's
JSON escapes, `Z` date-times, unknown record keys and latency (tests/transport.py) keeps the
suite green in live mode; a rate limit that outlasts the retries is a failure naming the
operation; the report counts requests and retries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.engine.target import MAX_WAIT_S, RetriesExhausted, Target, TargetError, retry_after
from conformance.observed import SETUP_BUCKET, Traffic, calling
from tests.suite_runner import run_suite
from tests.transport import VARIANTS, Switches, php_encode, served

LIVE = ("--flexie-apikey", "acme-demo-key", "--flexie-other-apikey", "globex-demo-key",
        "--flexie-ce-table", "projects", "--flexie-coverage", "off", "-n", "2")

#: The variations besides the rate limit run a representative part of the suite: one record
#: kind's operations (reads, writes read back, probes), tasks and notes, and every scenario.
SUBSET = ("-m", "contacts or tasks or notes or scenario")


def _app(status: int, headers: list[tuple[str, str]], body: bytes = b'{"error": "busy"}'):
    calls: list[str] = []

    def app(environ, start_response):
        calls.append(environ["PATH_INFO"])
        start_response(f"{status} X", [("Content-Type", "application/json"), *headers])
        return [body]
    return app, calls


def test_a_rate_limit_that_outlasts_the_retries_fails_naming_the_operation():
    app, calls = _app(429, [("Retry-After", "0")])
    traffic = Traffic()
    target = Target("http://localhost/api", apikey="k", app=app, retries=2, traffic=traffic)
    # In the call phase of an operation's test (the plugin's pytest_runtest_call).
    with calling("GET /contacts/{id}"), pytest.raises(RetriesExhausted) as raised:
        target.request("GET", "/contacts/7")
    message = str(raised.value)
    assert "GET /contacts/7 (testing GET /contacts/{id})" in message
    assert "HTTP 429 after 2 retries" in message
    assert len(calls) == 3
    assert traffic.requests == {"GET /contacts/{id}": 3}
    assert traffic.retries == {"GET /contacts/{id}": 2}


def test_a_busy_answer_is_retried_until_the_workspace_answers(monkeypatch):
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    answers = iter([(503, "0"), (429, "0")])

    def app(environ, start_response):
        status, wait = next(answers, (200, None))
        headers = [("Content-Type", "application/json")]
        if wait is not None:
            headers.append(("Retry-After", wait))
        start_response(f"{status} X", headers)
        return [b'{"user": {"id": 1}}']
    target = Target("http://localhost/api", apikey="k", app=app)
    assert target.request("GET", "/users/self").status == 200
    assert target.traffic.requests == {SETUP_BUCKET: 3}
    assert target.traffic.retries == {SETUP_BUCKET: 2}


def test_a_503_without_retry_after_is_an_answer_not_a_wait():
    app, calls = _app(503, [])
    target = Target("http://localhost/api", apikey="k", app=app)
    assert target.request("GET", "/users/self").status == 503
    assert len(calls) == 1 and target.traffic.total_retries == 0


def test_retry_after_is_seconds_or_a_date_and_capped():
    assert retry_after(429, {"retry-after": "2"}, 0) == 2.0
    assert retry_after(429, {"retry-after": "3600"}, 0) == MAX_WAIT_S
    assert retry_after(503, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0) == 0.0
    assert retry_after(429, {}, 2) == 4.0  # no Retry-After: 1, 2, 4 s
    assert retry_after(503, {}, 0) is None
    assert retry_after(200, {"retry-after": "1"}, 0) is None


def test_a_2xx_body_that_is_not_json_is_named_at_preflight():
    app, _ = _app(200, [("Content-Type", "text/html")], b"<!DOCTYPE html><p>Welcome</p>")
    target = Target("http://localhost/api", apikey="k", app=app)
    with pytest.raises(TargetError) as raised:
        target.preflight()
    message = str(raised.value)
    assert "does not conform" in message and "not JSON" in message
    assert "text/html" in message and "<!DOCTYPE html>" in message


def test_a_workspace_whose_json_carries_trailing_bytes_fails_the_verdict(tmp_path):
    """A Flexie API that breaks every JSON answer (a PHP notice after it) is a failed verdict
    named by its check (exit 1, like a setup failure), not a usage error (exit 4): the user
    gave the right URL and key, the workspace broke the contract."""
    with served(Switches(trailing=b"\n<br /><b>Notice</b>: Undefined index")) as (url, _):
        run = run_suite("--flexie-url", url, *LIVE, "--flexie-coverage", "off",
                        reports=tmp_path)
    assert run.code == 1, run.output[-3000:]
    assert "broke the contract at its first request" in run.output
    assert "Traceback" not in run.output
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["verdict"] == "failed"
    assert [(f["operation"], f["check"]) for f in report["failures"]] == [
        ("GET /users/self", "ST109 JSON deserialization error")]
    assert "not JSON" in report["failures"][0]["message"]
    assert "GET /users/self" in (tmp_path / "conformance.html").read_text()


def test_php_encoding_escapes_as_php_does():
    assert php_encode({"url": "https://x.io/a", "name": "Zoë"}) == \
        '{"url": "https:\\/\\/x.io\\/a", "name": "Zo\\u00eb"}'


def _live(url: str, reports: Path, *extra: str):
    run = run_suite("--flexie-url", url, *LIVE, *extra, reports=reports)
    report = json.loads((reports / "conformance.json").read_text())
    return run, report


def test_rate_limited_workspace_stays_green_and_retries_are_counted(tmp_path):
    with served("rate-limit") as (url, transport):
        run, report = _live(url, tmp_path)
    refused = transport.counters.refused
    assert run.code == 0, run.output[-3000:]
    assert report["verdict"] == "passed"
    assert refused.get(429) and refused.get(503), refused
    traffic = report["traffic"]
    assert traffic["retries"] == sum(refused.values())
    assert traffic["requests"] == transport.counters.requests
    assert sum(op["retries"] for op in report["operations"]) + \
        sum(o["retries"] for o in traffic["other"]) == traffic["retries"]
    assert "retried after 429/503" in run.output


@pytest.mark.parametrize("variant", sorted(set(VARIANTS) - {"rate-limit"}))
def test_real_transport_variation_stays_green(variant, tmp_path):
    with served(variant) as (url, transport):
        run, report = _live(url, tmp_path, *SUBSET)
    assert run.code == 0, run.output[-3000:]
    assert report["verdict"] == "passed"
    counters = transport.counters
    assert counters.requests == report["traffic"]["requests"]
    if variant == "gzip":
        assert counters.gzipped > 100
    elif variant != "latency":
        assert counters.rewritten > 100
    if variant == "zulu-dates":
        assert counters.dates > 100


def test_the_rate_limit_is_shared_by_the_xdist_workers(tmp_path):
    """Every target of one workspace (in every xdist worker) paces through one shared file;
    another account's key is another workspace with its own; the budget is the run's."""
    from conformance.config.settings import Settings
    from conformance.engine.pacing import rate_file, shared_pace
    from conformance.engine.target import make_target

    settings = Settings(apikey="own", rate_limit=10.0, budget=50, reports=tmp_path,
                        pace_file=tmp_path / "pace")
    one = make_target(settings, base_url="http://127.0.0.1:9/api")
    again = make_target(settings, base_url="http://127.0.0.1:9/api/")
    other = make_target(settings, base_url="http://127.0.0.1:9/api", apikey="other")
    assert one.pace is again.pace and one.pace is not other.pace
    assert one.pace.rate.path == rate_file(settings, "http://127.0.0.1:9/api own")
    assert one.pace.budget is other.pace.budget is shared_pace(settings)
    assert one.pace.interval == other.pace.interval == 0.1
    assert make_target(Settings(reports=tmp_path), base_url="http://x/api").pace is None
