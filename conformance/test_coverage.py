"""Boundary cases: Schemathesis's coverage phase for every operation (each documented status,
boundary and near-miss values, missing required parts), sent through the same runner and
checks as the property tests.

The cases are built when the test runs, not at collection as Schemathesis's pytest plugin
builds them, so `-k`, `-x` and every xdist worker build only the operations they run.
"""

from __future__ import annotations

import pytest

from conformance.engine.tables import params
from conformance.report.results import spec_operations
from conformance.run import current

session = current()
KEYS = [key for key, _ in spec_operations(session.require_schema().raw_schema)]
OFF = pytest.param(None, id="coverage-off", marks=pytest.mark.skip(
    reason="the coverage phase is off (--flexie-coverage on runs its boundary cases)"))


@pytest.mark.parametrize("key", params(KEYS, session.settings.ce_table)
                         if session.settings.coverage else [OFF])
def test_coverage(key, flexie):
    flexie.run_coverage(session.schema, key)
