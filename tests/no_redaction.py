"""A pytest plugin for the secrets self-test's control runs: every redaction switched off.

Loaded with `-p tests.no_redaction` beside `-p no:conformance.plugin.redaction` (which drops the
plugin that redacts pytest's reports, terminal and logs), it switches off the two other
layers: the redaction of conformance/report/redact.py (curl lines, failure entries, the JSON
and HTML reports) and Schemathesis's own sanitization of what it renders (its curl lines mask
headers such as `apikey`). Every function of redact.py goes through `_redact` or
`_secret_pattern` at call time, so replacing those two reaches them all, whenever their
callers imported them. A run that still writes no secret this way never carried one out.
"""

from __future__ import annotations

import importlib
from typing import Any

from schemathesis.config import SanitizationConfig

# The module, not the function conformance/report/__init__.py exports under the same name.
redact = importlib.import_module("conformance.report.redact")


def _unchanged(text: str, secret_re: Any) -> str:
    return text


redact._redact = _unchanged
redact._secret_pattern = lambda secrets: None

_sanitizing = SanitizationConfig.__init__


def _never_sanitizing(self: SanitizationConfig, **kwargs: Any) -> None:
    _sanitizing(self, **{**kwargs, "enabled": False})


SanitizationConfig.__init__ = _never_sanitizing  # type: ignore[method-assign]
