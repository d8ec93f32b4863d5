"""The pytest plugin of the conformance suite: one place for the machinery.

Options (group "flexie"), markers per resource group, the session's target, the pool of owned
records, cleanup at the end (also after failures and Ctrl-C) and the reports. Test modules
only declare what to test.
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance import profiles
from conformance.observed import Observed
from conformance.results import recorded_by_runner
from conformance.settings import DEMO_KEY, DEMO_OTHER_KEY, Settings, env
from contract.operations import OPERATIONS_BY_KEY
from contract.resources import GROUPS

_OPTIONS = [
    # (option, env var, help, extra argparse kwargs)
    ("--flexie-url", "FLEXIE_URL", "base URL of a live workspace, e.g. https://x.flexie.io/api;"
     " without it the embedded mock workspace is started", {}),
    ("--flexie-apikey", "FLEXIE_API_KEY", "API key of the workspace under test", {}),
    ("--flexie-other-apikey", "FLEXIE_OTHER_API_KEY",
     "key of a second account, to prove no account reads another's records", {}),
    ("--flexie-auth", "FLEXIE_AUTH", "send the key in the apikey header or ?apikey= query",
     {"choices": ["header", "query"]}),
    ("--flexie-oauth-token", "FLEXIE_OAUTH_TOKEN", "an OAuth 2.0 access token instead of a key",
     {}),
    ("--flexie-oauth-client-id", "FLEXIE_OAUTH_CLIENT_ID",
     "OAuth client id; the suite obtains tokens itself (client credentials)", {}),
    ("--flexie-oauth-client-secret", "FLEXIE_OAUTH_CLIENT_SECRET", "OAuth client secret", {}),
    ("--flexie-transport", None, "embedded mock: in-process (WSGI) or http (a real server on a "
     "free loopback port)", {"choices": ["in-process", "http"]}),
    ("--spec", "FLEXIE_SPEC", "the spec to test against (default: flexie-api.json)", {}),
    ("--flexie-profile", "FLEXIE_PROFILE", "quick (CI) or thorough (release QA)",
     {"choices": sorted(profiles.PROFILES)}),
    ("--flexie-coverage", "FLEXIE_COVERAGE", "run the boundary cases of Schemathesis's coverage "
     "phase (default: on, except for the quick profile against a live workspace)",
     {"choices": ["on", "off"]}),
    ("--flexie-seed", "FLEXIE_SEED", "Hypothesis seed; printed on every run for replay", {}),
    ("--flexie-read-only", None, "send only requests that change nothing",
     {"action": "store_true"}),
    ("--flexie-rate-limit", "FLEXIE_RATE_LIMIT", "at most N requests per second", {}),
    ("--flexie-allow-send", None, "allow POST /emails/{id}/send on a live workspace",
     {"action": "store_true"}),
    ("--flexie-reports", None, "folder for reports and the ledger (default: reports/)", {}),
    ("--flexie-baseline", None, "an earlier run's conformance.json to compare with", {}),
    ("--flexie-accounts", "FLEXIE_ACCOUNTS", "accounts TOML with expected custom fields", {}),
    ("--flexie-ce-table", "FLEXIE_CE_TABLE", "custom-entity table to test (embedded mock: "
     "projects)", {}),
    ("--flexie-account", "FLEXIE_ACCOUNT", "verify only this account of the accounts file", {}),
    ("--flexie-mock-fault", None, "embedded mock only: inject a fault (repeatable)",
     {"action": "append", "default": []}),
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flexie", "Flexie conformance")
    for option, env_var, help_text, kwargs in _OPTIONS:
        suffix = f" [env {env_var}]" if env_var else ""
        group.addoption(option, help=help_text + suffix, **kwargs)


def _opt(config: pytest.Config, option: str, env_var: str | None) -> Any:
    value = config.getoption(option)
    if value in (None, False, []) and env_var:
        value = env(env_var)
    return value


def read_settings(config: pytest.Config) -> Settings:
    get = {opt: _opt(config, opt, env_var) for opt, env_var, _, _ in _OPTIONS}
    s = Settings()
    s.url = get["--flexie-url"]
    s.apikey = get["--flexie-apikey"]
    s.other_apikey = get["--flexie-other-apikey"]
    s.auth = get["--flexie-auth"] or "header"
    s.oauth_token = get["--flexie-oauth-token"]
    s.oauth_client_id = get["--flexie-oauth-client-id"]
    s.oauth_client_secret = get["--flexie-oauth-client-secret"]
    s.transport = get["--flexie-transport"] or "in-process"
    if get["--spec"]:
        s.spec = Path(get["--spec"])
    s.profile = get["--flexie-profile"] or "quick"
    try:
        s.seed = int(get["--flexie-seed"]) if get["--flexie-seed"] else random.randrange(2**31)
        s.rate_limit = float(get["--flexie-rate-limit"]) if get["--flexie-rate-limit"] else None
    except ValueError as exc:
        raise pytest.UsageError(
            f"--flexie-seed and --flexie-rate-limit take numbers: {exc}") from None
    s.read_only = bool(get["--flexie-read-only"])
    s.allow_send = bool(get["--flexie-allow-send"]) or s.embedded
    if get["--flexie-reports"]:
        s.reports = Path(get["--flexie-reports"])
    s.baseline = Path(get["--flexie-baseline"]) if get["--flexie-baseline"] else None
    s.accounts_file = Path(get["--flexie-accounts"]) if get["--flexie-accounts"] else None
    s.mock_faults = tuple(get["--flexie-mock-fault"] or ())
    s.ce_table = get["--flexie-ce-table"] or ("projects" if s.embedded else None)
    default = profiles.PROFILES[s.profile]["coverage"]
    s.coverage = (get["--flexie-coverage"] == "on") if get["--flexie-coverage"] else (
        default is True or (default == "embedded" and s.embedded))
    if s.embedded:
        s.apikey = s.apikey or DEMO_KEY
        s.other_apikey = s.other_apikey or DEMO_OTHER_KEY
    elif not (s.apikey or s.oauth_token or s.oauth_client_id):
        raise pytest.UsageError("--flexie-url needs --flexie-apikey (or FLEXIE_API_KEY), "
                                "--flexie-oauth-token or an OAuth client")
    return s


@dataclass
class Session:
    """Everything the run shares: settings, the loaded schema, the target, results."""

    settings: Settings
    schema: Any = None
    spec_problems: list = field(default_factory=list)
    target: Any = None
    app: Any = None
    stop_server: Any = None
    runner: Any = None
    started: float = field(default_factory=time.time)
    alias_plan: Any = None
    observed: Observed = field(default_factory=Observed)


SESSION: Session | None = None


def current() -> Session:
    if SESSION is None:
        raise RuntimeError("the flexie plugin is not configured")
    return SESSION


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    global SESSION
    # The terminal reporter registers itself in a plain pytest_configure: if it exists already,
    # this conftest was loaded after configuration and the other plugins have run.
    config._flexie_late = config.pluginmanager.get_plugin("terminalreporter") is not None
    for group in GROUPS:
        config.addinivalue_line("markers", f"{group}: operations of the {group} group")
    config.addinivalue_line("markers", "scenario: hand-written stateful scenarios")
    config.addinivalue_line("markers", "aliases: custom-field aliases per account")
    profiles.register()
    settings = read_settings(config)
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.load_profile(f"flexie-{settings.profile}")
    from conformance.session_setup import load_schema, start_target

    SESSION = Session(settings)
    from conformance.accounts import AccountsFileError
    from conformance.aliases import build_plan

    try:
        SESSION.alias_plan = build_plan(settings, _opt(config, "--flexie-account",
                                                       "FLEXIE_ACCOUNT"))
    except AccountsFileError as exc:
        raise pytest.UsageError(str(exc)) from None
    start_target(SESSION)
    SESSION.schema, SESSION.spec_problems = load_schema(SESSION)
    _default_outputs(config, settings.reports)


def _default_outputs(config: pytest.Config, reports: Path) -> None:
    """The pytest-html report and JUnit XML go beside conformance.html unless asked elsewhere.

    Both plugins act on their option in their own pytest_configure. This one runs first when
    conformance/conftest.py is an initial conftest (tryfirst); otherwise they have already
    run and are configured once more here, for the default paths only.
    """
    reports.mkdir(parents=True, exist_ok=True)
    from _pytest import junitxml
    from pytest_html import basereport

    html_registered = any(isinstance(p, basereport.BaseReport)
                          for p in config.pluginmanager.get_plugins())
    if not config.getoption("htmlpath", None):
        config.option.htmlpath = str(reports / "pytest-report.html")
        config.option.self_contained_html = True
        if not html_registered and _configured_already(config, "html"):
            import pytest_html.plugin

            pytest_html.plugin.pytest_configure(config)
    if not config.option.xmlpath:
        config.option.xmlpath = str(reports / "junit.xml")
        if _configured_already(config, "junitxml"):
            junitxml.pytest_configure(config)


def _configured_already(config: pytest.Config, name: str) -> bool:
    """Whether the other plugins' pytest_configure ran before ours (a conftest loaded late)."""
    return bool(getattr(config, "_flexie_late", False))


