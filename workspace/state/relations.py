"""Relations between records: static lists and members, deal associations, workflow links."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any


class RelationsMixin:
    """Part of `Backend`; expects its `_tx`, `_query` and `_lock`."""

    _db: sqlite3.Connection

    def _forget_relations(self, db: sqlite3.Connection, record_id: int) -> None:
        db.execute("DELETE FROM list_members WHERE record_id = ?", (record_id,))
        db.execute("DELETE FROM associations WHERE deal_id = ? OR record_id = ?",
                   (record_id, record_id))
        db.execute("DELETE FROM workflow_links WHERE record_id = ? OR workflow_id = ?",
                   (record_id, record_id))

    # --- static lists -----------------------------------------------------------------------

    def create_list(self, account: str, resource: str, name: str, alias: str,
                    is_global: bool = False) -> dict[str, Any]:
        with self._tx() as db:  # type: ignore[attr-defined]
            cur = db.execute("INSERT INTO lists (account, resource, name, alias, is_global) "
                             "VALUES (?, ?, ?, ?, ?)", (account, resource, name, alias,
                                                        int(is_global)))
        return {"id": cur.lastrowid, "name": name, "alias": alias, "isGlobal": is_global,
                "memberCount": 0}

    _LIST_SQL = ("SELECT l.id, l.name, l.alias, l.is_global, (SELECT COUNT(*) FROM list_members"
                 " m WHERE m.list_id = l.id) FROM lists l")

    @staticmethod
    def _list(t: tuple) -> dict[str, Any]:
        return {"id": t[0], "name": t[1], "alias": t[2], "isGlobal": bool(t[3]),
                "memberCount": t[4]}

    def static_lists(self, account: str, resource: str) -> list[dict[str, Any]]:
        rows = self._query(  # type: ignore[attr-defined]
            self._LIST_SQL + " WHERE l.account = ? AND l.resource = ? ORDER BY l.id",
            (account, resource))
        return [self._list(t) for t in rows]

    def get_list(self, account: str, resource: str, list_id: int) -> dict[str, Any] | None:
        rows = self._query(  # type: ignore[attr-defined]
            self._LIST_SQL + " WHERE l.id = ? AND l.account = ? AND l.resource = ?",
            (list_id, account, resource))
        return self._list(rows[0]) if rows else None

    def add_to_list(self, list_id: int, record_id: int) -> None:
        with self._tx() as db:  # type: ignore[attr-defined]
            db.execute("INSERT OR IGNORE INTO list_members VALUES (?, ?)", (list_id, record_id))

    def remove_from_list(self, list_id: int, record_id: int) -> None:
        with self._tx() as db:  # type: ignore[attr-defined]
            db.execute("DELETE FROM list_members WHERE list_id = ? AND record_id = ?",
                       (list_id, record_id))

    def lists_of(self, record_id: int) -> list[dict[str, Any]]:
        rows = self._query(  # type: ignore[attr-defined]
            self._LIST_SQL + " WHERE l.id IN (SELECT list_id FROM list_members WHERE "
            "record_id = ?) ORDER BY l.id", (record_id,))
        return [self._list(t) for t in rows]

    # --- deal associations ------------------------------------------------------------------

    def associate(self, deal_id: int, kind: str, ids: Iterable[int]) -> None:
        with self._tx() as db:  # type: ignore[attr-defined]
            db.executemany("INSERT OR IGNORE INTO associations VALUES (?, ?, ?)",
                           [(deal_id, kind, i) for i in ids])

    def dissociate(self, deal_id: int, kind: str, ids: Iterable[int]) -> None:
        with self._tx() as db:  # type: ignore[attr-defined]
            db.executemany("DELETE FROM associations WHERE deal_id = ? AND kind = ? AND "
                           "record_id = ?", [(deal_id, kind, i) for i in ids])

    def associations(self, deal_id: int) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {"leads": [], "contacts": [], "accounts": []}
        for kind, rid in self._query(  # type: ignore[attr-defined]
                "SELECT kind, record_id FROM associations WHERE deal_id = ? ORDER BY kind, "
                "record_id", (deal_id,)):
            out.setdefault(kind, []).append(rid)
        return out

    # --- workflow links ---------------------------------------------------------------------

    def link_workflow(self, record_id: int, workflow_id: int) -> None:
        with self._tx() as db:  # type: ignore[attr-defined]
            db.execute("INSERT OR IGNORE INTO workflow_links VALUES (?, ?)",
                       (record_id, workflow_id))

    def workflow_ids(self, record_id: int) -> list[int]:
        return [r[0] for r in self._query(  # type: ignore[attr-defined]
            "SELECT workflow_id FROM workflow_links WHERE record_id = ? ORDER BY workflow_id",
            (record_id,))]
