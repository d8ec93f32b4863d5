"""The pytest plugin of the conformance suite: hooks only.

Each hook hands over to the module that does the work, as Hypothesis's pytest plugin does:
options come from `conformance.config.options`, the run is started by
`conformance.engine.session_setup`
and held in `conformance.run`, results are recorded and written by `conformance.report.results`,
replay lines come from `conformance.report.replay`. Test modules only declare what to test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pluggy import Result

from conformance.config import profiles
from conformance.config.options import OPTIONS, OptionError, raw_values
from conformance.config.settings import Settings
from conformance.engine.pacing import pace_file, remove_pace_files
from conformance.engine.session_setup import StartupError, ensure_runner, finish, start_run
from conformance.observed import checks_line, traffic_line
from conformance.plugin import budget, fleet, sharding, verdict
from conformance.plugin.budget import plan_line
from conformance.plugin.fleet import account_of
from conformance.report import results
from conformance.report.exercised import _is_alias_test
from conformance.report.replay import replay_command
from conformance.report.results import (
    budget_line,
    exercise_line,
    record_test_report,
    run_traffic,
    spec_operations,
)
from conformance.run import active, current, install
from conformance.scenarios.steps import Steps
from contract.operations import OPERATIONS_BY_KEY
from contract.resources import GROUPS

if TYPE_CHECKING:
    from conformance.engine.runner import Runner
    from conformance.run import RunContext

#: Run order: the probes first (deterministic, and the fastest to find most defects), then the
#: property tests and the boundary cases, the stateful tests, the per-account alias checks and
#: the spec's own lint.
_ORDER = ("test_probes", "test_operations", "test_coverage", "test_scenarios",
          "test_state_machine", "test_aliases", "test_spec")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flexie", "Flexie conformance")
    for option in OPTIONS:
        group.addoption(option.flag, **option.argparse_kwargs())


def read_settings(config: pytest.Config) -> Settings:
    """Settings from the command line and the environment, as the option table describes."""
    try:
        return Settings.from_values(raw_values(lambda o: config.getoption(o.dest)))
    except OptionError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # The terminal reporter registers itself in a plain pytest_configure: if it exists already,
    # this conftest was loaded after configuration and the other plugins have run.
    late = config.pluginmanager.get_plugin("terminalreporter") is not None
    for group in GROUPS:
        config.addinivalue_line("markers", f"{group}: operations of the {group} group")
    config.addinivalue_line("markers", "scenario: hand-written stateful scenarios")
    config.addinivalue_line("markers", "aliases: custom-field aliases per account")
    if config.option.help or config.option.version:
        return
    profiles.register()
    settings = read_settings(config)
    shared = getattr(config, "workerinput", {})
    if "flexie_seed" in shared:  # an xdist worker: the controller's seed, pace and budget
        settings.seed = int(shared["flexie_seed"])
        settings.pace_file = Path(shared["flexie_pace"])
    else:
        settings.pace_file = pace_file(settings)
        remove_pace_files(settings)
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.load_profile(f"flexie-{settings.profile}")
    _seed_hypothesis(config, settings.seed)
    try:
        run = start_run(settings)
    except StartupError as exc:
        if not hasattr(config, "workerinput"):
            results.write_startup_failure(settings, str(exc))
        raise pytest.UsageError(str(exc)) from None
    install(run)
    _default_outputs(config, settings, late=late)


def _seed_hypothesis(config: pytest.Config, seed: int | None) -> None:
    """Every Hypothesis test without a seed of its own (the alias round trips per field) draws
    from the run's seed, so `--flexie-seed` replays it; `--hypothesis-seed` still wins."""
    if seed is not None and config.getoption("hypothesis_seed", None) is None:
        from hypothesis import core

        core.global_force_seed = seed  # type: ignore[assignment]  # declared None, read as int


