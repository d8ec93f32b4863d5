"""The accounts file: accounts, their custom fields and custom-entity tables, parsed once.

One TOML format serves both sides, so a file the mock serves is also a valid expectation of
that mock: `flexie-mock --accounts FILE` builds accounts from it, and the conformance suite
(`--flexie-accounts FILE`) reads it as the fields each account must publish.

    [[account]]
    name = "acme"                        # ^[a-z][a-z0-9_-]{0,39}$
    url = "https://acme.flexie.io/api"   # suite: omit to verify the workspace under test
    key_env = "ACME_FLEXIE_KEY"          # suite: environment variable holding the key
    api_key = "acme-demo-key"            # mock: label, api_key, viewer_key, client_id,
                                         # client_secret (the suite reads no live key here)
    [[account.field]]
    entity = "contacts"                  # a standard record kind (ENTITIES)
    alias = "industry_code"              # ^[a-z][A-Za-z0-9_]{0,63}$, not a standard alias
    type = "select"                      # a contract field type
    options = ["AGR", "MAN"]             # required (non-empty) for select and multiselect
    required = false
    unique = false
    label = "Industry code"              # optional
    category = "professional"            # optional, default "custom"

    [[account.table]]                    # a custom-entity table and its fields
    name = "projects"                    # ^[a-z][a-z0-9_]{0,63}$
    [[account.table.field]]
    alias = "budget"
    type = "number"

Each side applies its own defaults to what the file leaves out (the mock's keys, for one);
the model keeps what the file says. Anything malformed is one `AccountsError` line naming the
file and the place.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from contract.fields import FIELD_TYPES, Field, JsonObject
from contract.resources import CUSTOM_ENTITIES, KINDS_BY_NAME, RECORD_KINDS, RecordKind
from contract.schemas import TABLE_NAME_PATTERN

#: The standard record kinds a custom field may extend: every kind but custom entities.
ENTITIES: tuple[str, ...] = tuple(k.name for k in RECORD_KINDS if not k.is_custom_entity)
#: The mock's credentials: optional strings the suite accepts and ignores.
CREDENTIALS: tuple[str, ...] = ("api_key", "viewer_key", "client_id", "client_secret")

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_ALIAS = re.compile(r"^[a-z][A-Za-z0-9_]{0,63}$")
_TABLE = re.compile(TABLE_NAME_PATTERN)
_RESERVED = ("id", "date_added", "date_modified")
_FIELD_KEYS = {"entity", "alias", "type", "label", "options", "required", "unique", "category"}
_ACCOUNT_KEYS = {"name", "label", "url", "key_env", *CREDENTIALS, "field", "table"}
_TABLE_KEYS = {"name", "label", "field"}
_CE_PREFIX = "ce:"


class AccountsError(ValueError):
    """A malformed or unusable accounts file; the message is one line naming file and place."""


@dataclass(frozen=True)
class Table:
    """A custom-entity table of one account, with its fields beside the standard ones."""

    name: str
    label: str
    fields: tuple[Field, ...]

    @property
    def entity(self) -> str:
        """The table as an entity name: "ce:projects"."""
        return f"{_CE_PREFIX}{self.name}"


@dataclass(frozen=True)
class AccountSpec:
    """One account as the file describes it; absent optional keys stay None."""

    name: str
    source: str  # the file it was read from, for messages
    label: str | None = None
    url: str | None = None
    key_env: str | None = None
    api_key: str | None = None
    viewer_key: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    #: Custom fields of the standard kinds, by kind name ("contacts" ...), in file order.
    custom_fields: Mapping[str, tuple[Field, ...]] = field(default_factory=dict)
    tables: Mapping[str, Table] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """The account's place in its file, the prefix of every message about it."""
        return f"{self.source}: account {self.name!r}"

    def entities(self) -> list[str]:
        """Every entity of the account: the standard kinds, then "ce:<table>" per table."""
        return [*ENTITIES, *(t.entity for t in self.tables.values())]

    def fields_of(self, entity: str) -> tuple[Field, ...]:
        """The custom fields the file gives `entity` ("contacts" or "ce:projects")."""
        if entity.startswith(_CE_PREFIX):
            table = self.tables.get(entity[len(_CE_PREFIX):])
            return table.fields if table else ()
        return self.custom_fields.get(entity, ())

    def expected(self) -> list[tuple[str, Field]]:
        """Every custom field with its entity, standard kinds first, then the tables."""
        return [(entity, f) for entity in self.entities() for f in self.fields_of(entity)]


