"""The run: everything one run shares, typed, complete and frozen, in one place.

`start_run(settings)` builds it in named steps (the alias plan, open the target, preflight,
load the schema, prepare the runner) or raises StartupError with one readable line. The pytest
plugin keeps it in `config.stash` (conformance/plugin/state.py) and hands it to the suite's test
modules as the session fixture `run`; nothing holds it in a global. Its fields never change:
what changes while the run goes on lives in the objects it holds (what it observed, the alias
results, how far its setup got).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.checks.aliases.plan import AliasPlan, build_plan
from conformance.config.settings import Settings
from conformance.engine import session_setup
from conformance.engine.outcomes import SetupStopped, StartupError
from conformance.engine.runner import Runner
from conformance.engine.tables import table_of
from conformance.engine.target import Target, make_target
from conformance.observed import Observed

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from contract.lint import Problem


@dataclass
class Setup:
    """How far the run's setup got: whether its records were set up (the first test that
    needed them did it), and why the run stopped at setup (None: it did not)."""

    done: bool = False
    stopped: str | None = None


@dataclass(frozen=True)
class Run:
    """One run: its settings, the target, the schema, the runner, the alias plan, what it
    observed."""

    settings: Settings
    target: Target
    schema: OpenApiSchema
    spec_problems: tuple[Problem, ...]
    runner: Runner
    alias_plan: AliasPlan
    observed: Observed
    #: Stops what opening the target started (the embedded mock's HTTP server), if anything.
    close: Callable[[], None]
    started: float
    setup: Setup = field(default_factory=Setup)

    @property
    def secrets(self) -> list[str]:
        """Every secret of the run: the configured ones and an OAuth token it obtained itself
        (client credentials), which no option names."""
        found = list(self.settings.secrets)
        bearer = self.target.bearer
        if bearer and bearer not in found:
            found.append(bearer)
        return found

    def target_as(self, apikey: str, url: str | None = None) -> Target:
        """The workspace under test (or another at `url`) with another account's key."""
        if url is None:
            return make_target(self.settings, base_url=self.target.base_url, apikey=apikey,
                               app=self.target.app)
        return make_target(self.settings, base_url=url, apikey=apikey)


def alias_plan(settings: Settings) -> AliasPlan:
    """The accounts to verify (and the run's custom-entity table, from its account)."""
    try:
        plan = build_plan(settings, settings.account)
    except ValueError as exc:  # the accounts file's own error type is a ValueError
        raise StartupError(str(exc)) from None
    settings.ce_table = table_of(plan.everyone, settings)
    return plan


def start_run(settings: Settings) -> Run:
    """The run, complete: its alias plan, a reachable target and the narrowed schema.

    Raises StartupError with one readable line when any of them cannot be had. A target that
    breaks the contract at its first request still gives a run: its finding is recorded, and
    the first test that needs the records stops the run on it."""
    started = time.time()
    observed = Observed()
    plan = alias_plan(settings)
    opened = session_setup.open_target(settings)
    try:
        stopped = session_setup.preflight(settings, opened.target, observed)
        schema, problems = session_setup.load_schema(settings, opened.target)
    except StartupError:
        opened.close()
        raise
    runner = session_setup.prepare(settings, opened.target, observed)
    return Run(settings=settings, target=opened.target, schema=schema,
               spec_problems=tuple(problems), runner=runner, alias_plan=plan,
               observed=observed, close=opened.close, started=started,
               setup=Setup(stopped=stopped))


def ready(run: Run) -> Runner:
    """The runner, its records set up by the first test that needs them. Raises SetupStopped
    when the run stopped at setup (its finding recorded), now or in an earlier test."""
    if run.setup.stopped is not None:
        raise SetupStopped(run.setup.stopped)
    if not run.setup.done:
        run.setup.done = True
        try:
            session_setup.set_up(run.runner, run.schema)
        except SetupStopped as exc:
            run.setup.stopped = exc.message
            raise
    return run.runner


def clean_up(run: Run) -> None:
    """Delete what the run created (once a test set up its records), and say so."""
    if not run.setup.done:
        return
    deleted, failed = session_setup.cleanup(run.runner)
    sys.stderr.write(f"\nflexie: cleanup deleted {deleted} records created by run "
                     f"{run.settings.run_id}"
                     + (f"; could not delete {', '.join(failed)}" if failed else "") + "\n")
