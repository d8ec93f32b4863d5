"""Accounts of the mocked workspace: keys, OAuth clients, custom fields and custom tables.

Accounts are data, read from TOML by the one parser in `contract.accounts`. The two demo
accounts ship in `demo_accounts.toml` in the same format `--accounts FILE` reads, so the
format is exercised on every start. Every account differs in its custom fields, which is the
point: a conformance suite must read `list/fields` instead of assuming one account's shape.
This module adds what only the mock needs: default keys, per-kind field specs, key grants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from contract.accounts import ENTITIES, AccountsError, AccountSpec, Table, load_accounts
from contract.fields import Field
from contract.resources import CUSTOM_ENTITIES, KINDS_BY_NAME, RecordKind

#: The demo accounts file: the mock always serves it, the suite verifies it by default.
DEMO_FILE = Path(__file__).resolve().with_name("demo_accounts.toml")
_SEARCHABLE = frozenset({"text", "textarea", "email", "phone", "url", "select", "country",
                         "region", "timezone"})

__all__ = ["DEMO_FILE", "Account", "AccountsError", "Grant", "KindSpec", "Registry",
           "build_registry", "demo_accounts", "mock_account", "mock_accounts"]


@dataclass(frozen=True)
class KindSpec:
    """One record kind as one account sees it: standard plus custom fields, precomputed."""

    kind: RecordKind
    table: str | None
    resource: str  # storage key: "contacts" or "ce:projects"
    fields: tuple[Field, ...]
    by_alias: dict[str, Field] = field(compare=False)
    unique: tuple[str, ...]
    aliases: tuple[str, ...]
    searchable: tuple[str, ...]
    label: str

    @classmethod
    def build(cls, kind: RecordKind, table: str | None, fields: tuple[Field, ...],
              label: str = "") -> KindSpec:
        resource = f"ce:{table}" if table else kind.name
        return cls(kind, table, resource, fields, {f.alias: f for f in fields},
                   tuple(f.alias for f in fields if f.unique), tuple(f.alias for f in fields),
                   tuple(f.alias for f in fields if f.type in _SEARCHABLE),
                   label or kind.singular.capitalize())


@dataclass
class Account:
    """An account the mock serves: the file's account with its keys filled in."""

    name: str
    label: str
    api_key: str
    viewer_key: str | None
    client_id: str
    client_secret: str
    custom_fields: dict[str, tuple[Field, ...]]
    tables: dict[str, Table]
    specs: dict[tuple[str, str | None], KindSpec] = field(default_factory=dict, repr=False)
    categories: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name in ENTITIES:
            kind = KINDS_BY_NAME[name]
            self.specs[(name, None)] = KindSpec.build(
                kind, None, kind.fields + self.custom_fields.get(name, ()))
        for table in self.tables.values():
            self.specs[(CUSTOM_ENTITIES.name, table.name)] = KindSpec.build(
                CUSTOM_ENTITIES, table.name, CUSTOM_ENTITIES.fields + table.fields, table.label)
        for spec in self.specs.values():
            for f in spec.fields:
                self.categories.setdefault(f.category, len(self.categories) + 1)

    def spec(self, kind: str, table: str | None = None) -> KindSpec | None:
        return self.specs.get((kind, table))

    @property
    def admin_username(self) -> str:
        return f"{self.name}.admin"

    @property
    def viewer_username(self) -> str:
        return f"{self.name}.viewer"


@dataclass(frozen=True)
class Grant:
    """What an API key or token stands for: one user of one account."""

    account: Account
    username: str
    can_write: bool


class Registry:
    """All accounts, with the lookups the HTTP layer needs on every request."""

    def __init__(self, accounts: list[Account]) -> None:
        self.accounts: dict[str, Account] = {}
        self.keys: dict[str, Grant] = {}
        self.clients: dict[str, Account] = {}
        for acc in accounts:
            self.add(acc)

    def add(self, acc: Account) -> None:
        if acc.name in self.accounts:
            raise AccountsError(f"account {acc.name!r} is defined twice")
        grants = {acc.api_key: Grant(acc, acc.admin_username, True)}
        if acc.viewer_key:
            grants[acc.viewer_key] = Grant(acc, acc.viewer_username, False)
        for key in grants:
            if key in self.keys:
                raise AccountsError(f"account {acc.name!r}: key {key!r} is already used")
        if acc.client_id in self.clients:
            raise AccountsError(f"account {acc.name!r}: client_id {acc.client_id!r} is taken")
        self.accounts[acc.name] = acc
        self.keys.update(grants)
        self.clients[acc.client_id] = acc

    def admin_grant(self, name: str) -> Grant:
        acc = self.accounts[name]
        return Grant(acc, acc.admin_username, True)


def mock_account(spec: AccountSpec) -> Account:
    """The mock's account for a parsed one: the keys the file leaves out get their defaults."""
    name = spec.name
    api_key = spec.api_key or f"{name}-demo-key"
    viewer_key = spec.viewer_key or f"{name}-viewer-key"
    if api_key == viewer_key:
        raise AccountsError(f"{spec.where}: api_key and viewer_key must differ")
    return Account(name, spec.label or name.capitalize(), api_key, viewer_key,
                   spec.client_id or f"{name}-client", spec.client_secret or f"{name}-secret",
                   dict(spec.custom_fields), dict(spec.tables))


def mock_accounts(specs: list[AccountSpec]) -> list[Account]:
    return [mock_account(spec) for spec in specs]


def demo_accounts() -> list[Account]:
    return mock_accounts(load_accounts(DEMO_FILE))


def build_registry(accounts_file: str | Path | None = None) -> Registry:
    """The demo accounts plus the ones of `accounts_file`, checked for clashing keys."""
    registry = Registry(demo_accounts())
    if accounts_file is not None:
        for acc in mock_accounts(load_accounts(accounts_file)):
            registry.add(acc)
    return registry