def entity_kind(entity: str) -> RecordKind:
    """The record kind of an entity name ("ce:<table>" is a custom entity)."""
    return CUSTOM_ENTITIES if entity.startswith(_CE_PREFIX) else KINDS_BY_NAME[entity]


def entity_path(entity: str) -> str:
    """The path prefix of an entity below /api: "/contacts" or "/ce/projects"."""
    if entity.startswith(_CE_PREFIX):
        return f"/ce/{entity[len(_CE_PREFIX):]}"
    return KINDS_BY_NAME[entity].path


# --- parsing -------------------------------------------------------------------------------

def _str(value: object, what: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise AccountsError(f"{where}: {what} must be a non-empty string")
    return value


def _optional_str(raw: JsonObject, key: str, where: str) -> str | None:
    return None if key not in raw else _str(raw[key], key, where)


def _unknown(raw: JsonObject, allowed: set[str], where: str, what: str = "key") -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise AccountsError(f"{where}: unknown {what}(s) {', '.join(unknown)}")


def _array(value: object, what: str, where: str) -> list[object]:
    if not isinstance(value, list):
        raise AccountsError(f"{where}: {what} must be an array of tables ([[account.{what}]])")
    return value


def _field(raw: object, where: str, *, needs_entity: bool) -> tuple[str | None, Field]:
    if not isinstance(raw, dict):
        raise AccountsError(f"{where}: a field must be a table")
    _unknown(raw, _FIELD_KEYS, where, "field key")
    alias = _str(raw.get("alias"), "field alias", where)
    where = f"{where}: field {alias!r}"
    if not _ALIAS.match(alias):
        raise AccountsError(f"{where}: alias must match {_ALIAS.pattern}")
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        raise AccountsError(f"{where}: type must be one of {', '.join(FIELD_TYPES)}, "
                            f"not {ftype!r}")
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
        if entity not in ENTITIES:
            raise AccountsError(f"{where}: entity must be one of {', '.join(ENTITIES)}, "
                                f"not {entity!r}")
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
        if f.alias in seen or f.alias in _RESERVED:
            raise AccountsError(f"{where}: field {f.alias!r} is defined twice or is standard")
        seen.add(f.alias)


def _table(raw: object, where: str) -> Table:
    if not isinstance(raw, dict):
        raise AccountsError(f"{where}: a table must be a TOML table")
    name = _str(raw.get("name"), "table name", where)
    where = f"{where}: table {name!r}"
    if not _TABLE.match(name):
        raise AccountsError(f"{where}: name must match {_TABLE.pattern}")
    _unknown(raw, _TABLE_KEYS, where)
    fields = tuple(_field(item, where, needs_entity=False)[1]
                   for item in _array(raw.get("field", []), "field", where))
    _check_aliases(fields, CUSTOM_ENTITIES.fields, where)
    label = raw.get("label", name.replace("_", " ").capitalize())
    return Table(name, _str(label, "label", where), fields)


def _account(raw: object, index: int, source: str) -> AccountSpec:
    if not isinstance(raw, dict):
        raise AccountsError(f"{source}: account #{index} must be a table")
    name = _str(raw.get("name"), "name", f"{source}: account #{index}")
    where = f"{source}: account {name!r}"
    if not _NAME.match(name):
        raise AccountsError(f"{where}: name must match {_NAME.pattern}")
    _unknown(raw, _ACCOUNT_KEYS, where)
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
    strings = {k: _optional_str(raw, k, where) for k in ("label", "url", "key_env", *CREDENTIALS)}
    return AccountSpec(name, source, custom_fields=frozen, tables=tables, **strings)


def parse_accounts(text: str, source: str = "<accounts>") -> list[AccountSpec]:
    """Parse the accounts format; AccountsError (one line) on anything malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccountsError(f"{source} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"account"})
    if unknown:
        raise AccountsError(f"{source}: unknown top-level key(s) {', '.join(unknown)}; "
                            "define accounts as [[account]] tables")
    raw_accounts = data.get("account", [])
    if not isinstance(raw_accounts, list) or not raw_accounts:
        raise AccountsError(f"{source}: define at least one [[account]] table")
    accounts = [_account(raw, i + 1, source) for i, raw in enumerate(raw_accounts)]
    names: set[str] = set()
    for acc in accounts:
        if acc.name in names:
            raise AccountsError(f"{acc.where} is defined twice")
        names.add(acc.name)
    return accounts


def load_accounts(path: str | Path) -> list[AccountSpec]:
    """Read and parse an accounts file; AccountsError if it cannot be read or is malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccountsError(f"{path}: accounts file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountsError(f"{path}: cannot read accounts file: {exc}") from None
    return parse_accounts(text, str(path))
