"""Hypothesis strategies and comparison helpers for single Flexie custom-field values.

One small strategy per field type lives in a registry keyed by the type name, so adding a type
is one entry, and an unknown type fails loudly instead of silently sending garbage to the API.
Draws are kept simple (bounded ints, sampled lists, short ASCII tokens) so failing examples
shrink to something a human can read in a bug report.
"""

from __future__ import annotations

import datetime as dt
import math
import string
from collections.abc import Callable, Mapping
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from contract.fields import INT_MAX, INT_MIN
from contract.fields import TEXT_MAX_LENGTH as TEXT_MAX

Field = Mapping[str, Any]
"""A field definition as `GET /{entity}/list/fields` returns it (alias, type, options, ...)."""

TEXTAREA_MAX = 2000

# Reads may come back through a DECIMAL/DOUBLE column, so numbers compare with a tolerance.
NUMBER_REL_TOL = 1e-9
NUMBER_ABS_TOL = 1e-6

COUNTRIES: tuple[str, ...] = (
    "United Kingdom", "United States", "Germany", "France", "Italy", "Spain", "Netherlands",
    "Belgium", "Switzerland", "Austria", "Sweden", "Norway", "Denmark", "Ireland", "Portugal",
    "Poland", "Albania", "Kosovo", "Canada", "Australia", "Japan",
)  # fmt: skip
REGIONS: tuple[str, ...] = (
    "England", "Scotland", "California", "New York", "Bavaria", "Berlin", "Ile-de-France",
    "Lombardy", "Catalonia", "Ontario", "Tirana", "Pristina",
)  # fmt: skip
# Fixed, not zoneinfo.available_timezones(): the set must not vary with the host's tzdata,
# otherwise Hypothesis' example database replays different values on different machines.
TIMEZONES: tuple[str, ...] = (
    "UTC", "Africa/Cairo", "America/Chicago", "America/Los_Angeles", "America/New_York",
    "America/Sao_Paulo", "America/Toronto", "Asia/Dubai", "Asia/Kolkata", "Asia/Shanghai",
    "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Europe/Amsterdam", "Europe/Berlin",
    "Europe/Dublin", "Europe/London", "Europe/Madrid", "Europe/Paris", "Europe/Rome",
    "Europe/Tirane", "Pacific/Auckland",
)  # fmt: skip

_TOKEN_ALPHABET = string.ascii_lowercase + string.digits
# BMP only, no control, format, private or surrogate characters: the store may be MySQL utf8
# (3-byte), NUL and lone surrogates do not survive JSON, and invisible characters make
# shrunk counterexamples unreadable. Textareas additionally get newlines.
_EXCLUDED: Final = ("Cs", "Cc", "Cf", "Co", "Cn")
_LINE_CHARS = st.characters(max_codepoint=0xFFFF, exclude_categories=_EXCLUDED)
_AREA_CHARS = st.characters(
    max_codepoint=0xFFFF, exclude_categories=_EXCLUDED, include_characters="\n"
)


class UnknownFieldType(ValueError):
    """Raised for a field type with no strategy; names both the type and the alias."""


def field_type(field: Field) -> str:
    """Return the field's type, so every lookup can fail with the same clear message."""
    return str(field.get("type"))


def field_alias(field: Field) -> str:
    """Return the field's alias (used in error messages and payload keys)."""
    return str(field.get("alias", "<no alias>"))


def unknown_type(field: Field) -> UnknownFieldType:
    """Build the error for a type this package does not know."""
    return UnknownFieldType(
        f"unknown field type {field_type(field)!r} for field {field_alias(field)!r}"
    )


def options_of(field: Field) -> list[str]:
    """Return a select/multiselect field's options, refusing an empty list (nothing to draw)."""
    options = [str(o) for o in field.get("options") or ()]
    if not options:
        raise ValueError(
            f"{field_type(field)} field {field_alias(field)!r} declares no options"
        )
    return options


def tokens(min_size: int = 1, max_size: int = 12) -> SearchStrategy[str]:
    """Short lowercase ASCII tokens: safe inside URLs, e-mail local parts and unique values."""
    return st.text(_TOKEN_ALPHABET, min_size=min_size, max_size=max_size)


