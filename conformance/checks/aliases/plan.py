"""Per-account custom-field verification: the plan (what to check) and the results matrix.

The plan holds the accounts of the accounts file (the embedded mock's demo accounts by
default) and, per account, what the alias checks (`checks.py`, run by `drivers.py`) share: its
target (built through the run context, so it sends credentials like every other target of
the run), its published fields, and the rows of the results matrix the report shows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.config.settings import Settings
from conformance.config.shard import fleet_share
from conformance.engine.ledger import Ledger
from conformance.engine.owned import OwnedRecords
from conformance.engine.target import Target
from contract.accounts import AccountsError, AccountSpec, entity_path, load_accounts
from contract.fields import JsonObject
from workspace.accounts import DEMO_FILE

if TYPE_CHECKING:  # the run holds the plan: it is imported only to name its type
    from conformance.run import Run


@dataclass
class AliasPlan:
    """The accounts to verify and what their checks found, one row per account/entity/alias.
    `accounts` are this job's (its share of a fleet under --flexie-shard), `everyone` the
    file's (or the one chosen with --flexie-account)."""

    accounts: list[AccountSpec] = field(default_factory=list)
    everyone: list[AccountSpec] = field(default_factory=list)
    results: dict[tuple[str, str, str], JsonObject] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    published: dict[tuple[str, str], list[JsonObject] | None] = field(default_factory=dict)

    @property
    def fleet(self) -> bool:
        """Several accounts: sharded by account, verified side by side."""
        return len(self.everyone) > 1

    def record(self, account: str, entity: str, alias: str, **values: Any) -> None:
        row = self.results.setdefault((account, entity, alias), {
            "account": account, "entity": entity, "alias": alias, "type": "",
            "expected": False, "present": False, "type_ok": None, "round_trip": "not-run",
            "detail": ""})
        row.update(values)


def build_plan(settings: Settings, only: str | None = None) -> AliasPlan:
    """The accounts file's accounts (or just `only`), this job's share of them under
    --flexie-shard; none without a file against a live workspace, the mock's demo accounts
    against the embedded one."""
    path = settings.accounts_file
    if path is None and settings.embedded:
        path = DEMO_FILE
    if path is None:
        return AliasPlan()
    accounts = load_accounts(path)
    if only:
        accounts = [a for a in accounts if a.name == only]
        if not accounts:
            raise AccountsError(f"account {only!r} is not in {path}")
    return AliasPlan(fleet_share(accounts, settings.shard), accounts)


def plan_of(run: Run) -> AliasPlan:
    """The run's alias plan (built at start-up)."""
    return run.alias_plan


def account_key(account: AccountSpec) -> str:
    """The account's API key: from its `key_env` variable; the file's own `api_key` only for
    the workspace under test when no URL is given (the mock's accounts)."""
    if account.key_env:
        value = os.environ.get(account.key_env)
        if not value:
            raise AccountsError(f"{account.where}: environment variable {account.key_env} "
                                "is not set")
        return value
    if account.url is None and account.api_key:
        return account.api_key
    raise AccountsError(f"{account.where}: give key_env, the environment variable that "
                        "holds its API key")


def target_for(run: Run, account: AccountSpec) -> Target:
    """The account's target, built once per run: its URL (or the one under test), its key."""
    plan = plan_of(run)
    if account.name not in plan.targets:
        plan.targets[account.name] = run.target_as(account_key(account), account.url)
    return plan.targets[account.name]


def published_fields(run: Run, account: AccountSpec, entity: str) -> list[JsonObject] | None:
    """What the account's `list/fields` publishes for `entity` (None: no field list), once."""
    plan = plan_of(run)
    key = (account.name, entity)
    if key not in plan.published:
        reply = target_for(run, account).request("GET", f"{entity_path(entity)}/list/fields")
        ok = reply.status == 200 and isinstance(reply.json, list)
        plan.published[key] = [f for f in reply.json if isinstance(f, dict)] if ok else None
    return plan.published[key]


def owned_for(run: Run, target: Target, account: AccountSpec) -> OwnedRecords:
    """A pool of owned records on another account, journaled in the same ledger file."""
    s = run.settings
    ledger = Ledger(s.reports / "ledger.jsonl", s.run_id, target.base_url + f"#{account.name}")
    return OwnedRecords(target, ledger, s.run_id, None, allow_send=False)
