"""The accounts file: which accounts to verify and the custom fields each should have.

The format is the one `flexie-mock --accounts` reads (so a mock account file is also a valid
expectation of that mock):

    [[account]]
    name = "acme"
    url = "https://acme.flexie.io/api"   # omit to verify the embedded mock's account
    key_env = "ACME_FLEXIE_KEY"          # environment variable holding the key

    [[account.field]]
    entity = "contacts"                  # contacts, leads, accounts, deals or cases
    alias = "industry_code"
    type = "select"
    options = ["AGR", "MAN"]
    required = false

    [[account.table]]                    # a custom-entity table and its fields
    name = "projects"
    [[account.table.field]]
    alias = "budget"
    type = "number"

Keys the mock needs (api_key, client_id, labels ...) are accepted and ignored here; an API key
is never read from this file for a live account, only from the named environment variable.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from contract.fields import FIELD_TYPES
from contract.resources import KINDS_BY_NAME

STANDARD = ("contacts", "leads", "accounts", "deals", "cases")
_IGNORED = {"label", "api_key", "viewer_key", "client_id", "client_secret", "category"}


class AccountsFileError(ValueError):
    """The accounts file cannot be used; the message is one line naming file and place."""


@dataclass(frozen=True)
class ExpectedField:
    entity: str  # "contacts" ... or "ce:projects"
    alias: str
    type: str
    options: tuple[str, ...] = ()
    required: bool = False
    unique: bool = False

    def as_definition(self) -> dict:
        return {"alias": self.alias, "type": self.type, "options": list(self.options),
                "required": self.required, "unique": self.unique}


@dataclass
class ExpectedAccount:
    name: str
    url: str | None
    key_env: str | None
    api_key: str | None  # only used for the embedded mock's demo accounts
    fields: list[ExpectedField] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)

    def entities(self) -> list[str]:
        return [*STANDARD, *(f"ce:{t}" for t in self.tables)]

    def expected(self, entity: str) -> list[ExpectedField]:
        return [f for f in self.fields if f.entity == entity]

    def key(self) -> str:
        if self.key_env:
            value = os.environ.get(self.key_env)
            if not value:
                raise AccountsFileError(f"account {self.name}: environment variable "
                                        f"{self.key_env} is not set")
            return value
        if self.url is None and self.api_key:
            return self.api_key
        raise AccountsFileError(f"account {self.name}: give key_env, the environment variable "
                                "that holds its API key")


def _field(raw: dict, entity: str | None, where: str) -> ExpectedField:
    if not isinstance(raw, dict):
        raise AccountsFileError(f"{where}: a field must be a table")
    unknown = set(raw) - {"entity", "alias", "type", "options", "required", "unique"} - _IGNORED
    if unknown:
        raise AccountsFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    entity = entity or raw.get("entity")
    if entity not in STANDARD:
        raise AccountsFileError(f"{where}: entity must be one of {', '.join(STANDARD)}, "
                                f"not {entity!r}")
    alias, kind = raw.get("alias"), raw.get("type")
    if not isinstance(alias, str) or not alias:
        raise AccountsFileError(f"{where}: a field needs an alias")
    if kind not in FIELD_TYPES:
        raise AccountsFileError(f"{where}: field {alias!r} has unknown type {kind!r}")
    options = raw.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise AccountsFileError(f"{where}: options of {alias!r} must be a list of strings")
    return ExpectedField(entity, alias, kind, tuple(options), bool(raw.get("required")),
                         bool(raw.get("unique")))


def load_accounts(path: Path) -> list[ExpectedAccount]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AccountsFileError(f"accounts file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AccountsFileError(f"accounts file {path} is not valid TOML: {exc}") from None
    accounts = []
    raw_accounts = data.get("account")
    if not isinstance(raw_accounts, list) or not raw_accounts:
        raise AccountsFileError(f"{path}: no [[account]] tables")
    for index, raw in enumerate(raw_accounts, 1):
        name = raw.get("name") if isinstance(raw, dict) else None
        where = f"{path}: account {name or '#' + str(index)}"
        if not isinstance(name, str) or not name:
            raise AccountsFileError(f"{where}: an account needs a name")
        account = ExpectedAccount(name, raw.get("url"), raw.get("key_env"), raw.get("api_key"))
        for n, f in enumerate(raw.get("field", []), 1):
            account.fields.append(_field(f, None, f"{where}, field #{n}"))
        for table in raw.get("table", []):
            tname = table.get("name") if isinstance(table, dict) else None
            if not isinstance(tname, str) or not tname:
                raise AccountsFileError(f"{where}: a table needs a name")
            account.tables.append(tname)
            for n, f in enumerate(table.get("field", []), 1):
                exp = _field({**f, "entity": "contacts"}, None, f"{where}, table {tname} "
                             f"field #{n}")
                account.fields.append(ExpectedField(f"ce:{tname}", exp.alias, exp.type,
                                                    exp.options, exp.required, exp.unique))
        accounts.append(account)
    return accounts


def entity_path(entity: str) -> str:
    if entity.startswith("ce:"):
        return f"/ce/{entity[3:]}"
    return KINDS_BY_NAME[entity].path


def entity_kind(entity: str):
    return KINDS_BY_NAME["custom_entities" if entity.startswith("ce:") else entity]
