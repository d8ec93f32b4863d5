"""Compare this run's failures with a previous run's, by stable failure id.

A release reviewer cares less about "12 failures" than about "2 of them are new since the last
release"; ids are `kind|operation|check`, stable across runs, so set arithmetic is enough.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from conformance.findings import Finding


def _ids(results: Mapping[str, Any]) -> list[str]:
    """Failure ids in first-seen order, without duplicates."""
    return list(dict.fromkeys(f["id"] for f in results.get("failures") or ()))


def compare(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> dict[str, list[str]]:
    """Split failure ids into new (only now), fixed (only in baseline) and unchanged (both)."""
    now, before = _ids(current), _ids(baseline)
    now_set, before_set = set(now), set(before)
    return {
        "new": [i for i in now if i not in before_set],
        "fixed": [i for i in before if i not in now_set],
        "unchanged": [i for i in now if i in before_set],
    }


def blocking_new(doc: Mapping[str, Any]) -> list[str]:
    """Under `--flexie-fail-on new`, the failures that fail the run: those of a document
    with a baseline section that are new since the baseline and not mere warnings."""
    new = set((doc.get("baseline") or {}).get("new") or ())
    found = (Finding.from_json(f) for f in doc.get("failures") or ())
    return [f.id for f in found if f.id in new and f.blocking]


def fail_on_new(doc: Mapping[str, Any], baseline: Path | str) -> tuple[bool, str] | None:
    """The ratchet (`--flexie-fail-on new`, `merge --fail-on new`) on a written report:
    (whether it passes, the line that says why); None when it has nothing to say, as a report
    without a baseline section or of a partial run cannot show it holds only old failures."""
    base = doc.get("baseline")
    if not isinstance(base, dict) or doc.get("stopped"):
        return None
    new = blocking_new(doc)
    if new:
        return False, (f"flexie: {len(new)} failures are new since the baseline {baseline} "
                       f"(fail-on new): {', '.join(new[:5])}")
    return True, (f"flexie: every failure is in the baseline {baseline} (fail-on new): "
                  f"exit 0; {len(base.get('unchanged') or ())} unchanged, "
                  f"{len(base.get('fixed') or ())} fixed")


def load_baseline(path: Path | str) -> dict[str, Any]:
    """Read a previous conformance.json (or results dict); ValueError says what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"baseline file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"baseline file {path} cannot be read: {exc}") from None
    try:
        data: dict[str, Any] = json.loads(text)  # its shape is checked below
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"baseline file {path} is not valid JSON: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno}"
        ) from None
    _check_shape(data, path)
    return data


def _check_shape(data: Any, path: Path) -> None:
    """Only what compare() relies on: a `failures` list of objects with string ids."""
    if not isinstance(data, dict):
        raise ValueError(f"baseline file {path} must hold a JSON object (a conformance.json)")
    failures = data.get("failures")
    if not isinstance(failures, list):
        raise ValueError(f"baseline file {path} has no 'failures' list; is it a conformance.json?")
    for index, failure in enumerate(failures):
        if not isinstance(failure, dict) or not isinstance(failure.get("id"), str):
            raise ValueError(f"baseline file {path}: failures[{index}] has no string 'id'")


def not_rerun(fixed: Iterable[str], baseline: Mapping[str, Any],
              current: Mapping[str, Any]) -> list[str]:
    """Fixed ids whose check did not run this time: gone because untested, not because fixed.

    A quick-profile run after a thorough baseline would otherwise look like a wave of fixes.
    """
    by_id = {f["id"]: f for f in baseline.get("failures") or ()}
    ops = {o["key"]: o["statuses"] for o in current.get("operations") or ()}
    scenarios = {s["name"]: s["status"] for s in current.get("scenarios") or ()}
    column = {"property": "property", "scenario": "scenarios", "stateful": "scenarios",
              "alias": "aliases"}
    out = []
    for fid in fixed:
        failure = by_id.get(fid, {})
        status = None
        operation = failure.get("operation")
        if operation in ops:
            status = ops[operation].get(column.get(failure.get("kind", ""), "property"))
        elif operation is None and failure.get("check") in scenarios:
            status = scenarios[failure["check"]]
        elif operation is not None:
            status = "not-run"  # the operation is not in this run at all
        if status in ("not-run", "skipped"):
            out.append(fid)
    return out
