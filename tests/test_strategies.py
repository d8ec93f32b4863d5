"""Property tests for the `strategies` package: generated data must be what the API accepts.

The validator below is written independently of `strategies.fields`, so a strategy that drifts
from the wire formats in the brief fails here rather than as a confusing 400 from a live server.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import zoneinfo
from collections.abc import Mapping
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from strategies import (
    COUNTRIES,
    FILTER_TYPES,
    OPERATORS,
    filter_input,
    invalid_value_for,
    normalise,
    operators_for,
    record_payload,
    search_rule_set,
    update_payload,
    value_for,
    values_equal,
)

# No example database (nothing written into the repo) and no explain phase: its line tracing
# turns a one-second failure into a minute-long one.
FAST = settings(
    max_examples=50,
    deadline=None,
    database=None,
    phases=tuple(p for p in Phase if p is not Phase.explain),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

OPTIONS = ["alpha", "beta", "gamma"]
ALL_TYPES = sorted(FILTER_TYPES)
UNIQUEABLE = ("text", "textarea", "region", "email", "url")


def make_field(ftype: str, **extra: Any) -> dict[str, Any]:
    """A field definition shaped like `GET /{entity}/list/fields` output."""
    field: dict[str, Any] = {
        "alias": f"f_{ftype}",
        "label": ftype.title(),
        "type": ftype,
        "required": False,
        "unique": False,
    }
    if ftype in ("select", "multiselect"):
        field["options"] = list(OPTIONS)
    field.update(extra)
    return field


# --- an independent validator of the wire formats --------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_URL = re.compile(r"https://[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(/[^\s]*)?")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+[1-9]\d{7,14}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _parses(parser: Any, v: str) -> bool:
    try:
        parser(v)
    except ValueError:  # UnicodeEncodeError is one too
        return False
    return True


def _valid_str(v: Any, max_len: int, newlines: bool = False) -> bool:
    """Non-empty, bounded, no NUL or other control characters, encodable (no lone surrogates)."""
    if not isinstance(v, str) or not 0 < len(v) <= max_len:
        return False
    allowed = {"\n"} if newlines else set()
    controls = {c for c in v if ord(c) < 32 or 127 <= ord(c) < 160} - allowed
    return not controls and _parses(lambda s: s.encode("utf-8"), v)


def _valid_tz(v: Any) -> bool:
    try:
        zoneinfo.ZoneInfo(v)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def is_valid(field: Mapping[str, Any], v: Any) -> bool:
    """True if `v` is an acceptable wire value for `field` according to the brief."""
    t, options = field["type"], field.get("options", [])
    checks = {
        "text": lambda: _valid_str(v, 255),
        "textarea": lambda: _valid_str(v, 2000, newlines=True),
        "region": lambda: _valid_str(v, 255),
        "number": lambda: (_is_int(v) or isinstance(v, float)) and math.isfinite(v),
        "integer": lambda: _is_int(v),
        "lookup": lambda: _is_int(v) and v > 0,
        "boolean": lambda: isinstance(v, bool),
        "select": lambda: isinstance(v, str) and v in options,
        "multiselect": lambda: isinstance(v, list)
        and len(set(map(str, v))) == len(v)
        and all(isinstance(x, str) and x in options for x in v),
        "date": lambda: isinstance(v, str)
        and bool(_DATE.fullmatch(v))
        and _parses(dt.date.fromisoformat, v),
        "datetime": lambda: isinstance(v, str)
        and bool(_DATETIME.fullmatch(v))
        and _parses(dt.datetime.fromisoformat, v),
        "time": lambda: isinstance(v, str) and bool(_TIME.fullmatch(v)),
        "url": lambda: isinstance(v, str) and bool(_URL.fullmatch(v)),
        "email": lambda: isinstance(v, str) and v.isascii() and bool(_EMAIL.fullmatch(v)),
        "phone": lambda: isinstance(v, str) and bool(_PHONE.fullmatch(v)),
        "country": lambda: v in COUNTRIES,
        "timezone": lambda: isinstance(v, str) and _valid_tz(v),
    }
    return bool(checks[t]())


def json_roundtrip(v: Any) -> Any:
    return json.loads(json.dumps(v, allow_nan=False))


# --- single values ----------------------------------------------------------------------------


@pytest.mark.parametrize("ftype", ALL_TYPES)
@FAST
@given(data=st.data())
def test_values_are_valid_json_and_equal_to_themselves(ftype: str, data: st.DataObject) -> None:
    field = make_field(ftype)
    v = data.draw(value_for(field))
    assert is_valid(field, v), v
    back = json_roundtrip(v)
    assert values_equal(field, v, v)
    assert values_equal(field, v, back)
    assert values_equal(field, back, v)


@pytest.mark.parametrize("ftype", ALL_TYPES)
@FAST
@given(data=st.data())
def test_invalid_values_are_never_valid(ftype: str, data: st.DataObject) -> None:
    field = make_field(ftype)
    strategy = invalid_value_for(field)
    if strategy is None:
        return
    bad = data.draw(strategy)
    json_roundtrip(bad)  # still sendable as a request body
    assert not is_valid(field, bad), bad
    assert not values_equal(field, data.draw(value_for(field)), bad)


@FAST
@given(v=value_for(make_field("datetime")), hours=st.integers(-12, 14))
def test_datetime_compares_as_instant(v: str, hours: int) -> None:
    field = make_field("datetime")
    shifted = dt.datetime.fromisoformat(v).astimezone(dt.timezone(dt.timedelta(hours=hours)))
    assert values_equal(field, v, shifted.isoformat())
    later = dt.datetime.fromisoformat(v) + dt.timedelta(seconds=1)
    assert not values_equal(field, v, later.isoformat())
    assert not values_equal(field, v, v.removesuffix("+00:00"))  # naive names no instant


@FAST
@given(v=value_for(make_field("email")))
def test_email_domain_is_case_insensitive(v: str) -> None:
    field = make_field("email")
    local, domain = v.split("@")
    assert values_equal(field, v, f"{local}@{domain.upper()}")
    if local.upper() != local:
        assert not values_equal(field, v, f"{local.upper()}@{domain}")


@FAST
@given(v=value_for(make_field("multiselect")), data=st.data())
def test_multiselect_compares_as_set(v: list[str], data: st.DataObject) -> None:
    field = make_field("multiselect")
    assert values_equal(field, v, data.draw(st.permutations(v)))
    assert normalise(field, v) == frozenset(v)


@FAST
@given(v=value_for(make_field("number")))
def test_number_compares_with_tolerance(v: float) -> None:
    field = make_field("number")
    assert values_equal(field, v, float(v) * (1 + 1e-12))
    assert values_equal(field, v, str(float(v))) is False  # numbers must come back as numbers
    assert not values_equal(field, v, v + 1 + abs(v) * 1e-6)


def test_exact_and_typed_comparisons() -> None:
    assert not values_equal(make_field("text"), "Abc", "abc")
    assert not values_equal(make_field("boolean"), True, 1)
    assert not values_equal(make_field("integer"), 1, 1.0)
    assert values_equal(make_field("text"), None, None)
    assert not values_equal(make_field("text"), "a", None)


# --- errors -----------------------------------------------------------------------------------

BOGUS = {"alias": "mystery_field", "type": "hologram", "required": True}


@pytest.mark.parametrize(
    "call",
    [
        lambda: value_for(BOGUS),
        lambda: invalid_value_for(BOGUS),
        lambda: normalise(BOGUS, "x"),
        lambda: values_equal(BOGUS, "x", "x"),
        lambda: record_payload([BOGUS]),
        lambda: update_payload([BOGUS]),
        lambda: filter_input([BOGUS]),
        lambda: search_rule_set([BOGUS]),
    ],
)
def test_unknown_type_raises_value_error_naming_type_and_alias(call: Any) -> None:
    with pytest.raises(ValueError, match=r"hologram.*mystery_field"):
        call()


def test_definition_errors_are_loud() -> None:
    with pytest.raises(ValueError, match="no options"):
        value_for(make_field("select", options=[]))
    with pytest.raises(ValueError, match="unique prefix"):
        record_payload([make_field("boolean", unique=True)], unique_prefix="run1-")
    with pytest.raises(ValueError, match="too long"):
        record_payload([make_field("text", unique=True)], unique_prefix="x" * 250)
    with pytest.raises(ValueError, match="non-unique"):
        update_payload([make_field("email", unique=True)])
    with pytest.raises(ValueError, match="max_depth"):
        search_rule_set([make_field("text")], max_depth=0)
    with pytest.raises(ValueError, match="operator"):
        filter_input([make_field("text", operators=["between"])])


# --- record bodies ----------------------------------------------------------------------------


@st.composite
def field_lists(draw: st.DrawFn, min_size: int = 1) -> list[dict[str, Any]]:
    """Entity field lists of mixed types, some required, some unique (where a prefix fits)."""
    types = draw(st.lists(st.sampled_from(ALL_TYPES), min_size=min_size, max_size=6))
    fields = []
    for i, ftype in enumerate(types):
        unique = ftype in UNIQUEABLE and draw(st.booleans())
        fields.append(
            make_field(ftype, alias=f"f{i}_{ftype}", required=draw(st.booleans()), unique=unique)
        )
    return fields


PREFIX = "ct-3f9a-"


@FAST
@given(fields=field_lists(), data=st.data())
def test_record_payload(fields: list[dict[str, Any]], data: st.DataObject) -> None:
    body = data.draw(record_payload(fields, unique_prefix=PREFIX))
    by_alias = {f["alias"]: f for f in fields}
    assert set(body) <= set(by_alias)
    assert {a for a, f in by_alias.items() if f["required"]} <= set(body)
    assert json_roundtrip(body) == body
    for alias, v in body.items():
        field = by_alias[alias]
        assert is_valid(field, v), (alias, v)
        if field["unique"]:
            assert PREFIX in v
            if field["type"] in ("text", "textarea", "region", "email"):
                assert v.startswith(PREFIX)
            if field["type"] == "email":
                assert v.endswith("@example.test")


@FAST
@given(fields=field_lists(), data=st.data())
def test_record_payload_without_optional(fields: list[dict[str, Any]], data: st.DataObject) -> None:
    body = data.draw(record_payload(fields, unique_prefix=PREFIX, include_optional=False))
    assert set(body) == {f["alias"] for f in fields if f["required"]}


@FAST
@given(fields=field_lists(), data=st.data())
def test_update_payload(fields: list[dict[str, Any]], data: st.DataObject) -> None:
    fields = [*fields, make_field("integer", alias="always_updatable")]
    body = data.draw(update_payload(fields))
    by_alias = {f["alias"]: f for f in fields}
    assert body
    for alias, v in body.items():
        assert not by_alias[alias]["unique"]
        assert is_valid(by_alias[alias], v)


# --- filter bodies and search rule sets -------------------------------------------------------

_NULL_OPS = ["isNull", "isNotNull"]
_SET_OPS = ["in", "notIn"]
_LIKE_OPS = ["contains", "not_contains", "starts_with", "ends_with"]
_SCALAR_OPS = ["eq", "neq", "gt", "gte", "lt", "lte"]
_SCALAR = {"type": ["string", "number", "boolean"]}


def _operand_rules(key: str) -> list[dict[str, Any]]:
    """if/then clauses tying an operator to the JSON shape of its operand."""

    def when(ops: list[str], then: dict[str, Any]) -> dict[str, Any]:
        return {
            "if": {"properties": {key: {"enum": ops}}, "required": [key]},
            "then": then,
        }

    return [
        when(_NULL_OPS, {"type": "null"}),
        when(_SET_OPS, {"type": "array", "minItems": 1, "items": _SCALAR}),
        when(_LIKE_OPS, {"type": "string", "minLength": 1}),
        when(_SCALAR_OPS, _SCALAR),
    ]


def _operand_schema(op_key: str, value_key: str) -> dict[str, Any]:
    return {"allOf": [{**c, "then": {"properties": {value_key: c["then"]}}}
                      for c in _operand_rules(op_key)]}  # fmt: skip


FILTER_INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["filters", "start", "limit", "orderBy", "orderByDir"],
    "properties": {
        "filters": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "alias", "value", "strict", "starts", "ends"],
                "properties": {
                    "type": {"enum": sorted(set(FILTER_TYPES.values()))},
                    "alias": {"type": "string", "minLength": 1},
                    "value": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["operator", "input"],
                        "properties": {"operator": {"enum": list(OPERATORS)}, "input": {}},
                        **_operand_schema("operator", "input"),
                    },
                    "strict": {"type": "boolean"},
                    "starts": {"type": "boolean"},
                    "ends": {"type": "boolean"},
                },
            },
        },
        "start": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer", "minimum": 5, "maximum": 100},
        "orderBy": {"type": "string", "minLength": 1},
        "orderByDir": {"enum": ["ASC", "DESC"]},
    },
}

SEARCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["filters", "page", "limit"],
    "properties": {
        "filters": {"$ref": "#/$defs/group"},
        "page": {"type": "integer", "minimum": 1},
        "limit": {"type": "integer", "minimum": 1, "maximum": 100},
    },
    "$defs": {
        "group": {
            "type": "object",
            "additionalProperties": False,
            "required": ["condition", "rules"],
            "properties": {
                "condition": {"enum": ["AND", "OR"]},
                "rules": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"anyOf": [{"$ref": "#/$defs/rule"}, {"$ref": "#/$defs/group"}]},
                },
            },
        },
        "rule": {
            "type": "object",
            "additionalProperties": False,
            "required": ["field", "operator", "value"],
            "properties": {
                "field": {"type": "string", "minLength": 1},
                "operator": {"enum": list(OPERATORS)},
                "value": {},
            },
            **_operand_schema("operator", "value"),
        },
    },
}


_TEXTUAL = ("text", "textarea", "email", "phone", "url", "region")
_ORDERED = ("number", "integer", "date", "datetime", "time")


def sensible(ftype: str, op: str) -> bool:
    """Independent statement of which operators make sense for which field type."""
    if op in _LIKE_OPS:
        return ftype in _TEXTUAL
    if op in ("gt", "gte", "lt", "lte"):
        return ftype in _ORDERED
    if op in ("eq", "neq"):
        return ftype != "multiselect"
    if op in _SET_OPS:
        return ftype != "boolean"
    return op in _NULL_OPS


# Built once: jsonschema.validate() re-checks the schema itself on every call.
jsonschema.Draft202012Validator.check_schema(FILTER_INPUT_SCHEMA)
jsonschema.Draft202012Validator.check_schema(SEARCH_SCHEMA)
FILTER_INPUT_VALIDATOR = jsonschema.Draft202012Validator(FILTER_INPUT_SCHEMA)
SEARCH_VALIDATOR = jsonschema.Draft202012Validator(SEARCH_SCHEMA)


def check_operand(field: Mapping[str, Any], op: str, operand: Any) -> None:
    """Beyond the schema: the operator suits the type and the operand is valid for it."""
    assert op in operators_for(field)
    assert sensible(field["type"], op), (field["type"], op)
    scalar_field = {**field, "type": "select"} if field["type"] == "multiselect" else field
    if op in _SET_OPS:
        assert all(is_valid(scalar_field, x) for x in operand), operand
    elif op in _SCALAR_OPS:
        assert is_valid(scalar_field, operand), operand


@FAST
@given(fields=field_lists(), data=st.data())
def test_filter_input_matches_schema(fields: list[dict[str, Any]], data: st.DataObject) -> None:
    body = data.draw(filter_input(fields))
    FILTER_INPUT_VALIDATOR.validate(body)
    by_alias = {f["alias"]: f for f in fields}
    assert body["orderBy"] in by_alias
    for item in body["filters"]:
        field = by_alias[item["alias"]]
        assert item["type"] == FILTER_TYPES[field["type"]]
        check_operand(field, item["value"]["operator"], item["value"]["input"])


@FAST
@given(data=st.data())
def test_filter_input_respects_field_operators(data: st.DataObject) -> None:
    fields = [
        make_field("number", operators=[{"operator": "gt"}, {"operator": "isNull"}, "between"]),
        make_field("text", operators=[]),  # not filterable at all
        make_field("select"),
    ]
    override = {"select": ["in"]}
    body = data.draw(filter_input(fields, operators_by_type=override))
    FILTER_INPUT_VALIDATOR.validate(body)
    used = {(f["alias"], f["value"]["operator"]) for f in body["filters"]}
    assert used <= {("f_number", "gt"), ("f_number", "isNull"), ("f_select", "in")}


def rule_depth(group: Mapping[str, Any]) -> int:
    """Groups on the deepest path, counting the top-level group as 1."""
    nested = [rule_depth(r) for r in group["rules"] if "rules" in r]
    return 1 + max(nested, default=0)


def iter_rules(group: Mapping[str, Any]) -> Any:
    for rule in group["rules"]:
        yield from iter_rules(rule) if "rules" in rule else [rule]


@pytest.mark.parametrize("max_depth", [1, 2, 3])
@FAST
@given(fields=field_lists(), data=st.data())
def test_search_rule_set(
    max_depth: int, fields: list[dict[str, Any]], data: st.DataObject
) -> None:
    body = data.draw(search_rule_set(fields, max_depth=max_depth))
    SEARCH_VALIDATOR.validate(body)
    assert rule_depth(body["filters"]) <= max_depth
    assert json_roundtrip(body) == body
    by_alias = {f["alias"]: f for f in fields}
    for rule in iter_rules(body["filters"]):
        check_operand(by_alias[rule["field"]], rule["operator"], rule["value"])


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_search_rule_set_reaches_each_depth(depth: int) -> None:
    """The bound is reachable, not just respected (find() shrinks to the simplest such body)."""
    body = find(
        search_rule_set([make_field("boolean")], max_depth=3),
        lambda b: rule_depth(b["filters"]) == depth,
        settings=settings(max_examples=500, database=None, phases=FAST.phases),
    )
    assert rule_depth(body["filters"]) == depth
