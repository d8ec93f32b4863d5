"""Evaluating filter-input filters, search rule sets, free-text search, ordering and paging.

Everything compiles to a predicate over a record *view* (alias -> stored value, plus id and
the timestamps) before any record is read, so a bad alias or operator answers 400 even when no
record exists. Text comparisons are case-insensitive, like MySQL's default collation; the
negative operators (neq, not_contains, notIn) match empty values, as SQL `OR x IS NULL` does.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contract.fields import ALL_OPERATORS, FILTER_TYPES, OPERATORS, Field
from contract.schemas import MAX_ID, MAX_PAGE_SIZE
from workspace.exceptions import BadRequest
from workspace.validation import clean_value, parse_datetime

View = Mapping[str, Any]
Predicate = Callable[[View], bool]
Getter = Callable[[View], list]
#: Turns a rule's `field` (alias or {"entity", "field"}) into its definition and a getter.
Resolver = Callable[[Any], tuple[Field, Getter]]

MAX_DEPTH = 16
DEFAULT_LIMIT = 30
_NOPE = object()  # a stored value that cannot be compared: matches no positive operator
_TEXTUAL = frozenset({"text", "textarea", "email", "phone", "url", "region", "select",
                      "country", "timezone", "multiselect"})
_NEGATIVE = frozenset({"neq", "not_contains", "notIn"})


def is_null(value: Any) -> bool:
    return value is None or value == "" or value == []


# --- operands -------------------------------------------------------------------------------

def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, str):
        try:
            x = float(v)
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    return None


def _boolean(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.lower() in ("true", "false", "1", "0"):
        return v.lower() in ("true", "1")
    return None


def _date(v: Any) -> str | None:
    if isinstance(v, str) and len(v) >= 10:
        try:
            return dt.date.fromisoformat(v[:10]).isoformat()
        except ValueError:
            return None
    return None


def _datetime(v: Any) -> dt.datetime | None:
    if not isinstance(v, str):
        return None
    if len(v) == 10:
        day = _date(v)
        return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC) if day else None
    return parse_datetime(v)


def _time(v: Any) -> str | None:
    if isinstance(v, str) and re.match(r"^([01][0-9]|2[0-3]):[0-5][0-9]", v):
        return v[:5]
    return None


def _lookup(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.isdigit():
        return int(v)
    return None


def _text(v: Any) -> str | None:
    if isinstance(v, str):
        return v.casefold()
    if isinstance(v, int | float) and not isinstance(v, bool):
        return str(v).casefold()
    return None


_NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "number": _number, "integer": _number, "boolean": _boolean, "date": _date,
    "datetime": _datetime, "time": _time, "lookup": _lookup,
}


def normaliser(f: Field) -> Callable[[Any], Any]:
    return _NORMALISERS.get(f.type, _text)


def _operand(f: Field, value: Any, what: str) -> Any:
    """An operand is a value of its field, checked as a write would be (400 naming it)."""
    if f.type == "multiselect":  # filtered by single options
        f = Field(f.alias, "select", options=f.options)
    try:
        cleaned = clean_value(f, value)
    except BadRequest as exc:
        raise BadRequest(f"{what}: {exc.message}") from None
    if cleaned is None:
        raise BadRequest(f"{what}: the operator needs an input for '{f.alias}'.")
    return normaliser(f)(cleaned)


def _operand_list(f: Field, value: Any, what: str) -> frozenset:
    if not isinstance(value, list) or not value:
        raise BadRequest(f"{what}: in and notIn take a non-empty array for '{f.alias}'.")
    return frozenset(_operand(f, item, what) for item in value)


def _like(pattern: str) -> re.Pattern[str]:
    parts = (re.escape(p) for p in pattern.split("%"))
    return re.compile(".*".join(parts), re.DOTALL)


# --- one comparison -------------------------------------------------------------------------

def _test(f: Field, op: str, value: Any, flags: Mapping[str, bool], what: str,
          ) -> Callable[[Any], bool]:
    """A test of one stored value for `op` with operand `value` (400 on a bad operand)."""
    norm = normaliser(f)
    multi = f.type == "multiselect"

    def stored(v: Any) -> Any:
        n = norm(v)
        return _NOPE if n is None else n

    if op == "isNull":
        return is_null
    if op == "isNotNull":
        return lambda v: not is_null(v)
    if op in ("in", "notIn"):
        wanted = _operand_list(f, value, what)
        if multi:
            def hit(v: Any) -> bool:
                return isinstance(v, list) and any(stored(x) in wanted for x in v)
        else:
            def hit(v: Any) -> bool:
                return not is_null(v) and stored(v) in wanted
        return hit if op == "in" else (lambda v: not hit(v))
    if op in ("contains", "not_contains", "starts_with", "ends_with", "like"):
        if not isinstance(value, str) or not value:
            raise BadRequest(f"{what}: '{op}' takes a non-empty string for '{f.alias}'.")
        needle = value.casefold()
        if flags.get("strict"):
            match: Callable[[str], bool] = needle.__eq__
        elif op == "starts_with" or (flags.get("starts") and not flags.get("ends")):
            match = lambda s: s.startswith(needle)  # noqa: E731
        elif op == "ends_with" or (flags.get("ends") and not flags.get("starts")):
            match = lambda s: s.endswith(needle)  # noqa: E731
        elif flags.get("starts") and flags.get("ends"):
            match = lambda s: s.startswith(needle) and s.endswith(needle)  # noqa: E731
        elif op == "like" and "%" in needle:
            match = _like(needle).fullmatch  # type: ignore[assignment]
        else:
            match = lambda s: needle in s  # noqa: E731

        def found(v: Any) -> bool:
            s = _text(v)
            return s is not None and bool(match(s))
        return (lambda v: not found(v)) if op == "not_contains" else found
    operand = _operand(f, value, what)
    if op == "eq":
        return lambda v: not is_null(v) and stored(v) == operand
    if op == "neq":
        return lambda v: is_null(v) or stored(v) != operand
    compare = {"gt": lambda a: a > operand, "gte": lambda a: a >= operand,
               "lt": lambda a: a < operand, "lte": lambda a: a <= operand}[op]

    def ordered(v: Any) -> bool:
        s = stored(v)
        if s is _NOPE or is_null(v) or type(s) is not type(operand):
            return False
        return compare(s)
    return ordered


def operators_of(f: Field) -> tuple[str, ...]:
    """The operators a field takes: its type's (contract.fields.OPERATORS)."""
    return OPERATORS[f.type]


