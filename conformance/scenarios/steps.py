"""Named steps against the target, each asserting its own outcome with a readable message.

A scenario reads as a list of steps; a failing step says which step, what was sent, what
was expected and what came back. All writes go to records the run created (journaled).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

from conformance.checks.errors import error_problem
from conformance.checks.shapes import render
from conformance.engine.owned import OwnedRecords
from conformance.engine.target import Reply, Target
from contract.fields import JsonObject
from contract.resources import KINDS_BY_NAME, RecordKind

if TYPE_CHECKING:
    from conformance.engine.runner import Runner


class StepFailed(AssertionError):
    """A scenario step did not get the answer the contract promises."""


def _answered(value: Any, step: str) -> Any:
    """A step's JSON answer, read as the scenario reads it: objects and arrays whose missing
    keys and items fail the step (naming it and what came), never a KeyError of ours."""
    if isinstance(value, dict):
        return Answer({k: _answered(v, step) for k, v in value.items()}, step)
    if isinstance(value, list):
        return Items([_answered(v, step) for v in value], step)
    return value


class Answer(dict[str, Any]):
    """A JSON object a step answered; reading a key it lacks fails the step."""

    def __init__(self, value: Any = (), step: str = "") -> None:
        super().__init__(value)
        self.step = step

    def __getitem__(self, key: Any) -> Any:
        try:
            return super().__getitem__(key)
        except KeyError:
            raise StepFailed(f"{self.step}: the answer has no {key!r}, which the scenario "
                             f"reads; it holds {sorted(map(str, self)) or 'nothing'}") from None


class Items(list[Any]):
    """A JSON array a step answered; reading an item it lacks fails the step."""

    def __init__(self, value: Any = (), step: str = "") -> None:
        super().__init__(value)
        self.step = step

    def __getitem__(self, index: Any) -> Any:
        try:
            return super().__getitem__(index)
        except (IndexError, TypeError):
            raise StepFailed(f"{self.step}: the answer's list of {len(self)} has no item "
                             f"{index!r}, which the scenario reads") from None


@dataclass(frozen=True)
class StepReply:
    """What a step got: the reply, and its body as the scenario reads it (`json`)."""

    reply: Reply
    step: str

    @property
    def status(self) -> int:
        return self.reply.status

    @property
    def text(self) -> str:
        return self.reply.text

    @property
    def json(self) -> Any:
        body = self.reply.json
        if body is None:
            raise StepFailed(f"{self.step}: answered HTTP {self.reply.status} without a JSON "
                             f"body: {self.reply.text[:200]!r}")
        return _answered(body, self.step)

    def record(self, key: str) -> Answer:
        """The record the answer holds under `key` (a kind's singular): an object, or the
        step fails saying what came instead."""
        body = self.json
        record = body.get(key) if isinstance(body, dict) else None
        if not isinstance(record, Answer):  # every object of the answer is one
            raise StepFailed(f"{self.step}: answered HTTP {self.reply.status} without a {key!r} "
                             f"record: {self.reply.text[:200]!r}")
        return record


@dataclass
class Steps:
    runner: Runner
    log: list[str] = field(default_factory=list)

    @property
    def target(self) -> Target:
        return self.runner.target

    @property
    def owned(self) -> OwnedRecords:
        return self.runner.owned

    # --- raw calls ----------------------------------------------------------------------
    def call(self, method: str, path: str, *, expect: int | tuple[int, ...],
             body: Any = None, params: dict[str, Any] | None = None, step: str = ""
             ) -> StepReply:
        reply = self.target.request(method, path, json_body=body, params=params)
        self.log.append(f"{method} {path}" + (f" {body}" if body is not None else "")
                        + f" -> {reply.status}")
        call = f"{method} {path}"
        step = step or call
        expected = (expect,) if isinstance(expect, int) else expect
        if reply.status not in expected:
            raise StepFailed(f"{step}: expected HTTP "
                             f"{'/'.join(map(str, expected))}, got {reply.status}: "
                             f"{reply.text[:300]}\ncalls so far:\n  " + "\n  ".join(self.log))
        if reply.status >= 400 and (problem := error_problem(reply)):
            raise StepFailed(f"{step}: {problem}")
        return StepReply(reply, step if step == call else f"{step} ({call} -> {reply.status})")

    @staticmethod
    def _items(reply: StepReply, plural: str) -> list[Answer]:
        """The records of a listing answer, or the step fails: a listing without its array
        is no empty listing."""
        body = reply.json
        items = body.get(plural) if isinstance(body, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise StepFailed(f"{reply.step}: answered HTTP {reply.status} without a "
                             f"{plural!r} list of records: {reply.text[:200]!r}")
        return items

    def check(self, condition: bool, message: str) -> None:
        if not condition:
            raise StepFailed(message + "\ncalls so far:\n  " + "\n  ".join(self.log))

    # --- record kinds -------------------------------------------------------------------
    def base(self, kind: RecordKind) -> str:
        return render(kind.path, self.owned.ce_table)

    def create(self, kind: RecordKind, /, **fields: Any) -> Answer:
        body = {**self.owned.payload(kind.name), **fields}
        reply = self.call("POST", f"{self.base(kind)}/new", body=body,
                          expect=kind.create_status, step=f"create a {kind.singular}")
        record = reply.record(kind.singular)
        self.check(isinstance(record.get("id"), int),
                   f"create a {kind.singular}: no {kind.singular!r} record with an id in "
                   f"{reply.text[:200]}")
        self.owned.ledger.created(kind.name, f"{self.base(kind)}/{record['id']}")
        with self.owned._lock:
            self.owned.records[(kind.name, record["id"])] = record
        return record

    @overload
    def get(self, kind: RecordKind, record_id: int, *, expect: Literal[200] = ...) -> Answer: ...
    @overload
    def get(self, kind: RecordKind, record_id: int, *, expect: int) -> Answer | None: ...

    def get(self, kind: RecordKind, record_id: int, *, expect: int = 200) -> Answer | None:
        reply = self.call("GET", f"{self.base(kind)}/{record_id}", expect=expect,
                          step=f"read {kind.singular} {record_id}")
        return reply.record(kind.singular) if expect == 200 else None

    def update(self, kind: RecordKind, record_id: int, changes: JsonObject, *,
               method: str = "PUT") -> Answer:
        reply = self.call(method, f"{self.base(kind)}/{record_id}", body=changes, expect=200,
                          step=f"update {kind.singular} {record_id} with {method}")
        return reply.record(kind.singular)

    @overload
    def edit(self, kind: RecordKind, body: JsonObject, *, method: str = ...,
             expect: Literal[200] = ...) -> Answer: ...
    @overload
    def edit(self, kind: RecordKind, body: JsonObject, *, method: str = ...,
             expect: int) -> Answer | None: ...

    def edit(self, kind: RecordKind, body: JsonObject, *, method: str = "PUT",
             expect: int = 200) -> Answer | None:
        reply = self.call(method, f"{self.base(kind)}/edit", body=body, expect=expect,
                          step=f"update a {kind.singular} by unique field")
        return reply.record(kind.singular) if expect == 200 else None

    def delete(self, kind: RecordKind, record_id: int) -> None:
        self.call("DELETE", f"{self.base(kind)}/{record_id}", expect=204,
                  step=f"delete {kind.singular} {record_id}")
        self.owned.ledger.deleted(f"{self.base(kind)}/{record_id}")

    def listing(self, kind: RecordKind, **params: Any) -> tuple[int, list[Answer]]:
        reply = self.call("GET", self.base(kind), params={"limit": 100, **params}, expect=200,
                          step=f"list {kind.plural} {params}")
        return reply.json.get("total"), self._items(reply, kind.plural)

    def search(self, kind: RecordKind, rules: list[JsonObject], condition: str = "AND"
               ) -> list[Any]:
        """The ids the search answered, as answered."""
        reply = self.call("POST", f"{self.base(kind)}/search", expect=200,
                          body={"filters": {"condition": condition, "rules": rules},
                                "page": 1, "limit": 100}, step=f"search {kind.plural}")
        return [r.get("id") for r in self._items(reply, kind.plural)]

    def custom_unique(self, kind: RecordKind) -> list[str]:
        """The aliases of the custom fields the account marks unique (from list/fields)."""
        return [f["alias"] for f in self.owned.custom_fields.get(kind.name, [])
                if f.get("unique")]

    @overload
    def identify(self, kind: RecordKind, alias: str, value: Any, *,
                 expect: Literal[200] = ...) -> Answer: ...
    @overload
    def identify(self, kind: RecordKind, alias: str, value: Any, *,
                 expect: int) -> Answer | None: ...

    def identify(self, kind: RecordKind, alias: str, value: Any, *,
                 expect: int = 200) -> Answer | None:
        reply = self.call("POST", f"{self.base(kind)}/identify", expect=expect,
                          body={"unique_field": alias, "unique_field_value": value},
                          step=f"identify a {kind.singular} by {alias}")
        return reply.record(kind.singular) if expect == 200 else None

    # --- static lists -------------------------------------------------------------------
    def list_path(self, kind: RecordKind) -> str:
        return render(kind.list_path, self.owned.ce_table)

    def a_list(self, kind: RecordKind) -> int:
        lists = self.owned.lists.get(kind.name) or []
        self.check(bool(lists), f"the workspace has no static list of {kind.plural}")
        return lists[0]

    def add_to_list(self, kind: RecordKind, list_id: int, record_id: int) -> None:
        self.call("POST", f"{self.list_path(kind)}/lists/{list_id}/add/{record_id}",
                  expect=200, step=f"add {kind.singular} {record_id} to list {list_id}")

    def remove_from_list(self, kind: RecordKind, list_id: int, record_id: int) -> None:
        self.call("POST", f"{self.list_path(kind)}/lists/{list_id}/remove/{record_id}",
                  expect=200, step=f"remove {kind.singular} {record_id} from list {list_id}")

    def lists_of(self, kind: RecordKind, record_id: int) -> set[Any]:
        """The ids of the lists the record is in, as answered."""
        reply = self.call("GET", f"{self.base(kind)}/{record_id}/lists", expect=200,
                          params={"limit": 100}, step=f"lists of {kind.singular} {record_id}")
        return {i.get("id") for i in self._items(reply, "lists")}

    def members(self, kind: RecordKind, list_id: int) -> set[Any]:
        """The ids of the list's members, as answered."""
        _, items = self.listing(kind, entityList=list_id)
        return {r.get("id") for r in items}


def kind(name: str) -> RecordKind:
    return KINDS_BY_NAME[name]


def unique_alias(kind: RecordKind) -> str:
    """The kind's first standard unique field (the contract's; custom ones differ per account
    and come from list/fields: `Steps.custom_unique`)."""
    return kind.unique_fields[0]
