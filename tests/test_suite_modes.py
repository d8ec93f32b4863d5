"""Run modes: OAuth 2.0 instead of a key, read-only runs, the rate limit, HTTP transport."""

from __future__ import annotations

import json
import time

import pytest

from conformance.engine.pacing import SharedPace
from tests.suite_runner import run_suite
from workspace import create_app
from workspace.server import serve_in_thread

SMALL = "test_operation and contacts and not lists and not notes and not workflows"


@pytest.fixture()
def live():
    app = create_app()
    base, stop = serve_in_thread(app, host="127.0.0.1", port=0)
    yield app, base.rstrip("/") + "/api"
    stop()


@pytest.mark.slow
def test_oauth_client_credentials_instead_of_a_key(live, tmp_path):
    _, url = live
    run = run_suite("--flexie-url", url, "--flexie-oauth-client-id", "acme-client",
                    "--flexie-oauth-client-secret", "acme-secret", "--flexie-ce-table",
                    "projects", "-k", SMALL, reports=tmp_path)
    assert run.code == 0, run.output[-3000:]
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["target"]["auth"] == "oauth2"
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"acme-secret" not in path.read_bytes(), path


@pytest.mark.slow
def test_read_only_runs_send_nothing_that_writes(live, tmp_path):
    app, url = live
    before = app.backend.snapshot("acme")
    run = run_suite("--flexie-url", url, "--flexie-apikey", "acme-demo-key",
                    "--flexie-read-only", "--flexie-ce-table", "projects",
                    "-k", "test_operation and contacts", reports=tmp_path)
    assert run.code == 0, run.output[-3000:]
    assert "changes data and the run is read-only" in (tmp_path / "junit.xml").read_text()
    assert app.backend.snapshot("acme") == before


@pytest.mark.slow
def test_http_transport_runs_the_embedded_mock_on_a_port(tmp_path):
    run = run_suite("--flexie-transport", "http", "-k", SMALL, reports=tmp_path)
    assert run.code == 0, run.output[-3000:]
    assert "embedded mock workspace (http)" in run.output


def test_rate_limit_paces_requests(tmp_path):
    pace = SharedPace(tmp_path / "pace", per_second=50)
    started = time.monotonic()
    for _ in range(11):
        pace.take()
    assert time.monotonic() - started >= 0.19  # 10 intervals of 20 ms
    unlimited = SharedPace(tmp_path / "other")
    started = time.monotonic()
    for _ in range(1000):
        unlimited.take()
    assert time.monotonic() - started < 0.5


def test_a_setup_failure_with_two_workers_is_one_finding_not_a_crash(tmp_path):
    """With -n 2 a workspace that breaks setup ends the run with exit 1 and the one failure
    that stopped it (pytest.exit inside an xdist worker used to crash the controller)."""
    run = run_suite("-n", "2", "--flexie-mock-fault", "envelope-renamed",
                    "--flexie-coverage", "off", reports=tmp_path)
    assert run.code == 1, run.output[-3000:]
    assert "INTERNALERROR" not in run.output
    assert "creating the records the suite works on failed" in run.output
    failures = json.loads((tmp_path / "conformance.json").read_text())["failures"]
    assert [(f["operation"], f["check"]) for f in failures] == [
        ("POST /contacts/new", "ST108 Response violates schema")]
