"""Bad input stops the suite at once with one readable line, never a traceback."""

from __future__ import annotations

import pytest

from tests.suite_runner import run_suite
from workspace import create_app
from workspace.server import serve_in_thread


@pytest.fixture(scope="module")
def served():
    base, stop = serve_in_thread(create_app(), host="127.0.0.1", port=0)
    yield base.rstrip("/") + "/api"
    stop()


def _bad_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"swagger": "2.0", "info": ')
    return str(path)


CASES = {
    "unreachable URL": (lambda tmp, url: ["--flexie-url", "http://127.0.0.1:9/api",
                                          "--flexie-apikey", "k"],
                        "cannot reach http://127.0.0.1:9/api: connection refused"),
    "unknown host": (lambda tmp, url: ["--flexie-url", "http://no-such-host.invalid/api",
                                       "--flexie-apikey", "k"], "host name not found (DNS)"),
    "wrong key": (lambda tmp, url: ["--flexie-url", url, "--flexie-apikey", "wrong-key"],
                  "refused the API key"),
    "URL without key": (lambda tmp, url: ["--flexie-url", url], "needs --flexie-apikey"),
    "spec not JSON": (lambda tmp, url: ["--spec", _bad_json(tmp)], "spec is not valid JSON"),
    "missing spec": (lambda tmp, url: ["--spec", str(tmp / "none.json")], "spec not found"),
    "unknown account": (lambda tmp, url: ["--flexie-account", "nobody"], "'nobody' is not in"),
    "bad accounts file": (lambda tmp, url: ["--flexie-accounts", _bad_json(tmp)],
                          "is not valid TOML"),
    "unknown fault": (lambda tmp, url: ["--flexie-mock-fault", "nope"], "unknown fault"),
    "unknown fault route": (lambda tmp, url: ["--flexie-mock-fault",
                                              "edit-creates@PATCH /acounts/edit"],
                            "did you mean PATCH /accounts/edit"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_one_readable_line(tmp_path, served, name):
    make_args, expected = CASES[name]
    run = run_suite(*make_args(tmp_path, served), reports=tmp_path)
    errors = [line for line in run.output.splitlines() if line.startswith("ERROR:")]
    assert run.code == 4, run.output[-2000:]
    assert len(errors) == 1 and expected in errors[0], run.output[-2000:]
    assert "Traceback" not in run.output
    assert "wrong-key" not in run.output or name != "wrong key"
