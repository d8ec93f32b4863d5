"""The alias checks against the mock's demo accounts: a correct accounts file passes, and one
that expects a missing alias, a wrong type or a missing option fails naming account, entity
and alias."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.suite_runner import run_suite
from workspace.accounts import DEMO_FILE as DEMO


def _accounts(tmp_path: Path, old: str, new: str) -> str:
    text = DEMO.read_text()
    assert old in text, old
    path = tmp_path / "accounts.toml"
    path.write_text(text.replace(old, new, 1))
    return str(path)


@pytest.mark.slow
def test_a_correct_accounts_file_passes(tmp_path):
    run = run_suite("--flexie-accounts", str(DEMO), "-m", "aliases", reports=tmp_path)
    assert run.code == 0, run.output[-3000:]
    report = json.loads((tmp_path / "conformance.json").read_text())
    rows = report["aliases"]
    assert {r["account"] for r in rows} == {"acme", "globex"}
    assert all(r["present"] and r["type_ok"] and r["round_trip"] == "passed" for r in rows)


MISMATCHES = {
    "missing alias": ('alias = "industry_code"', 'alias = "industry_class"',
                      "missing alias 'industry_class'"),
    "wrong type": ('alias = "vip"\ntype = "boolean"', 'alias = "vip"\ntype = "text"',
                   "alias 'vip' is 'boolean', expected 'text'"),
    "missing option": ('options = ["AGR", "MAN", "RET", "TEC", "FIN"]',
                       'options = ["AGR", "MAN", "RET", "TEC", "FIN", "GOV"]',
                       "alias 'industry_code' lacks option(s) GOV"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MISMATCHES))
def test_a_wrong_expectation_fails_naming_account_entity_and_alias(tmp_path, name):
    old, new, message = MISMATCHES[name]
    accounts = _accounts(tmp_path, old, new)
    run = run_suite("--flexie-accounts", accounts, "-m", "aliases", "-k",
                    "test_fields_match_expectation", reports=tmp_path)
    assert run.code == 1, run.output[-3000:]
    assert "account acme, contacts" in run.output and message in run.output, run.output[-3000:]
    if name == "missing alias":  # the alias the account really has is then unexpected
        assert "unexpected alias 'industry_code'" in run.output


TYPED = """
[[account]]
name = "initech"
api_key = "initech-key"

[[account.field]]
entity = "contacts"
alias = "badge_number"
type = "integer"
unique = true

[[account.field]]
entity = "contacts"
alias = "shift"
type = "select"
options = ["early", "late"]
required = true

[[account.field]]
entity = "leads"
alias = "scorecard"
type = "number"
required = true
unique = true

[[account.field]]
entity = "deals"
alias = "deal_email"
type = "email"
unique = true

[[account.table]]
name = "assets"

[[account.table.field]]
alias = "serial"
type = "integer"
unique = true

[[account.table.field]]
alias = "acquired_on"
type = "date"
unique = true

[[account.table.field]]
alias = "kind"
type = "select"
options = ["laptop", "phone"]
required = true
"""


@pytest.mark.slow
def test_unique_and_required_fields_of_any_type_round_trip(tmp_path):
    """Unique fields get a run-scoped value valid for their type, required ones a drawn one."""
    from workspace import create_app
    from workspace.server import serve_in_thread

    accounts = tmp_path / "typed.toml"
    accounts.write_text(TYPED)
    base, stop = serve_in_thread(create_app(accounts_file=accounts), host="127.0.0.1", port=0)
    try:
        run = run_suite("--flexie-url", base.rstrip("/") + "/api", "--flexie-apikey",
                        "acme-demo-key", "--flexie-ce-table", "projects", "--flexie-accounts",
                        str(accounts), "-m", "aliases", reports=tmp_path)
    finally:
        stop()
    assert run.code == 0, run.output[-3000:]
    rows = json.loads((tmp_path / "conformance.json").read_text())["aliases"]
    assert len(rows) == 7 and all(r["round_trip"] == "passed" for r in rows), rows
