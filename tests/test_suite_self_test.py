"""The conformance suite proves itself: green against the faithful mock, red against every
fault of the mock's catalogue, with the failing check named."""

from __future__ import annotations

import json

import pytest

from tests.suite_runner import run_suite
from workspace.faults import FAULTS


@pytest.mark.slow
def test_suite_passes_against_the_faithful_mock(tmp_path):
    run = run_suite(reports=tmp_path)
    assert run.code == 0, run.output[-6000:]
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["verdict"] == "passed"
    exercised = [o for o in report["operations"] if o["statuses"]["property"] == "passed"]
    assert len(exercised) == report["spec"]["operations"] == 194
    assert (tmp_path / "conformance.html").exists() and (tmp_path / "junit.xml").exists()


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_is_detected(tmp_path, fault):
    run = run_suite("--flexie-mock-fault", fault, "-x", reports=tmp_path)
    assert run.code == 1, f"fault {fault} went unnoticed:\n{run.output[-3000:]}"
    assert "FAILED" in run.output and f"faults {fault}" in run.output
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["verdict"] == "failed" and report["failures"], report["failures"]