def pytest_report_header(config: pytest.Config) -> list[str]:
    if SESSION is None:
        return []
    s = SESSION.settings
    where = s.url or f"embedded mock workspace ({s.transport})"
    return [f"flexie: target {where}; spec {s.spec}; profile {s.profile} "
            f"(coverage {'on' if s.coverage else 'off'}); seed {s.seed}"
            + (f"; faults {', '.join(s.mock_faults)}" if s.mock_faults else "")]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Always say what was tested, with which seed and faults (also under -q)."""
    if SESSION is None or hasattr(config, "workerinput"):
        return
    for line in pytest_report_header(config):
        terminalreporter.write_line(line)
    if exitstatus not in (0, 5):
        terminalreporter.write_line(f"flexie: replay a failure with the command under "
                                    f"'flexie replay' above, or rerun all with "
                                    f"--flexie-seed {SESSION.settings.seed}")


def operation_key(item: pytest.Item) -> str | None:
    name = item.name
    if "[" not in name:
        return None
    return name[name.index("[") + 1:-1]


#: Run order: the probes first (deterministic, and the fastest to find most defects), then the
#: property tests and the boundary cases, the stateful tests, the per-account alias checks and
#: the spec's own lint.
_ORDER = ("test_probes", "test_operations", "test_coverage", "test_scenarios",
          "test_state_machine", "test_aliases", "test_spec")


def _rank(item: pytest.Item) -> int:
    module = item.nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
    return _ORDER.index(module) if module in _ORDER else len(_ORDER)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: keeps the order within a module
    for item in items:
        op = OPERATIONS_BY_KEY.get(operation_key(item) or "")
        if op is not None:
            item.add_marker(getattr(pytest.mark, op.group))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if SESSION is not None and report.failed and report.when == "call":
        report.sections.append(("flexie replay", replay_command(SESSION.settings, item)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Outcomes per test, for the report (runs on the xdist controller too)."""
    if SESSION is None or report.when == "teardown":
        return
    if report.when == "setup" and report.passed:
        return
    state = "failed" if report.failed else "skipped" if report.skipped else "passed"
    SESSION.observed.outcome(report.nodeid, state)
    if report.failed and not recorded_by_runner(report.nodeid):
        SESSION.observed.failures.append(_test_failure(report))
    if "scenario" in report.keywords:
        group = next((g for g in GROUPS if g in report.keywords), "scenarios")
        name = report.nodeid.split("::")[-1]
        SESSION.observed.scenario(name, group, state, report.duration)


