"""The records this run created, by resource: the only ones the suite may change or delete.

`OwnedRecords.setup` creates a small pool of each kind at the start of the session (journaled
in the ledger) and hands out ids for path parameters; `disposable` creates a fresh record for
each DELETE so deletes always have a real target and the pool stays intact.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from conformance.engine.ledger import Ledger
from conformance.engine.safety import WriteGuard
from conformance.engine.target import Reply, Target
from contract.fields import JsonObject
from contract.operations import CREATE_OPERATIONS
from contract.resources import COLLECTIONS_BY_NAME, KINDS_BY_NAME, RECORD_KINDS, RecordKind
from strategies import COUNTRIES, REGIONS, TIMEZONES, value_for

POOL_SIZE = 3
#: How often a create that met a taken unique value (409) is tried again with fresh values.
CONFLICT_RETRIES = 3
#: One counter per process, shared by every pool, so run-scoped values never repeat.
_COUNTER = itertools.count()
#: Per-process serials for unique numbers; the run id keeps them apart between runs.
_SERIAL = itertools.count()
_SERIAL_BASE = 1_000_000_000


class SetupError(Exception):
    """The pool of owned records could not be created: the target cannot be tested.
    `reply` and `request` ((method, path)) say which answer stopped it, when one did."""

    def __init__(self, message: str, reply: Reply | None = None,
                 request: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.reply = reply
        self.request = request


@dataclass
class OwnedRecords:
    target: Target
    ledger: Ledger
    run_id: str
    ce_table: str | None
    allow_send: bool = False
    ids: dict[str, list[int]] = field(default_factory=dict)
    records: dict[tuple[str, int], JsonObject] = field(default_factory=dict)
    lists: dict[str, list[int]] = field(default_factory=dict)
    custom_fields: dict[str, list[JsonObject]] = field(default_factory=dict)
    #: Ids of records the API cannot create (workflows, emails ...) that the workspace lists,
    #: read on first use: a positive read by id names one of them.
    known: dict[str, list[int]] = field(default_factory=dict)
    read_only: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
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
    def payload(self, resource: str) -> JsonObject:
        """A valid create body for the resource with fresh unique values: the kind's example
        (standard fields only: the account's custom fields may differ from the example's), a
        run-scoped value for each standard unique field, and a value valid for its published
        type for each required custom field and each unique one whose type can be made
        unique."""
        if resource in KINDS_BY_NAME:
            kind = KINDS_BY_NAME[resource]
            standard = {f.alias for f in kind.fields}
            body = {k: v for k, v in kind.create_example.items() if k in standard and k not in
                    ("owner_id", "pipeline_id", "stage_id")}
            for f in kind.fields:
                if f.unique and not f.read_only:
                    body[f.alias] = self.unique_email() if f.type == "email" else self.unique()
            body.update(self._custom_values(resource))
            return body
        return {
            "notes": lambda: {"text": "Conformance note " + self.unique(), "type": "call"},
            "tasks": lambda: {"task": "Conformance task " + self.unique()},
            "users": lambda: {"username": self.unique("user"), "firstName": "Conformance",
                              "lastName": "Run", "email": self.unique_email(),
                              "password": "Conf0rmance!"},
            "pipelines": lambda: {"name": "Conformance " + self.unique()},
        }[resource]()

    def _custom_values(self, resource: str) -> JsonObject:
        """Values for the account's required custom fields, and for its unique ones whose
        type has enough values to promise one no record has (a unique select may run out of
        options: it is left out unless required)."""
        values = {}
        for f in self.custom_fields.get(resource, []):
            if not (f.get("required") or f.get("unique")):
                continue
            if not f.get("unique"):
                values[f["alias"]] = nth_value(f, 0)
                continue
            value, promised = self.unique_like(f, None)
            if promised or f.get("required"):
                values[f["alias"]] = value
        return values

    def unique_like(self, definition: JsonObject, fallback: Any) -> tuple[Any, bool]:
        """(value, promised): a value valid for the field's type that no record has, where the
        type allows one (promised); otherwise `fallback`, or the next of a rotation of valid
        values when there is none (select, boolean, country ...: collisions are possible)."""
        drawer = _Rotation(definition, next(_COUNTER), fallback)
        value = unique_value(self, definition, drawer)
        return value, not drawer.drawn

    def unique_fields(self, resource: str) -> list[JsonObject]:
        """The unique fields of a resource as list/fields publishes them: the standard ones
        from the contract, the custom ones the account marks unique (never assumed)."""
        res = KINDS_BY_NAME.get(resource) or COLLECTIONS_BY_NAME.get(resource)
        standard = [f.describe() for f in getattr(res, "fields", ()) if f.unique]
        return standard + [f for f in self.custom_fields.get(resource, []) if f.get("unique")]

    # --- creating -----------------------------------------------------------------------
    def create(self, resource: str, *, parent: tuple[str, int] | None = None,
               disposable: bool = False) -> JsonObject:
        """Create one record, journal it and return it as the target answered it; a
        `disposable` one (to be deleted) is the run's, but never handed out by `pick`."""
        path, envelope, delete_path = self._create_route(resource, parent)
        reply = self.target.request("POST", path, json_body=self.payload(resource))
        for _ in range(CONFLICT_RETRIES):
            if reply.status != 409:
                break
            # A unique value some record already holds (another worker's, or data the
            # workspace had): a state conflict, not a fault. Fresh values, once more.
            reply = self.target.request("POST", path, json_body=self.payload(resource))
        record = self._unwrap(reply, envelope, f"POST {path}")
        self.ledger.created(resource, delete_path.format(id=record["id"]))
        with self._lock:
            if not disposable:
                self.ids.setdefault(resource, []).append(int(record["id"]))
            self.records[(resource, int(record["id"]))] = record
        return record

    def _create_route(self, resource: str, parent: tuple[str, int] | None
                      ) -> tuple[str, str, str]:
        if resource in KINDS_BY_NAME:
            kind = KINDS_BY_NAME[resource]
            base = self.kind_path(kind)
            if base is None:  # a custom entity without a table: setup creates none of it
                raise TypeError(f"no path for {resource}: the run has no custom entity table")
            return f"{base}/new", kind.singular, base + "/{id}"
        if resource == "notes":
            kind_name, record_id = parent or ("contacts", self.ids["contacts"][0])
            note_type = KINDS_BY_NAME[kind_name].note_type
            return f"/notes/{note_type}/{record_id}", "note", "/notes/{id}"
        return (CREATE_OPERATIONS[resource].path, COLLECTIONS_BY_NAME[resource].singular,
                f"/{resource}/{{id}}")

    @staticmethod
    def _unwrap(reply: Reply, envelope: str, what: str) -> JsonObject:
        body = reply.json
        method, _, path = what.partition(" ")
        if reply.status not in (200, 201) or not isinstance(body, dict):
            raise SetupError(f"{what} answered HTTP {reply.status}: {reply.text[:200]}",
                             reply, (method, path))
        record = body.get(envelope)
        if not isinstance(record, dict):
            raise SetupError(f"{what} answered without a {envelope!r} record (keys: "
                             f"{', '.join(sorted(map(str, body))) or 'none'})", reply,
                             (method, path))
        if not isinstance(record.get("id"), int):
            raise SetupError(f"{what} answered a {envelope!r} record whose id is "
                             f"{record.get('id')!r}, not an integer", reply, (method, path))
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

    def _fetch_custom_fields(self, kind: RecordKind) -> list[JsonObject]:
        reply = self.target.request("GET", f"{self.kind_path(kind)}/list/fields")
        fields = reply.json if reply.status == 200 and isinstance(reply.json, list) else []
        return [f for f in fields if isinstance(f, dict) and f.get("custom")]

    def _fetch_lists(self, kind: RecordKind) -> list[int]:
        list_path = kind.list_path.replace("{tableName}", self.ce_table or "")
        reply = self.target.request("GET", f"{list_path}/lists", params={"limit": 100})
        lists = (reply.json or {}).get("lists", []) if reply.status == 200 else []
        return [int(item["id"]) for item in lists if isinstance(item, dict) and "id" in item]

    def known_ids(self, resource: str) -> list[int]:
        """Ids the workspace lists for a resource the run cannot create records of (read
        once, with the first positive read by id that needs one; never written to)."""
        with self._lock:
            if resource in self.known:
                return self.known[resource]
        reply = self.target.request("GET", f"/{resource}", params={"limit": 20})
        plural = COLLECTIONS_BY_NAME[resource].plural if resource in COLLECTIONS_BY_NAME \
            else resource
        items = (reply.json or {}).get(plural, []) if reply.status == 200 and \
            isinstance(reply.json, dict) else []
        ids = [int(item["id"]) for item in items
               if isinstance(item, dict) and isinstance(item.get("id"), int)]
        with self._lock:
            return self.known.setdefault(resource, ids)

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

    def adopt(self, resource: str, record: JsonObject) -> None:
        """A record this run created outside the pool (a scenario, a generated case): it is
        the run's to change and delete."""
        with self._lock:
            self.records[(resource, int(record["id"]))] = record

    def written(self, resource: str, record: JsonObject) -> None:
        """A record of the run as a write answered it: later /edit and identify cases name
        the values it holds now, not the ones it was created with."""
        record_id = record.get("id")
        with self._lock:
            if isinstance(record_id, int) and (resource, record_id) in self.records:
                self.records[(resource, record_id)] = {**self.records[(resource, record_id)],
                                                       **record}

    def record(self, resource: str, record_id: int) -> JsonObject | None:
        return self.records.get((resource, record_id))


