"""Dredd runs our spec, as it is, against the mock it describes, and every transaction passes.

Dredd sends each operation's examples (`x-example` on path parameters, a body's `example`) and
checks the documented success answer. Skipped where Dredd is not installed (CI has no Node):
put `dredd` on PATH, or point FLEXIE_DREDD at its executable
(`npm install dredd@14` in any folder gives `node_modules/.bin/dredd`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from contract.operations import OPERATIONS
from workspace import create_app
from workspace.server import serve_in_thread

SPEC = Path(__file__).resolve().parent.parent / "flexie-api.json"
DREDD = os.environ.get("FLEXIE_DREDD") or shutil.which("dredd")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.skipif(not DREDD or not shutil.which("node"),
                    reason="Dredd (Node) is not installed: set FLEXIE_DREDD or put dredd on PATH")
def test_dredd_passes_every_transaction(tmp_path):
    base, stop = serve_in_thread(create_app())
    try:
        proc = subprocess.run(
            [str(DREDD), str(SPEC), base.removesuffix("/api"), "--header",
             "apikey: acme-demo-key", "--loglevel", "warning"],
            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    finally:
        stop()
    output = _COLOUR.sub("", proc.stdout + proc.stderr)
    summary = re.search(r"complete: (\d+) passing, (\d+) failing, (\d+) errors", output)
    assert summary, output[-2000:]
    passing, failing, errors = (int(n) for n in summary.groups())
    failed = [line for line in output.splitlines() if line.startswith(("fail:", "error:"))]
    assert (failing, errors) == (0, 0), "\n".join(failed[:40])
    assert passing >= len(OPERATIONS), f"only {passing} transactions ran: {output[-1000:]}"
    assert proc.returncode == 0, output[-2000:]
