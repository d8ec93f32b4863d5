"""Helpers for tests and benchmarks: a JSON client and one valid request per operation.

`JsonClient` wraps werkzeug's test Client with the API key and JSON handling. `plan()` builds,
for every contract operation, a request the contract says must succeed, using records it
creates first (never the seeded ones, except for read-only collections), so a test can loop
over `OPERATIONS` and validate every answer against the spec.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from werkzeug.test import Client

from contract.operations import (
    CREATABLE,
    OPERATIONS,
    OPERATIONS_BY_KEY,
    UNOWNABLE,
    Action,
    Operation,
)
from contract.resources import COLLECTIONS_BY_NAME, KINDS_BY_NAME, RecordKind


@dataclass
class Answer:
    status: int
    body: Any  # parsed JSON, or None
    headers: Any
    data: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


class JsonClient:
    """JSON over werkzeug's test Client, with an API key by default."""

    def __init__(self, app: Any, key: str | None = "acme-demo-key") -> None:
        self.client = Client(app)
        self.key = key

    def call(self, method: str, path: str, body: Any = None, *, key: str | None = "",
             headers: dict[str, str] | None = None, query: dict[str, Any] | None = None,
             raw: bytes | str | None = None) -> Answer:
        hdrs = dict(headers or {})
        key = self.key if key == "" else key
        if key is not None:
            hdrs.setdefault("apikey", key)
        kwargs: dict[str, Any] = {"query_string": query} if query else {}
        if raw is not None:
            kwargs["data"] = raw
            hdrs.setdefault("Content-Type", "application/json")
        elif body is not None:
            kwargs["data"] = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        url = path if path.startswith("/oauth2") else "/api" + path
        r = self.client.open(url, method=method, headers=hdrs, **kwargs)
        data = r.get_data()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return Answer(r.status_code, parsed, r.headers, data)

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        """Call and insist on 2xx; the parsed body."""
        answer = self.call(method, path, body, **kw)
        if answer.status >= 300:
            raise AssertionError(f"{method} {path} -> {answer.status}: {answer.data[:300]!r}")
        return answer.body


def unique_token() -> str:
    return uuid.uuid4().hex[:10]


def create_body(kind: RecordKind, token: str | None = None) -> dict[str, Any]:
    """The contract's create example with fresh unique values."""
    token = token or unique_token()
    body = dict(kind.create_example)
    if "email" in body:
        body["email"] = f"t{token}@example.com"
    if "external_id" in body:
        body["external_id"] = f"EXT-{token}"
    if "code" in body:
        body["code"] = f"CODE-{token}"
    return body


@dataclass
class Planned:
    op: Operation
    method: str
    path: str
    body: Any = None


#: The collections the API creates records of, and the key (their singular) `ids` keeps
#: the planner's records of them under.
_CREATABLE_COLLECTIONS = {name: c.singular for name, c in COLLECTIONS_BY_NAME.items()
                          if name in CREATABLE}
#: The resources the API creates no record of, but whose seeded records it reads one by one.
_UNOWNABLE_WITH_RECORDS = tuple(name for name in COLLECTIONS_BY_NAME if name in UNOWNABLE
                                and f"GET /{name}/{{id}}" in OPERATIONS_BY_KEY)


