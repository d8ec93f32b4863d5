"""What a run is pointed at and how hard it tries, read from options, ini and environment."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.config import profiles
from conformance.config.options import OPTIONS_BY_FIELD, OptionError

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = ROOT / "flexie-api.json"
DEFAULT_REPORTS = ROOT / "reports"

#: The embedded mock's demo accounts: (account, key). The second proves isolation.
DEMO_KEY, DEMO_OTHER_KEY = "acme-demo-key", "globex-demo-key"


def parse_shard(text: str) -> tuple[int, int]:
    """`K/N` as (K, N); OptionError, one line, for anything else."""
    k, slash, n = str(text).strip().partition("/")
    if not (slash and k.strip().isdigit() and n.strip().isdigit()):
        raise OptionError(f"--flexie-shard takes K/N (e.g. 2/4: the second of four jobs), "
                          f"not {text!r}")
    index, total = int(k), int(n)
    if not 1 <= index <= total:
        raise OptionError(f"--flexie-shard {text}: K must be between 1 and N ({total})")
    return index, total


@dataclass
class Settings:
    """One run's configuration; secrets live here and nowhere else."""

    url: str | None = None  # None: start the embedded mock workspace
    apikey: str | None = None
    other_apikey: str | None = None
    auth: str = "header"  # header | query
    oauth_token: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    transport: str = "in-process"  # in-process | http (embedded mock only)
    spec: Path = DEFAULT_SPEC
    profile: str = "quick"
    coverage: bool = True  # Schemathesis's coverage phase, as conformance/test_coverage.py
    seed: int | None = None
    read_only: bool = False
    rate_limit: float | None = None  # per workspace (URL and key)
    concurrency: int = 8  # accounts verified at once; requests in flight per process
    budget: int | None = None  # at most this many requests (cleanup excepted)
    #: The file the run's processes share their pace and budget through (set by the plugin).
    pace_file: Path | None = None
    retries: int = 3  # per request answered 429 (or 503 with Retry-After); see target.py
    allow_send: bool = False
    reports: Path = DEFAULT_REPORTS
    baseline: Path | None = None
    accounts_file: Path | None = None
    mock_faults: tuple[str, ...] = ()
    ce_table: str | None = None
    account: str | None = None  # verify only this account of the accounts file
    assumptions: str = "fail"  # fail | warn: failures that rest only on our assumptions
    fail_on: str = "any"  # any | new: with a baseline, fail only on failures not in it
    #: This run is shard K of N (K from 1) of one run split across CI jobs (--flexie-shard K/N);
    #: None: the whole run. Written to the results' run.shard (conformance.report.identity).
    shard: tuple[int, int] | None = None
    run_id: str = field(default_factory=lambda: "fc" + secrets.token_hex(4))

    @property
    def embedded(self) -> bool:
        return self.url is None

    @property
    def secrets(self) -> list[str]:
        values = [self.apikey, self.other_apikey, self.oauth_token, self.oauth_client_secret]
        return [v for v in values if v]

    def __repr__(self) -> str:  # secrets masked: reprs end up in tracebacks and reports
        hidden = ("apikey", "other_apikey", "oauth_token", "oauth_client_secret")
        return "Settings(" + ", ".join(
            f"{n}={'[REDACTED]' if n in hidden and getattr(self, n) else getattr(self, n)!r}"
            for n in self.__dataclass_fields__) + ")"

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> Settings:
        """Settings from the options' raw values (see conformance.config.options), with the defaults
        that depend on other options: the embedded mock's demo keys and table, the coverage
        phase per profile and target, a random seed. Raises OptionError for bad input."""
        names = {f.name for f in fields(cls)}
        converted = {name: OPTIONS_BY_FIELD[name].convert(raw) for name, raw in values.items()
                     if name in names and name != "coverage"}
        shard = converted.pop("shard", None)
        s = cls(**converted)
        s.shard = parse_shard(shard) if shard is not None else None
        if s.concurrency < 1:
            raise OptionError(f"--flexie-concurrency takes a positive number, not "
                              f"{s.concurrency}")
        if s.seed is None:
            s.seed = random.randrange(2**31)
        s.allow_send = s.allow_send or s.embedded
        if s.ce_table is None and s.embedded:
            s.ce_table = "projects"
        if s.budget is None:
            s.budget = profiles.PROFILES[s.profile].get("budget")
        if s.budget is not None and s.budget < 1:
            raise OptionError(f"--flexie-budget takes a positive number, not {s.budget}")
        if "coverage" in values:
            s.coverage = OPTIONS_BY_FIELD["coverage"].convert(values["coverage"]) == "on"
        else:
            default = profiles.PROFILES[s.profile]["coverage"]
            s.coverage = default is True or (default == "embedded" and s.embedded)
        if s.url and (urlsplit(s.url).username or urlsplit(s.url).query):
            raise OptionError("--flexie-url takes the API's base URL alone "
                              "(https://x.flexie.io/api): credentials go in --flexie-apikey, "
                              "never in the URL")
        if s.fail_on == "new" and s.baseline is None:
            raise OptionError("--flexie-fail-on new needs --flexie-baseline: the earlier "
                              "conformance.json whose failures are not new")
        if s.embedded:
            s.apikey = s.apikey or DEMO_KEY
            s.other_apikey = s.other_apikey or DEMO_OTHER_KEY
        elif not (s.apikey or s.oauth_token or s.oauth_client_id):
            raise OptionError("--flexie-url needs --flexie-apikey (or FLEXIE_API_KEY), "
                              "--flexie-oauth-token or an OAuth client")
        return s
