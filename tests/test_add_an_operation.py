"""Adding an operation touches `contract/` and one mock handler only.

In a temporary copy of the project, one read is added to `contract/operations.py` (an
`Action` member and the operation: `GET /deals/{id}/team`) and its handler to
`workspace/handlers/records.py`; `python -m contract.build` regenerates the spec. Nothing else
is edited, yet the operation is in `flexie-api.json`, the mock answers it as the contract
says, and the conformance suite runs it and reports it. Without the handler the mock refuses
to start, naming the operation in one line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.operations import OPERATIONS

ROOT = Path(__file__).resolve().parent.parent
KEY = "GET /deals/{id}/team"
IGNORE = shutil.ignore_patterns(".venv", ".git", "reports", "__pycache__", "*.egg-info",
                                ".*_cache", ".hypothesis")

# The two edits, as text: what a contributor would write.
ACTION_ANCHOR = '    DATA = "data"\n'
ACTION = '    TEAM = "team"\n'
OPERATION_ANCHOR = '           Action.OWNERS, response="list-owners", on_page=False),\n'
OPERATION = ('        op("GET", "/deals/{id}/team", "getDealTeam",\n'
             '           "Users that can work on a deal", "deals", Action.TEAM,\n'
             '           response="list-owners", on_page=False, in_published_spec=False),\n')
HANDLER_ANCHOR = "    def on_owners(self, call: Call) -> Result:\n"
HANDLER = ("    def on_deals_team(self, call: Call) -> Result:\n"
           "        self.on_get(call)  # 404 for a deal that is not there\n"
           "        return self.on_owners(call)\n\n")


def _insert(path: Path, anchor: str, text: str, *, before: bool = False) -> None:
    source = path.read_text()
    assert source.count(anchor) == 1, f"{path.name} changed: update this test's anchor {anchor!r}"
    path.write_text(source.replace(anchor, text + anchor if before else anchor + text))


def _copy(tmp: Path, *, handler: bool) -> Path:
    repo = tmp / "repo"
    shutil.copytree(ROOT, repo, ignore=IGNORE)
    operations = repo / "contract" / "operations.py"
    _insert(operations, ACTION_ANCHOR, ACTION)
    _insert(operations, OPERATION_ANCHOR, OPERATION)
    if handler:
        _insert(repo / "workspace" / "handlers" / "records.py", HANDLER_ANCHOR, HANDLER,
                before=True)
    return repo


def _python(repo: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python args` in the copy: its own modules come first on the path (`-m`, `-c`)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, *args], cwd=repo, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    repo = _copy(tmp_path_factory.mktemp("add-an-operation"), handler=True)
    built = _python(repo, "-m", "contract.build")
    assert built.returncode == 0, built.stderr
    assert f"({len(OPERATIONS) + 1} operations)" in built.stdout, built.stdout
    yield repo
    shutil.rmtree(repo, ignore_errors=True)


def test_the_operation_is_in_the_spec(added: Path) -> None:
    spec = json.loads((added / "flexie-api.json").read_text())
    operation = spec["paths"]["/deals/{id}/team"]["get"]
    assert operation["operationId"] == "getDealTeam"
    assert operation["x-flexie"]["action"] == "team"
    assert operation["x-flexie"]["effect"] == "reads"
    checked = _python(added, "-m", "contract.build", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


SERVE = """
import json
from contract.spec import validate_response
from workspace import create_app
from workspace.testing import JsonClient

client = JsonClient(create_app())
deal = client.call("GET", "/deals").body["deals"][0]["id"]
found = client.call("GET", f"/deals/{deal}/team")
validate_response("GET", "/deals/{id}/team", found.status, found.body)  # raises if not
missing = client.call("GET", "/deals/999999/team")
print(json.dumps({"status": found.status, "owners": len(found.body["owners"]),
                  "missing": missing.status}))
"""


def test_the_mock_serves_it(added: Path) -> None:
    served = _python(added, "-c", SERVE)
    assert served.returncode == 0, served.stderr
    answer = json.loads(served.stdout.splitlines()[-1])
    assert answer == {**answer, "status": 200, "missing": 404}
    assert answer["owners"] > 0


def test_the_suite_runs_and_reports_it(added: Path) -> None:
    run = _python(added, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
                  "--flexie-profile", "quick", "--flexie-seed", "1",
                  "-k", "test_operation and team", timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout, run.stdout[-2000:]
    report = json.loads((added / "reports" / "conformance.json").read_text())
    assert report["verdict"] == "passed"
    assert report["spec"]["operations"] == len(OPERATIONS) + 1
    reported = {o["key"]: o for o in report["operations"]}
    assert reported[KEY]["group"] == "deals"
    assert reported[KEY]["statuses"]["property"] == "passed"
    assert reported[KEY]["requests"] > 0


def test_a_missing_handler_stops_the_mock_in_one_line(tmp_path: Path) -> None:
    repo = _copy(tmp_path, handler=False)
    started = _python(repo, "-m", "workspace", "--port", "0", timeout=60)
    assert started.returncode == 2, started.stdout + started.stderr
    assert started.stdout == ""
    lines = started.stderr.splitlines()
    assert len(lines) == 1, started.stderr
    assert lines[0] == (f"flexie-mock: error: the mock has no handler for {KEY} "
                        "(on_deals_team or on_team in RecordHandlers)")