class Planner:
    """Creates the records the requests need, then builds one request per operation."""

    TABLE = {"acme": "projects", "globex": "shipments"}

    def __init__(self, client: JsonClient, account: str = "acme") -> None:
        self.c = client
        self.table = self.TABLE.get(account, "projects")
        self.kept: dict[str, dict] = {}  # kind -> a record to read, update and relate
        self.spare: dict[str, dict] = {}  # kind -> a record to delete
        self.ids: dict[str, int] = {}

    def path_of(self, kind: RecordKind, path: str) -> str:
        return path.replace("{tableName}", self.table)

    def prepare(self) -> None:
        c = self.c
        for kind in KINDS_BY_NAME.values():
            p = self.path_of(kind, kind.path)
            for store in (self.kept, self.spare):
                store[kind.name] = c.ok("POST", f"{p}/new", create_body(kind))[kind.singular]
            lists = c.ok("GET", f"{p}/list/lists")
            self.ids[f"list:{kind.name}"] = lists[0]["id"]
        contact = self.kept["contacts"]["id"]
        for name in ("note", "spare_note"):
            self.ids[name] = c.ok("POST", f"/notes/contact/{contact}",
                                  {"text": "Called about the renewal."})["note"]["id"]
        for name in ("task", "spare_task"):
            self.ids[name] = c.ok("POST", "/tasks/new", {"task": "Send the proposal"})[
                "task"]["id"]
        for name in ("user", "spare_user"):
            t = unique_token()
            self.ids[name] = c.ok("POST", "/users/new", {
                "username": f"user{t}", "firstName": "Test", "lastName": "User",
                "email": f"user{t}@example.com", "password": "s3cret!"})["user"]["id"]
        for name in ("pipeline", "spare_pipeline"):
            self.ids[name] = c.ok("POST", "/pipelines", {"name": f"Pipeline {name}"})[
                "pipeline"]["id"]
        for res in _UNOWNABLE_WITH_RECORDS:
            rows = c.ok("GET", f"/{res}")[res]
            self.ids[res] = rows[0]["id"]
            self.ids[f"spare_{res}"] = rows[-1]["id"]
        published = [e for e in c.ok("GET", "/emails")["emails"] if e["isPublished"]]
        self.ids["emails"] = published[0]["id"]

    def request(self, op: Operation) -> Planned:
        kind = KINDS_BY_NAME.get(op.resource)
        return self._kind(op, kind) if kind else self._collection(op)

    def _kind(self, op: Operation, kind: RecordKind) -> Planned:
        rec = (self.spare if op.is_delete else self.kept)[kind.name]
        unique = next(a for a in kind.unique_fields)
        path = self.path_of(kind, op.path).replace("{id}", str(rec["id"]))
        if op.changes_membership:
            path = self.path_of(kind, op.path).replace(
                "{id}", str(self.ids[f"list:{kind.name}"])).replace(
                "{entityId}", str(rec["id"]))
        if op.action in (Action.REPLIES, Action.ADD_REPLY):
            path = path.replace("{identifier}", rec["identifier"])
        body: Any = None
        if op.is_create:
            body = create_body(kind)
        elif op.is_update:
            body = {k: v for k, v in kind.update_example.items() if k not in kind.unique_fields}
        elif op.is_edit:
            body = {**{k: v for k, v in kind.update_example.items()
                       if k not in kind.unique_fields}, unique: rec[unique]}
        elif op.is_identify:
            body = {"unique_field": unique, "unique_field_value": rec[unique]}
        elif op.action == Action.SEARCH:
            body = {"filters": {"condition": "OR", "rules": [
                {"field": unique, "operator": "eq", "value": rec[unique]},
                {"field": unique, "operator": "isNull", "value": None}]}, "page": 1,
                "limit": 30}
        elif op.action == Action.LIST and op.method == "POST":
            body = {"filters": [{"type": "text", "alias": unique, "value": {
                "operator": "like", "input": str(rec[unique])[:6]}}], "limit": 30,
                "orderBy": "date_modified", "orderByDir": "DESC"}
        elif op.action == Action.ADD_REPLY:
            body = {"text": "Thanks, fixed in the next release."}
        elif op.action in (Action.ASSOCIATE, Action.DISSOCIATE):
            body = {"associations": {"contacts": [self.kept["contacts"]["id"]],
                                     "accounts": [self.kept["accounts"]["id"]]}}
        return Planned(op, op.method, path, body)

    def _collection(self, op: Operation) -> Planned:
        res, action = op.resource, op.action
        ids = self.ids
        single = _CREATABLE_COLLECTIONS
        rid = ids.get(single.get(res, res))
        if op.is_delete and res in single:
            rid = ids[f"spare_{single[res]}"]
        elif op.is_delete:
            rid = ids.get(f"spare_{res}")
        path = op.path.replace("{id}", str(rid))
        body: Any = None
        if res == "notes" and "{entityType}" in op.path:
            entity = "lead" if action == Action.DELETE_FOR_RECORD else "contact"
            kind = "leads" if entity == "lead" else "contacts"
            path = op.path.replace("{entityType}", entity).replace(
                "{entityId}", str(self.kept[kind]["id"]))
        if op.body == "create-notes" or op.body == "input-notes":
            body = {"text": "Left a voicemail.", "type": "call"}
        elif op.body == "create-tasks" or op.body == "input-tasks":
            body = {"task": "Call back", "is_completed": False,
                    "due_date": "2026-05-01T09:00:00+00:00"}
        elif op.body == "create-users":
            t = unique_token()
            body = {"username": f"new{t}", "firstName": "New", "lastName": "User",
                    "email": f"new{t}@example.com"}
        elif op.body == "input-users":
            body = {"position": "Team lead"}
        elif op.body in ("create-pipelines", "input-pipelines"):
            body = {"name": "Enterprise"}
        elif op.body == "input-workflows":
            body = {"description": "Updated by the test."}
        elif op.body == "filter-input":
            body = {"limit": 10, "start": 0, "orderBy": "id", "orderByDir": "DESC"}
        elif op.body == "paging-input":
            body = {"limit": 10, "start": 0}
        elif op.body == "permission-input":
            body = {"permissions": ["lead:leads:viewown", "lead:leads:editown"]}
        elif op.body == "send-input":
            body = {"limit": 100}
        return Planned(op, op.method, path, body)


def plan(client: JsonClient, account: str = "acme") -> list[Planned]:
    """One valid request per operation, in contract order (deletes hit spare records)."""
    planner = Planner(client, account)
    planner.prepare()
    return [planner.request(op) for op in OPERATIONS]
