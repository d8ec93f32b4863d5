"""Flexie-specific checks, each a small named function in a registry.

Two kinds, as in Schemathesis: `case checks` look at one answer to a generated case (and may
read the record back); `probes` run once per operation and send requests of their own
(unknown ids, another account's key, malformed JSON). A failure is a `CheckFailure` naming
the check and the operation, with a message that says what was expected and what came.
"""

from conformance.checks import (  # noqa: F401  (registers)
    aliases,
    errors,
    listings,
    positive,
    probes,
    records,
)
from conformance.checks.registry import (
    CASE_CHECKS,
    PROBES,
    CheckContext,
    CheckFailure,
    case_check,
    probe,
)

__all__ = ["CASE_CHECKS", "PROBES", "CheckContext", "CheckFailure", "case_check", "probe"]
