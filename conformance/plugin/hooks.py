"""The pytest plugin of the conformance suite: hooks only.

Each hook hands over to the module that does the work, as Hypothesis's pytest plugin does:
options come from `conformance.config.options`, the run is started by `conformance.run`
(in the steps of `conformance.engine.session_setup`) and kept in `config.stash`
(`conformance.plugin.state`), results are recorded and written by `conformance.report.results`,
replay lines come from `conformance.report.replay`. Test modules only declare what to test,
and get the run from the session fixture `run`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pluggy import Result

from conformance import declared
from conformance.config import profiles
from conformance.config.options import OPTIONS, OptionError, raw_values
from conformance.config.settings import Settings
from conformance.engine.outcomes import NotApplicable, SetupStopped, StartupError
from conformance.engine.pacing import pace_file, remove_pace_files
from conformance.observed import calling, checks_line, traffic_line
from conformance.plugin import budget, fleet, sharding, verdict
from conformance.plugin.budget import plan_line
from conformance.plugin.fleet import is_account_alias_test
from conformance.plugin.outcomes import record_test_report
from conformance.plugin.params import fits
from conformance.plugin.state import RUN, is_xdist_worker, run_if_any, run_of, worker_input
from conformance.report import results
from conformance.report.replay import replay_command
from conformance.report.results import (
    budget_line,
    exercise_line,
    run_traffic,
    spec_operations,
)
from conformance.run import Run, clean_up, ready, start_run
from conformance.scenarios.steps import Steps
from contract.resources import GROUPS

if TYPE_CHECKING:
    from conformance.engine.runner import Runner

#: Run order, by the kind each test declares: the probes first (deterministic, and the fastest
#: to find most defects), then the property tests and the boundary cases, the stateful tests,
#: the per-account alias checks and the spec's own lint.
_ORDER = (declared.Kind.PROBE, declared.Kind.OPERATION, declared.Kind.COVERAGE,
          declared.Kind.SCENARIO, declared.Kind.STATE_MACHINE, declared.Kind.ALIAS,
          declared.Kind.SPEC)


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
        config.addinivalue_line("markers", f"{group}: the tests of the {group} group "
                                           "(as each declares)")
    config.addinivalue_line("markers", "scenario: hand-written stateful scenarios")
    config.addinivalue_line("markers", "aliases: custom-field aliases per account")
    config.addinivalue_line("markers", declared.DESCRIPTION)
    if config.option.help or config.option.version:
        return
    profiles.register()
    settings = read_settings(config)
    shared = worker_input(config)
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
        if not is_xdist_worker(config):
            results.write_startup_failure(settings, str(exc))
        raise pytest.UsageError(str(exc)) from None
    config.stash[RUN] = run
    config.pluginmanager.register(_Outcomes(run), _OUTCOMES)
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
    if not config.getoption("htmlpath", None):
        config.option.htmlpath = str(reports / "pytest-report.html")
        config.option.self_contained_html = True
        if late:
            _configure_again(config, "html")
    if not config.option.xmlpath:
        config.option.xmlpath = str(reports / "junit.xml")
        if late:
            _configure_again(config, "junitxml")


def _configure_again(config: pytest.Config, name: str) -> None:
    """Call the pytest_configure of the plugin pytest registered as `name` once more, now
    that its output path is set.

    Neither pytest-html nor JUnit XML has a hook or an option to name the report's path after
    their own pytest_configure has read `--html` / `--junitxml` (pytest-html's hooks only
    shape a report that exists), and a conftest loaded late (not an initial conftest) sets
    the defaults after that. So their configure hook is called again, reached through the
    plugin manager by the names they register under ("html", "junitxml"), not by importing
    their modules; pytest-html's report is registered once (its report object is the one
    plugin whose class lives in pytest_html)."""
    plugin = config.pluginmanager.get_plugin(name)
    if plugin is None:
        return
    if name == "html" and any(type(p).__module__.startswith("pytest_html.")
                              for p in config.pluginmanager.get_plugins()):
        return
    plugin.pytest_configure(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: every worker generates with the seed the controller prints."""
    run = run_if_any(node.config)
    if run is not None:
        node.workerinput["flexie_seed"] = run.settings.seed
        node.workerinput["flexie_pace"] = str(pace_file(run.settings))


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = run_if_any(config)
    if run is None:
        return []
    s = run.settings
    where = s.url or f"embedded mock workspace ({s.transport})"
    return [f"flexie: target {where}; spec {s.spec}; profile {s.profile} "
            f"(coverage {'on' if s.coverage else 'off'}); seed {s.seed}"
            + (f"; faults {', '.join(s.mock_faults)}" if s.mock_faults else "")]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Always say what was tested, with which seed and faults (also under -q)."""
    run = run_if_any(config)
    if run is None or is_xdist_worker(config):
        return
    for line in pytest_report_header(config):
        terminalreporter.write_line(line)

    terminalreporter.write_line(traffic_line(run_traffic(run)))
    terminalreporter.write_line(checks_line(run.observed.check_counts(),
                                            run.observed.reason_kinds))
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
    """The operation an operation's test declares (None for any other test)."""
    found = declared.declared(item)
    return found.operation if found is not None else None


def _rank(item: pytest.Item) -> int:
    found = declared.declared(item)
    return _ORDER.index(found.kind) if found is not None else len(_ORDER)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with the resource group it declares before pytest's own `-m`
    selection runs (a later hook would mark tests that `-m contacts` already deselected)."""
    declared.group_marks(items)


# pytest registers only attributes named pytest_*, specname or not: a hook named otherwise
# (it was `order_and_plan`) is silently never called.
@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_last(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run order (_ORDER) and the budget's plan, after every selection (-k, -m)."""
    items.sort(key=_rank)  # stable: keeps the order within a module
    run = run_if_any(config)
    if run is not None and run.settings.shard is not None:
        _keep_shard(config, items, run)
    if run is not None and run.settings.budget is not None:
        budget.order(items)
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        run.observed.plan = budget.plan(items, run.settings.budget, workers).as_dict()


