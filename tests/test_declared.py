"""What a suite test exercises, costs and belongs to is declared on it, never read from its name.

Every test `pytest conformance` collects carries a `flexie` mark (conformance/declared.py), in
each form of the suite (the round trips per field, or batched per entity under a budget). And in
a copy of the project whose scenario tests are renamed, the budget's order, the operations each
test exercises and the report come out as before.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.declared import Declared, Kind
from contract.operations import OPERATIONS_BY_KEY
from tests.declarations import ROOT, collect


@pytest.mark.parametrize("options", [(), ("--flexie-profile", "ci")], ids=["quick", "ci"])
def test_every_suite_test_declares_itself(options: tuple[str, ...]) -> None:
    tests = collect(*options)
    assert len(tests) > 400
    undeclared = [nodeid for nodeid, c in tests.items() if c.declared is None]
    assert not undeclared, undeclared[:5]
    for nodeid, c in tests.items():
        d = c.declared
        assert d is not None
        assert all(key in OPERATIONS_BY_KEY for key in d.exercises), nodeid
        if d.kind in (Kind.OPERATION, Kind.PROBE) or (d.kind is Kind.COVERAGE and d.exercises):
            assert d.operation is not None, nodeid
            assert OPERATIONS_BY_KEY[d.operation].group in c.marks, nodeid  # `-m GROUP`
        if d.kind is Kind.ALIAS and "no-accounts" not in nodeid:
            assert d.entity and d.check in ("fields", "round_trip") and d.exercises, nodeid
        if d.is_scenario:
            assert d.exercises, nodeid
        if d.group is not None:
            assert d.group in c.marks, nodeid


#: The scenario tests renamed in the copy, and their new names.
RENAMED = {"test_task_lifecycle": "test_a_task_from_start_to_end",
           "test_record_lifecycle": "test_each_kind_of_record_lives_and_dies"}


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with its scenario tests renamed."""
    copy = tmp_path_factory.mktemp("renamed") / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", ".git", "reports", "__pycache__", ".pytest_cache", ".mypy_cache",
        ".ruff_cache", "*.egg-info", ".tox"))
    module = copy / "conformance" / "test_scenarios.py"
    text = module.read_text(encoding="utf-8")
    for old, new in RENAMED.items():
        assert f"def {old}(" in text
        text = text.replace(f"def {old}(", f"def {new}(")
    module.write_text(text, encoding="utf-8")
    return copy


def _unnamed(nodeid: str) -> str:
    for old, new in RENAMED.items():
        nodeid = nodeid.replace(f"::{new}", f"::{old}")
    return nodeid


def _order(tests: dict) -> list[tuple[str, Declared | None]]:
    return [(_unnamed(nodeid), c.declared) for nodeid, c in tests.items()]


def test_renaming_a_scenario_keeps_the_budgets_order(renamed: Path) -> None:
    before = collect("--flexie-profile", "ci")
    after = collect("--flexie-profile", "ci", root=renamed)
    assert any(RENAMED["test_task_lifecycle"] in n for n in after), "the copy was not collected"
    assert _order(after) == _order(before)


def _report(root: Path, reports: Path) -> dict:
    """conformance.json of the tasks group (its operations and its scenario) under ci."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FLEXIE_") and k != "PYTEST_CURRENT_TEST"}
    argv = [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
            "-m", "tasks", "--flexie-profile", "ci", "--flexie-seed", "1",
            "--flexie-reports", str(reports)]
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:]
    return json.loads((reports / "conformance.json").read_text(encoding="utf-8"))


def _exercised(doc: dict) -> dict:
    """The parts of a report that say what was exercised, with the tests' names left out."""
    return {
        "operations": {o["key"]: (o["statuses"], o["exercise"], o["requests"])
                       for o in doc["operations"]},
        "coverage": doc["coverage"],
        "scenarios": sorted((s["group"], s["status"], tuple(s["operations"]))
                            for s in doc["scenarios"]),
        "failures": sorted(f["id"] for f in doc["failures"]),
        "requests": doc["traffic"]["requests"],
        "budget": {k: v for k, v in doc["budget"].items() if k != "left_out"},
        "checks": doc["checks"],
    }


def test_renaming_a_scenario_keeps_the_report(renamed: Path, tmp_path: Path) -> None:
    before = _report(ROOT, tmp_path / "before")
    after = _report(renamed, tmp_path / "after")
    names = [s["name"] for s in after["scenarios"]]
    assert any(re.match(RENAMED["test_task_lifecycle"], n) for n in names), names
    assert before["scenarios"] and after["scenarios"]
    assert _exercised(after) == _exercised(before)
