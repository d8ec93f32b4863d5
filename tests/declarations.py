"""What each test of the suite declares (conformance/declared.py), as pytest collects it.

`collect(*options)` collects `pytest conformance` in a subprocess (the suite's plugin starts a
run and seeds Hypothesis process-wide: not in this process) with this module as an extra
plugin, which writes every selected item's node id, declaration and marks to a file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.declared import Declared, declared

ROOT = Path(__file__).resolve().parent.parent
#: Where the plugin writes what it collected (set by `collect`).
OUT = "FLEXIE_TEST_DECLARATIONS_OUT"


@dataclass(frozen=True)
class Collected:
    """One collected test: its declaration (None: it declares none) and its marks' names."""

    declared: Declared | None
    marks: frozenset[str]


def pytest_collection_finish(session: pytest.Session) -> None:
    path = os.environ.get(OUT)
    if not path:
        return
    found = {}
    for item in session.items:
        own = declared(item)
        found[item.nodeid] = {"declared": own.as_dict() if own is not None else None,
                              "marks": sorted({m.name for m in item.iter_markers()})}
    Path(path).write_text(json.dumps(found), encoding="utf-8")


def collect(*options: str, root: Path = ROOT) -> dict[str, Collected]:
    """Node id -> what it declares, of the tests `pytest conformance *options` selects."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "declared.json"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("FLEXIE_") and k != "PYTEST_CURRENT_TEST"}
        env[OUT] = str(out)
        argv = [sys.executable, "-m", "pytest", "conformance", "--collect-only", "-q",
                "-p", "no:cacheprovider", "-p", "tests.declarations",
                "--flexie-reports", str(Path(tmp) / "reports"), *options]
        done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True,
                              timeout=300)
        assert out.exists(), f"{argv}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        data = json.loads(out.read_text(encoding="utf-8"))
    return {nodeid: Collected(Declared.from_dict(d["declared"]) if d["declared"] else None,
                              frozenset(d["marks"]))
            for nodeid, d in data.items()}