def _check_operator(f: Field, op: Any, what: str) -> str:
    if op not in ALL_OPERATORS:
        raise BadRequest(f"{what}: unknown operator {op!r}; known: {', '.join(ALL_OPERATORS)}.")
    if op not in operators_of(f):
        raise BadRequest(f"{what}: operator '{op}' does not apply to '{f.alias}' ({f.type}).")
    return op


def _rule_predicate(f: Field, getter: Getter, op: str, value: Any,
                    flags: Mapping[str, bool], what: str) -> Predicate:
    test = _test(f, op, value, flags, what)
    if op in _NEGATIVE:  # related values: none of them may match the positive form
        return lambda view: all(test(v) for v in (getter(view) or [None]))
    return lambda view: any(test(v) for v in (getter(view) or [None]))


def own_getter(alias: str) -> Getter:
    return lambda view: [view.get(alias)]


# --- filter-input ---------------------------------------------------------------------------

def compile_filters(filters: Any, fields: Mapping[str, Field]) -> Predicate | None:
    """The filter-input `filters` array as one predicate (all filters must hold).

    Each filter needs type, alias and value, the value an operator and, unless the operator
    is isNull or isNotNull, an input that is a valid value of the field (a non-empty string
    for the text operators, a non-empty array for in and notIn). Unknown aliases and
    operators that do not apply to the field answer 400 naming them.
    """
    if not isinstance(filters, list):
        raise BadRequest("filters must be an array of filter objects.")
    preds: list[Predicate] = []
    for i, item in enumerate(filters):
        what = f"filters[{i}]"
        if not isinstance(item, dict):
            raise BadRequest(f"{what} must be an object.")
        missing = [k for k in ("type", "alias", "value") if k not in item]
        if missing:
            raise BadRequest(f"{what} needs {', '.join(missing)}.")
        alias, ftype, value = item["alias"], item["type"], item["value"]
        if not isinstance(ftype, str) or ftype not in FILTER_TYPES:
            raise BadRequest(f"{what}: unknown filter type {ftype!r}.")
        f = fields.get(alias) if isinstance(alias, str) else None
        if f is None:
            raise BadRequest(f"{what}: unknown field alias {alias!r}.")
        if not isinstance(value, dict) or "operator" not in value:
            raise BadRequest(f"{what}: value must be an object with an operator and an input.")
        flags = {}
        for flag in ("strict", "starts", "ends"):
            if not isinstance(item.get(flag, False), bool):
                raise BadRequest(f"{what}: {flag} must be true or false.")
            flags[flag] = item.get(flag, False)
        op = _check_operator(f, value["operator"], what)
        _check_input(op, value, "input", what)
        preds.append(_rule_predicate(f, own_getter(f.alias), op, value.get("input"), flags,
                                     what))
    return _all(preds) if preds else None


def _check_input(op: str, holder: Mapping[str, Any], key: str, what: str) -> None:
    if op not in ("isNull", "isNotNull") and holder.get(key) is None:
        raise BadRequest(f"{what}: operator '{op}' needs {'an' if key == 'input' else 'a'} "
                         f"{key}.")


def _all(preds: Sequence[Predicate]) -> Predicate:
    return lambda view: all(p(view) for p in preds)


def _any(preds: Sequence[Predicate]) -> Predicate:
    return lambda view: any(p(view) for p in preds) if preds else True


# --- search rule sets -----------------------------------------------------------------------

