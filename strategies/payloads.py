"""Strategies for whole record bodies (create and update) built from an entity's field list.

Unique fields get a caller-chosen prefix so tests against a live workspace never collide with
records that already exist there; the token after the prefix is drawn (not random at import)
so failures still replay and shrink. Draw a fresh prefix per run, and delete what you create.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from strategies.fields import (
    TEXT_MAX,
    TEXTAREA_MAX,
    Field,
    field_alias,
    field_type,
    tokens,
    value_for,
)

_TOKEN_MIN, _TOKEN_MAX = 8, 12


def _prefixed(limit: int) -> Callable[[Field, str], SearchStrategy[str]]:
    def build(field: Field, prefix: str) -> SearchStrategy[str]:
        if len(prefix) + _TOKEN_MAX > limit:
            raise ValueError(f"unique_prefix too long for {field_alias(field)!r} ({limit} max)")
        return st.builds(prefix.__add__, tokens(_TOKEN_MIN, _TOKEN_MAX))

    return build


def _unique_email(field: Field, prefix: str) -> SearchStrategy[str]:
    return st.builds("{}{}@example.test".format, st.just(prefix), tokens(_TOKEN_MIN, _TOKEN_MAX))


def _unique_url(field: Field, prefix: str) -> SearchStrategy[str]:
    return st.builds(
        "https://{1}.example.com/{0}{1}".format, st.just(prefix), tokens(_TOKEN_MIN, _TOKEN_MAX)
    )


UNIQUE_STRATEGIES: dict[str, Callable[[Field, str], SearchStrategy[str]]] = {
    "text": _prefixed(TEXT_MAX),
    "textarea": _prefixed(TEXTAREA_MAX),
    "region": _prefixed(TEXT_MAX),
    "email": _unique_email,
    "url": _unique_url,
}
"""Types that can carry a prefix; a unique field of any other type is refused loudly."""


def unique_value_for(field: Field, unique_prefix: str) -> SearchStrategy[Any]:
    """Strategy for a unique field's value: contains `unique_prefix` followed by a token."""
    builder = UNIQUE_STRATEGIES.get(field_type(field))
    if builder is None:
        value_for(field)  # unknown types get the standard error first
        raise ValueError(
            f"cannot embed a unique prefix in {field_type(field)!r} field {field_alias(field)!r}"
        )
    return builder(field, unique_prefix)


def _value(field: Field, unique_prefix: str) -> SearchStrategy[Any]:
    if field.get("unique"):
        return unique_value_for(field, unique_prefix)
    return value_for(field)


def record_payload(
    fields: Sequence[Field], *, unique_prefix: str = "", include_optional: bool = True
) -> SearchStrategy[dict[str, Any]]:
    """Create-body strategy: required fields always, optional ones drawn (or never)."""
    required = {f["alias"]: _value(f, unique_prefix) for f in fields if f.get("required")}
    optional = {f["alias"]: _value(f, unique_prefix) for f in fields if not f.get("required")}
    # fixed_dictionaries' optional keys shrink by disappearing, giving minimal bodies.
    return st.fixed_dictionaries(required, optional=optional if include_optional else {})


def update_payload(fields: Sequence[Field]) -> SearchStrategy[dict[str, Any]]:
    """Update-body strategy: a non-empty subset of the non-unique fields."""
    candidates = [f for f in fields if not f.get("unique")]
    if not candidates:
        raise ValueError("no non-unique fields to update")
    values = {f["alias"]: value_for(f) for f in candidates}
    subsets = st.lists(st.sampled_from(sorted(values)), min_size=1, unique=True)
    return subsets.flatmap(lambda keys: st.fixed_dictionaries({k: values[k] for k in keys}))
