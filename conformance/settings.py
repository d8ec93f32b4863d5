"""What a run is pointed at and how hard it tries, read from options, ini and environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "flexie-api.json"
DEFAULT_REPORTS = ROOT / "reports"

#: The embedded mock's demo accounts: (account, key). The second proves isolation.
DEMO_KEY, DEMO_OTHER_KEY = "acme-demo-key", "globex-demo-key"


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
    rate_limit: float | None = None
    allow_send: bool = False
    reports: Path = DEFAULT_REPORTS
    baseline: Path | None = None
    accounts_file: Path | None = None
    mock_faults: tuple[str, ...] = ()
    ce_table: str | None = None
    run_id: str = field(default_factory=lambda: "fc" + secrets.token_hex(4))

    @property
    def embedded(self) -> bool:
        return self.url is None

    @property
    def secrets(self) -> list[str]:
        values = [self.apikey, self.other_apikey, self.oauth_token, self.oauth_client_secret]
        return [v for v in values if v]


def env(name: str) -> str | None:
    value = os.environ.get(name)
    return value or None
