"""The run is one frozen value, built complete by `start_run`, and the engine imports no pytest.

The plugin keeps the run in `config.stash` and hands it to the suite as a fixture; the engine
says "not applicable" and "the run stopped at setup" with exceptions of its own
(conformance/engine/outcomes.py), which the plugin turns into pytest's outcomes.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import unittest
from pathlib import Path

import pytest

from conformance.config.settings import Settings
from conformance.engine.outcomes import NotApplicable, SetupStopped, StartupError
from conformance.run import Run, ready, start_run

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "conformance" / "engine"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """A run against the embedded mock, in process (nothing is sent until a test needs it)."""
    reports = tmp_path_factory.mktemp("reports")
    return start_run(Settings.from_values({"reports": str(reports), "seed": "7"}))


def test_start_run_sets_every_field(run: Run) -> None:
    unset = [f.name for f in dataclasses.fields(Run) if getattr(run, f.name) is None]
    assert not unset, f"start_run left {unset} unset"
    assert run.alias_plan.everyone, "the embedded mock's demo accounts are the plan"
    assert run.schema.raw_schema["paths"], "the schema is the spec under test"
    assert run.runner.target is run.target and run.runner.observed is run.observed


def test_no_field_of_a_run_is_optional() -> None:
    optional = [f.name for f in dataclasses.fields(Run)
                if re.search(r"\|\s*None\b|\bNone\s*\||Optional\[", str(f.type))]
    assert not optional, f"fields every run has are never None: {optional}"


def test_a_run_is_frozen(run: Run) -> None:
    for f in dataclasses.fields(Run):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(run, f.name, getattr(run, f.name))


def test_the_records_are_set_up_once_by_the_first_test_that_needs_them(run: Run) -> None:
    assert not run.setup.done
    runner = ready(run)
    assert runner is run.runner and run.setup.done
    assert run.runner.owned.ids, "the pool of owned records exists"
    assert ready(run) is runner


def test_a_run_stopped_at_setup_stops_every_test_that_needs_it(run: Run) -> None:
    stopped = dataclasses.replace(run, setup=dataclasses.replace(
        run.setup, stopped="flexie: the workspace broke the contract at its first request"))
    with pytest.raises(SetupStopped, match="broke the contract at its first request"):
        ready(stopped)


def test_a_run_that_cannot_start_says_why_in_one_line(tmp_path: Path) -> None:
    settings = Settings.from_values({"reports": str(tmp_path), "spec": str(tmp_path / "no")})
    with pytest.raises(StartupError) as raised:
        start_run(settings)
    assert "\n" not in str(raised.value) and str(raised.value)


def test_not_applicable_is_a_skip_pytest_knows() -> None:
    assert issubclass(NotApplicable, unittest.SkipTest)


def _pytest_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        found += [f"{path.name}:{node.lineno} imports {name}" for name in names
                  if name.split(".")[0] in ("pytest", "_pytest")]
    return found


def test_the_engine_imports_no_pytest() -> None:
    modules = sorted(ENGINE.glob("*.py"))
    assert modules
    found = [line for path in modules for line in _pytest_imports(path)]
    assert not found, found


def test_the_pytest_import_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "late.py"
    module.write_text("def f():\n    import pytest\n    from _pytest import junitxml\n")
    assert len(_pytest_imports(module)) == 2


def test_only_the_plugin_state_reads_xdist_workerinput() -> None:
    """One function says whether this process is an xdist worker; the controller's handing
    of the seed to a worker (`node.workerinput[...] = `) writes, it does not read."""
    readers = []
    for path in sorted((ROOT / "conformance").rglob("*.py")):
        if path == ROOT / "conformance" / "plugin" / "state.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "workerinput" in line and "node.workerinput[" not in line:
                readers.append(f"{path.relative_to(ROOT)}:{number}")
    assert not readers, readers
