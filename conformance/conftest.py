"""`pytest conformance` loads the Flexie plugin: options, target, ledger, cleanup, report.

conformance.redaction keeps the run's secrets out of every report and line it writes.
"""

pytest_plugins = ("conformance.plugin", "conformance.redaction")
