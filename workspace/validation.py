"""Checking field values and record bodies against the account's field definitions.

Each field type has one small cleaner that returns the value to store or raises BadRequest
naming the alias. `lenient` and `drop_unknown` exist only for the wrong-type-accepted and
unknown-alias-accepted faults; the HTTP layer decides when to pass them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema_rs

from contract.fields import (
    ALIAS_SYNONYMS,
    COUNTRIES,
    FIELD_TYPES,
    INT_MAX,
    INT_MIN,
    NUMBER_LIMIT,
    PHONE_PATTERN,
    TEXT_MAX_LENGTH,
    TIME_PATTERN,
    URL_MAX_LENGTH,
    Field,
)
from workspace.exceptions import BadRequest
from workspace.reference import TIMEZONES

#: Keys an answer carries that a client may echo back in a body; they are ignored.
ECHO_KEYS = frozenset({"id", "date_added", "date_modified"})
# The text forms the contract defines (contract.fields), so mock and suite agree exactly.
# e-mail and URL: their JSON Schema formats, by the validator Schemathesis itself uses.
_EMAIL = jsonschema_rs.validator_for(FIELD_TYPES["email"], validate_formats=True)
_URL = jsonschema_rs.validator_for(FIELD_TYPES["url"], validate_formats=True)
_PHONE = re.compile(PHONE_PATTERN)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(TIME_PATTERN)
_LENIENT_TYPES = frozenset({"number", "integer", "boolean", "date", "datetime", "time"})


def _bad(f: Field, why: str) -> BadRequest:
    return BadRequest(f"Field '{f.alias}' ({f.type}) {why}.")


def _string(f: Field, v: Any, limit: int | None = TEXT_MAX_LENGTH) -> str:
    if not isinstance(v, str):
        raise _bad(f, "must be a string")
    if limit is not None and len(v) > limit:
        raise _bad(f, f"is longer than {limit} characters")
    return v


def _text(f: Field, v: Any) -> str:
    return _string(f, v)


def _textarea(f: Field, v: Any) -> str:
    return _string(f, v, None)


def _number(f: Field, v: Any) -> int | float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _bad(f, "must be a number")
    if isinstance(v, float) and not math.isfinite(v):
        raise _bad(f, "must be a finite number")
    if abs(v) > NUMBER_LIMIT:
        raise _bad(f, f"must be between -{NUMBER_LIMIT:.0e} and {NUMBER_LIMIT:.0e}")
    return v


def _integer(f: Field, v: Any) -> int:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise _bad(f, "must be an integer")
    if not INT_MIN <= v <= INT_MAX:
        raise _bad(f, "is out of range")
    return v


def _lookup(f: Field, v: Any) -> int:
    v = _integer(f, v)
    if v < 1:
        raise _bad(f, "must be an id >= 1")
    return v


def _boolean(f: Field, v: Any) -> bool:
    if not isinstance(v, bool):
        raise _bad(f, "must be true or false")
    return v


def _select(f: Field, v: Any) -> str:
    if not isinstance(v, str) or v not in f.options:
        raise _bad(f, f"must be one of {', '.join(f.options)}")
    return v


def _multiselect(f: Field, v: Any) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(o, str) and o in f.options for o in v):
        raise _bad(f, f"must be a list of {', '.join(f.options)}")
    return list(dict.fromkeys(v))


def _date(f: Field, v: Any) -> str:
    if not isinstance(v, str) or not _DATE.match(v):
        raise _bad(f, "must be a date YYYY-MM-DD")
    try:
        dt.date.fromisoformat(v)
    except ValueError:
        raise _bad(f, "must be a valid date") from None
    return v


def parse_datetime(v: str) -> dt.datetime | None:
    """An ISO 8601 date-time, naive read as UTC; None when it is not one."""
    if len(v) < 16 or v[10] not in "Tt ":
        return None
    try:
        parsed = dt.datetime.fromisoformat(v)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _datetime(f: Field, v: Any) -> str:
    parsed = parse_datetime(v) if isinstance(v, str) else None
    if parsed is None:
        raise _bad(f, "must be an ISO 8601 date-time")
    return parsed.isoformat()


def _time(f: Field, v: Any) -> str:
    if not isinstance(v, str) or not _TIME.match(v):
        raise _bad(f, "must be a time HH:MM")
    return v


def _url(f: Field, v: Any) -> str:
    v = _string(f, v, URL_MAX_LENGTH)
    if not _URL.is_valid(v):
        raise _bad(f, "must be an absolute URI")
    return v


def _email(f: Field, v: Any) -> str:
    if not isinstance(v, str) or len(v) > TEXT_MAX_LENGTH or not _EMAIL.is_valid(v):
        raise _bad(f, "must be an e-mail address")
    return v


def _phone(f: Field, v: Any) -> str:
    if not isinstance(v, str) or not _PHONE.match(v):
        raise _bad(f, "must be a phone number")
    return v


#: Lower-cased name -> the contract's spelling, so "germany" is stored as "Germany".
COUNTRY_BY_KEY: dict[str, str] = {c.casefold(): c for c in COUNTRIES}


def _country(f: Field, v: Any) -> str:
    country = COUNTRY_BY_KEY.get(v.casefold()) if isinstance(v, str) else None
    if country is None:
        raise _bad(f, "must be a country name")
    return country


def _timezone(f: Field, v: Any) -> str:
    if not isinstance(v, str) or v not in TIMEZONES:
        raise _bad(f, "must be an IANA time zone")
    return v


CLEANERS: dict[str, Callable[[Field, Any], Any]] = {
    "text": _text, "textarea": _textarea, "number": _number, "integer": _integer,
    "boolean": _boolean, "select": _select, "multiselect": _multiselect, "date": _date,
    "datetime": _datetime, "time": _time, "url": _url, "email": _email, "phone": _phone,
    "country": _country, "region": _text, "timezone": _timezone, "lookup": _lookup,
}


def clean_value(f: Field, value: Any, *, lenient: bool = False) -> Any:
    """The value to store for `f`; None clears an optional field."""
    if value is None:
        if f.required:
            raise _bad(f, "is required and cannot be null")
        return None
    if lenient and f.type in _LENIENT_TYPES and isinstance(value, str):
        return value
    return CLEANERS[f.type](f, value)


def with_synonyms(fields: Mapping[str, Field], body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The body with `firstname`/`lastname` read as the standard aliases they stand for (on
    kinds that have them and no field of that name); the standard alias wins when both come."""
    found = {s: a for s, a in ALIAS_SYNONYMS.items() if s in body and s not in fields
             and a in fields}
    if not found:
        return body
    out = {k: v for k, v in body.items() if k not in found}
    for synonym, alias in found.items():
        out.setdefault(alias, body[synonym])
    return out


