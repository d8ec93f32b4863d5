"""Strategies for Flexie list-filter bodies and nested search rule sets.

Each filter/rule pairs a field with an operator that makes sense for its type and an input
drawn from the same valid-value strategies used for writes, so a conforming server must answer
200: any other status is a server bug, never a test-data artefact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from contract.fields import ALL_OPERATORS, FILTER_TYPE
from contract.fields import OPERATORS as CONTRACT_OPERATORS
from strategies.fields import (
    Field,
    field_alias,
    field_type,
    options_of,
    tokens,
    unknown_type,
    value_for,
)

OPERATORS: tuple[str, ...] = tuple(op for op in ALL_OPERATORS if op != "like")
"""The published operator enum (the contract adds `like`, which is never generated)."""

FILTER_TYPES: dict[str, str] = FILTER_TYPE
"""Field type -> the filter `type` the API expects for it (the contract's table)."""

_NULL = ("isNull", "isNotNull")
_SET = ("in", "notIn")
_LIKE = ("contains", "not_contains", "starts_with", "ends_with")

OperatorsByType = Mapping[str, Sequence[str]]


def filter_type_for(field: Field) -> str:
    """The filter `type` for a field (ValueError naming type and alias if unknown)."""
    try:
        return FILTER_TYPES[field_type(field)]
    except KeyError:
        raise unknown_type(field) from None


def operators_for(field: Field, operators_by_type: OperatorsByType | None = None) -> list[str]:
    """Operators to use for `field`, in enum order (eq first, so examples shrink to it).

    Source: the field's own "operators" list (names, or {"operator": name} objects as the spec
    publishes them), else `operators_by_type` (keyed by field type, then filter type), else
    all sensible ones; always narrowed to the operators that are sensible for the type, so
    every drawn input is valid for it. Operators outside the enum (e.g. "like") are ignored.
    """
    ftype = filter_type_for(field)
    sensible = set(CONTRACT_OPERATORS[field_type(field)])
    chosen: Sequence[Any] | None = field.get("operators")
    if chosen is None and operators_by_type is not None:
        chosen = operators_by_type.get(field_type(field), operators_by_type.get(ftype))
    allowed = sensible if chosen is None else {_operator_name(op) for op in chosen}
    return [op for op in OPERATORS if op in sensible and op in allowed]


def _operator_name(entry: Any) -> str:
    # list/fields may publish operators as names or as {"operator": name, "value": shape}.
    return str(entry.get("operator")) if isinstance(entry, Mapping) else str(entry)


def _scalar(field: Field) -> SearchStrategy[Any]:
    # A multiselect is filtered by single options, not by whole option lists.
    if field_type(field) == "multiselect":
        return st.sampled_from(options_of(field))
    return value_for(field)


def operator_input(field: Field, operator: str) -> SearchStrategy[Any]:
    """Strategy for the operand of `operator` on `field`: null, a list, a fragment or a value."""
    if operator in _NULL:
        return st.none()
    if operator in _SET:
        return st.lists(_scalar(field), min_size=1, max_size=5)
    if operator in _LIKE:
        return tokens(1, 8)
    return _scalar(field)


def _filterable(
    fields: Sequence[Field], operators_by_type: OperatorsByType | None
) -> list[tuple[Field, list[str]]]:
    pairs = [(f, operators_for(f, operators_by_type)) for f in fields]
    usable = [(f, ops) for f, ops in pairs if ops]
    if not usable:
        raise ValueError("no field has a usable filter operator")
    return usable


def _filter_item(field: Field, operator: str) -> SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "type": st.just(filter_type_for(field)),
            "alias": st.just(field_alias(field)),
            "value": st.fixed_dictionaries(
                {"operator": st.just(operator), "input": operator_input(field, operator)}
            ),
            "strict": st.booleans(),
            "starts": st.booleans(),
            "ends": st.booleans(),
        }
    )


def filter_input(
    fields: Sequence[Field], operators_by_type: OperatorsByType | None = None
) -> SearchStrategy[dict[str, Any]]:
    """Strategy for the filter-input body of a list request (filters, paging, ordering)."""
    usable = _filterable(fields, operators_by_type)
    item = st.one_of([_filter_item(f, op) for f, ops in usable for op in ops])
    return st.fixed_dictionaries(
        {
            "filters": st.lists(item, min_size=1, max_size=3),
            "start": st.integers(0, 10_000),
            "limit": st.integers(5, 100),
            "orderBy": st.sampled_from([field_alias(f) for f in fields]),
            "orderByDir": st.sampled_from(("ASC", "DESC")),
        }
    )


def _rule(field: Field, operator: str) -> SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "field": st.just(field_alias(field)),
            "operator": st.just(operator),
            "value": operator_input(field, operator),
        }
    )


def _group(rules: SearchStrategy[dict[str, Any]]) -> SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "condition": st.sampled_from(("AND", "OR")),
            "rules": st.lists(rules, min_size=1, max_size=3),
        }
    )


def rule_group(
    fields: Sequence[Field],
    max_depth: int = 2,
    operators_by_type: OperatorsByType | None = None,
) -> SearchStrategy[dict[str, Any]]:
    """Strategy for a {"condition", "rules"} group nested at most `max_depth` groups deep.

    Nesting is unrolled by hand (what st.recursive does internally) because st.recursive
    bounds leaves, not depth; leaves come first in each one_of so examples shrink flat.
    """
    if max_depth < 1:
        raise ValueError(f"max_depth must be >= 1, got {max_depth}")
    usable = _filterable(fields, operators_by_type)
    leaf = st.one_of([_rule(f, op) for f, ops in usable for op in ops])
    rule = leaf
    for _ in range(max_depth - 1):
        rule = st.one_of(leaf, _group(rule))
    return _group(rule)


def search_rule_set(
    fields: Sequence[Field],
    max_depth: int = 2,
    operators_by_type: OperatorsByType | None = None,
) -> SearchStrategy[dict[str, Any]]:
    """Strategy for the search body: a nested rule group plus page (>= 1) and limit (1..100)."""
    return st.fixed_dictionaries(
        {
            "filters": rule_group(fields, max_depth, operators_by_type),
            "page": st.integers(1, 1000),
            "limit": st.integers(1, 100),
        }
    )
