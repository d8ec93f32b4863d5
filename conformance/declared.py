"""What a suite test exercises, costs and belongs to, declared on the test itself.

Every test of `conformance/test_*.py` carries `@pytest.mark.flexie(...)`, and a parametrized
test adds per-parameter facts (the operation a case is of, the record kind a scenario runs on)
with `pytest.param(..., marks=declare(...))` where the params are built (the marks and params
are made at the pytest edge, conformance/plugin/params.py; this module imports no pytest). The
budget (its order and its estimate), the results (which operation or scenario an outcome is of),
the alias columns, the traffic buckets and the replay read `of(item)`, or the declaration the
test's report carries (`recorded(report)`), never the test's name or node id: renaming a test or
adding a scenario changes nothing else.

A parameter's mark is nearer than its function's, and its function's than its module's: the
nearest one that names a field wins (`of`). A test that declares a resource group is also
marked with it (`-m contacts`) by `group_marks`, which the plugin runs first of all collection
hooks: the group mark exists before pytest's own `-m` selection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from contract.accounts import entity_kind as kind_of_entity
from contract.operations import OPERATIONS_BY_KEY
from contract.resources import RecordKind

if TYPE_CHECKING:
    import pytest

#: The marker's name: `@pytest.mark.flexie(...)`.
MARK = "flexie"
#: The marker's line in `pytest --markers`.
DESCRIPTION = ("flexie(kind, exercises, group, cost, tier, then, order, check, entity): what a "
               "conformance test exercises, costs and belongs to (conformance/declared.py)")
#: Requests a test is estimated at when it declares no cost.
DEFAULT_COST = 10.0
#: The budget's tier of a test that declares none: last.
LAST_TIER = 5


class Kind(StrEnum):
    """The kinds of suite test."""

    OPERATION = "operation"  # an operation's property tests (Schemathesis)
    COVERAGE = "coverage"  # an operation's boundary cases
    PROBE = "probe"  # an operation's probes
    SCENARIO = "scenario"  # a hand-written stateful scenario
    STATE_MACHINE = "state_machine"  # the model-based sequences
    ALIAS = "alias"  # a custom-field alias check of an account
    SPEC = "spec"  # the spec's own lint


#: Kinds whose outcome is one operation's, recorded by the runner.
BY_RUNNER = frozenset({Kind.OPERATION, Kind.COVERAGE, Kind.PROBE})


@dataclass(frozen=True)
class Declared:
    """One test's declaration.

    `exercises`: the operations (keys) it checks; a per-operation test's one operation.
    `group`: the resource group it belongs to (also its `-m` mark); None for several.
    `cost`: requests it is estimated at (measured against the mock, docs/performance.md).
    `tier`: its place in the budget's order (0 first); `then`: the tier of its function's
    other parameters after the first selected one (a scenario: one of each kind first).
    `order`: within tier 0, its place among one operation's tests (probes before the pair).
    `check`, `entity`: an alias test's check ("fields" or "round_trip") and entity.
    """

    kind: Kind
    exercises: tuple[str, ...] = ()
    group: str | None = None
    cost: float = DEFAULT_COST
    tier: int = LAST_TIER
    then: int | None = None
    order: int = 0
    check: str | None = None
    entity: str | None = None

    @property
    def by_runner(self) -> bool:
        """Whether the test is an operation's, its outcome that operation's."""
        return self.kind in BY_RUNNER and len(self.exercises) == 1

    @property
    def operation(self) -> str | None:
        """The operation a per-operation test is of."""
        return self.exercises[0] if self.by_runner else None

    @property
    def is_scenario(self) -> bool:
        return self.kind in (Kind.SCENARIO, Kind.STATE_MACHINE)

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "kind": str(self.kind), "exercises": list(self.exercises)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Declared:
        return _build([data])


class _Marked(Protocol):
    """What `of` reads of a pytest item: its marks, nearest first."""

    def iter_markers(self, name: str | None = None) -> Iterable[pytest.Mark]: ...


class _Named(_Marked, Protocol):
    """A pytest item: its marks and its name (`test_probes[GET /x]`)."""

    @property
    def name(self) -> str: ...


class _Item(_Marked, Protocol):
    """A pytest item: its marks, and a mark added."""

    def add_marker(self, marker: str) -> None: ...


#: The facts a declaration may name (the mark's keyword arguments).
FIELDS = frozenset(f.name for f in fields(Declared))


def _build(layers: Iterable[Mapping[str, object]]) -> Declared:
    """A declaration from mark kwargs, nearest first: the first layer naming a field wins."""
    found: dict[str, object] = {}
    for layer in layers:
        unknown = set(layer) - FIELDS
        if unknown:
            raise TypeError(f"@pytest.mark.{MARK}: unknown fields {sorted(unknown)}")
        for name, value in layer.items():
            found.setdefault(name, value)
    if "kind" not in found:
        raise TypeError(f"@pytest.mark.{MARK}: no kind declared")
    keys = found.get("exercises") or ()
    then = found.get("then")
    return Declared(
        kind=Kind(str(found["kind"])),
        exercises=tuple(str(k) for k in keys) if isinstance(keys, Iterable) else (),
        group=_text(found.get("group")), cost=float(_number(found.get("cost"), DEFAULT_COST)),
        tier=int(_number(found.get("tier"), LAST_TIER)),
        then=int(_number(then, 0)) if then is not None else None,
        order=int(_number(found.get("order"), 0)),
        check=_text(found.get("check")), entity=_text(found.get("entity")))


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _number(value: object, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise TypeError(f"@pytest.mark.{MARK}: {value!r} is not a number")


def _layers(item: _Marked) -> list[Mapping[str, object]]:
    """The flexie marks' kwargs of `item`, nearest first. pytest lists a function's own marks
    before its parameter's: the parameter's are put first here."""
    callspec = getattr(item, "callspec", None)
    own = [m.kwargs for m in getattr(callspec, "marks", ()) if m.name == MARK]
    return own + [mark.kwargs for mark in item.iter_markers(name=MARK)]


def of(item: _Marked) -> Declared:
    """The declaration of a suite test (its flexie marks, the parameter's over the function's
    over the module's)."""
    return _build(_layers(item))


def declared(item: _Marked) -> Declared | None:
    """The declaration of a test, None for a test that carries none (not a suite test)."""
    layers = _layers(item)
    return _build(layers) if layers else None


def group_marks(items: Iterable[_Item]) -> None:
    """Mark each test with the resource group it declares (`-m contacts`). The plugin calls
    this first of all collection hooks, before pytest's own `-m` selection."""
    for item in items:
        found = declared(item)
        if found is not None and found.group is not None:
            item.add_marker(found.group)


def on(kind: RecordKind | None, *templates: str) -> tuple[str, ...]:
    """Operation keys from templates: `P` is the kind's path, `L` its static-list path."""
    keys = []
    for template in templates:
        method, path = template.split(" ", 1)
        if kind is not None and (path == "P" or path.startswith("P/")):
            path = kind.path + path[1:]
        elif kind is not None and path.startswith("L/"):
            path = kind.list_path + path[1:]
        keys.append(f"{method} {path}")
    return tuple(key for key in dict.fromkeys(keys) if key in OPERATIONS_BY_KEY)


def on_every(kinds: Iterable[RecordKind], *templates: str) -> tuple[str, ...]:
    """`on` for every kind in turn (a scenario that spans the record kinds)."""
    return tuple(dict.fromkeys(key for kind in kinds for key in on(kind, *templates)))


#: Alias checks per entity (conformance/test_aliases.py): the published field list is read
#: from `list/fields`; a round trip creates, reads, updates and filters through the alias.
ALIAS_CHECKS: dict[str, tuple[str, ...]] = {
    "fields": ("GET P/list/fields",),
    "round_trip": ("POST P/new", "GET P/{id}", "PUT P/{id}", "POST P"),
}


def entity_kind(entity: str) -> RecordKind | None:
    """The record kind of an alias test's entity ("contacts", "ce:projects"); None if unknown."""
    try:
        return kind_of_entity(entity)
    except KeyError:
        return None


def alias_operations(entity: str, check: str) -> tuple[str, ...]:
    """The operations an alias check (`fields`, `round_trip`) of an entity exercises."""
    kind = entity_kind(entity)
    return on(kind, *ALIAS_CHECKS[check]) if kind is not None else ()


def traffic_bucket(item: _Named) -> str:
    """Whose requests a test's are, in the run's traffic: the operation an operation's test
    declares (`GET /contacts/{id}`), another test's name (`test_task_lifecycle`)."""
    found = declared(item)
    return found.operation if found is not None and found.operation else item.name


#: Where a test's report carries its declaration (pytest serializes a report's attributes, so
#: it reaches the xdist controller too).
REPORT_ATTRIBUTE = "flexie_declared"


def record(report: object, item: _Marked) -> None:
    """Put the declaration of `item` on its report."""
    found = declared(item)
    if found is not None:
        setattr(report, REPORT_ATTRIBUTE, found.as_dict())


def recorded(report: object) -> Declared | None:
    """The declaration a report carries (see `record`), None for a test without one."""
    data = getattr(report, REPORT_ATTRIBUTE, None)
    return Declared.from_dict(data) if isinstance(data, Mapping) else None