def compile_search(group: Any, resolve: Resolver, *, or_as_and: bool = False) -> Predicate:
    """A nested {"condition", "rules"} group as one predicate; 400 names what is wrong.

    A group needs condition and rules; a rule needs field and operator and, unless the
    operator is isNull or isNotNull, a value checked like a filter's input.
    """
    return _group(group, resolve, or_as_and, "filters", 1)


def _group(group: Any, resolve: Resolver, or_as_and: bool, what: str, depth: int) -> Predicate:
    if depth > MAX_DEPTH:
        raise BadRequest(f"{what}: rule groups nest deeper than {MAX_DEPTH} levels.")
    if not isinstance(group, dict) or "condition" not in group or "rules" not in group:
        raise BadRequest(f"{what} must be a group with condition and rules.")
    condition, rules = group["condition"], group["rules"]
    if condition not in ("AND", "OR"):
        raise BadRequest(f"{what}: condition must be AND or OR, not {condition!r}.")
    if "operator" in group and group["operator"] not in ALL_OPERATORS:
        raise BadRequest(f"{what}: unknown operator {group['operator']!r}.")
    if not isinstance(rules, list):
        raise BadRequest(f"{what}: rules must be an array.")
    preds = []
    for i, rule in enumerate(rules):
        where = f"{what}.rules[{i}]"
        if isinstance(rule, dict) and "rules" in rule:
            preds.append(_group(rule, resolve, or_as_and, where, depth + 1))
        else:
            preds.append(_rule(rule, resolve, where))
    return _any(preds) if condition == "OR" and not or_as_and else _all(preds)


def _rule(rule: Any, resolve: Resolver, what: str) -> Predicate:
    if not isinstance(rule, dict) or "field" not in rule or "operator" not in rule:
        raise BadRequest(f"{what} must be a rule {{field, operator, value}} or a group.")
    f, getter = resolve(rule["field"])
    op = _check_operator(f, rule["operator"], what)
    _check_input(op, rule, "value", what)
    return _rule_predicate(f, getter, op, rule.get("value"), {}, what)


def text_search(query: str, aliases: Iterable[str]) -> Predicate:
    """The `search` parameter: a case-insensitive substring of any text field."""
    needle = query.casefold()
    aliases = tuple(aliases)

    def hit(view: View) -> bool:
        for alias in aliases:
            v = view.get(alias)
            if isinstance(v, str) and needle in v.casefold():
                return True
        return False
    return hit


# --- ordering and paging --------------------------------------------------------------------

def sort_key(value: Any) -> tuple:
    """Orders values of any stored type without comparing across types; nulls first."""
    if is_null(value):
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value.casefold())
    return (3, str(value))


def order(views: list[View], order_by: str | None, direction: str) -> list[View]:
    views = sorted(views, key=lambda v: v["id"], reverse=direction == "DESC")
    if order_by and order_by != "id":
        views.sort(key=lambda v: sort_key(v.get(order_by)), reverse=direction == "DESC")
    return views


@dataclass(frozen=True)
class Paging:
    start: int = 0
    limit: int = DEFAULT_LIMIT
    order_by: str | None = None
    direction: str = "ASC"
    search: str | None = None
    entity_list: int | None = None


def _int(value: Any, name: str, low: int, high: int, from_query: bool) -> int:
    if from_query and isinstance(value, str) and re.fullmatch(r"[0-9]{1,18}", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} must be an integer.")
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, not {value}.")
    return value


def paging(params: Mapping[str, Any], orderable: Iterable[str], *, from_query: bool,
           default_limit: int = DEFAULT_LIMIT) -> Paging:
    """Read limit, start, orderBy, orderByDir, search and entityList; 400 on bad values.

    In a body a key that is present must hold a value of its type (null is refused); in a
    query string an empty search counts as absent (an empty orderBy names no field: 400).
    """
    def given(name: str) -> bool:
        if name not in params:
            return False
        if params[name] is None:
            raise BadRequest(f"{name} cannot be null.")
        return not (from_query and params[name] == "" and name == "search")

    start, limit = 0, default_limit
    order_by, direction, search, entity_list = None, "ASC", None, None
    if given("start"):
        start = _int(params["start"], "start", 0, MAX_ID, from_query)
    if given("limit"):
        limit = _int(params["limit"], "limit", 1, MAX_PAGE_SIZE, from_query)
    if given("orderBy"):
        order_by = params["orderBy"]
        if not isinstance(order_by, str) or order_by not in orderable:
            raise BadRequest(f"orderBy: unknown field {order_by!r}.")
    if given("orderByDir"):
        direction = params["orderByDir"]
        if direction not in ("ASC", "DESC"):
            raise BadRequest(f"orderByDir must be ASC or DESC, not {direction!r}.")
    if given("search"):
        search = params["search"]
        if not isinstance(search, str):
            raise BadRequest("search must be a string.")
        search = search or None
    if given("entityList"):
        entity_list = _int(params["entityList"], "entityList", 1, MAX_ID, from_query)
    return Paging(start, limit, order_by, direction, search, entity_list)
