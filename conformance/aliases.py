"""Per-account custom-field verification: the plan (what to check) and the results matrix."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.accounts import (
    AccountsFileError,
    ExpectedAccount,
    ExpectedField,
    entity_kind,
    entity_path,
    load_accounts,
)
from conformance.ledger import Ledger
from conformance.owned import OwnedRecords
from conformance.target import Target

DEMO_ACCOUNTS = Path(__file__).resolve().parent.parent / "workspace" / "demo_accounts.toml"


@dataclass
class AliasPlan:
    accounts: list[ExpectedAccount] = field(default_factory=list)
    results: dict[tuple[str, str, str], dict] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    published: dict[tuple[str, str], list[dict]] = field(default_factory=dict)

    def record(self, account: str, entity: str, alias: str, **values: Any) -> None:
        row = self.results.setdefault((account, entity, alias), {
            "account": account, "entity": entity, "alias": alias, "type": "",
            "expected": False, "present": False, "type_ok": None, "round_trip": "not-run",
            "detail": ""})
        row.update(values)


def build_plan(settings: Any, only: str | None = None) -> AliasPlan:
    path = settings.accounts_file or (DEMO_ACCOUNTS if settings.embedded else None)
    if path is None:
        return AliasPlan()
    accounts = load_accounts(path)
    if only:
        accounts = [a for a in accounts if a.name == only]
        if not accounts:
            raise AccountsFileError(f"account {only!r} is not in {path}")
    return AliasPlan(accounts)


def target_for(session: Any, plan: AliasPlan, account: ExpectedAccount) -> Target:
    if account.name not in plan.targets:
        from conformance.session_setup import EMBEDDED_BASE

        s = session.settings
        key = account.key()
        if account.url is None and s.embedded:
            base = session.target.base_url
            app = session.app if base == EMBEDDED_BASE else None
            plan.targets[account.name] = Target(base, apikey=key, app=app,
                                                rate_limit=s.rate_limit)
        elif account.url is None:
            plan.targets[account.name] = Target(session.target.base_url, apikey=key,
                                                auth=s.auth, rate_limit=s.rate_limit)
        else:
            plan.targets[account.name] = Target(account.url, apikey=key, auth=s.auth,
                                                rate_limit=s.rate_limit)
    return plan.targets[account.name]


def published_fields(target: Target, entity: str) -> list[dict] | None:
    reply = target.request("GET", f"{entity_path(entity)}/list/fields")
    if reply.status != 200 or not isinstance(reply.json, list):
        return None
    return [f for f in reply.json if isinstance(f, dict)]


def owned_for(session: Any, target: Target, account: ExpectedAccount) -> OwnedRecords:
    """A pool of owned records on another account, journaled in the same ledger file."""
    s = session.settings
    ledger = Ledger(s.reports / "ledger.jsonl", s.run_id, target.base_url + f"#{account.name}")
    return OwnedRecords(target, ledger, s.run_id, None, allow_send=False)


def base_payload(owned: OwnedRecords, entity: str, custom: list[dict]) -> dict:
    """A valid create body: the kind's example, fresh unique values, required custom fields."""
    from strategies import value_for

    kind = entity_kind(entity)
    owned.custom_fields[kind.name] = [f for f in custom if f.get("custom")]
    body = owned.payload(kind.name)
    for f in custom:
        if f.get("custom") and f.get("unique"):
            body[f["alias"]] = owned.unique()
        elif f.get("custom") and f.get("required"):
            body[f["alias"]] = value_for(f).example()
    return body


def expected_field_row(f: ExpectedField) -> dict:
    return {"type": f.type, "expected": True}