def _stripped_text(chars: SearchStrategy[str], max_size: int) -> SearchStrategy[str]:
    # Servers commonly trim; keep edges non-blank so "strings exact" comparison stays fair.
    return st.text(chars, min_size=1, max_size=max_size).map(str.strip).filter(bool)


def _text(field: Field) -> SearchStrategy[Any]:
    return _stripped_text(_LINE_CHARS, TEXT_MAX)


def _textarea(field: Field) -> SearchStrategy[Any]:
    return _stripped_text(_AREA_CHARS, TEXTAREA_MAX)


def _number(field: Field) -> SearchStrategy[Any]:
    # Integers first (they shrink to 0); floats rounded to 4 places survive a DECIMAL column.
    floats = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False).map(
        lambda x: round(x, 4)
    )
    return st.one_of(st.integers(-(10**6), 10**6), floats)


def _integer(field: Field) -> SearchStrategy[Any]:
    return st.integers(INT_MIN, INT_MAX)


def _date_str(d: dt.date) -> str:
    return d.isoformat()


def _date(field: Field) -> SearchStrategy[Any]:
    return st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).map(_date_str)


def _datetime_str(d: dt.datetime) -> str:
    return d.replace(microsecond=0).isoformat()


def _datetime(field: Field) -> SearchStrategy[Any]:
    # Inside the MySQL TIMESTAMP range (1970..2038) so any storage choice keeps the instant.
    return st.datetimes(
        dt.datetime(1970, 1, 2), dt.datetime(2037, 12, 31), timezones=st.just(dt.UTC)
    ).map(_datetime_str)


def _time(field: Field) -> SearchStrategy[Any]:
    return st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59))


def _url(field: Field) -> SearchStrategy[Any]:
    # example.com is reserved (RFC 2606) yet has a real TLD, so strict validators accept it.
    return st.builds("https://{}.example.com/{}".format, tokens(), tokens(0, 12))


def _email(field: Field) -> SearchStrategy[Any]:
    # Lowercase local part: servers often lowercase whole addresses, and normalise() may only
    # fold the domain. Mixed-case domains exercise that folding.
    domains = st.sampled_from(("example.com", "example.org", "Example.NET"))
    return st.builds("{}@{}".format, tokens(), domains)


def _phone(field: Field) -> SearchStrategy[Any]:
    # E.164: "+", a non-zero leading digit, 8..15 digits in all.
    return st.builds(
        "+{}{}".format, st.integers(1, 9), st.text(string.digits, min_size=7, max_size=14)
    )


def _lookup(field: Field) -> SearchStrategy[Any]:
    return st.integers(1, INT_MAX)


def _select(field: Field) -> SearchStrategy[Any]:
    return st.sampled_from(options_of(field))


def _multiselect(field: Field) -> SearchStrategy[Any]:
    options = options_of(field)
    return st.lists(st.sampled_from(options), min_size=1, max_size=len(options), unique=True)


VALUE_STRATEGIES: dict[str, Callable[[Field], SearchStrategy[Any]]] = {
    "text": _text,
    "textarea": _textarea,
    "number": _number,
    "integer": _integer,
    "boolean": lambda field: st.booleans(),
    "select": _select,
    "multiselect": _multiselect,
    "date": _date,
    "datetime": _datetime,
    "time": _time,
    "url": _url,
    "email": _email,
    "phone": _phone,
    "country": lambda field: st.sampled_from(COUNTRIES),
    "region": lambda field: st.sampled_from(REGIONS),
    "timezone": lambda field: st.sampled_from(TIMEZONES),
    "lookup": _lookup,
}
"""Valid-value strategy builders keyed by field type."""


def value_for(field: Field) -> SearchStrategy[Any]:
    """Strategy of JSON values the API must accept for `field` (ValueError on unknown type)."""
    builder = VALUE_STRATEGIES.get(field_type(field))
    if builder is None:
        raise unknown_type(field)
    return builder(field)


def _non_string(field: Field) -> SearchStrategy[Any]:
    # Every string is a valid text value, so only a JSON object is certainly wrong.
    return st.dictionaries(tokens(1, 5), st.integers(0, 9), min_size=1, max_size=3)


def _bad_option(field: Field) -> SearchStrategy[str]:
    options = set(field.get("options") or ())
    return st.builds("not-an-option-{}".format, tokens(0, 6)).filter(lambda s: s not in options)


