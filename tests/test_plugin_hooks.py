"""The suite's pytest hooks run: pytest registers only attributes named `pytest_*`, so a
hook implementation named otherwise (even with `specname`) is silently never called."""

from __future__ import annotations

import subprocess
import sys

from conformance.plugin import hooks as plugin
from tests.suite_runner import ROOT


def test_every_hook_implementation_has_a_name_pytest_registers() -> None:
    hooks = {name for name, value in vars(plugin).items() if hasattr(value, "pytest_impl")}
    assert hooks and all(name.startswith("pytest_") for name in hooks), sorted(hooks)


def test_tests_run_in_the_plugins_order_after_selection() -> None:
    """Probes first, alias checks near the end (plugin._ORDER), not in file order."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:cacheprovider",
         "--collect-only", "-k", "test_fields_match_expectation or "
         "(test_probes and GET and contacts and id and not list)"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    nodeids = [line for line in done.stdout.splitlines() if "::" in line]
    assert nodeids and nodeids[0].startswith("conformance/test_probes.py"), nodeids[:3]
    assert nodeids[-1].startswith("conformance/test_aliases.py"), nodeids[-3:]
