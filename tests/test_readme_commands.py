"""Every suite command the README shows selects what it says.

The README is what a new user copies. Each `pytest conformance ...` line of its shell blocks is
collected here (`--collect-only`: the live ones need no workspace for that) and must select at
least one test; a line that says it selects one resource group (`-m GROUP`) must select only
that group's operations. Each `flexie-conformance`/`flexie-mock` subcommand it shows must parse.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from contract.operations import OPERATIONS_BY_KEY
from contract.resources import GROUPS
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


def collected(command: str, served: tuple[str, str]) -> list[str]:
    """The node ids `command` selects; a live command (one the README shows after exporting
    FLEXIE_URL, or a fleet's) reaches the mock over HTTP with a demo key, as a user's would
    reach theirs."""
    live_url, fleet = served
    live = command in LIVE_COMMANDS or FLEET_FILE in command
    command = command.replace(FLEET_URL, live_url).replace(FLEET_FILE, fleet)
    argv = shlex.split(command.replace('"$FLEXIE_URL"', live_url))
    argv = [sys.executable, *argv[1:], "--collect-only", "-q", "-p", "no:cacheprovider"]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FLEXIE_") and k != "PYTEST_CURRENT_TEST"}
    if live:
        env |= {"FLEXIE_URL": live_url, "FLEXIE_API_KEY": "acme-demo-key"}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return [line for line in done.stdout.splitlines() if "::" in line]


@pytest.mark.parametrize("command", SUITE_COMMANDS)
def test_each_suite_command_selects_what_it_says(command, live_url):
    nodeids = collected(command, live_url)
    assert nodeids, f"{command} selects no test"
    group = re.search(r"conformance .*-m (\w+)", command)
    if group is not None and group.group(1) == "aliases":
        assert all(n.startswith("conformance/test_aliases.py::") for n in nodeids), \
            f"{command} selects more than the alias checks: {nodeids[:5]}"
    elif group is not None:
        assert group.group(1) in GROUPS
        keys = [re.search(r"\[(.*)\]", n).group(1) for n in nodeids if "[" in n]
        ops = [OPERATIONS_BY_KEY.get(k) for k in keys]
        assert ops and all(op is not None and op.group == group.group(1) for op in ops), \
            f"{command} selects tests of other groups: {keys[:5]}"


@pytest.mark.parametrize("command", TOOL_COMMANDS)
def test_each_tool_command_parses(command):
    tool, *sub = command.split()
    argv = [sys.executable, "-m", "conformance" if tool == "flexie-conformance" else "workspace",
            *[word for word in sub if not word.startswith("-")], "--help"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{command}: {done.stderr[-1000:]}"
