"""Probes: deterministic checks per operation that send requests of their own (an unknown id,
another account's key, an unknown key, malformed JSON, an unknown alias, wrong types, a filter
and a search that must find what was written). See conformance/checks/."""

from __future__ import annotations

import pytest

from conformance.declared import Kind
from conformance.engine.runner import Runner
from conformance.plugin.params import operation_params
from conformance.plugin.state import run_of
from conformance.report.results import spec_operations
from contract.operations import OPERATIONS_BY_KEY


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run = run_of(metafunc.config)
    keys = [key for key, _ in spec_operations(run.schema.raw_schema) if key in OPERATIONS_BY_KEY]
    metafunc.parametrize("key", operation_params(keys, Kind.PROBE, run.settings.ce_table))


@pytest.mark.flexie(kind=Kind.PROBE, cost=3.9, tier=0, order=0)
def test_probes(key: str, flexie: Runner) -> None:
    flexie.probe(OPERATIONS_BY_KEY[key])
