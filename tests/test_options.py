"""The option table drives the pytest options, their environment variables, the settings and
the README's configuration table: these tests keep the four in step."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from conformance.config.options import OPTIONS, OptionError, raw_values, readme_table
from conformance.config.settings import DEMO_KEY, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_readme_configuration_table_is_the_option_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_table() in readme, (
        "README's configuration table differs from conformance/config/options.py; "
        "paste the output of `python -m conformance.config.options` into README.md")


def test_every_option_fills_a_settings_field():
    names = {f.name for f in fields(Settings)}
    assert {o.field for o in OPTIONS} <= names
    assert len({o.flag for o in OPTIONS}) == len(OPTIONS)


def test_pytest_registers_every_option():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "pytest", "conformance", "--help",
                          "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True,
                         check=False).stdout
    out = " ".join(out.split())  # argparse wraps help text
    for option in OPTIONS:
        assert option.flag in out
        if option.env:
            assert f"[env {option.env}]" in out


def _settings(cli: dict, environ: dict) -> Settings:
    by_flag = {o.flag: o for o in OPTIONS}
    values = raw_values(lambda o: cli.get(o.flag, [] if o.kind == "append" else None),
                        environ)
    assert set(cli) <= set(by_flag)
    return Settings.from_values(values)


def test_command_line_wins_over_environment():
    s = _settings({"--flexie-seed": "7", "--flexie-account": "acme"},
                  {"FLEXIE_SEED": "9", "FLEXIE_ACCOUNT": "globex", "FLEXIE_PROFILE": "thorough"})
    assert (s.seed, s.account, s.profile) == (7, "acme", "thorough")


def test_environment_fills_what_the_command_line_leaves_out():
    s = _settings({}, {"FLEXIE_RATE_LIMIT": "2.5", "FLEXIE_ACCOUNTS": "a.toml",
                       "FLEXIE_COVERAGE": "off"})
    assert s.rate_limit == 2.5 and s.accounts_file == Path("a.toml") and s.coverage is False


def test_defaults_that_depend_on_the_target():
    embedded = _settings({}, {})
    assert embedded.apikey == DEMO_KEY and embedded.ce_table == "projects"
    assert embedded.coverage is True and embedded.allow_send is True
    live = _settings({"--flexie-url": "https://x.example/api", "--flexie-apikey": "k"}, {})
    assert live.ce_table is None and live.coverage is False and live.allow_send is False
    assert isinstance(live.seed, int)


@pytest.mark.parametrize(("cli", "message"), [
    ({"--flexie-seed": "abc"}, "--flexie-seed takes a number"),
    ({"--flexie-rate-limit": "fast"}, "--flexie-rate-limit takes a number"),
    ({"--flexie-url": "https://x.example/api"}, "--flexie-url needs --flexie-apikey"),
])
def test_bad_values_name_the_option(cli, message):
    with pytest.raises(OptionError, match=message):
        _settings(cli, {})
