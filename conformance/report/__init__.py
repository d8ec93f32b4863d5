"""Conformance report rendering: results dict -> redacted conformance.json + conformance.html."""

from .baseline import compare, load_baseline
from .coverage import derive_coverage
from .redact import redact, redact_obj, redact_secrets
from .render import write_reports
from .validate import validate_results

__all__ = [
    "compare",
    "derive_coverage",
    "load_baseline",
    "redact",
    "redact_obj",
    "redact_secrets",
    "validate_results",
    "write_reports",
]