def clean_body(fields: Mapping[str, Field], body: Mapping[str, Any], *, creating: bool,
               noun: str, drop_unknown: bool = False,
               lenient: bool = False, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Validate a create or update body: known aliases, typed values, required fields."""
    body = with_synonyms(fields, body)
    out: dict[str, Any] = {}
    for alias, value in body.items():
        if alias in ECHO_KEYS or alias in skip:
            continue
        f = fields.get(alias)
        if f is None:
            if drop_unknown:
                continue
            raise BadRequest(f"Unknown field alias '{alias}' for {noun}.")
        if f.read_only:
            continue  # generated by the workspace (a case's identifier): never written
        if value is None:
            raise BadRequest(f"Field '{alias}' ({f.type}) cannot be null; the contract types "
                             "it without null.")
        out[alias] = clean_value(f, value, lenient=lenient)
    if creating:
        missing = [f.alias for f in fields.values()
                   if f.required and out.get(f.alias) in (None, "")]
        if missing:
            raise BadRequest(f"Missing required field(s) for {noun}: {', '.join(missing)}.")
    else:
        emptied = [a for a, v in out.items() if v == "" and fields[a].required]
        if emptied:
            raise BadRequest(f"Required field(s) of {noun} cannot be empty: "
                             f"{', '.join(emptied)}.")
    return out
