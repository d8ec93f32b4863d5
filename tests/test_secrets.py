"""Failing runs keep the key secret: no configured secret in any byte a run writes.

The mock is served over HTTP with an accounts file whose keys, client secret and token are
distinctive, and the suite runs against it as against a live workspace, once per fault family,
so that it fails. Then every file of the reports folder (JUnit XML, pytest-html, conformance
json/html, the ledger, a log file) and the run's stdout and stderr are searched for every
secret and every 8-character piece of one (a shortened repr keeps the ends of a value).

Each run carries its secrets where only the redaction keeps them out: with every redaction
switched off (tests/no_redaction.py) the same run writes them, so each run's clean verdict
shows a leak there would be caught.
"""

from __future__ import annotations

import re
import secrets as random_tokens
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.suite_runner import ROOT, SuiteRun, run_suite
from workspace import create_app
from workspace.server import serve_in_thread

DEMO_ACCOUNTS = ROOT / "workspace" / "demo_accounts.toml"
REPORTS = ("junit.xml", "pytest-report.html", "conformance.json", "conformance.html",
           "ledger.jsonl")
PIECE = 8  # every run of this many characters of a secret counts as a leak


@dataclass(frozen=True)
class Secrets:
    accounts_file: Path
    apikey: str
    other_apikey: str
    client_id: str
    client_secret: str

    def values(self, token: str | None = None) -> list[str]:
        return [self.apikey, self.other_apikey, self.client_secret, *([token] if token else [])]

    def named(self, token: str) -> dict[str, str]:
        return {"apikey": self.apikey, "client_secret": self.client_secret, "token": token}


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Secrets:
    """The demo accounts under other names, with distinctive keys and client secrets."""
    # No words in the secrets: every 8-character piece counts as a leak, and a piece such as
    # "-other-a" would also match the option name "--flexie-other-apikey" in replay lines.
    main, other = (f"s3cr3t{who}{random_tokens.token_hex(8)}" for who in ("M", "O"))
    client_secret = f"s3cr3tC{random_tokens.token_hex(8)}"
    text = DEMO_ACCOUNTS.read_text(encoding="utf-8")
    replacements = {
        'name = "acme"': 'name = "secretco"', 'name = "globex"': 'name = "otherco"',
        '"acme-demo-key"': f'"{main}"', '"globex-demo-key"': f'"{other}"',
        '"acme-viewer-key"': '"secretco-viewer-key"',
        '"globex-viewer-key"': '"otherco-viewer-key"',
        '"acme-client"': '"secretco-client"', '"globex-client"': '"otherco-client"',
        '"acme-secret"': f'"{client_secret}"', '"globex-secret"': '"otherco-client-secret"',
    }
    for old, new in replacements.items():
        assert old in text, f"{DEMO_ACCOUNTS} no longer has {old}: update this test"
        text = text.replace(old, new)
    path = tmp_path_factory.mktemp("accounts") / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    return Secrets(path, main, other, "secretco-client", client_secret)


@contextmanager
def served(accounts: Secrets, fault: str) -> Iterator[str]:
    """The mock with `fault`, on a loopback port, as a live workspace: its base URL (/api)."""
    app = create_app(accounts_file=accounts.accounts_file, faults=[fault])
    base, stop = serve_in_thread(app, host="127.0.0.1", port=0)
    try:
        yield base.rstrip("/") + "/api"
    finally:
        stop()


def _leaks(text: str, values: list[str]) -> list[str]:
    found = []
    for secret in values:
        pieces = {secret[i:i + PIECE] for i in range(len(secret) - PIECE + 1)}
        found += [f"{piece!r} of {secret[:6]}..." for piece in sorted(pieces) if piece in text]
    return found


def _outputs(run: SuiteRun, reports: Path) -> dict[str, str]:
    """Every text the run wrote, by where: its stdout and stderr, each file of its reports."""
    return {"stdout/stderr": run.output} | {
        str(p.relative_to(reports)): p.read_bytes().decode("utf-8", "replace")
        for p in sorted(reports.rglob("*")) if p.is_file()}


