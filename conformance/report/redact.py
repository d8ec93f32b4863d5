"""Scrub credentials from report text: reports are attached to tickets and CI artefacts.

Two layers: the exact secrets the run used (and their URL-, JSON- and HTML-escaped forms), and
patterns for credential-shaped text (API key headers and query values, bearer tokens, OAuth2
fields) so a key the caller forgot to pass is still hidden. `redact` is idempotent.

A shortened repr (pytest's saferepr, reprlib) cuts long values in the middle and joins the ends
with "...": the part of a secret on either side of such an ellipsis is masked as well, so a
truncated object that holds a key does not leak its first or last characters.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

import markupsafe

MARK = "[REDACTED]"
MIN_SECRET_LEN = 4  # shorter "secrets" would shred ordinary words
MIN_FRAGMENT_LEN = 3  # the end of a secret that a shortened repr leaves beside its "..."

_DONE = re.escape(MARK)  # a value masked already: a second pass leaves it (and what follows)
_FIELDS = r"apikey|api_key|api-key|access_token|refresh_token|client_secret|id_token"

# Form / query text: apikey=abc&x=1, refresh_token=abc
_QUERY = re.compile(rf"(?i)(?<![\w-])((?:{_FIELDS})=)(?!{_DONE})([^&\s#'\"<>]+)")
# HTTP header lines, e.g. curl -H 'apikey: abc' or "X-Api-Key: abc"
_HEADER = re.compile(
    rf"(?i)(?<![\w-])((?:x-)?api[-_]?key\s*:[ \t]*+)(?!{_DONE})([^\s'\"\\,;]+)")
# Authorization: Bearer abc / Basic abc / abc
_AUTHZ = re.compile(
    r"(?i)(?<![\w-])((?>authorization\s*:[ \t]*(?:(?:bearer|basic|token)[ \t]+)?))"
    rf"(?!{_DONE})([^\s'\"\\,;]+)"
)
# A bearer token anywhere else (long enough to not be the word "token")
_BEARER = re.compile(r"(?<![\w-])(Bearer[ \t]+)([A-Za-z0-9._~+/-]{8,}=*)")
# JSON or Python-repr text, possibly JSON-escaped inside another string:
# "access_token": "abc"   \"refresh_token\": \"abc\"   'client_secret': 'abc'
_JSON = re.compile(
    rf"(?i)((?P<kq>\\?[\"'])(?:{_FIELDS}|authorization)(?P=kq)\s*:\s*(?P<q>\\?[\"']))"
    r"(?P<v>.*?)(?P=q)"
)
_PATTERNS: tuple[re.Pattern[str], ...] = (_JSON, _QUERY, _HEADER, _AUTHZ, _BEARER)


def _mask(match: re.Match[str]) -> str:
    closing = match.group("q") if "q" in match.re.groupindex else ""
    return f"{match.group(1)}{MARK}{closing}"


def _secret_forms(secrets: Iterable[str]) -> list[str]:
    """Every spelling in which a secret may show up in URL, JSON or HTML text."""
    forms: set[str] = set()
    for secret in secrets:
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_LEN:
            continue
        forms.update({
            secret,
            quote(secret, safe=""),
            quote_plus(secret),
            json.dumps(secret)[1:-1],
            html.escape(secret),
            str(markupsafe.escape(secret)),  # Jinja's spelling: &#39; where html uses &#x27;
        })
    return sorted(forms, key=len, reverse=True)  # longest first: no partial leftovers


def _secret_pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    return _compiled(tuple(s for s in secrets if isinstance(s, str)))


@functools.lru_cache(maxsize=32)  # the same few secrets, for every line a run writes
def _compiled(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    forms = _secret_forms(secrets)
    if not forms:
        return None
    # Whole secrets first; then what a shortened repr leaves of one: its head just before
    # "...", its tail just after.
    heads = {f[:n] for f in forms for n in range(MIN_FRAGMENT_LEN, len(f))}
    tails = {f[-n:] for f in forms for n in range(MIN_FRAGMENT_LEN, len(f))}

    def alternatives(values: Iterable[str]) -> str:
        return "|".join(map(re.escape, sorted(values, key=len, reverse=True)))

    return re.compile(f"{alternatives(forms)}"
                      f"|(?:{alternatives(heads)})(?=\\.\\.\\.|\u2026)"
                      f"|(?<=\\.\\.\\.)(?:{alternatives(tails)})"
                      f"|(?<=\u2026)(?:{alternatives(tails)})")


def _redact_once(text: str, secret_re: re.Pattern[str] | None) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(_mask, text)
    if secret_re is None:
        return text
    # Leave existing markers alone so a secret like "DACT" cannot eat into "[REDACTED]".
    return MARK.join(secret_re.sub(MARK, piece) for piece in text.split(MARK))


def _redact(text: str, secret_re: re.Pattern[str] | None) -> str:
    # Repeat to a fixed point: one pass can expose a new match (e.g. a secret inside a value).
    for _ in range(5):
        new = _redact_once(text, secret_re)
        if new == text:
            break
        text = new
    return text


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace secrets and credential-shaped values in `text` with [REDACTED]."""
    return _redact(text, _secret_pattern(secrets))


def redact_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """Only the exact secrets (in every spelling), no patterns: safe on escaped HTML/JSON text.

    Patterns assume raw text; run on `&#39;` or `\\"` they could eat part of an escape and
    corrupt the document, so the renderer's final pass over the written files uses this.
    """
    secret_re = _secret_pattern(secrets)
    if secret_re is None:
        return text
    return MARK.join(secret_re.sub(MARK, piece) for piece in text.split(MARK))


def redact_obj(obj: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like value with every string (keys too) redacted."""
    secret_re = _secret_pattern(secrets)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return _redact(value, secret_re)
        if isinstance(value, dict):
            return {walk(k) if isinstance(k, str) else k: walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return walk(obj)
