"""The pytest edge: hooks, the command line, redaction of what pytest writes, the fleet's
threads, shards, the budget's order and the verdict on test reports. The only code that
touches pytest."""