def assert_no_secret(run: SuiteRun, reports: Path, values: list[str]) -> None:
    for name in REPORTS:
        assert (reports / name).is_file(), f"the run wrote no {name}:\n{run.output[-3000:]}"
    where = _outputs(run, reports)
    leaks = {name: hits for name, text in where.items() if (hits := _leaks(text, values))}
    assert not leaks, f"secrets in the output: {leaks}"
    # An OAuth token the run obtained is redacted by shape as well.
    bearer = re.compile(r"Bearer (?!\[REDACTED\])[A-Za-z0-9._~+/-]{8,}")
    assert not {name for name, text in where.items() if bearer.search(text)}


def _token(url: str, accounts: Secrets) -> str:
    origin = url.rsplit("/api", 1)[0]
    resp = requests.post(f"{origin}/oauth2/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": accounts.client_id,
        "client_secret": accounts.client_secret})
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def _suite(url: str, accounts: Secrets, reports: Path, *args: str) -> SuiteRun:
    return run_suite("--flexie-url", url, "--flexie-apikey", accounts.apikey,
                     "--flexie-other-apikey", accounts.other_apikey,
                     "--flexie-ce-table", "projects", "--flexie-coverage", "off", *args,
                     reports=reports, seed=1)


#: One fault per family, with a selection that fails fast, a way of passing the credentials,
#: and the secrets the run writes unless redacted (and where): the key in a header (the
#: failures' curl lines; with every local shown, Schemathesis's cases), in the query (URLs,
#: with DEBUG logs of every request in a log file), an OAuth token and client secret (two
#: xdist workers; the suite never writes these, so tests/echo_secrets.py does, as careless
#: code in the process would).
RUNS = {
    "status": ("create-status-200", (
        "-k", "test_operation and POST and contacts and new and not edit and not batch"),
        ("apikey",)),
    "persistence": ("delete-not-persisted", (
        "--showlocals", "-k", "DELETE and contacts and not lists and not coverage"),
        ("apikey",)),
    "auth": ("wrong-key-accepted", (
        "--flexie-oauth-token", "{token}", "--flexie-oauth-client-id", "{client_id}",
        "--flexie-oauth-client-secret", "{client_secret}", "-n", "2",
        "-p", "tests.echo_secrets",
        "-k", "test_probes and GET and contacts and not id and not list"),
        ("token", "client_secret")),
    "errors-not-json": ("error-not-json", (
        "--flexie-auth", "query", "--log-level", "DEBUG", "--log-file", "{reports}/debug.log",
        "--log-file-level", "DEBUG",
        "-k", "test_operation and GET and contacts and not id and not list"),
        ("apikey",)),
}
#: Every redaction off: the plugin over pytest's output, and (tests/no_redaction.py) the
#: redaction of curl lines and reports and Schemathesis's sanitization of its own output.
NO_REDACTION = ("-p", "no:conformance.plugin.redaction", "-p", "tests.no_redaction")


def _failing_run(accounts: Secrets, reports: Path, family: str,
                 *extra: str) -> tuple[SuiteRun, str]:
    """The family's run, failing on its fault as it must: (the run, the OAuth token given)."""
    fault, template, _ = RUNS[family]
    with served(accounts, fault) as url:
        # The secrets are what the target knows: the key (in the header or the query) and
        # the other account's key open their accounts, a made-up key does not.
        for key in (accounts.apikey, accounts.other_apikey):
            assert requests.get(f"{url}/users/self", headers={"apikey": key},
                                timeout=10).status_code == 200
        assert requests.get(f"{url}/users/self", params={"apikey": accounts.apikey},
                            timeout=10).status_code == 200
        if fault != "wrong-key-accepted":
            assert requests.get(f"{url}/users/self", headers={"apikey": "s3cr3t-nobody"},
                                timeout=10).status_code == 401
        token = _token(url, accounts)
        args = [a.format(token=token, client_id=accounts.client_id,
                         client_secret=accounts.client_secret, reports=reports)
                for a in template]
        run = _suite(url, accounts, reports, *args, *extra)
    assert run.code == 1, f"the {fault} run did not fail:\n{run.output[-3000:]}"
    assert " failed" in run.output
    return run, token


@pytest.mark.parametrize("family", list(RUNS))
def test_a_failing_run_writes_no_secret(accounts: Secrets, tmp_path: Path, family: str):
    run, token = _failing_run(accounts, tmp_path, family)
    assert_no_secret(run, tmp_path, accounts.values(token))


