"""docs/architecture.md's "Where to add", proven: a check added as it says runs and is reported.

In a temporary copy of the project a new case check goes into a new module of
`conformance/checks/`, registered with `@case_check` and imported where the registry's other
modules are; it fails on one operation. The suite, run on the copy against the mock with `-k`
selecting that operation's property test, fails, and the report and JUnit name the failure
by the check and the operation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The operation the new check fails on, and the `-k` that selects its property test alone.
OPERATION = "GET /users/self"
SELECT = "test_operation and users/self"
CHECK = "self_answer_is_refused_for_the_test"

NEW_CHECK = f'''"""A check added by tests/test_where_to_add.py, as docs/architecture.md says."""

from __future__ import annotations

from schemathesis import Case

from conformance.checks.evidence import documented
from conformance.checks.registry import CheckContext, case_check
from conformance.engine.target import Reply


@case_check(evidence=documented("tests/test_where_to_add.py: fails on one operation"))
def {CHECK}(ctx: CheckContext, case: Case, reply: Reply) -> None:
    if ctx.op.key != {OPERATION!r}:
        raise ctx.not_checked("judges {OPERATION} only")
    raise ctx.fail("{CHECK} fails on purpose", reply)
'''


def _copy_project(to: Path) -> Path:
    shutil.copytree(ROOT, to, ignore=shutil.ignore_patterns(
        ".venv", ".git", "reports", "__pycache__", "*.egg-info", ".tox", ".mypy_cache",
        ".ruff_cache", ".hypothesis", ".pytest_cache"))
    return to


def _add_check(root: Path) -> None:
    checks = root / "conformance" / "checks"
    (checks / "where_to_add.py").write_text(NEW_CHECK, encoding="utf-8")
    init = checks / "__init__.py"
    text = init.read_text(encoding="utf-8")
    registering = "    records,\n)"  # the registry registers a module's checks on import
    assert registering in text, "conformance/checks/__init__.py no longer lists its modules"
    init.write_text(text.replace(registering, "    records,\n    where_to_add,\n)"),
                    encoding="utf-8")


def _run_suite(root: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["PYTHONPATH"] = str(root)  # the copy's packages, not the installed checkout's
    return subprocess.run(
        [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
         "--flexie-reports", str(root / "reports"), "--flexie-seed", "20261127",
         "--flexie-coverage", "off", "-k", SELECT],
        cwd=root, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = _copy_project(tmp_path_factory.mktemp("where-to-add") / "project")
    _add_check(root)
    proc = _run_suite(root)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output  # the run fails: on the new check, and only on it
    return root, output


def test_the_new_check_ran_on_its_operation_and_failed(added: tuple[Path, str]) -> None:
    root, output = added
    doc: dict[str, Any] = json.loads((root / "reports" / "conformance.json").read_text())
    failures = [(f["check"], f["operation"]) for f in doc["failures"]]
    assert failures == [(CHECK, OPERATION)], output
    op = next(o for o in doc["operations"] if o["key"] == OPERATION)
    assert op["checks"][CHECK]["outcome"] == "failed", op["checks"]


def test_junit_and_the_terminal_name_the_check_and_the_operation(
        added: tuple[Path, str]) -> None:
    root, output = added
    cases = ET.parse(root / "reports" / "junit.xml").getroot().iter("testcase")
    failed = [(case.get("name"), failure.get("message") or "")
              for case in cases for failure in case.iter("failure")]
    assert [name for name, _ in failed] == [f"test_operation[{OPERATION}]"], output
    assert f"[{CHECK}] {OPERATION}" in failed[0][1]
    assert f"[{CHECK}] {OPERATION}" in output


def test_the_check_is_not_in_the_checkout_itself() -> None:
    """The copy proved it: the project itself is left as it was."""
    assert not (ROOT / "conformance" / "checks" / "where_to_add.py").exists()
