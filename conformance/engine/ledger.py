"""A journal of every record the suite creates, so that it can delete exactly those.

Each line of reports/ledger.jsonl is one event: a record created (with the path that deletes
it) or deleted. Writes are appends of one line, safe across threads and xdist workers. The
cleanup at session end and the `sweep` command after a killed run both read it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    run: str
    target: str
    resource: str
    path: str  # the path (below /api) whose DELETE removes the record


class Ledger:
    def __init__(self, path: Path, run: str, target: str) -> None:
        self.path = path
        self.run = run
        self.target = target
        self._lock = threading.Lock()
        self._created: list[Entry] = []
        self._deleted: set[str] = set()
        path.parent.mkdir(parents=True, exist_ok=True)

    def _append(self, event: dict[str, str]) -> None:
        line = json.dumps({**event, "run": self.run, "target": self.target, "at": time.time()})
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def created(self, resource: str, path: str) -> None:
        with self._lock:
            self._created.append(Entry(self.run, self.target, resource, path))
        self._append({"event": "created", "resource": resource, "path": path})

    def deleted(self, path: str) -> None:
        with self._lock:
            self._deleted.add(path)
        self._append({"event": "deleted", "path": path})

    def owns(self, path: str) -> bool:
        with self._lock:
            return any(e.path == path for e in self._created) and path not in self._deleted

    def outstanding(self) -> list[Entry]:
        with self._lock:
            return [e for e in self._created if e.path not in self._deleted]

    def cleanup(self, delete: Callable[[str], int]) -> tuple[int, list[str]]:
        """Delete what this run created, newest first; (deleted, paths that resisted)."""
        return _delete_all(self, reversed(self.outstanding()), delete)


def _delete_all(ledger: Ledger, entries: Iterable[Entry],
                delete: Callable[[str], int]) -> tuple[int, list[str]]:
    """Delete each entry; what is refused (a pipeline deals still use) is retried once after
    the rest are gone."""
    done, pending = 0, list(entries)
    for _ in range(2):
        refused = []
        for entry in pending:
            status = delete(entry.path)
            if status in (200, 204, 404):  # 404: already gone (deleted by a test or cascade)
                ledger.deleted(entry.path)
                done += status != 404
            else:
                refused.append((entry, status))
        pending = [entry for entry, _ in refused]
        if not pending:
            break
    return done, [f"{entry.path} (HTTP {status})" for entry, status in refused]


def read_outstanding(path: Path, target: str | None = None) -> list[Entry]:
    """Records created by any run and never deleted (for `sweep`), oldest first."""
    created: dict[tuple[str, str], Entry] = {}
    if not path.exists():
        return []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a killed run
        key = (event.get("target", ""), event.get("path", ""))
        if event.get("event") == "created":
            created[key] = Entry(event["run"], key[0], event.get("resource", ""), key[1])
        elif event.get("event") == "deleted":
            created.pop(key, None)
    return [e for e in created.values() if target is None or e.target == target]


def sweep(path: Path, target: str, delete: Callable[[str], int]) -> tuple[int, list[str]]:
    ledger = Ledger(path, run="sweep", target=target)
    return _delete_all(ledger, reversed(read_outstanding(path, target)), delete)
