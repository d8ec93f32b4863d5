"""The drivers: what runs the alias checks against an account, one stage at a time.

`check_published_fields` runs the `FIELD_LIST` and `FIELDS` checks on one account's entity,
`check_round_trip` the `ROUND_TRIP` checks on a fresh record for one field, and under a request
budget `check_entity_round_trip` for every expected field of an entity on one record, each alias
judged on its own. Each runs every alias check registered for its stage
(conformance/checks/registry.py, `alias_check`), in the order registered: registering a check
is what runs it. A failure is one `CheckFailure` naming every check that failed and the
account, entity and alias(es), so a report line says what to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hypothesis.strategies import DataObject

from conformance.checks.aliases.context import AliasContext, PublishedFields, RoundTrip, SeededDraws
from conformance.checks.aliases.plan import owned_for, plan_of, published_fields, target_for
from conformance.checks.evidence import strongest
from conformance.checks.failure import CheckFailure
from conformance.checks.registry import AliasStage, alias_checks
from conformance.engine.generation import operation_seed
from conformance.engine.pacing import BudgetSpent
from conformance.run import Run
from contract.accounts import AccountSpec
from contract.fields import JsonObject

C = TypeVar("C", bound=AliasContext)


def run_stage(stage: AliasStage, ctx: C, failures: list[CheckFailure],
              done: Callable[[], bool]) -> None:
    """Run every check registered for `stage` on `ctx`, in order, adding what each raises to
    `failures`, until `done()` holds after one."""
    for check in alias_checks(stage):
        try:
            check.run(ctx)
        except CheckFailure as failure:
            failures.append(failure)
        if done():
            break


def _one_failure(failures: list[CheckFailure], where: str, note: str = "") -> CheckFailure:
    """One failure naming every check that failed, with all they found, resting on the
    strongest of their evidence."""
    return CheckFailure(", ".join(f.check for f in failures), where,
                        "; ".join(f.message for f in failures) + note,
                        evidence=strongest(f.evidence for f in failures))


# --- published fields ----------------------------------------------------------------------

def check_published_fields(run: Run, account: AccountSpec, entity: str) -> None:
    """The account publishes exactly the custom fields the file expects on `entity`."""
    ctx = PublishedFields(account.name, entity, run,
                          {f.alias: f for f in account.fields_of(entity)},
                          published_fields(run, account, entity))
    failures: list[CheckFailure] = []
    run_stage(AliasStage.FIELD_LIST, ctx, failures, lambda: bool(failures))  # first ends it
    if not failures:
        run_stage(AliasStage.FIELDS, ctx, failures, lambda: False)
    if failures:
        raise _one_failure(failures, ctx.where)


# --- round trip ----------------------------------------------------------------------------

def published_definition(run: Run, account: AccountSpec, entity: str,
                         alias: str) -> JsonObject | None:
    """The account's published definition of a custom alias (None: it is missing)."""
    return next((f for f in published_fields(run, account, entity) or ()
                 if f.get("alias") == alias and f.get("custom")), None)


def _failure(rt: RoundTrip, note: str = "") -> CheckFailure | None:
    """One failure naming every check that found problems and every alias that failed one."""
    if not rt.failures:
        return None
    aliases = [a for a in (str(d["alias"]) for d in rt.definitions) if a in rt.failed]
    named = f"alias{'es' if len(aliases) > 1 else ''} {', '.join(map(repr, aliases))}"
    return _one_failure(rt.failures, f"{rt.where}, {named}", note)


def _delete(rt: RoundTrip) -> None:
    """Delete the record: a step of the batch's own, counted like the others."""
    if rt.path and rt.target.request("DELETE", rt.path).status in (200, 204):
        rt.owned.ledger.deleted(rt.path)


def check_round_trip(run: Run, account: AccountSpec, entity: str, definition: JsonObject,
                     data: DataObject) -> None:
    """The field of `definition` round-trips on a fresh record, which is deleted after."""
    target = target_for(run, account)
    _judge_round_trip(run, account, RoundTrip(
        account.name, entity, target, owned_for(run, target, account), data, [definition],
        published_fields(run, account, entity) or []))


def check_entity_round_trip(run: Run, account: AccountSpec, entity: str,
                            definitions: list[JsonObject]) -> None:
    """Every field of `definitions` round-trips on one fresh record, batched: one create and
    one update for them all, each alias judged on its own. Under a request budget this is
    what fits (about 6 + 2 requests per field, not 21)."""
    target = target_for(run, account)
    seed = operation_seed(run.settings.seed, f"alias round trips {account.name} {entity}")
    _judge_round_trip(run, account, RoundTrip(
        account.name, entity, target, owned_for(run, target, account), SeededDraws(seed or 0),
        definitions, published_fields(run, account, entity) or [], batched=True))


def _judge_round_trip(run: Run, account: AccountSpec, rt: RoundTrip) -> None:
    """Run the round trip's steps while a field is still going, delete its record, and
    record each alias's outcome. Aliases the request budget left unjudged stay not-run; a
    failure found before it ran out is still reported."""
    plan = plan_of(run)
    aliases = [str(d["alias"]) for d in rt.definitions]
    for alias in aliases:
        plan.record(account.name, rt.entity, alias, round_trip="failed")
    spent: BudgetSpent | None = None
    try:
        run_stage(AliasStage.ROUND_TRIP, rt, rt.failures, lambda: not rt.active())
        _delete(rt)
    except BudgetSpent as exc:
        spent = exc
    finally:  # what the ledger still holds: cleanup, which the budget never refuses
        rt.owned.ledger.cleanup(lambda p: rt.target.request("DELETE", p, exempt=True).status)
    for alias in aliases:
        judged = alias in rt.failed or spent is None
        plan.record(account.name, rt.entity, alias,
                    round_trip=("failed" if alias in rt.failed else "passed") if judged
                    else "not-run", **({} if judged else {"detail": "request budget spent"}))
    failure = _failure(rt, "" if spent is None else
                       " (found before the request budget was spent)")
    if failure is not None:
        raise failure
    if spent is not None:
        raise spent
