"""Write conformance.json (for CI) and conformance.html (for the release reviewer)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from .baseline import compare, load_baseline, not_rerun
from .coverage import derive_coverage, summarise
from .redact import redact_obj, redact_secrets
from .validate import validate_results
from .view import build_view

REPORT_FORMAT = 1
JSON_NAME = "conformance.json"
HTML_NAME = "conformance.html"
TEMPLATES = Path(__file__).with_name("templates")


def write_reports(
    results: dict[str, Any],
    out_dir: Path,
    *,
    secrets: Iterable[str] = (),
    baseline_path: Path | None = None,
) -> dict[str, Path]:
    """Validate, derive, redact and write both reports; returns {"json": path, "html": path}.

    Raises ValueError for results that do not match results.schema.json or for an unreadable
    baseline, before anything is written.
    """
    validate_results(results)
    secrets = [s for s in secrets if s]
    doc = build_document(results, baseline_path)
    doc = redact_obj(doc, secrets)
    json_text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    html_text = render_html(doc)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / JSON_NAME, "html": out_dir / HTML_NAME}
    # The data is redacted above; this second pass over the final text only looks for the exact
    # secrets in escaped spellings (patterns on escaped text could break an escape sequence).
    write_atomic(paths["json"], redact_secrets(json_text, secrets))
    write_atomic(paths["html"], redact_secrets(html_text, secrets))
    return paths


def build_document(results: Mapping[str, Any], baseline_path: Path | None) -> dict[str, Any]:
    """The input plus derived sections; the shape written as conformance.json."""
    doc: dict[str, Any] = {"report_format": REPORT_FORMAT, **copy.deepcopy(dict(results))}
    doc["summary"] = summarise(doc)
    doc["coverage"] = derive_coverage(doc)
    doc["baseline"] = None
    if baseline_path is not None:
        previous = load_baseline(baseline_path)
        diff = compare(doc, previous)
        fixed = set(diff["fixed"])
        doc["baseline"] = {
            "path": str(baseline_path),
            "started": previous.get("started"),
            **diff,
            "not_rerun": not_rerun(diff["fixed"], previous, doc),
            "fixed_failures": [f for f in previous["failures"] if f["id"] in fixed],
        }
    return doc


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(doc: Mapping[str, Any]) -> str:
    """The self-contained HTML page for an already derived (and redacted) document; a fleet
    run's page carries the matrix's script, allowed by its hash alone."""
    view = build_view(doc)
    script = (TEMPLATES / "fleet.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return _environment().get_template("conformance.html.j2").render(
        **view, fleet_script=script, fleet_script_hash=f"sha256-{digest}")


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file and rename so CI never picks up a half-written report."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
