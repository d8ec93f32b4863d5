"""A fleet of generated accounts: many workspaces unlike each other, for the fleet path.

`fleet_toml(count, seed)` writes an accounts file in the one format both sides read
(contract/accounts.py): the mock serves it (`flexie-mock --accounts FILE`, or `--fleet N`
which writes and serves it at once) and the suite verifies it (`--flexie-accounts FILE`).
Each account gets its own key and two to six custom fields of varied types on varied record
kinds, some unique or required, and about a third a custom-entity table; the same count and
seed give the same file.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from contract.accounts import ENTITIES, parse_accounts
from contract.fields import FIELD_TYPES

#: Types a generated field may have: every contract type but lookup (its values name records
#: of another kind, which a generated account does not promise to hold).
TYPES: tuple[str, ...] = tuple(t for t in FIELD_TYPES if t != "lookup")
#: Types whose values can be unique in every record (the suite draws a run-scoped one).
UNIQUE_TYPES = ("text", "email", "integer", "number", "url", "phone")
_OPTIONS = ("north", "south", "east", "west", "gold", "silver", "bronze", "alpha", "beta")


def account_name(index: int) -> str:
    return f"fleet-{index:04d}"


def account_key(index: int) -> str:
    """The generated account's API key (the mock's admin key of that account)."""
    return f"{account_name(index)}-key"


def _field_lines(rng: random.Random, alias: str, entity: str | None) -> list[str]:
    ftype = rng.choice(TYPES)
    lines = ([f"entity = {json.dumps(entity)}"] if entity else []) + [
        f"alias = {json.dumps(alias)}", f"type = {json.dumps(ftype)}",
        f"label = {json.dumps(alias.replace('_', ' ').capitalize())}"]
    if ftype in ("select", "multiselect"):
        options = rng.sample(_OPTIONS, rng.randint(2, 4))
        lines.append(f"options = {json.dumps(options)}")
    if ftype in UNIQUE_TYPES and rng.random() < 0.15:
        lines.append("unique = true")
    elif rng.random() < 0.08:
        lines.append("required = true")
    return lines


def _account_lines(index: int, rng: random.Random) -> list[str]:
    name = account_name(index)
    lines = ["[[account]]", f"name = {json.dumps(name)}",
             f"api_key = {json.dumps(account_key(index))}",
             f"label = {json.dumps(f'Fleet workspace {index}')}", ""]
    for j in range(rng.randint(2, 6)):
        lines += ["[[account.field]]",
                  *_field_lines(rng, f"fx{index}_{j}", rng.choice(ENTITIES)), ""]
    if rng.random() < 0.35:
        lines += ["[[account.table]]", f"name = {json.dumps(f'table_{index}')}", ""]
        for j in range(rng.randint(1, 2)):
            lines += ["[[account.table.field]]", *_field_lines(rng, f"tx{index}_{j}", None), ""]
    return lines


def fleet_toml(count: int, seed: int = 1) -> str:
    """An accounts file of `count` generated accounts (checked by the one parser)."""
    if count < 1:
        raise ValueError(f"a fleet needs at least one account, not {count}")
    rng = random.Random(seed)
    lines = [f"# {count} generated accounts (workspace/fleet.py, seed {seed}): served by "
             "flexie-mock --accounts, verified by --flexie-accounts", ""]
    for index in range(1, count + 1):
        lines += _account_lines(index, rng)
    text = "\n".join(lines)
    parse_accounts(text, "<generated fleet>")
    return text


def write_fleet(path: str | Path, count: int, seed: int = 1) -> Path:
    """Write the fleet's accounts file to `path` and return it."""
    path = Path(path)
    path.write_text(fleet_toml(count, seed), encoding="utf-8")
    return path