def _default_outputs(config: pytest.Config, settings: Settings, *, late: bool) -> None:
    """The pytest-html report and JUnit XML go beside conformance.html unless asked elsewhere.

    Both plugins act on their option in their own pytest_configure. This one runs first when
    conformance/conftest.py is an initial conftest (tryfirst); otherwise (`late`) they have
    already run and are configured once more here, for the default paths only.
    """
    reports = settings.reports
    reports.mkdir(parents=True, exist_ok=True)
    if config.option.collectonly:
        return  # nothing runs: no junit or pytest-html file that could pass for a result
    from _pytest import junitxml
    from pytest_html import basereport

    html_registered = any(isinstance(p, basereport.BaseReport)
                          for p in config.pluginmanager.get_plugins())
    if not config.getoption("htmlpath", None):
        config.option.htmlpath = str(reports / "pytest-report.html")
        config.option.self_contained_html = True
        if not html_registered and late:
            import pytest_html.plugin

            pytest_html.plugin.pytest_configure(config)
    if not config.option.xmlpath:
        config.option.xmlpath = str(reports / "junit.xml")
        if late:
            junitxml.pytest_configure(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: every worker generates with the seed the controller prints."""
    run = active()
    if run is not None:
        node.workerinput["flexie_seed"] = run.settings.seed
        node.workerinput["flexie_pace"] = str(pace_file(run.settings))


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = active()
    if run is None:
        return []
    s = run.settings
    where = s.url or f"embedded mock workspace ({s.transport})"
    return [f"flexie: target {where}; spec {s.spec}; profile {s.profile} "
            f"(coverage {'on' if s.coverage else 'off'}); seed {s.seed}"
            + (f"; faults {', '.join(s.mock_faults)}" if s.mock_faults else "")]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Always say what was tested, with which seed and faults (also under -q)."""
    run = active()
    if run is None or hasattr(config, "workerinput"):
        return
    for line in pytest_report_header(config):
        terminalreporter.write_line(line)

    terminalreporter.write_line(traffic_line(run_traffic(run)))
    terminalreporter.write_line(checks_line(run.observed.check_counts()))
    terminalreporter.write_line(exercise_line(run))
    if run.observed.plan:
        terminalreporter.write_line(plan_line(run.observed.plan))
    budget = budget_line(run)
    if budget:
        terminalreporter.write_line(budget)
    for line in verdict.warning_lines(run):
        terminalreporter.write_line(line)
    ratchet = config.stash.get(_RATCHET, None)
    if ratchet is not None:
        terminalreporter.write_line(ratchet)
    if exitstatus not in (0, 5):
        terminalreporter.write_line("flexie: each failure above ends with its curl "
                                    "reproduction and the command that replays it alone "
                                    f"(seed {run.settings.seed})")


_RATCHET = pytest.StashKey[str]()


def operation_key(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    key = callspec.params.get("key") if callspec is not None else None
    return key if isinstance(key, str) else None


def _rank(item: pytest.Item) -> int:
    module = item.nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
    return _ORDER.index(module) if module in _ORDER else len(_ORDER)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each operation's tests with its resource group before pytest's own `-m`
    selection runs (a later hook would mark tests that `-m contacts` already deselected)."""
    for item in items:
        op = OPERATIONS_BY_KEY.get(operation_key(item) or "")
        if op is not None:
            item.add_marker(getattr(pytest.mark, op.group))


# pytest registers only attributes named pytest_*, specname or not: a hook named otherwise
# (it was `order_and_plan`) is silently never called.
@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_last(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run order (_ORDER) and the budget's plan, after every selection (-k, -m)."""
    items.sort(key=_rank)  # stable: keeps the order within a module
    run = active()
    if run is not None and run.settings.shard is not None:
        _keep_shard(config, items, run)
    if run is not None and run.settings.budget is not None:
        budget.order(items)
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        run.observed.plan = budget.plan(items, run.settings.budget, workers).as_dict()


def _keep_shard(config: pytest.Config, items: list[pytest.Item], run: RunContext) -> None:
    """Only this job's share of the tests (conformance/plugin/sharding.py); the others are
    deselected, as `-k` deselects."""
    plan = run.alias_plan
    raw = run.schema.raw_schema if run.schema is not None else {}
    kept, other = sharding.split(
        items, run.settings.shard or (1, 1), [key for key, _ in spec_operations(raw)],
        operation_key, lambda i: bool(plan and plan.fleet and account_of(i)
                                      and _is_alias_test(i.nodeid)))
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    run = active()
    if run is None:
        return
    if call.excinfo is not None and verdict.spent_budget(call.excinfo.value):
        verdict.left_out(report, item, run.settings.budget)
    elif call.excinfo is not None and verdict.setup_stopped(call.excinfo.value):
        verdict.not_run(report, item, "the run stopped at setup: the workspace broke the "
                                      "contract (the failure names the answer that stopped it)")
    elif report.failed and report.when == "call":
        report.sections.append(("flexie replay", replay_command(run.settings, item.nodeid)))
        verdict.lead_with_the_check(report, call)
        verdict.name_the_step(item, report, call)
        verdict.assumed_only_is_a_warning(run, report, call)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """An account's alias test of a fleet ran in its account's thread (conformance/plugin/fleet.py);
    every other test is called as usual."""
    run = active()
    if run is None:
        return None

    return fleet.call(run, pyfuncitem)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Outcomes per test, for the report (runs on the xdist controller too)."""
    run = active()
    if run is not None:
        record_test_report(run, report)


def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: merge what a worker observed."""
    run = active()
    data = getattr(node, "workeroutput", {}).get("flexie")
    if run is not None and data:
        run.observed.absorb(json.loads(data))


@pytest.fixture(scope="session")
def flexie(request: pytest.FixtureRequest) -> Runner:
    """The runner, with the pool of owned records created on first use."""
    return ensure_runner(current(), request.session)


@pytest.fixture()
def steps(flexie: Runner) -> Any:
    """The named steps a scenario or the state machine reads as (they write: not in a
    read-only run); the plugin names the last of them when an answer breaks a scenario."""
    if flexie.settings.read_only:
        pytest.skip("scenarios write, and the run is read-only")
    return Steps(flexie)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = active()
    if run is None:
        return

    if run.fleet is not None:
        run.fleet.stop(interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
    if not hasattr(session.config, "workerinput") and verdict.stopped_at_setup(run):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a finding, not an interruption
    finish(run, session.config, int(session.exitstatus))
    if not hasattr(session.config, "workerinput"):
        message = verdict.ratchet(run, session)
        if message:
            session.config.stash[_RATCHET] = message


def pytest_unconfigure(config: pytest.Config) -> None:
    run = active()
    if run is not None and run.stop_server is not None:
        run.stop_server()
    if run is not None and not hasattr(config, "workerinput") and run.settings.pace_file:
        remove_pace_files(run.settings)
    install(None)