@pytest.mark.parametrize("family", list(RUNS))
def test_without_redaction_each_run_would_leak(accounts: Secrets, tmp_path: Path,
                                               family: str):
    """The control of the test above: the same run with every redaction switched off writes
    each secret it carries, and the search finds it, so its clean verdict means something."""
    run, token = _failing_run(accounts, tmp_path, family, *NO_REDACTION)
    carried = {name: value for name, value in accounts.named(token).items()
               if name in RUNS[family][2]}
    where = _outputs(run, tmp_path)
    unwritten = [name for name, value in carried.items()
                 if not any(_leaks(text, [value]) for text in where.values())]
    assert not unwritten, f"without redaction the {family} run still writes no {unwritten}"
    with pytest.raises(AssertionError, match="secrets in the output"):
        assert_no_secret(run, tmp_path, list(carried.values()))


def test_without_the_redaction_plugin_the_same_run_would_leak(accounts: Secrets,
                                                               tmp_path: Path):
    """The plugin alone is what keeps the key out of pytest's output: with it off (the other
    layers on), Schemathesis's Case repr among the locals shows the key in its headers."""
    fault, args, _ = RUNS["persistence"]
    with served(accounts, fault) as url:
        run = _suite(url, accounts, tmp_path, *args, "-p", "no:conformance.plugin.redaction")
    assert run.code == 1, run.output[-3000:]
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert _leaks(run.output, [accounts.apikey]) and _leaks(junit, [accounts.apikey])


_HOOK_ORDER = """
import sys, pytest
class Probe:
    def pytest_collection_finish(self, session):
        for name in ("pytest_runtest_makereport", "pytest_make_collect_report"):
            impls = getattr(session.config.hook, name).get_hookimpls()
            # pluggy calls the last one first: the last wrapper is the outermost
            print(name, *[i.plugin_name for i in reversed(impls)
                          if i.hookwrapper or i.wrapper])
sys.exit(pytest.main(["conformance", "--collect-only", "-q", "-p", "no:cacheprovider",
                      "--flexie-reports", sys.argv[1], "-k", "no_test_has_this_name"],
                     plugins=[Probe()]))
"""


def test_the_redaction_sees_reports_last(tmp_path: Path):
    """Its wrappers are the outermost: they see a report after conformance.plugin.hooks added its
    "flexie replay" section (and every other wrapper its parts), before any reporter."""
    proc = subprocess.run([sys.executable, "-c", _HOOK_ORDER, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    lines = {line.split()[0]: line.split()[1:] for line in proc.stdout.splitlines()
             if line.startswith("pytest_")}
    assert set(lines) == {"pytest_runtest_makereport", "pytest_make_collect_report"}, (
        proc.stdout + proc.stderr)
    for wrappers in lines.values():
        assert wrappers[0] == "conformance.plugin.redaction", wrappers
    assert "conformance.plugin.hooks" in lines["pytest_runtest_makereport"]


def test_objects_holding_credentials_do_not_render_them():
    from conformance.config.settings import Settings
    from conformance.engine.target import Target

    target = Target("http://127.0.0.1:1/api", apikey="s3cr3t-repr-key", bearer="s3cr3t-bearer")
    settings = Settings(url="http://127.0.0.1:1/api", apikey="s3cr3t-repr-key",
                        other_apikey="s3cr3t-repr-other", oauth_token="s3cr3t-bearer",
                        oauth_client_secret="s3cr3t-repr-client")
    for text in (repr(target), str(target), repr(settings), str(settings)):
        assert "s3cr3t" not in text and "[REDACTED]" in text, text
    assert "http://127.0.0.1:1/api" in repr(target) and "seed=" in repr(settings)


def test_a_shortened_repr_keeps_neither_end_of_a_secret():
    """pytest shows arguments through saferepr, which keeps both ends of a long repr."""
    from _pytest._io.saferepr import saferepr

    from conformance.report.redact import redact

    secret = f"s3cr3t-{random_tokens.token_hex(8)}"

    class Holder:  # like a dataclass whose long repr ends shortly after a key
        def __repr__(self) -> str:
            return f"Holder(padding={'x' * 300!r}, other_apikey={secret!r}, {'y' * 100})"

    shortened = saferepr(Holder(), maxsize=240)
    assert secret not in shortened and _leaks(shortened, [secret]), shortened
    assert not _leaks(redact(shortened, [secret]), [secret])
    assert redact(redact(shortened, [secret]), [secret]) == redact(shortened, [secret])
