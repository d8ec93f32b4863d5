"""`pytest conformance` loads the Flexie plugin: options, target, ledger, cleanup, report.

conformance.plugin.redaction keeps the run's secrets out of every report and line it writes.
"""

pytest_plugins = ("conformance.plugin.hooks", "conformance.plugin.redaction")
