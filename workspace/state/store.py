"""The backend: records, unique values and snapshots over one SQLite connection.

One connection guarded by one lock (check_same_thread=False) keeps every operation atomic
under waitress' threads; SQLite work is microseconds, so the lock is not the bottleneck.
Methods take an account name and plain data and return `Row`s; they raise the typed errors
of `workspace.exceptions` (NotFound, Conflict) and never see a request.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from workspace.exceptions import Conflict
from workspace.state.relations import RelationsMixin
from workspace.state.schema import SCHEMA
from workspace.state.tokens import TokensMixin

_COLUMNS = "id, account, resource, parent_id, data, date_added, date_modified"


@dataclass(slots=True)
class Row:
    """One stored record: its id, owner, data (alias -> value) and timestamps."""

    id: int
    account: str
    resource: str
    parent_id: int | None
    data: dict[str, Any]
    date_added: str
    date_modified: str


def _row(t: tuple) -> Row:
    return Row(t[0], t[1], t[2], t[3], json.loads(t[4]), t[5], t[6])


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


def unique_key(value: Any) -> str:
    """How a unique value is compared: strings case-insensitively, others by JSON."""
    return value.casefold() if isinstance(value, str) else json.dumps(value, sort_keys=True)


class Backend(RelationsMixin, TokensMixin):
    """All state of all accounts; safe to share between threads."""

    def __init__(self, path: str = ":memory:", clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A transaction (nested calls join the outer one) under the lock."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._db
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    transaction = _tx

    def next_value(self, key: str, first: int) -> int:
        """An atomic counter kept in `meta` (case identifiers REF-1001, REF-1002 ...)."""
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            value = int(row[0]) if row else first
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                       (key, str(value + 1)))
        return value

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def now(self) -> str:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # --- unique values ----------------------------------------------------------------------

    def _claim(self, db: sqlite3.Connection, account: str, resource: str, record_id: int,
               data: Mapping[str, Any], unique: Iterable[str]) -> None:
        for alias in unique:
            value = data.get(alias)
            if value is None or value == "":
                db.execute("DELETE FROM uniques WHERE record_id = ? AND field = ?",
                           (record_id, alias))
                continue
            key = unique_key(value)
            owner = db.execute(
                "SELECT record_id FROM uniques WHERE account = ? AND resource = ? AND field = ?"
                " AND value = ?", (account, resource, alias, key)).fetchone()
            if owner is not None and owner[0] != record_id:
                raise Conflict(f"The value of unique field '{alias}' is already used by "
                               f"record {owner[0]}.")
            db.execute("DELETE FROM uniques WHERE record_id = ? AND field = ?",
                       (record_id, alias))
            db.execute("INSERT INTO uniques VALUES (?, ?, ?, ?, ?)",
                       (account, resource, alias, key, record_id))

    def find_by_unique(self, account: str, resource: str, alias: str, value: Any) -> Row | None:
        rows = self._query(
            f"SELECT {_COLUMNS} FROM records WHERE id = (SELECT record_id FROM uniques WHERE "
            "account = ? AND resource = ? AND field = ? AND value = ?) AND deleted_at IS NULL",
            (account, resource, alias, unique_key(value)))
        return _row(rows[0]) if rows else None

    # --- records ----------------------------------------------------------------------------

    def create_record(self, account: str, resource: str, data: Mapping[str, Any], *,
                      unique: Iterable[str] = (), parent_id: int | None = None,
                      stamp: str | None = None) -> Row:
        """Store a new record; Conflict when a unique value is taken."""
        stamp = stamp or self.now()
        data = dict(data)
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO records (account, resource, parent_id, data, date_added, "
                "date_modified) VALUES (?, ?, ?, ?, ?, ?)",
                (account, resource, parent_id, _dumps(data), stamp, stamp))
            record_id = int(cur.lastrowid or 0)
            self._claim(db, account, resource, record_id, data, unique)
        return Row(record_id, account, resource, parent_id, data, stamp, stamp)

    def get_record(self, account: str | None, resource: str, record_id: int) -> Row | None:
        """The live record, or None; account None finds it in any account."""
        with self._lock:
            t = self._db.execute(f"SELECT {_COLUMNS} FROM records WHERE id = ? AND "
                                 "deleted_at IS NULL", (record_id,)).fetchone()
        if t is None or t[2] != resource or (account is not None and t[1] != account):
            return None
        return _row(t)

    def update_record(self, account: str, resource: str, record_id: int,
                      changes: Mapping[str, Any], *, unique: Iterable[str] = (),
                      replace: bool = False) -> Row | None:
        """Write `changes` over the stored data (or instead of it with `replace`)."""
        with self._tx() as db:
            row = self.get_record(account, resource, record_id)
            if row is None:
                return None
            data = dict(changes) if replace else {**row.data, **changes}
            stamp = self.now()
            unique = tuple(unique)
            self._claim(db, account, resource, record_id, data, unique)
            db.execute("UPDATE records SET data = ?, date_modified = ? WHERE id = ?",
                       (_dumps(data), stamp, record_id))
        row.data, row.date_modified = data, stamp
        return row

    def delete_record(self, account: str, resource: str, record_id: int) -> bool:
        """Delete a record with its children, memberships, associations and links.

        The row itself is kept with `deleted_at` set (a trash, as CRMs keep one); every
        read but `list_records(include_deleted=True)` ignores it.
        """
        with self._tx() as db:
            if self.get_record(account, resource, record_id) is None:
                return False
            db.execute("UPDATE records SET deleted_at = ? WHERE id = ?", (self.now(), record_id))
            db.execute("DELETE FROM uniques WHERE record_id = ?", (record_id,))
            children = [r[0] for r in db.execute(
                "SELECT id FROM records WHERE parent_id = ?", (record_id,))]
            db.execute("DELETE FROM records WHERE parent_id = ?", (record_id,))
            for rid in (record_id, *children):
                self._forget_relations(db, rid)
        return True

    def list_records(self, account: str, resource: str, *, parent_id: int | None = None,
                     member_of: int | None = None, include_deleted: bool = False) -> list[Row]:
        """Every record of a resource in id order, optionally of one parent or list."""
        where, args = _record_filter(account, resource, parent_id, member_of, include_deleted)
        sql = f"SELECT {_COLUMNS} FROM records WHERE {where} ORDER BY id"
        return [_row(t) for t in self._query(sql, args)]

    def page_records(self, account: str, resource: str, *, start: int, limit: int | None,
                     descending: bool = False, parent_id: int | None = None,
                     member_of: int | None = None, include_deleted: bool = False,
                     ) -> tuple[int, list[Row]]:
        """One page in id order and the number of all records, without reading the rest."""
        where, args = _record_filter(account, resource, parent_id, member_of, include_deleted)
        order = "DESC" if descending else "ASC"
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM records WHERE {where}",
                                     args).fetchone()[0]
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM records WHERE {where} ORDER BY id {order} "
                "LIMIT ? OFFSET ?", (*args, -1 if limit is None else limit, start)).fetchall()
        return total, [_row(t) for t in rows]

    def records_by_ids(self, account: str, resource: str, ids: Iterable[int]) -> list[Row]:
        ids = list(ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [_row(t) for t in self._query(
            f"SELECT {_COLUMNS} FROM records WHERE account = ? AND resource = ? AND "
            f"deleted_at IS NULL AND id IN ({marks}) ORDER BY id", (account, resource, *ids))]

    def associations_for(self, deal_ids: Iterable[int]) -> dict[int, dict[str, list[int]]]:
        """The associations of many deals at once (search on related records)."""
        out: dict[int, dict[str, list[int]]] = {}
        ids = list(deal_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for deal, kind, rid in self._query(
                    "SELECT deal_id, kind, record_id FROM associations WHERE deal_id IN "
                    f"({','.join('?' * len(chunk))}) ORDER BY record_id", chunk):
                out.setdefault(deal, {}).setdefault(kind, []).append(rid)
        return out

    def newest_record(self, account: str, resource: str) -> Row | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM records WHERE account = ? AND resource = ? "
                           "AND deleted_at IS NULL ORDER BY id DESC LIMIT 1",
                           (account, resource))
        return _row(rows[0]) if rows else None

    def delete_children(self, parent_id: int, resource: str) -> int:
        """Delete every child of one resource (the notes of a record); how many went."""
        with self._tx() as db:
            ids = [r[0] for r in db.execute(
                "SELECT id FROM records WHERE parent_id = ? AND resource = ? AND "
                "deleted_at IS NULL", (parent_id, resource))]
            for rid in ids:
                db.execute("DELETE FROM records WHERE id = ?", (rid,))
                self._forget_relations(db, rid)
        return len(ids)

    # --- snapshots --------------------------------------------------------------------------

    def snapshot(self, account: str) -> dict:
        """Everything of one account as JSON-ready data in a deterministic order."""
        with self._lock:
            records: dict[str, list] = {}
            for t in self._db.execute(f"SELECT {_COLUMNS} FROM records WHERE account = ? AND "
                                      "deleted_at IS NULL ORDER BY resource, id", (account,)):
                records.setdefault(t[2], []).append({
                    "id": t[0], "parent_id": t[3], "data": json.loads(t[4]),
                    "date_added": t[5], "date_modified": t[6]})
            lists = [{"id": i, "resource": r, "name": n, "alias": a, "isGlobal": bool(g),
                      "members": [m[0] for m in self._db.execute(
                          "SELECT record_id FROM list_members WHERE list_id = ? "
                          "ORDER BY record_id", (i,))]}
                     for i, r, n, a, g in self._db.execute(
                         "SELECT id, resource, name, alias, is_global FROM lists WHERE "
                         "account = ? ORDER BY id", (account,)).fetchall()]
            ids = {r["id"] for rows in records.values() for r in rows}
            associations = [list(t) for t in self._db.execute(
                "SELECT deal_id, kind, record_id FROM associations ORDER BY deal_id, kind, "
                "record_id") if t[0] in ids]
            links = [list(t) for t in self._db.execute(
                "SELECT record_id, workflow_id FROM workflow_links ORDER BY record_id, "
                "workflow_id") if t[0] in ids]
        return {"account": account, "records": records, "lists": lists,
                "associations": associations, "workflow_links": links}


def _record_filter(account: str, resource: str, parent_id: int | None, member_of: int | None,
                   include_deleted: bool) -> tuple[str, list[Any]]:
    """The WHERE clause (and its arguments) selecting a resource's records."""
    where = "account = ? AND resource = ?"
    args: list[Any] = [account, resource]
    if not include_deleted:
        where += " AND deleted_at IS NULL"
    if parent_id is not None:
        where += " AND parent_id = ?"
        args.append(parent_id)
    if member_of is not None:
        where += " AND id IN (SELECT record_id FROM list_members WHERE list_id = ?)"
        args.append(member_of)
    return where, args
