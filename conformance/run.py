"""The run context: everything one run shares, typed, in one place.

The pytest plugin builds it in `pytest_configure` and tears it down at the end; test modules,
session setup, alias verification and the report read it through `current()`. Nothing else
holds run state in a global.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.config.settings import Settings
from conformance.engine.target import Target, make_target
from conformance.observed import Observed

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from conformance.checks.aliases.plan import AliasPlan
    from conformance.engine.runner import Runner
    from conformance.plugin.fleet import Fleet
    from contract.lint import Problem
    from workspace.app import WorkspaceApp


@dataclass
class RunContext:
    """One run: its settings, the target and (embedded) app, the schema, what it observed."""

    settings: Settings
    target: Target | None = None
    app: WorkspaceApp | None = None
    stop_server: Callable[[], None] | None = None
    schema: OpenApiSchema | None = None
    spec_problems: list[Problem] = field(default_factory=list)
    runner: Runner | None = None
    alias_plan: AliasPlan | None = None
    #: The accounts' alias tests running side by side (conformance/plugin/fleet.py), once started.
    fleet: Fleet | None = None
    observed: Observed = field(default_factory=Observed)
    started: float = field(default_factory=time.time)
    #: Why the run stopped before any test ran (None: it did not), for the report.
    startup_error: str | None = None

    @property
    def secrets(self) -> list[str]:
        """Every secret of the run: the configured ones and an OAuth token it obtained itself
        (client credentials), which no option names."""
        found = list(self.settings.secrets)
        bearer = self.target.bearer if self.target is not None else None
        if bearer and bearer not in found:
            found.append(bearer)
        return found

    def require_target(self) -> Target:
        if self.target is None:
            raise RuntimeError("the run has no target yet")
        return self.target

    def require_schema(self) -> OpenApiSchema:
        if self.schema is None:
            raise RuntimeError("the run has no schema yet")
        return self.schema

    def target_as(self, apikey: str, url: str | None = None) -> Target:
        """The workspace under test (or another at `url`) with another account's key."""
        main = self.require_target()
        if url is None:
            return make_target(self.settings, base_url=main.base_url, apikey=apikey,
                               app=main.app)
        return make_target(self.settings, base_url=url, apikey=apikey)


_CURRENT: RunContext | None = None


def install(run: RunContext | None) -> None:
    """Make `run` the current run (None: there is none, e.g. after unconfigure)."""
    global _CURRENT
    _CURRENT = run


def current() -> RunContext:
    """The current run; test modules call this at import to declare what to test."""
    if _CURRENT is None:
        raise RuntimeError("the flexie plugin is not configured")
    return _CURRENT


def active() -> RunContext | None:
    """The current run, or None outside a configured session (hooks that may run early)."""
    return _CURRENT
