"""Flexie-specific checks, each a small named function in one registry (`registry.CHECKS`).

Three kinds, each registered by its decorator: `case checks` look at one answer to a generated
case (and may read the record back); `probes` run once per operation and send requests of their
own (unknown ids, another account's key, malformed JSON); `alias checks` (conformance/checks/
aliases/) judge one account's custom fields at their stage. Registering a check is what runs it,
and importing any module of conformance/checks/ registers every check (this package imports
them all), so every process, the xdist controller too, knows every check by name.
A failure is a `CheckFailure` naming the check and what it judged, with a message that says
what was expected and what came.
"""

from conformance.checks import (  # noqa: F401  (registers)
    errors,
    listings,
    positive,
    probes,
    records,
)
from conformance.checks.aliases import checks as alias_checks  # noqa: F401  (registers)
from conformance.checks.registry import (
    CASE_CHECKS,
    CHECKS,
    PROBES,
    CheckContext,
    CheckFailure,
    case_check,
    probe,
)

__all__ = ["CASE_CHECKS", "CHECKS", "PROBES", "CheckContext", "CheckFailure", "case_check",
           "probe"]
