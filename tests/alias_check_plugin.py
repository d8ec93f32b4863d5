"""A pytest plugin for tests/test_alias_registry.py: alias checks registered outside
conformance/checks/, as a project's own module would add one (`-p tests.alias_check_plugin`).

Registering is all it does: the drivers run every alias check of its stage. `plugin_sees_fields`
(stage FIELDS) writes what it saw into the alias matrix and fails on acme's contacts;
`plugin_sees_round_trips` (stage ROUND_TRIP) writes what it saw and fails on acme's deals.
"""

from __future__ import annotations

# The built-in alias checks first: a check runs after those registered before it at its stage.
from conformance.checks.aliases import checks as _builtin  # noqa: F401
from conformance.checks.aliases.context import PublishedFields, RoundTrip
from conformance.checks.evidence import documented
from conformance.checks.registry import AliasStage, alias_check

#: What the plugin's checks rest on: it reaches the report's failures.
SOURCE = "tests/alias_check_plugin.py: a plugin's own expectation"
SEEN = "seen by plugin_sees_fields"


@alias_check(stage=AliasStage.FIELDS, evidence=documented(SOURCE))
def plugin_sees_fields(ctx: PublishedFields) -> None:
    for alias, _expected, _published in ctx.present():
        ctx.record(alias, detail=SEEN)
    if (ctx.account, ctx.entity) == ("acme", "contacts"):
        raise ctx.fail("the plugin fails acme's contacts", "on purpose")


@alias_check(stage=AliasStage.ROUND_TRIP, evidence=documented(SOURCE))
def plugin_sees_round_trips(ctx: RoundTrip) -> None:
    if (ctx.account, ctx.entity) == ("acme", "deals"):
        raise ctx.fail(*(ctx.alias_fails(str(d["alias"]), "the plugin fails acme's deals")
                         for d in ctx.active()))