def nth_value(definition: JsonObject, n: int) -> Any:
    """The n-th of a fixed sequence of values valid for the field's type (n=0: a plain one).

    Deterministic and free of Hypothesis, so setup and binding can call it inside a running
    property test (`.example()` may not be called there)."""
    ftype = definition.get("type", "text")
    options = list(definition.get("options") or ()) or ["x"]
    cycle = {"select": options, "multiselect": [[o] for o in options],
             "boolean": [True, False], "country": list(COUNTRIES), "region": list(REGIONS),
             "timezone": list(TIMEZONES)}
    if ftype in cycle:
        return cycle[ftype][n % len(cycle[ftype])]
    return {
        "integer": 1 + n % 1_000_000, "number": 1 + n % 1_000_000, "lookup": 1,
        "date": (dt.date(2000, 1, 1) + dt.timedelta(days=n % 36_500)).isoformat(),
        "datetime": (dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
                     + dt.timedelta(minutes=n)).isoformat(),
        "time": f"{n // 60 % 24:02d}:{n % 60:02d}",
        "url": f"https://conformance{n}.example.com/",
        "email": f"conformance{n}@example.com",
        "phone": f"+1512555{n % 10_000:04d}",
    }.get(ftype, f"Conformance {n}")


class Drawer(Protocol):
    """Where a value the field's type cannot promise unique comes from: Hypothesis's `data`
    (a round trip, searched), `SeededDraws` (a batched round trip) or `_Rotation` (setup and
    binding, no Hypothesis)."""

    def draw(self, strategy: Any, label: Any = None) -> Any: ...


