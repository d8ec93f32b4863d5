"""Live safety, proven on the mock served over HTTP as if it were a live workspace: a full run
leaves every pre-existing record byte-for-byte as it was and nothing of its own behind, also
when interrupted; a killed run's leftovers are swept."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.engine.ledger import read_outstanding
from tests.suite_runner import ROOT, run_suite
from workspace import create_app
from workspace.server import serve_in_thread

ACCOUNTS = ("acme", "globex")
KEY = "acme-demo-key"


@pytest.fixture()
def live():
    """A seeded workspace on a loopback port, with its state before the run."""
    app = create_app()
    before = {a: app.backend.snapshot(a) for a in ACCOUNTS}
    base, stop = serve_in_thread(app, host="127.0.0.1", port=0)
    yield app, base.rstrip("/") + "/api", before
    stop()


def _live_args(url: str) -> list[str]:
    return ["--flexie-url", url, "--flexie-apikey", KEY,
            "--flexie-other-apikey", "globex-demo-key", "--flexie-ce-table", "projects"]


def _unchanged(app, before) -> bool:
    return {a: app.backend.snapshot(a) for a in ACCOUNTS} == before


#: Every test with the fuzzed cases; and the boundary cases of every operation that writes
#: (the coverage phase's ids and bodies go through the same binding, but are built otherwise).
RUNS = {
    "whole-suite": ("--flexie-coverage", "off"),
    # Two xdist workers share one ledger file and one workspace: each journals and cleans up
    # what it created, and the controller reports both.
    "whole-suite-two-workers": ("--flexie-coverage", "off", "-n", "2"),
    "coverage-of-writes": ("--flexie-coverage", "on", "-k",
                           "test_coverage and (PUT or PATCH or DELETE or new or edit)"),
}


@pytest.mark.slow
@pytest.mark.parametrize("selection", list(RUNS))
def test_a_full_run_leaves_the_workspace_as_it_was(live, tmp_path, selection):
    app, url, before = live
    run = run_suite(*_live_args(url), *RUNS[selection], reports=tmp_path)
    assert run.code == 0, run.output[-4000:]
    assert _unchanged(app, before), "pre-existing data changed or the run left records behind"
    assert read_outstanding(tmp_path / "ledger.jsonl") == []
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"the API key leaked into {path}"


#: Only against a hang: a loaded 2-core machine may be many times slower than a quiet one.
HANG_GUARD_S = 900


def _start(url: str, reports: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
           "--flexie-reports", str(reports), "--flexie-seed", "3", *_live_args(url)]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _wait_for_creates(ledger: Path, count: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while time.monotonic() < deadline and proc.poll() is None:
        if ledger.exists() and ledger.read_text().count('"created"') >= count:
            return
        time.sleep(0.2)
    pytest.fail("the run did not create records in time")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_still_cleans_up(live, tmp_path, signum):
    app, url, before = live
    proc = _start(url, tmp_path)
    _wait_for_creates(tmp_path / "ledger.jsonl", 60, proc)
    proc.send_signal(signum)
    output, _ = proc.communicate(timeout=HANG_GUARD_S)
    assert "cleanup deleted" in output, output[-3000:]
    assert _unchanged(app, before)
    assert read_outstanding(tmp_path / "ledger.jsonl") == []


@pytest.mark.slow
def test_an_interrupt_during_a_create_loses_no_record(tmp_path):
    """Ctrl-C while a create is in flight: the workspace makes the record, and the run must
    still learn its id, journal it and delete it (it stops before its next request)."""
    app = create_app()
    before = {a: app.backend.snapshot(a) for a in ACCOUNTS}
    child: dict[str, subprocess.Popen] = {}
    creates = itertools.count()

    def interrupting(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/new") \
                and next(creates) == 40 and "run" in child:
            child["run"].send_signal(signal.SIGINT)
            time.sleep(0.5)  # the signal arrives while the run waits for this answer
        return app(environ, start_response)

    base, stop = serve_in_thread(interrupting, host="127.0.0.1", port=0)
    try:
        child["run"] = _start(base.rstrip("/") + "/api", tmp_path)
        output, _ = child["run"].communicate(timeout=HANG_GUARD_S)
    finally:
        stop()
    assert "cleanup deleted" in output, output[-3000:]
    assert _unchanged(app, before), "a create cut off by Ctrl-C left its record behind"
    assert read_outstanding(tmp_path / "ledger.jsonl") == []


@pytest.mark.slow
def test_sweep_removes_what_a_killed_run_left(live, tmp_path):
    app, url, before = live
    proc = _start(url, tmp_path)
    _wait_for_creates(tmp_path / "ledger.jsonl", 40, proc)
    proc.kill()
    proc.communicate(timeout=HANG_GUARD_S)
    assert not _unchanged(app, before), "a killed run should have left records behind"
    sweep = subprocess.run(
        [sys.executable, "-m", "conformance", "sweep", "--url", url,
         "--ledger", str(tmp_path / "ledger.jsonl")],
        cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD_S,
        env={"FLEXIE_API_KEY": KEY, "PATH": "/usr/bin:/bin"})
    assert sweep.returncode == 0, sweep.stdout + sweep.stderr
    assert "sweeping" in sweep.stdout
    assert _unchanged(app, before)
