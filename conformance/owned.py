"""The records this run created, by resource: the only ones the suite may change or delete.

`OwnedRecords.setup` creates a small pool of each kind at the start of the session (journaled
in the ledger) and hands out ids for path parameters; `disposable` creates a fresh record for
each DELETE so deletes always have a real target and the pool stays intact.
"""

from __future__ import annotations

import itertools
import threading
import zlib
from dataclasses import dataclass, field

from conformance.ledger import Ledger
from conformance.target import Reply, Target
from contract.resources import COLLECTIONS_BY_NAME, KINDS_BY_NAME, RECORD_KINDS, RecordKind

#: Ids at and above this are never assigned by a workspace the suite tests; writes aimed at
#: records the suite cannot own (workflows, emails) go there and must answer 404.
UNKNOWN_ID = 2_000_000_000
POOL_SIZE = 3
#: One counter per process, shared by every pool, so run-scoped values never repeat.
_COUNTER = itertools.count()


class SetupError(Exception):
    """The pool of owned records could not be created: the target cannot be tested."""


@dataclass
class OwnedRecords:
    target: Target
    ledger: Ledger
    run_id: str
    ce_table: str | None
    allow_send: bool = False
    ids: dict[str, list[int]] = field(default_factory=dict)
    records: dict[tuple[str, int], dict] = field(default_factory=dict)
    lists: dict[str, list[int]] = field(default_factory=dict)
    custom_fields: dict[str, list[dict]] = field(default_factory=dict)
    read_only: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        from conformance.safety import WriteGuard

        if self.target is not None:
            self.target.guard = WriteGuard(self, read_only=self.read_only)

    # --- naming -------------------------------------------------------------------------
    def unique(self, stem: str = "") -> str:
        """A value no pre-existing record has: it carries the run id."""
        return f"{self.run_id}-{stem}{next(_COUNTER)}"

    def unique_email(self) -> str:
        return f"{self.unique('mail')}@example.test"

    def kind_path(self, kind: RecordKind) -> str | None:
        if kind.is_custom_entity:
            return f"/ce/{self.ce_table}" if self.ce_table else None
        return kind.path

    # --- payloads -----------------------------------------------------------------------
    def payload(self, resource: str) -> dict:
        """A valid create body for the resource with fresh unique values."""
        if resource in KINDS_BY_NAME:
            kind = KINDS_BY_NAME[resource]
            body = {k: v for k, v in kind.create_example.items() if k not in
                    ("owner_id", "pipeline_id", "stage_id")}
            for f in kind.fields:
                if f.unique and not f.read_only:
                    body[f.alias] = self.unique_email() if f.type == "email" else self.unique()
            body.update(self._required_custom_values(resource))
            return {k: v for k, v in body.items()
                    if k in {f.alias for f in kind.fields} or k in self._custom_aliases(resource)}
        return {
            "notes": lambda: {"text": "Conformance note " + self.unique(), "type": "call"},
            "tasks": lambda: {"task": "Conformance task " + self.unique()},
            "users": lambda: {"username": self.unique("user"), "firstName": "Conformance",
                              "lastName": "Run", "email": self.unique_email(),
                              "password": "Conf0rmance!"},
            "pipelines": lambda: {"name": "Conformance " + self.unique()},
        }[resource]()

    def _custom_aliases(self, resource: str) -> set[str]:
        return {f["alias"] for f in self.custom_fields.get(resource, [])}

    def _required_custom_values(self, resource: str) -> dict:
        from strategies import value_for  # lazily: strategies import hypothesis machinery

        values = {}
        for f in self.custom_fields.get(resource, []):
            if f.get("required") or f.get("unique"):
                value = value_for(f).example() if not f.get("unique") else self.unique()
                values[f["alias"]] = value
        return values

    # --- creating -----------------------------------------------------------------------
    def create(self, resource: str, *, parent: tuple[str, int] | None = None) -> dict:
        """Create one record, journal it and return it as the target answered it."""
        path, envelope, delete_path = self._create_route(resource, parent)
        reply = self.target.request("POST", path, json_body=self.payload(resource))
        record = self._unwrap(reply, envelope, f"POST {path}")
        self.ledger.created(resource, delete_path.format(id=record["id"]))
        with self._lock:
            self.ids.setdefault(resource, []).append(int(record["id"]))
            self.records[(resource, int(record["id"]))] = record
        return record

    def _create_route(self, resource: str, parent) -> tuple[str, str, str]:
        if resource in KINDS_BY_NAME:
            kind = KINDS_BY_NAME[resource]
            base = self.kind_path(kind)
            return f"{base}/new", kind.singular, base + "/{id}"
        if resource == "notes":
            kind_name, record_id = parent or ("contacts", self.ids["contacts"][0])
            note_type = KINDS_BY_NAME[kind_name].note_type
            return f"/notes/{note_type}/{record_id}", "note", "/notes/{id}"
        create = {"tasks": "/tasks/new", "users": "/users/new", "pipelines": "/pipelines"}
        return create[resource], COLLECTIONS_BY_NAME[resource].singular, f"/{resource}/{{id}}"

    @staticmethod
    def _unwrap(reply: Reply, envelope: str, what: str) -> dict:
        body = reply.json
        if reply.status not in (200, 201) or not isinstance(body, dict):
            raise SetupError(f"{what} answered HTTP {reply.status}: {reply.text[:200]}")
        record = body.get(envelope)
        if not isinstance(record, dict) or not isinstance(record.get("id"), int):
            raise SetupError(f"{what} answered without a {envelope!r} record with an id")
        return record

    def setup(self) -> None:
        for kind in RECORD_KINDS:
            if self.kind_path(kind) is None:
                continue
            self.custom_fields[kind.name] = self._fetch_custom_fields(kind)
            for _ in range(POOL_SIZE):
                self.create(kind.name)
            self.lists[kind.name] = self._fetch_lists(kind)
        for resource in ("tasks", "users", "pipelines"):
            for _ in range(2):
                self.create(resource)
        for _ in range(2):
            self.create("notes")

    def _fetch_custom_fields(self, kind: RecordKind) -> list[dict]:
        reply = self.target.request("GET", f"{self.kind_path(kind)}/list/fields")
        fields = reply.json if reply.status == 200 and isinstance(reply.json, list) else []
        return [f for f in fields if isinstance(f, dict) and f.get("custom")]

    def _fetch_lists(self, kind: RecordKind) -> list[int]:
        list_path = kind.list_path.replace("{tableName}", self.ce_table or "")
        reply = self.target.request("GET", f"{list_path}/lists", params={"limit": 100})
        lists = (reply.json or {}).get("lists", []) if reply.status == 200 else []
        return [int(item["id"]) for item in lists if isinstance(item, dict) and "id" in item]

    # --- handing out --------------------------------------------------------------------
    def pick(self, resource: str, seed: object) -> int | None:
        """An owned id of the resource, chosen deterministically from a generated value."""
        with self._lock:
            pool = self.ids.get(resource, [])[:POOL_SIZE]
        if not pool:
            return None
        return pool[zlib.crc32(str(seed).encode()) % len(pool)]

    def owns(self, resource: str, record_id: int) -> bool:
        with self._lock:
            return record_id in self.ids.get(resource, ()) or (resource, record_id) in self.records

    def adopt(self, resource: str, record: dict) -> None:
        """A record this run created outside the pool (a scenario, a generated case): it is
        the run's to change and delete."""
        with self._lock:
            self.records[(resource, int(record["id"]))] = record

    def record(self, resource: str, record_id: int) -> dict | None:
        return self.records.get((resource, record_id))
