"""`pytest conformance` loads the Flexie plugin: options, target, ledger, cleanup, report."""

pytest_plugins = ("conformance.plugin",)
