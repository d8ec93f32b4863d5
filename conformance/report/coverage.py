"""Numbers derived from the per-operation results, so the plugin cannot report them wrongly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

STATUSES = ("passed", "failed", "skipped", "not-run")
NOT_EXERCISED = frozenset({"not-run", "skipped"})
FAILURE_KINDS = ("property", "scenario", "alias", "stateful")
#: Why an operation was not exercised when its test did not run at all (`-k`, `-m`).
NOT_RUN = "its test did not run"


def percent(part: int, whole: int) -> float:
    """Percentage with one decimal; 0.0 for an empty whole rather than a ZeroDivisionError."""
    return round(100.0 * part / whole, 1) if whole else 0.0


def is_exercised(op: Mapping[str, Any]) -> bool:
    """A positive case answered with success (`exercise`); a report written before runs
    recorded that: its property tests ran."""
    found = op.get("exercise")
    if found is not None:
        return bool(found["exercised"])
    return op["statuses"]["property"] not in NOT_EXERCISED


def derive_coverage(results: Mapping[str, Any]) -> dict[str, Any]:
    """Operations exercised, documented status codes seen, undocumented codes seen."""
    ops = results["operations"]
    total = results["spec"]["operations"]
    exercised = sum(map(is_exercised, ops))
    documented = seen_documented = 0
    undocumented = []
    for op in ops:
        doc, seen = set(op["documented_status_codes"]), set(op["seen_status_codes"])
        documented += len(doc)
        seen_documented += len(doc & seen)
        if extra := sorted(seen - doc):
            undocumented.append({"operation": op["key"], "group": op["group"], "codes": extra})
    return {
        "operations": {
            "exercised": exercised, "total": total, "listed": len(ops),
            "percent": percent(exercised, total),
        },
        "status_codes": {
            "seen": seen_documented, "documented": documented,
            "percent": percent(seen_documented, documented),
            "undocumented_seen": sum(len(u["codes"]) for u in undocumented),
        },
        "undocumented": undocumented,
        "by_group": _by_group(ops),
    }


def _by_group(ops: list[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    groups: dict[str, dict[str, int]] = {}
    for op in ops:
        entry = groups.setdefault(op["group"], {"operations": 0, "exercised": 0})
        entry["operations"] += 1
        entry["exercised"] += is_exercised(op)
    return groups


def alias_finding(alias: Mapping[str, Any]) -> str:
    """One word for what is wrong with an alias row, worst first; "ok" when nothing is."""
    if alias["expected"] and not alias["present"]:
        return "missing"
    if alias["present"] and not alias["expected"]:
        return "unexpected"
    if alias["type_ok"] is False:
        return "type-mismatch"
    if alias["round_trip"] == "failed":
        return "round-trip-failed"
    return "ok"


def summarise(results: Mapping[str, Any]) -> dict[str, Any]:
    """Counts for the summary section and for CI dashboards."""
    ops = results["operations"]
    by_kind = {
        kind: _count(o["statuses"][kind] for o in ops)
        for kind in ("property", "scenarios", "aliases")
    }
    findings = Counter(alias_finding(a) for a in results["aliases"])
    failures = Counter(f["kind"] for f in results["failures"])
    return {
        "operations": by_kind,
        "test_cases": sum(o["test_cases"] for o in ops),
        "scenarios": _count(s["status"] for s in results["scenarios"]),
        "aliases": {
            "checked": len(results["aliases"]),
            "accounts": len({a["account"] for a in results["aliases"]}),
            "ok": findings["ok"],
            "missing": findings["missing"],
            "unexpected": findings["unexpected"],
            "type_mismatch": findings["type-mismatch"],
            "round_trip_failed": findings["round-trip-failed"],
        },
        "failures": {"total": len(results["failures"]),
                     **{kind: failures[kind] for kind in FAILURE_KINDS}},
    }


def _count(statuses: Any) -> dict[str, int]:
    counts = Counter(statuses)
    return {status: counts[status] for status in STATUSES}
