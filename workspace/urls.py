"""The URL map, built from the contract's operations: path `{x}` becomes `<x>`.

Path parameters match as plain strings; the HTTP layer validates them as the contract types
them (so `/contacts/abc` answers 400, not 404). Static segments win over parameters in
werkzeug's matcher, so `/contacts/edit` and `/users/self` reach their own operations.
"""

from __future__ import annotations

import re
from functools import cache

from werkzeug.routing import Map, Rule

from contract.operations import OPERATIONS

API_PREFIX = "/api"
OAUTH_ENDPOINTS = {"/oauth2/authorize": ("GET",), "/oauth2/token": ("POST",),
                   "/oauth2/revoke": ("POST",)}


def rule_path(path: str) -> str:
    return API_PREFIX + re.sub(r"\{(\w+)\}", r"<\1>", path)


@cache
def build_map() -> Map:
    """Built once per process: the map is static and matching does not change it."""
    rules = [Rule(rule_path(op.path), endpoint=op, methods=[op.method]) for op in OPERATIONS]
    rules += [Rule(path, endpoint=path, methods=list(methods))
              for path, methods in OAUTH_ENDPOINTS.items()]
    return Map(rules, strict_slashes=False, merge_slashes=False, redirect_defaults=False)
