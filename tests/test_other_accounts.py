"""The suite against accounts unlike the demo ones raises no false alarm, and still names what
is wrong with a wrong expectation.

Each test serves the mock over HTTP with one accounts file of tests/accounts/ and runs the
whole suite as a user runs it against a live workspace (`--flexie-url`, the account's key,
`--flexie-accounts`), coverage phase off to stay quick. `umbrella` has every field type,
unique custom fields of integer, email, date, url, select and text type, required select,
country and number fields, options with non-ASCII text and punctuation, lookups and a table
with fields of its own; `hooli` has no table at all, so its custom-entity operations must be
skipped for that one reason and nothing may be sent below /ce/.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.suite_runner import SuiteRun, run_suite
from workspace import create_app
from workspace.server import serve_in_thread

ACCOUNTS = Path(__file__).resolve().parent / "accounts"
UMBRELLA, HOOLI = ACCOUNTS / "umbrella.toml", ACCOUNTS / "hooli.toml"
OTHER_KEY = "globex-demo-key"  # a demo account the mock always serves: isolation checks
NO_TABLE = "no custom-entity table to test"


class Served:
    """The mock serving one accounts file over HTTP, with the paths it was asked for."""

    def __init__(self, accounts: Path) -> None:
        self.paths: list[str] = []
        app = create_app(accounts_file=accounts)

        def recording(environ: dict, start_response: Callable) -> Any:
            self.paths.append(environ.get("PATH_INFO", ""))
            return app(environ, start_response)

        base, self.stop = serve_in_thread(recording, host="127.0.0.1", port=0)
        self.url = base.rstrip("/") + "/api"

    def suite(self, key: str, accounts: Path, *args: str, reports: Path) -> SuiteRun:
        return run_suite("--flexie-url", self.url, "--flexie-apikey", key,
                         "--flexie-other-apikey", OTHER_KEY, "--flexie-accounts", str(accounts),
                         "--flexie-coverage", "off", "-rs", *args, reports=reports)


@pytest.fixture()
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    mock = Served(request.param)
    yield mock
    mock.stop()


def _aliases(reports: Path) -> list[dict]:
    return json.loads((reports / "conformance.json").read_text())["aliases"]


@pytest.mark.parametrize("served", [UMBRELLA], indirect=True)
def test_whole_suite_is_green_on_an_account_with_other_fields_and_table(served, tmp_path):
    run = served.suite("umbrella-test-key", UMBRELLA, reports=tmp_path)
    assert run.code == 0, run.output[-4000:]
    assert NO_TABLE not in run.output  # the table came from the accounts file
    assert any(p.startswith("/api/ce/containers/") for p in served.paths)
    assert not any(p.startswith(("/api/ce/projects", "/api/ce/unknown_table"))
                   for p in served.paths)  # no other account's table, no placeholder
    rows = _aliases(tmp_path)
    assert len(rows) == 25 and all(r["present"] and r["type_ok"] and r["round_trip"] == "passed"
                                   for r in rows), rows


@pytest.mark.parametrize("served", [HOOLI], indirect=True)
def test_whole_suite_is_green_on_an_account_without_a_table(served, tmp_path):
    run = served.suite("hooli-test-key", HOOLI, reports=tmp_path)
    assert run.code == 0, run.output[-4000:]
    assert NO_TABLE in run.output, run.output[-4000:]
    sent = [p for p in served.paths if p.startswith("/api/ce/")]
    assert sent == [], f"requests below /api/ce/ on an account without a table: {sent[:5]}"
    rows = _aliases(tmp_path)
    assert len(rows) == 6 and all(r["round_trip"] == "passed" for r in rows), rows


#: A wrong expectation of umbrella, and the line each difference must be named by.
WRONG = {
    "missing alias": (('alias = "call_window"', 'alias = "call_slot"'),
                      "missing alias 'call_slot'"),
    "unexpected alias": (('alias = "call_window"', 'alias = "call_slot"'),
                         "unexpected alias 'call_window'"),
    "wrong type": (('alias = "member_no"\ntype = "integer"', 'alias = "member_no"\ntype = "text"'),
                   "alias 'member_no' is 'integer', expected 'text'"),
    "missing options": (('options = ["A+", "B/C", "Ünrated"]',
                         'options = ["A+", "B/C", "Ünrated", "D & E", "Zürich, Süd"]'),
                        "alias 'grade' lacks option(s) D & E, Zürich, Süd"),
}


@pytest.mark.parametrize("served", [UMBRELLA], indirect=True)
def test_a_wrong_expectation_fails_naming_each_difference(served, tmp_path):
    text = UMBRELLA.read_text(encoding="utf-8")
    for old, new in dict.fromkeys(change for change, _ in WRONG.values()):
        assert old in text, old
        text = text.replace(old, new, 1)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text, encoding="utf-8")
    run = served.suite("umbrella-test-key", wrong, "-m", "aliases", "-k",
                       "test_fields_match_expectation", reports=tmp_path / "r")
    assert run.code == 1, run.output[-4000:]
    for name, (_, message) in WRONG.items():
        assert message in run.output, f"{name}: {message!r} not named\n{run.output[-4000:]}"
    assert "account umbrella, contacts" in run.output and "account umbrella, accounts" in \
        run.output


def test_the_table_is_the_options_else_the_run_accounts_else_none(monkeypatch):
    from conformance.config.settings import Settings
    from conformance.engine.tables import table_of
    from contract.accounts import load_accounts

    accounts = load_accounts(UMBRELLA) + load_accounts(HOOLI)
    live = {"url": "https://x.flexie.io/api"}

    def table(**values: str) -> str | None:
        return table_of(accounts, Settings.from_values({**live, **values}))

    assert table(apikey="umbrella-test-key") == "containers"  # the run's key names it
    assert table(apikey="k", ce_table="boxes") == "boxes"  # the option wins
    assert table(apikey="k", account="umbrella") == "containers"
    assert table(apikey="hooli-test-key") is None  # its account has no table
    assert table(apikey="unknown-key") is None  # no account of the file is the run's
    assert table_of([], Settings.from_values({**live, "apikey": "k"})) is None
    monkeypatch.setenv("UMBRELLA_KEY_FOR_TEST", "from-env")
    by_env = [a.__class__(**{**a.__dict__, "key_env": "UMBRELLA_KEY_FOR_TEST"})
              for a in load_accounts(UMBRELLA)]
    assert table_of(by_env, Settings.from_values({**live, "apikey": "from-env"})) == \
        "containers"
