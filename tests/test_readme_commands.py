"""Every suite command the README shows selects what it says.

The README is what a new user copies. Each `pytest conformance ...` line of its shell blocks is
collected here (`--collect-only`: the live ones need no workspace for that) and must select at
least one test; a line that says it selects one resource group (`-m GROUP`) must select only
tests that declare that group (conformance/declared.py), and a `-k` line what its comment says.
The one-group command also runs, against the embedded mock, and passes. Each
`flexie-conformance`/`flexie-mock` subcommand it shows must parse.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.declared import Declared, Kind
from contract.resources import GROUPS
from tests.declarations import OUT, Collected
from workspace import create_app
from workspace.fleet import write_fleet
from workspace.server import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks() -> list[list[str]]:
    """The command lines of each of the README's bash blocks, comments removed."""
    blocks = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        block = re.sub(r"\\\n\s*", " ", block)  # a line continued with a backslash
        lines = [raw.split(" #", 1)[0].strip() for raw in block.splitlines()]
        blocks.append([line.rsplit("&& ", 1)[-1] for line in lines
                       if line and not line.startswith("#")])
    return blocks


def comments() -> dict[str, str]:
    """The comment the README gives each command line of its bash blocks."""
    found = {}
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        for raw in re.sub(r"\\\n\s*", " ", block).splitlines():
            line, _, comment = raw.partition(" #")
            if comment and line.strip():
                found[line.strip().rsplit("&& ", 1)[-1]] = comment.strip()
    return found


#: What the comment on a README command that selects with `-k` says, as a test each test it
#: selects must pass (by what the test declares).
K_SAYS = {
    "property tests of GETs on one contact": lambda d: d.kind is Kind.OPERATION
    and d.group == "contacts" and (d.operation or "").startswith("GET /contacts/{id}"),
}


def shell_lines() -> list[str]:
    return [line for block in shell_blocks() for line in block
            if not line.startswith("export ")]


SUITE_COMMANDS = [line for line in shell_lines() if " -m pytest conformance" in line]
#: Commands of a block that exports FLEXIE_URL: they run against that live workspace.
LIVE_COMMANDS = {line for block in shell_blocks()
                 if any(line.startswith("export FLEXIE_URL") for line in block)
                 for line in block if " -m pytest conformance" in line}
TOOL_COMMANDS = sorted({" ".join(line.split()[:2]) for line in shell_lines()
                        if line.split()[0] in ("flexie-conformance", "flexie-mock")})


def test_the_readme_shows_suite_commands():
    assert len(SUITE_COMMANDS) >= 4, SUITE_COMMANDS


#: Where the README's fleet recipe serves its generated accounts, and the file it writes.
FLEET_URL, FLEET_FILE = "http://127.0.0.1:8080/api", "fleet.toml"


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory):
    """The mock served over HTTP, with a small generated fleet beside the demo accounts: the
    README's live commands read FLEXIE_URL and its key, its fleet commands that fleet."""
    fleet = write_fleet(tmp_path_factory.mktemp("fleet") / FLEET_FILE, 3)
    base, stop = serve_in_thread(create_app(accounts_file=str(fleet)), host="127.0.0.1",
                                 port=0)
    yield base.rstrip("/") + "/api", str(fleet)
    stop()


def collected(command: str, served: tuple[str, str], tmp: Path) -> dict[str, Collected]:
    """The tests `command` selects and what each declares; a live command (one the README
    shows after exporting FLEXIE_URL, or a fleet's) reaches the mock over HTTP with a demo
    key, as a user's would reach theirs."""
    live_url, fleet = served
    live = command in LIVE_COMMANDS or FLEET_FILE in command
    command = command.replace(FLEET_URL, live_url).replace(FLEET_FILE, fleet)
    argv = shlex.split(command.replace('"$FLEXIE_URL"', live_url))
    argv = [sys.executable, *argv[1:], "--collect-only", "-q", "-p", "no:cacheprovider",
            "-p", "tests.declarations"]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FLEXIE_") and k != "PYTEST_CURRENT_TEST"}
    env[OUT] = str(tmp / "declared.json")
    if live:
        env |= {"FLEXIE_URL": live_url, "FLEXIE_API_KEY": "acme-demo-key"}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    selected = [line for line in done.stdout.splitlines() if "::" in line]
    data = json.loads((tmp / "declared.json").read_text(encoding="utf-8"))
    assert sorted(data) == sorted(selected)
    return {n: Collected(Declared.from_dict(d["declared"]) if d["declared"] else None,
                         frozenset(d["marks"])) for n, d in data.items()}


@pytest.mark.parametrize("command", SUITE_COMMANDS)
def test_each_suite_command_selects_what_it_says(command, live_url, tmp_path):
    tests = collected(command, live_url, tmp_path)
    assert tests, f"{command} selects no test"
    assert all(c.declared is not None for c in tests.values()), \
        [n for n, c in tests.items() if c.declared is None]
    group = re.search(r"conformance .*-m (\w+)", command)
    if group is not None and group.group(1) == "aliases":
        assert all(c.declared.kind is Kind.ALIAS for c in tests.values()), \
            f"{command} selects more than the alias checks: {list(tests)[:5]}"
    elif group is not None:
        assert group.group(1) in GROUPS
        other = [n for n, c in tests.items() if c.declared.group != group.group(1)]
        assert not other, f"{command} selects tests of other groups: {other[:5]}"
    if " -k " in command:
        says = K_SAYS[comments()[command]]
        other = [n for n, c in tests.items() if not says(c.declared)]
        assert not other, f"{command} selects more than its comment says: {other[:5]}"


def test_one_resource_group_runs_green_against_the_mock(tmp_path):
    """The README's `-m contacts` against the embedded mock: the contacts tests run, and
    pass (the operations' tests and the contacts scenario)."""
    command = next(c for c in SUITE_COMMANDS if c.endswith("-m contacts"))
    argv = [sys.executable, *shlex.split(command)[1:], "-q", "-p", "no:cacheprovider",
            "--flexie-reports", str(tmp_path)]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FLEXIE_") and k != "PYTEST_CURRENT_TEST"}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:]
    doc = json.loads((tmp_path / "conformance.json").read_text(encoding="utf-8"))
    ran = {o["key"] for o in doc["operations"] if o["statuses"]["property"] == "passed"}
    assert ran and all(k.split(" ", 1)[1].startswith(("/contacts", "/contact/")) for k in ran), \
        sorted(ran)[:5]
    assert [s["group"] for s in doc["scenarios"]] == ["contacts"], doc["scenarios"]


@pytest.mark.parametrize("command", TOOL_COMMANDS)
def test_each_tool_command_parses(command):
    tool, *sub = command.split()
    argv = [sys.executable, "-m", "conformance" if tool == "flexie-conformance" else "workspace",
            *[word for word in sub if not word.startswith("-")], "--help"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{command}: {done.stderr[-1000:]}"