def _test_failure(report: pytest.TestReport) -> dict:
    """A failed scenario, state machine, alias or spec test, as a report entry."""
    name = report.nodeid.split("::")[-1]
    kind = ("stateful" if "state_machine" in report.nodeid else
            "alias" if "aliases" in report.keywords else
            "scenario" if "scenario" in report.keywords else "property")
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else str(report.longrepr)[-800:]
    return {"operation": None, "check": name, "message": message[:1500], "status": None,
            "response_excerpt": None, "curl": None, "kind": kind,
            "replay": f"pytest {report.nodeid.split('::')[0]} -k '{name.split('[')[0]}'"}


def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: merge what a worker observed."""
    data = getattr(node, "workeroutput", {}).get("flexie")
    if SESSION is not None and data:
        SESSION.observed.absorb(json.loads(data))


def replay_command(settings: Settings, item: pytest.Item) -> str:
    parts = [f"pytest {item.nodeid.split('::')[0]}", f"-k '{_k_expression(item)}'",
             f"--flexie-seed {settings.seed}", f"--flexie-profile {settings.profile}",
             f"--flexie-coverage {'on' if settings.coverage else 'off'}"]
    if settings.url:
        parts.append(f"--flexie-url {settings.url}")
        parts.append("--flexie-apikey \"$FLEXIE_API_KEY\"")
    if settings.transport != "in-process":
        parts.append(f"--flexie-transport {settings.transport}")
    if str(settings.spec) != str(Settings().spec):
        parts.append(f"--spec {settings.spec}")
    parts += [f"--flexie-mock-fault {f}" for f in settings.mock_faults]
    return " ".join(parts)


def _k_expression(item: pytest.Item) -> str:
    # -k cannot take braces or slashes, so select by the test function and safe words.
    key = operation_key(item) or item.name
    words = [w for w in key.replace("/", " ").replace("{", " ").replace("}", " ").split() if w]
    return " and ".join([item.originalname if hasattr(item, "originalname") else item.name,
                         *words])


@pytest.fixture(scope="session")
def flexie() -> Any:
    """The runner, with the pool of owned records created on first use."""
    from conformance.session_setup import ensure_runner

    return ensure_runner(current())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if SESSION is None:
        return
    from conformance.session_setup import finish

    finish(SESSION, session, exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    if SESSION is not None and SESSION.stop_server is not None:
        SESSION.stop_server()


def now_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds")


def print_line(text: str) -> None:
    sys.stderr.write(text + "\n")


__all__ = ["Session", "current", "json"]
