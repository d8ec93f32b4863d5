"""The spec under test is itself checked: a defective spec is reported, not a crash."""

from __future__ import annotations

import pytest

from conformance.declared import Kind
from conformance.run import Run


@pytest.mark.flexie(kind=Kind.SPEC, cost=0)
def test_spec_lint(run: Run) -> None:
    problems = run.spec_problems
    assert not problems, "the spec has defects:\n" + "\n".join(str(p) for p in problems)
