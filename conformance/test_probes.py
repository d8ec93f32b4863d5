"""Probes: deterministic checks per operation that send requests of their own (an unknown id,
another account's key, an unknown key, malformed JSON, an unknown alias, wrong types, a filter
and a search that must find what was written). See conformance/checks/."""

from __future__ import annotations

import pytest

from conformance.engine.tables import params
from conformance.report.results import spec_operations
from conformance.run import current
from contract.operations import OPERATIONS_BY_KEY

KEYS = [key for key, _ in spec_operations(current().require_schema().raw_schema)
        if key in OPERATIONS_BY_KEY]


@pytest.mark.parametrize("key", params(KEYS, current().settings.ce_table))
def test_probes(key, flexie):
    flexie.probe(OPERATIONS_BY_KEY[key])
