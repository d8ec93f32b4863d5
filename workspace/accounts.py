"""Accounts of the mocked workspace: keys, OAuth clients, custom fields and custom tables.

Accounts are data, read from TOML (stdlib tomllib). The two demo accounts ship in
`demo_accounts.toml` in the same format `--accounts FILE` reads, so the format is exercised on
every start. Every account differs in its custom fields, which is the point: a conformance
suite must read `list/fields` instead of assuming one account's shape.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from contract.fields import FIELD_TYPES, Field
from contract.resources import CUSTOM_ENTITIES, KINDS_BY_NAME, RecordKind

DEMO_FILE = Path(__file__).with_name("demo_accounts.toml")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_ALIAS = re.compile(r"^[a-z][A-Za-z0-9_]{0,63}$")
_TABLE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_FIELD_KEYS = {"entity", "alias", "type", "label", "options", "required", "unique", "category"}
_ACCOUNT_KEYS = {"name", "label", "api_key", "viewer_key", "client_id", "client_secret",
                 "field", "table"}
STANDARD_KINDS = tuple(n for n, k in KINDS_BY_NAME.items() if not k.is_custom_entity)
_SEARCHABLE = frozenset({"text", "textarea", "email", "phone", "url", "select", "country",
                         "region", "timezone"})


class AccountsError(ValueError):
    """A malformed accounts file; the message is one readable line naming the problem."""


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


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    fields: tuple[Field, ...]


@dataclass
class Account:
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
        for name in STANDARD_KINDS:
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


def _where(source: str, account: str) -> str:
    return f"{source}: account {account}"


def _str(value: object, what: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise AccountsError(f"{where}: {what} must be a non-empty string")
    return value


def _field(raw: object, where: str, *, needs_entity: bool) -> tuple[str | None, Field]:
    if not isinstance(raw, dict):
        raise AccountsError(f"{where}: a field must be a table")
    unknown = sorted(set(raw) - _FIELD_KEYS)
    if unknown:
        raise AccountsError(f"{where}: unknown field key(s) {', '.join(unknown)}")
    alias = _str(raw.get("alias"), "field alias", where)
    where = f"{where}: field {alias!r}"
    if not _ALIAS.match(alias):
        raise AccountsError(f"{where}: alias must match {_ALIAS.pattern}")
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        raise AccountsError(f"{where}: type must be one of {', '.join(FIELD_TYPES)}")
    options = raw.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) and o for o in options):
        raise AccountsError(f"{where}: options must be a list of strings")
    if ftype in ("select", "multiselect") and not options:
        raise AccountsError(f"{where}: a {ftype} field needs options")
    for flag in ("required", "unique"):
        if not isinstance(raw.get(flag, False), bool):
            raise AccountsError(f"{where}: {flag} must be true or false")
    entity = None
    if needs_entity:
        entity = raw.get("entity")
        if entity not in STANDARD_KINDS:
            raise AccountsError(f"{where}: entity must be one of {', '.join(STANDARD_KINDS)}")
    label = raw.get("label", "")
    category = raw.get("category", "custom")
    if not isinstance(label, str) or not isinstance(category, str) or not category:
        raise AccountsError(f"{where}: label and category must be strings")
    return entity, Field(alias, ftype, label=label, options=tuple(options),
                         required=raw.get("required", False), unique=raw.get("unique", False),
                         category=category, custom=True)


def _check_aliases(fields: tuple[Field, ...], standard: tuple[Field, ...], where: str) -> None:
    seen = {f.alias for f in standard}
    for f in fields:
        if f.alias in seen or f.alias in ("id", "date_added", "date_modified"):
            raise AccountsError(f"{where}: field {f.alias!r} is defined twice or is standard")
        seen.add(f.alias)


def _account(raw: object, index: int, source: str) -> Account:
    if not isinstance(raw, dict):
        raise AccountsError(f"{source}: account #{index} must be a table")
    name = _str(raw.get("name"), "name", f"{source}: account #{index}")
    where = _where(source, repr(name))
    if not _NAME.match(name):
        raise AccountsError(f"{where}: name must match {_NAME.pattern}")
    unknown = sorted(set(raw) - _ACCOUNT_KEYS)
    if unknown:
        raise AccountsError(f"{where}: unknown key(s) {', '.join(unknown)}")
    strings = {k: _str(raw.get(k, default), k, where) for k, default in (
        ("label", name.capitalize()), ("api_key", f"{name}-demo-key"),
        ("viewer_key", f"{name}-viewer-key"), ("client_id", f"{name}-client"),
        ("client_secret", f"{name}-secret"))}
    if strings["api_key"] == strings["viewer_key"]:
        raise AccountsError(f"{where}: api_key and viewer_key must differ")
    custom: dict[str, list[Field]] = {}
    for item in _array(raw.get("field", []), "field", where):
        entity, f = _field(item, where, needs_entity=True)
        custom.setdefault(entity or "", []).append(f)
    frozen = {k: tuple(v) for k, v in custom.items()}
    for entity, fields in frozen.items():
        _check_aliases(fields, KINDS_BY_NAME[entity].fields, f"{where}: {entity}")
    tables: dict[str, Table] = {}
    for item in _array(raw.get("table", []), "table", where):
        table = _table(item, where)
        if table.name in tables:
            raise AccountsError(f"{where}: table {table.name!r} is defined twice")
        tables[table.name] = table
    return Account(name, strings["label"], strings["api_key"], strings["viewer_key"],
                   strings["client_id"], strings["client_secret"], frozen, tables)


def _array(value: object, what: str, where: str) -> list:
    if not isinstance(value, list):
        raise AccountsError(f"{where}: {what} must be an array of tables ([[account.{what}]])")
    return value


def _table(raw: object, where: str) -> Table:
    if not isinstance(raw, dict):
        raise AccountsError(f"{where}: a table must be a TOML table")
    name = _str(raw.get("name"), "table name", where)
    where = f"{where}: table {name!r}"
    if not _TABLE.match(name):
        raise AccountsError(f"{where}: name must match {_TABLE.pattern}")
    unknown = sorted(set(raw) - {"name", "label", "field"})
    if unknown:
        raise AccountsError(f"{where}: unknown key(s) {', '.join(unknown)}")
    fields = tuple(_field(item, where, needs_entity=False)[1]
                   for item in _array(raw.get("field", []), "field", where))
    _check_aliases(fields, CUSTOM_ENTITIES.fields, where)
    label = raw.get("label", name.replace("_", " ").capitalize())
    return Table(name, _str(label, "label", where), fields)


def parse_accounts(text: str, source: str = "<accounts>") -> list[Account]:
    """Parse the accounts format; AccountsError (one line) on anything malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccountsError(f"{source}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"account"})
    if unknown:
        raise AccountsError(f"{source}: unknown top-level key(s) {', '.join(unknown)}; "
                            "define accounts as [[account]] tables")
    raw_accounts = data.get("account", [])
    if not isinstance(raw_accounts, list) or not raw_accounts:
        raise AccountsError(f"{source}: define at least one [[account]] table")
    return [_account(raw, i + 1, source) for i, raw in enumerate(raw_accounts)]


def load_accounts(path: str | Path) -> list[Account]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountsError(f"{path}: cannot read accounts file: {exc}") from None
    return parse_accounts(text, str(path))


def demo_accounts() -> list[Account]:
    return load_accounts(DEMO_FILE)


def build_registry(accounts_file: str | Path | None = None) -> Registry:
    """The demo accounts plus the ones of `accounts_file`, checked for clashing keys."""
    registry = Registry(demo_accounts())
    if accounts_file is not None:
        for acc in load_accounts(accounts_file):
            registry.add(acc)
    return registry