def _keep_shard(config: pytest.Config, items: list[pytest.Item], run: Run) -> None:
    """Only this job's share of the tests (conformance/plugin/sharding.py); the others are
    deselected, as `-k` deselects."""

    plan = run.alias_plan
    kept, other = sharding.split(
        items, run.settings.shard or (1, 1),
        [key for key, _ in spec_operations(run.schema.raw_schema)],
        operation_key, lambda i: bool(plan.fleet) and is_account_alias_test(i))
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Result[pytest.TestReport], None]:
    # Where the engine said the test does not apply: pytest's unittest plugin turns that
    # unittest.SkipTest into its own skip, raised in pytest; the skip keeps the engine's line.
    not_applicable = call.excinfo.traceback[-1] if call.excinfo is not None and isinstance(
        call.excinfo.value, NotApplicable) and call.excinfo.traceback else None
    outcome = yield
    report = outcome.get_result()
    if not_applicable is not None and report.skipped:
        report.longrepr = (str(not_applicable.path), not_applicable.lineno + 1,
                           f"Skipped: {report.longrepr[2].removeprefix('Skipped: ')}"
                           if isinstance(report.longrepr, tuple) else "Skipped")
    declared.record(report, item)  # travels with the report, to the xdist controller too
    run = run_if_any(item.config)
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """The requests a test sends in its call phase are counted as its own (the traffic's
    buckets: conformance.observed.current_bucket)."""
    with calling(declared.traffic_bucket(item)):
        yield


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """An account's alias test of a fleet ran in its account's thread (conformance/plugin/fleet.py);
    every other test is called as usual."""
    run = run_if_any(pyfuncitem.config)
    if run is None:
        return None
    return fleet.call(run, pyfuncitem)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str,
                              obj: object) -> list[pytest.Item] | None:
    """A suite test declared for other runs (conformance/plugin/params.py `collected_if`) is
    not collected at all; every other object is collected as usual."""
    run = run_if_any(collector.config)
    if run is not None and callable(obj) and not fits(obj, run):
        return []
    return None


class _Outcomes:
    """Records each test's outcomes in the run, for the report (on the xdist controller too).
    pytest_runtest_logreport is given no config: this object, registered for the session,
    holds the run instead."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record_test_report(self.run, report)


_OUTCOMES = "flexie-outcomes"


def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: merge what a worker observed."""
    run = run_if_any(node.config)
    data = getattr(node, "workeroutput", {}).get("flexie")
    if run is not None and data:
        run.observed.absorb(json.loads(data))


@pytest.fixture(scope="session")
def run(request: pytest.FixtureRequest) -> Run:
    """The run: what the suite's test modules test, against which target, with which plan."""
    return run_of(request.config)


@pytest.fixture(scope="session")
def flexie(run: Run, request: pytest.FixtureRequest) -> Runner:
    """The runner, with the pool of owned records created on first use. A target that cannot
    be set up ends the run with that one finding (recorded already): at once in one process
    (exit 1), after the current test in an xdist worker (pytest.exit there would crash the
    controller's scheduling)."""
    try:
        return ready(run)
    except SetupStopped as exc:
        if not is_xdist_worker(request.config):
            pytest.exit(exc.message, returncode=1)
        request.session.shouldstop = exc.message
        raise


@pytest.fixture()
def steps(flexie: Runner) -> Any:
    """The named steps a scenario or the state machine reads as (they write: not in a
    read-only run); the plugin names the last of them when an answer breaks a scenario."""
    if flexie.settings.read_only:
        pytest.skip("scenarios write, and the run is read-only")
    return Steps(flexie)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Wind down: the accounts' threads stop, the run's records are deleted, then the reports
    are written (by the controller; a worker hands what it observed over)."""
    run = run_if_any(session.config)
    if run is None:
        return
    fleet.stop(session.config, interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
    worker = is_xdist_worker(session.config)
    if not worker and verdict.stopped_at_setup(run):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a finding, not an interruption
    clean_up(run)
    if worker:
        _hand_over(run, session.config)
        return
    _write_reports(run, session.config, int(session.exitstatus))
    message = verdict.ratchet(run, session)
    if message:
        session.config.stash[_RATCHET] = message


def _hand_over(run: Run, config: pytest.Config) -> None:
    """An xdist worker: what it observed (and its alias results) goes to the controller,
    which writes the reports."""
    run.observed.aliases.update({"|".join(k): row for k, row in run.alias_plan.results.items()})
    output = config.workeroutput  # type: ignore[attr-defined]  # xdist's, on a worker only
    output["flexie"] = json.dumps(run.observed.export())


def _write_reports(run: Run, config: pytest.Config, exitstatus: int) -> None:
    """The controller (or the one process): the reports of the run, or a "did not run" report
    under --collect-only."""

    if config.option.collectonly:
        results.discard_stale(run.settings, reason="--collect-only: no test ran")
    else:
        results.write_all(run, exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = run_if_any(config)
    if run is None:
        return
    run.close()
    if not is_xdist_worker(config) and run.settings.pace_file:
        remove_pace_files(run.settings)
    outcomes = config.pluginmanager.get_plugin(_OUTCOMES)
    if outcomes is not None:
        config.pluginmanager.unregister(outcomes)
