"""What an alias check is given: one account's entity (`PublishedFields`) or the round trip of
its expected fields on one fresh record (`RoundTrip`), both an `AliasContext`.

The registry sets the running check's name and evidence on the context
(conformance/checks/registry.py, `alias_check`), so a check raises `ctx.fail(problem, ...)`
and the `CheckFailure` names the check, the account and the entity, like a case check's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hypothesis.strategies import SearchStrategy

from conformance.checks.aliases.plan import plan_of
from conformance.checks.evidence import Evidence
from conformance.checks.failure import CheckFailure
from conformance.engine.generation import operation_seed, seeded_value
from conformance.engine.owned import Drawer, OwnedRecords
from conformance.engine.target import Reply, Target
from contract.accounts import entity_kind
from contract.fields import Field, JsonObject

if TYPE_CHECKING:  # the run holds the plan and the engine: imported only to name its type
    from conformance.run import Run


@dataclass
class AliasContext:
    """One account's entity, and the check running on it (set by the registry)."""

    account: str
    entity: str
    check: str = field(default="", init=False)
    evidence: Evidence | None = field(default=None, init=False)

    @property
    def where(self) -> str:
        return f"account {self.account}, {self.entity}"

    def fail(self, *problems: str) -> CheckFailure:
        """The running check's failure (for the check to raise): its problems, one line."""
        if not self.check:
            raise RuntimeError("ctx.fail outside a registered alias check: no check to name")
        return CheckFailure(self.check, self.where, "; ".join(problems), evidence=self.evidence)


@dataclass
class PublishedFields(AliasContext):
    """One account's entity: the custom fields the file expects and the ones it publishes."""

    run: Run
    expected: dict[str, Field]
    published: list[JsonObject] | None

    @property
    def custom(self) -> dict[str, JsonObject]:
        """The published custom fields by alias (as published: the workspace's own values);
        a field whose alias is no string names no alias, so it is left out."""
        return {f["alias"]: f for f in self.published or ()
                if f.get("custom") and isinstance(f.get("alias"), str)}

    def record(self, alias: str, **values: Any) -> None:
        plan_of(self.run).record(self.account, self.entity, alias, **values)

    def present(self) -> Iterator[tuple[str, Field, JsonObject]]:
        """(alias, expected, published) for each expected alias the account publishes."""
        custom = self.custom
        for alias, exp in self.expected.items():
            if alias in custom:
                yield alias, exp, custom[alias]


@dataclass
class SeededDraws:
    """Stands in for Hypothesis's `data` in a batched round trip: each value drawn from the
    batch's seed, its label and how often the label was drawn, so `--flexie-seed` replays it."""

    seed: int
    counts: dict[str, int] = field(default_factory=dict)

    def draw(self, strategy: SearchStrategy[Any], label: object = None) -> Any:
        key = str(label)
        self.counts[key] = self.counts.get(key, 0) + 1
        return seeded_value(strategy, operation_seed(self.seed, f"{key}#{self.counts[key]}")
                            or 0)


@dataclass
class RoundTrip(AliasContext):
    """Expected fields on one fresh record of their account, step by step: one field (an
    example of test_field_round_trips), or under a request budget every expected field of
    an entity at once (`batched`: seeded values, one create and one update for them all).
    A field that fails a step takes no further step; the others go on."""

    target: Target
    owned: OwnedRecords
    data: Drawer
    definitions: list[JsonObject]
    published: list[JsonObject]
    batched: bool = False
    path: str | None = None  # the record the steps work on, once created
    record_id: int | None = None
    written: dict[str, Any] = field(default_factory=dict)  # alias: the value it holds now
    before: dict[str, Any] = field(default_factory=dict)  # alias: its value before the update
    failed: dict[str, str] = field(default_factory=dict)  # alias: the check it failed
    failures: list[CheckFailure] = field(default_factory=list)  # what the steps raised

    def active(self) -> list[JsonObject]:
        """The definitions of the fields that have failed no step yet."""
        return [d for d in self.definitions if d["alias"] not in self.failed]

    def alias_fails(self, alias: str, problem: str) -> str:
        """Mark the alias failed by the running check; the problem as its report says it."""
        self.failed.setdefault(alias, self.check)
        return f"alias {alias!r}: {problem}" if self.batched else problem

    def all_fail(self, problem: str) -> list[str]:
        """Mark every field still going failed by the running check: one problem for all."""
        for d in self.active():
            self.failed.setdefault(str(d["alias"]), self.check)
        return [problem]

    def draw(self, strategy: SearchStrategy[Any], label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def read_back(self) -> tuple[Reply, JsonObject | None]:
        """(reply, the record it holds or None) of a fresh GET."""
        reply = self.target.request("GET", self.path or "")
        body = reply.json if reply.status == 200 and isinstance(reply.json, dict) else {}
        record = body.get(entity_kind(self.entity).singular)
        return reply, record if isinstance(record, dict) else None