def _bad_multiselect(field: Field) -> SearchStrategy[Any]:
    options = list(field.get("options") or ())
    good = st.lists(st.sampled_from(options), unique=True) if options else st.just([])
    return st.builds(lambda ok, bad: [*ok, bad], good, _bad_option(field))


def _one_of(*values: Any) -> Callable[[Field], SearchStrategy[Any]]:
    return lambda field: st.sampled_from(values)


INVALID_STRATEGIES: dict[str, Callable[[Field], SearchStrategy[Any] | None]] = {
    "text": _non_string,
    "textarea": _non_string,
    "region": _non_string,
    "number": _one_of("not-a-number", "abc"),
    "integer": _one_of(1.5, "x"),
    "lookup": _one_of(1.5, "x", 0, -1),
    "boolean": _one_of("yes", "maybe"),
    "select": _bad_option,
    "multiselect": _bad_multiselect,
    "date": _one_of("2026-13-45", "not-a-date"),
    "datetime": _one_of("yesterday", "2026-13-45T25:61:00+00:00"),
    "time": _one_of("25:61", "ab:cd"),
    "url": _one_of("not a url", "example.com/no-scheme"),
    "email": _one_of("no-at-sign", "two@@example.com", "@example.com"),
    "phone": _one_of("abc", "phone-number"),
    "country": _one_of("Atlantis", "Narnia"),
    "timezone": _one_of("Mars/Olympus_Mons", "Not/AZone"),
}
"""Invalid-value strategy builders keyed by field type (for negative, expect-400 tests)."""


def invalid_value_for(field: Field) -> SearchStrategy[Any] | None:
    """Strategy of values the API must refuse with 400, or None if the type has none."""
    if field_type(field) not in INVALID_STRATEGIES:
        raise unknown_type(field)
    return INVALID_STRATEGIES[field_type(field)](field)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_float(value: Any) -> float:
    if not _is_number(value) or not math.isfinite(value):
        raise ValueError(f"not a finite JSON number: {value!r}")
    return float(value)


def _as_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"not a JSON integer: {value!r}")
    return value


def _as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"not a JSON boolean: {value!r}")
    return value


def _as_set(value: Any) -> frozenset[Any]:
    if not isinstance(value, list):
        raise ValueError(f"not a JSON list: {value!r}")
    return frozenset(value)


def _as_instant(value: Any) -> dt.datetime:
    # A naive datetime names no instant, so it cannot equal anything: refuse it.
    parsed = dt.datetime.fromisoformat(_as_str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"datetime without offset: {value!r}")
    return parsed.astimezone(dt.UTC)


def _as_email(value: Any) -> str:
    local, sep, domain = _as_str(value).rpartition("@")
    if not sep:
        raise ValueError(f"not an e-mail address: {value!r}")
    return f"{local}@{domain.lower()}"


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"not a JSON string: {value!r}")
    return value


NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "number": _as_float,
    "integer": _as_int,
    "lookup": _as_int,
    "boolean": _as_bool,
    "multiselect": _as_set,
    "datetime": _as_instant,
    "email": _as_email,
    **dict.fromkeys(
        ("text", "textarea", "select", "date", "time", "url", "phone", "country", "region",
         "timezone"),
        _as_str,
    ),
}
"""Per-type canonical forms used to compare a written value with the value read back."""


def normalise(field: Field, value: Any) -> Any:
    """Canonical form of `value` for comparison; None stays None; ValueError if malformed."""
    normaliser = NORMALISERS.get(field_type(field))
    if normaliser is None:
        raise unknown_type(field)
    return None if value is None else normaliser(value)


def values_equal(field: Field, written: Any, read: Any) -> bool:
    """True if `read` is what the API should return after `written` was stored."""
    if field_type(field) not in NORMALISERS:
        raise unknown_type(field)
    try:
        left, right = normalise(field, written), normalise(field, read)
    except (ValueError, TypeError, OverflowError):
        return False
    if field_type(field) == "number" and left is not None and right is not None:
        return math.isclose(left, right, rel_tol=NUMBER_REL_TOL, abs_tol=NUMBER_ABS_TOL)
    return bool(left == right)