def run_serial(run_id: str) -> int:
    """A large integer unique to this run and call, inside the 32-bit range of integers."""
    run_part = zlib.crc32(run_id.encode()) % 100_000 * 10_000  # below INT_MAX - base
    return _SERIAL_BASE + run_part + next(_SERIAL) % 10_000


def unique_value(owned: OwnedRecords, definition: JsonObject, data: Drawer) -> Any:
    """A value valid for the field's type that no earlier record has, where the type allows
    one; a drawn valid value for the types with too few values to promise it (select ...)."""
    ftype = definition.get("type")
    if ftype == "email":
        return owned.unique_email()
    if ftype in ("text", "textarea", "region"):
        return owned.unique()
    if ftype == "url":
        return f"https://{owned.unique()}.example.com/"
    if ftype in ("integer", "number", "phone", "date", "datetime"):
        serial = run_serial(owned.run_id)
        return {
            "integer": serial, "number": serial, "phone": f"+{serial}",
            "date": (dt.date(1900, 1, 1) + dt.timedelta(days=serial % 73_000)).isoformat(),
            "datetime": (dt.datetime(1970, 1, 2, tzinfo=dt.UTC)
                         + dt.timedelta(seconds=serial)).isoformat(),
        }[ftype]

    return data.draw(value_for(definition), label=f"unique {definition.get('alias')}")


@dataclass
class _Rotation:
    """Stands in for Hypothesis's `data` where `unique_value` would draw: the value given,
    else the n-th valid value; `drawn` says the type could not promise a fresh one."""

    definition: JsonObject
    n: int
    fallback: Any = None
    drawn: bool = False

    def draw(self, strategy: Any, label: Any = None) -> Any:
        self.drawn = True
        return self.fallback if self.fallback is not None else nth_value(self.definition,
                                                                         self.n)
