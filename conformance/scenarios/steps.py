"""Named steps against the target, each asserting its own outcome with a readable message.

A scenario reads as a list of steps; a failing step says which step, what was sent, what
was expected and what came back. All writes go to records the run created (journaled).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.checks.errors import error_problem
from conformance.checks.shapes import render
from conformance.owned import OwnedRecords
from conformance.target import Reply, Target
from contract.resources import KINDS_BY_NAME, RecordKind

if TYPE_CHECKING:
    from conformance.runner import Runner


class StepFailed(AssertionError):
    """A scenario step did not get the answer the contract promises."""


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
             body: Any = None, params: dict | None = None, step: str = "") -> Reply:
        reply = self.target.request(method, path, json_body=body, params=params)
        self.log.append(f"{method} {path}" + (f" {body}" if body is not None else "")
                        + f" -> {reply.status}")
        expected = (expect,) if isinstance(expect, int) else expect
        if reply.status not in expected:
            raise StepFailed(f"{step or method + ' ' + path}: expected HTTP "
                             f"{'/'.join(map(str, expected))}, got {reply.status}: "
                             f"{reply.text[:300]}\ncalls so far:\n  " + "\n  ".join(self.log))
        if reply.status >= 400 and (problem := error_problem(reply)):
            raise StepFailed(f"{step}: {problem}")
        return reply

    def check(self, condition: bool, message: str) -> None:
        if not condition:
            raise StepFailed(message + "\ncalls so far:\n  " + "\n  ".join(self.log))

    # --- record kinds -------------------------------------------------------------------
    def base(self, kind: RecordKind) -> str:
        return render(kind.path, self.owned.ce_table)

    def create(self, kind: RecordKind, /, **fields: Any) -> dict:
        body = {**self.owned.payload(kind.name), **fields}
        reply = self.call("POST", f"{self.base(kind)}/new", body=body,
                          expect=kind.create_status, step=f"create a {kind.singular}")
        record = (reply.json or {}).get(kind.singular)
        self.check(isinstance(record, dict) and isinstance(record.get("id"), int),
                   f"create a {kind.singular}: no {kind.singular!r} record with an id in "
                   f"{reply.text[:200]}")
        self.owned.ledger.created(kind.name, f"{self.base(kind)}/{record['id']}")
        with self.owned._lock:
            self.owned.records[(kind.name, record["id"])] = record
        return record

    def get(self, kind: RecordKind, record_id: int, *, expect: int = 200) -> dict | None:
        reply = self.call("GET", f"{self.base(kind)}/{record_id}", expect=expect,
                          step=f"read {kind.singular} {record_id}")
        return (reply.json or {}).get(kind.singular) if expect == 200 else None

    def update(self, kind: RecordKind, record_id: int, changes: dict, *,
               method: str = "PUT") -> dict:
        reply = self.call(method, f"{self.base(kind)}/{record_id}", body=changes, expect=200,
                          step=f"update {kind.singular} {record_id} with {method}")
        return (reply.json or {}).get(kind.singular)

    def edit(self, kind: RecordKind, body: dict, *, method: str = "PUT",
             expect: int = 200) -> dict | None:
        reply = self.call(method, f"{self.base(kind)}/edit", body=body, expect=expect,
                          step=f"update a {kind.singular} by unique field")
        return (reply.json or {}).get(kind.singular) if expect == 200 else None

    def delete(self, kind: RecordKind, record_id: int) -> None:
        self.call("DELETE", f"{self.base(kind)}/{record_id}", expect=204,
                  step=f"delete {kind.singular} {record_id}")
        self.owned.ledger.deleted(f"{self.base(kind)}/{record_id}")

    def listing(self, kind: RecordKind, **params: Any) -> tuple[int, list[dict]]:
        reply = self.call("GET", self.base(kind), params={"limit": 100, **params}, expect=200,
                          step=f"list {kind.plural} {params}")
        body = reply.json or {}
        return body.get("total"), body.get(kind.plural) or []

    def search(self, kind: RecordKind, rules: list[dict], condition: str = "AND") -> list[int]:
        reply = self.call("POST", f"{self.base(kind)}/search", expect=200,
                          body={"filters": {"condition": condition, "rules": rules},
                                "page": 1, "limit": 100}, step=f"search {kind.plural}")
        return [r.get("id") for r in (reply.json or {}).get(kind.plural, [])]

    def custom_unique(self, kind: RecordKind) -> list[str]:
        """The aliases of the custom fields the account marks unique (from list/fields)."""
        return [f["alias"] for f in self.owned.custom_fields.get(kind.name, [])
                if f.get("unique")]

    def identify(self, kind: RecordKind, alias: str, value: Any, *, expect: int = 200):
        reply = self.call("POST", f"{self.base(kind)}/identify", expect=expect,
                          body={"unique_field": alias, "unique_field_value": value},
                          step=f"identify a {kind.singular} by {alias}")
        return (reply.json or {}).get(kind.singular) if expect == 200 else None

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

    def lists_of(self, kind: RecordKind, record_id: int) -> set[int]:
        reply = self.call("GET", f"{self.base(kind)}/{record_id}/lists", expect=200,
                          params={"limit": 100}, step=f"lists of {kind.singular} {record_id}")
        return {i.get("id") for i in (reply.json or {}).get("lists", [])}

    def members(self, kind: RecordKind, list_id: int) -> set[int]:
        _, items = self.listing(kind, entityList=list_id)
        return {r.get("id") for r in items}


def kind(name: str) -> RecordKind:
    return KINDS_BY_NAME[name]


def unique_alias(kind: RecordKind) -> str:
    """The kind's first standard unique field (the contract's; custom ones differ per account
    and come from list/fields: `Steps.custom_unique`)."""
    return kind.unique_fields[0]
