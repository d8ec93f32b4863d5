"""The suite's options, described once: the pytest flags, their environment variables, the
`Settings` field each fills and the README's configuration table all come from `OPTIONS`.

Adding an option means adding one `Option` here and one field to `Settings`;
`tests/test_options.py` keeps the README's table in step with this one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from conformance.config import profiles

Kind = Literal["text", "flag", "append", "int", "float", "path", "choice"]


class OptionError(ValueError):
    """A value an option cannot take; the message names the option."""


@dataclass(frozen=True)
class Option:
    """One option: `--flag VALUE`, its environment variable, the `Settings` field it fills."""

    flag: str
    field: str
    help: str
    env: str | None = None
    kind: Kind = "text"
    choices: tuple[str, ...] = ()
    metavar: str | None = None

    @property
    def usage(self) -> str:
        """The flag as the README shows it: `--flexie-url URL`, `--flexie-read-only`."""
        if self.kind == "flag":
            return self.flag
        if self.choices:
            return f"{self.flag} {'|'.join(self.choices)}"
        return f"{self.flag} {self.metavar or 'VALUE'}"

    def argparse_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"dest": self.dest,
                                  "help": self.help + (f" [env {self.env}]" if self.env else "")}
        if self.kind == "flag":
            kwargs["action"] = "store_true"
        elif self.kind == "append":
            kwargs.update(action="append", default=[], metavar=self.metavar)
        else:
            kwargs["metavar"] = self.metavar
            if self.choices:
                kwargs["choices"] = list(self.choices)
        return kwargs

    @property
    def dest(self) -> str:
        return "flexie_opt_" + self.field

    def convert(self, raw: Any) -> Any:
        """The raw value (command line or environment) as the `Settings` field holds it."""
        if self.kind == "flag":
            return raw in (True, "1", "true", "yes", "on")
        if self.kind == "append":
            return tuple(raw if isinstance(raw, list | tuple) else str(raw).split(","))
        if self.kind == "path":
            return Path(raw)
        if self.choices and raw not in self.choices:
            raise OptionError(f"{self.flag} takes one of {', '.join(self.choices)}, not {raw!r}")
        try:
            if self.kind == "int":
                return int(raw)
            if self.kind == "float":
                return float(raw)
        except ValueError:
            raise OptionError(f"{self.flag} takes a number, not {raw!r}") from None
        return str(raw)


OPTIONS: tuple[Option, ...] = (
    Option("--flexie-url", "url", "live workspace (`https://x.flexie.io/api`); without it the "
           "embedded mock runs", env="FLEXIE_URL", metavar="URL"),
    Option("--flexie-apikey", "apikey", "API key (redacted in every report, log and curl line)",
           env="FLEXIE_API_KEY", metavar="KEY"),
    Option("--flexie-other-apikey", "other_apikey", "a second account's key, for isolation "
           "checks", env="FLEXIE_OTHER_API_KEY", metavar="KEY"),
    Option("--flexie-auth", "auth", "where the key goes (default header)", env="FLEXIE_AUTH",
           kind="choice", choices=("header", "query")),
    Option("--flexie-oauth-token", "oauth_token", "OAuth 2.0 access token instead of a key",
           env="FLEXIE_OAUTH_TOKEN", metavar="T"),
    Option("--flexie-oauth-client-id", "oauth_client_id", "OAuth client id: the suite obtains "
           "tokens itself (client credentials)", env="FLEXIE_OAUTH_CLIENT_ID", metavar="ID"),
    Option("--flexie-oauth-client-secret", "oauth_client_secret", "OAuth client secret",
           env="FLEXIE_OAUTH_CLIENT_SECRET", metavar="SECRET"),
    Option("--flexie-transport", "transport", "embedded mock: in process (default) or a real "
           "server on a free port", kind="choice", choices=("in-process", "http")),
    Option("--spec", "spec", "another spec, e.g. Flexie's published one (downloaded); its "
           "defects are reported", env="FLEXIE_SPEC", kind="path", metavar="PATH"),
    Option("--flexie-profile", "profile", "ci: every operation judged within a request budget, "
           "for every deploy; quick: CI against the mock, nightly; thorough: before a release",
           env="FLEXIE_PROFILE", kind="choice", choices=tuple(profiles.PROFILES)),
    Option("--flexie-coverage", "coverage", "the coverage phase's boundary cases (default on; "
           "off for quick against a live workspace)", env="FLEXIE_COVERAGE", kind="choice",
           choices=("on", "off")),
    Option("--flexie-seed", "seed", "Hypothesis seed; printed on every run, used by replay "
           "commands", env="FLEXIE_SEED", kind="int", metavar="N"),
    Option("--flexie-read-only", "read_only", "only requests that change nothing", kind="flag"),
    Option("--flexie-rate-limit", "rate_limit", "at most N requests per second to each "
           "workspace (each account's key on its own)", env="FLEXIE_RATE_LIMIT", kind="float",
           metavar="N"),
    Option("--flexie-concurrency", "concurrency", "accounts of an accounts file verified at "
           "once, and the cap on requests in flight in one process (default 8; 1: one after "
           "another)", env="FLEXIE_CONCURRENCY", kind="int", metavar="N"),
    Option("--flexie-shard", "shard", "run shard K of N (1 <= K <= N): a fleet's accounts, "
           "else the operations, split the same way in every job; `flexie-conformance merge` "
           "joins the reports", env="FLEXIE_SHARD", metavar="K/N"),
    Option("--flexie-budget", "budget", "at most N requests in all (cleanup of the run's own "
           "records excepted); the run is planned to fit (profile ci: 1000)",
           env="FLEXIE_BUDGET", kind="int", metavar="N"),
    Option("--flexie-retries", "retries", "retries of a request answered 429, or 503 with "
           "Retry-After, each after the wait it asks (at most 60 s); default 3",
           env="FLEXIE_RETRIES", kind="int", metavar="N"),
    Option("--flexie-allow-send", "allow_send", "allow `POST /emails/{id}/send` on a live "
           "workspace", kind="flag"),
    Option("--flexie-reports", "reports", "where reports and the ledger go (default "
           "`reports/`)", kind="path", metavar="DIR"),
    Option("--flexie-baseline", "baseline", "an earlier `conformance.json`: new, fixed and "
           "unchanged failures", kind="path", metavar="PATH"),
    Option("--flexie-ce-table", "ce_table", "the custom-entity table to test",
           env="FLEXIE_CE_TABLE", metavar="NAME"),
    Option("--flexie-accounts", "accounts_file", "accounts and the custom fields each should "
           "have", env="FLEXIE_ACCOUNTS", kind="path", metavar="FILE"),
    Option("--flexie-account", "account", "verify only this account of the file",
           env="FLEXIE_ACCOUNT", metavar="NAME"),
    Option("--flexie-assumptions", "assumptions", "failures that rest only on our assumptions "
           "(docs/contract-notes.md): fail the run (default) or are listed as warnings",
           env="FLEXIE_ASSUMPTIONS", kind="choice", choices=("fail", "warn")),
    Option("--flexie-fail-on", "fail_on", "with `--flexie-baseline`: fail on any failure "
           "(default) or only on failures not in the baseline", env="FLEXIE_FAIL_ON",
           kind="choice", choices=("any", "new")),
    Option("--flexie-mock-fault", "mock_faults", "embedded mock only: inject a fault from the "
           "catalogue (repeatable); `NAME` on every route or `'NAME@METHOD PATH'` on one",
           kind="append", metavar="SPEC"),
)

OPTIONS_BY_FIELD: dict[str, Option] = {o.field: o for o in OPTIONS}


def raw_values(lookup: Callable[[Option], Any],
               environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Each option's raw value: the command line (via `lookup`) wins over the environment;
    options given neither way are left out."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for option in OPTIONS:
        value = lookup(option)
        if value in (None, False, [], ()) and option.env:
            value = environ.get(option.env) or None
        if value not in (None, False, [], ()):
            values[option.field] = value
    return values


def readme_table() -> str:
    """The README's configuration table, as this module describes the options."""
    rows = ["| option | environment | meaning |", "| --- | --- | --- |"]
    for option in OPTIONS:
        env = f"`{option.env}`" if option.env else ""
        usage = option.usage.replace("|", "\\|")
        rows.append(f"| `{usage}` | {env} | {option.help} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(readme_table())
