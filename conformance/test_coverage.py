"""Boundary cases: Schemathesis's coverage phase for every operation (each documented status,
boundary and near-miss values, missing required parts), sent through the same runner and
checks as the property tests.

The cases are built when the test runs, not at collection as Schemathesis's pytest plugin
builds them, so `-k`, `-x` and every xdist worker build only the operations they run.
"""

from __future__ import annotations

import pytest

from conformance.declared import Kind
from conformance.engine.runner import Runner
from conformance.plugin.params import operation_params
from conformance.plugin.state import run_of
from conformance.report.results import spec_operations
from conformance.run import Run

OFF = pytest.param(None, id="coverage-off", marks=pytest.mark.skip(
    reason="the coverage phase is off (--flexie-coverage on runs its boundary cases)"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run = run_of(metafunc.config)
    keys = [key for key, _ in spec_operations(run.schema.raw_schema)]
    metafunc.parametrize("key", operation_params(keys, Kind.COVERAGE, run.settings.ce_table)
                         if run.settings.coverage else [OFF])


@pytest.mark.flexie(kind=Kind.COVERAGE)
def test_coverage(key: str, flexie: Runner, run: Run) -> None:
    flexie.run_coverage(run.schema, key)
