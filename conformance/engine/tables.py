"""Which custom-entity table a run tests, and the one reason its operations are skipped
when there is none.

The table is never guessed: `--flexie-ce-table`, else the first `[[account.table]]` of the
run's own account in the accounts file (named by `--flexie-account`, or the account whose
key the run uses); with neither, every operation with `{tableName}` in its path is skipped,
so nothing is ever sent to a table the account may not have.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from conformance.config.settings import Settings
from contract.accounts import AccountSpec

if TYPE_CHECKING:
    pass

NO_TABLE = ("no custom-entity table to test: pass --flexie-ce-table, or give the run's "
            "account an [[account.table]] in --flexie-accounts")


def needs_table(path: str) -> bool:
    """Whether an operation (its key or path) names a custom-entity table."""
    return "{tableName}" in path


def run_account(accounts: Iterable[AccountSpec], settings: Settings) -> AccountSpec | None:
    """The account of the file the run works as: `--flexie-account`, else the one whose key
    (its key_env variable's value, or the mock's api_key) is the run's key."""
    accounts = list(accounts)
    if settings.account:
        return next((a for a in accounts if a.name == settings.account), None)
    for account in accounts:
        key = os.environ.get(account.key_env) if account.key_env else account.api_key
        if key and key == settings.apikey:
            return account
    return None


def table_of(accounts: Iterable[AccountSpec], settings: Settings) -> str | None:
    """The table to test: the option's, else the run's account's first table, else None."""
    if settings.ce_table:
        return settings.ce_table
    account = run_account(accounts, settings)
    return next(iter(account.tables), None) if account is not None else None

