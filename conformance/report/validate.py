"""Check a results dict before rendering, so a plugin bug fails loudly instead of a wrong report."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

SCHEMA_PATH = Path(__file__).with_name("results.schema.json")


@cache
def results_schema() -> dict[str, Any]:
    """The JSON Schema of the results dict (read once; it ships beside this module)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def json_path(parts: Iterable[str | int]) -> str:
    """`$.operations[3].statuses` style path, the way people read JSON locations."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate_results(results: Any) -> None:
    """Raise ValueError naming the first bad location; schema first, then cross-field rules."""
    if not isinstance(results, Mapping):
        raise ValueError(f"invalid results at $: expected an object, got {type(results).__name__}")
    validator = jsonschema.Draft202012Validator(results_schema())
    error: ValidationError | None = best_match(validator.iter_errors(dict(results)))
    if error is not None:
        raise ValueError(f"invalid results at {json_path(error.absolute_path)}: {error.message}")
    _check_started(results["started"])
    _check_unique(results["operations"], "key", "operations")


def _check_started(started: str) -> None:
    try:
        dt.datetime.fromisoformat(started)
    except ValueError:
        raise ValueError(
            f"invalid results at $.started: {started!r} is not an ISO-8601 date-time"
        ) from None


def _check_unique(items: list[Mapping[str, Any]], field: str, where: str) -> None:
    """Duplicate operation keys would double-count coverage, so they are an error."""
    seen: set[str] = set()
    for index, item in enumerate(items):
        value = item[field]
        if value in seen:
            location = json_path([where, index, field])
            raise ValueError(f"invalid results at {location}: duplicate {value!r}")
        seen.add(value)
