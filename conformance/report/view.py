"""Shape the (redacted) report document for the HTML template.

Ordering, grouping and anchors live here rather than in Jinja so the template stays declarative
and this logic stays testable.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from conformance.findings import UNCLASSIFIED, Finding, ReasonKind
from contract.resources import GROUPS

from .coverage import NOT_RUN, STATUSES, alias_finding

#: The report lists resource groups in the contract's order (the API page's).
GROUP_ORDER = GROUPS
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")
KINDS = (("property", "Property tests"), ("scenarios", "Scenarios"), ("aliases", "Aliases"))
STATUS_RANK = {"failed": 0, "passed": 1, "skipped": 2, "not-run": 3}
FINDING_LABELS = {
    "ok": "OK", "missing": "Missing", "unexpected": "Unexpected",
    "type-mismatch": "Type mismatch", "round-trip-failed": "Round trip failed",
}


def group_key(name: str) -> tuple[int, str]:
    """Spec order for known resource groups, then any others alphabetically."""
    return (GROUP_ORDER.index(name), "") if name in GROUP_ORDER else (len(GROUP_ORDER), name)


def split_key(key: str) -> tuple[str, str]:
    method, _, path = key.partition(" ")
    return method, path


def method_rank(method: str) -> int:
    return METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER)


def anchor_ids(ids: list[str], prefix: str = "f-") -> dict[str, str]:
    """HTML ids for failure ids (or account names): readable, unique, safe in an attribute
    and a URL fragment."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for fid in ids:
        if fid in out:
            continue
        base = prefix + (re.sub(r"[^a-z0-9]+", "-", fid.lower()).strip("-") or "failure")
        anchor, n = base, 2
        while anchor in used:
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        out[fid] = anchor
    return out


def human_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def human_time(started: str) -> str:
    when = dt.datetime.fromisoformat(started)
    text = when.isoformat(sep=" ", timespec="seconds")
    return text.removesuffix("+00:00") + " UTC" if text.endswith("+00:00") else text


def _maybe_time(value: Any) -> str | None:
    """A baseline's start time, readable if it parses; it comes from an older file."""
    if not isinstance(value, str):
        return None
    try:
        return human_time(value)
    except ValueError:
        return value


def status_counts(statuses: list[str]) -> dict[str, int]:
    return {s: statuses.count(s) for s in STATUSES}


def verdict_label(doc: Mapping[str, Any]) -> str:
    """The badge: PASSED, FAILED, or for a run without a verdict whether anything ran."""
    if doc["verdict"] != "error":
        return str(doc["verdict"]).upper()
    ran = any(s != "not-run" for o in doc["operations"] for s in o["statuses"].values())
    return "STOPPED" if ran or doc["scenarios"] or doc["aliases"] else "DID NOT RUN"


def build_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the template needs, precomputed."""
    anchors = anchor_ids([f["id"] for f in doc["failures"]])
    baseline = doc.get("baseline")
    accounts = _accounts(doc["aliases"])
    return {
        "doc": doc,
        "verdict_label": verdict_label(doc),
        "stopped": doc.get("stopped"),
        "started": human_time(doc["started"]),
        "duration": human_duration(doc["duration_s"]),
        "kinds": KINDS,
        "groups": _groups(doc, anchors),
        "failures": _failures(doc, anchors, baseline),
        # A failed run opens on its failures (not on rows of checks that could not judge).
        "failures_first": bool(doc["failures"]),
        "evidence_groups": evidence_groups(_failures(doc, anchors, baseline)),
        "failure_index": _failure_index(doc, anchors),
        "scenarios": sorted(
            doc["scenarios"],
            key=lambda s: (STATUS_RANK[s["status"]], group_key(s["group"]), s["name"]),
        ),
        "accounts": accounts,
        "fleet": fleet_matrix(accounts),
        "baseline": _baseline(baseline, anchors) if baseline else None,
        "baseline_started": _maybe_time(baseline.get("started")) if baseline else None,
        "undocumented": _undocumented(doc),
        "finding_labels": FINDING_LABELS,
        "traffic": _traffic(doc.get("traffic")),
        "budget": doc.get("budget"),
        "checks": _checks(doc),
        "not_exercised": not_exercised(doc),
    }


def _inapplicable(reason: str) -> bool:
    """A reason that only says a check was never meant for the operation or answer (its own
    filters); the page lists the others, which are what a reader must know was not judged."""
    return ReasonKind.of_written(reason) is ReasonKind.INAPPLICABLE


def _checks(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The checks' three outcomes, and every (operation, check) that was meant to judge but
    could not, with its reason, and the generated requests not sent; None for a report
    without them (a run that ran no test)."""
    summary = doc.get("checks")
    if summary is None:
        return None
    rows = []
    for op in doc["operations"]:
        for name, result in sorted((op.get("checks") or {}).items()):
            reason = result.get("reason") or ""
            if result["outcome"] == "not-checked" and not _inapplicable(reason):
                rows.append({"key": op["key"], "check": name, "reason": reason})
        if op.get("dropped_requests"):
            rows.append({"key": op["key"], "check": "generated requests",
                         "reason": f"{op['dropped_requests']} not sent: the safety guard "
                                   "could not prove them harmless"})
    inapplicable = sum(n for reason, n in summary["reasons"].items()
                       if _inapplicable(reason))
    return {**summary, "inapplicable": inapplicable, "rows": rows}


def not_exercised(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Operations no positive case of which was answered with success, why, and the answer
    that came back (operations whose test did not run at all are left to the matrix)."""
    rows = []
    for op in doc["operations"]:
        found = op.get("exercise")
        if found and not found["exercised"] and found["reason"] != NOT_RUN:
            rows.append({"key": op["key"], **found})
    return rows


def _traffic(traffic: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The header's "requests sent": totals, and how many setup and cleanup took."""
    if not traffic:
        return None
    setup = sum(o["requests"] for o in traffic.get("other", [])
                if o["name"] == "setup and cleanup")  # conformance.observed.SETUP_BUCKET
    return {**traffic, "setup": setup}


def _groups(doc: Mapping[str, Any], anchors: dict[str, str]) -> list[dict[str, Any]]:
    failures_by_op: dict[str, list[dict[str, str]]] = defaultdict(list)
    failures_by_group: dict[str, list[dict[str, str]]] = defaultdict(list)
    for failure in findings(doc):
        link = {"anchor": anchors[failure.id], "check": failure.check}
        if failure.operation:
            failures_by_op[failure.operation].append(link)
        elif failure.group:
            # A scenario's or an alias check's failure that names no single operation.
            failures_by_group[failure.group].append(link)
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for op in doc["operations"]:
        method, path = split_key(op["key"])
        documented = set(op["documented_status_codes"])
        grouped[op["group"]].append({
            **op,
            "method": method,
            "path": path,
            "codes": [{"code": c, "documented": c in documented}
                      for c in sorted(set(op["seen_status_codes"]))],
            "failure_links": failures_by_op.get(op["key"], []),
            "ok": "failed" not in op["statuses"].values() and op["key"] not in failures_by_op,
        })
    groups = []
    for name in sorted(grouped, key=group_key):
        ops = sorted(grouped[name], key=lambda o: (o["path"], method_rank(o["method"])))
        counts = {k: status_counts([o["statuses"][k] for o in ops]) for k, _ in KINDS}
        groups.append({
            "name": name,
            "anchor": "g-" + re.sub(r"[^a-z0-9]+", "-", name.lower()),
            "ops": ops,
            "counts": counts,
            "failure_links": failures_by_group.get(name, []),
            "ok": all(o["ok"] for o in ops) and name not in failures_by_group,
        })
    return groups


def _failures(doc: Mapping[str, Any], anchors: dict[str, str],
              baseline: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Cards in index order (biggest check first), new before unchanged, then by operation."""
    new = set(baseline["new"]) if baseline else set()
    check_rank = {(r["check"], r["kind"]): i for i, r in enumerate(_failure_index(doc, anchors))}
    op_rank = _operation_order(doc)
    cards = [
        ({**entry, "anchor": anchors[f.id], "evidence": evidence_of(f),
          "tag": ("new" if f.id in new else "unchanged") if baseline else None}, f)
        for entry, f in zip(doc["failures"], findings(doc), strict=True)
    ]
    cards.sort(key=lambda card: (card[0]["tag"] == "unchanged",
                                 check_rank[(card[1].check, str(card[1].kind))],
                                 op_rank.get(card[1].operation or "", len(op_rank)),
                                 card[1].id))
    return [card for card, _ in cards]


#: The evidence levels a failure can rest on, strongest first, and what each means to the
#: person reading a red run (conformance/checks/evidence.py).
EVIDENCE_LEVELS = (
    ("documented", "Documented: Flexie breaks what its page or published spec says",
     "The workspace does not do what Flexie documents."),
    ("observed", "Observed: real clients show otherwise",
     "Independent code that calls the real API relies on what the workspace did not do."),
    ("unclassified", "Unclassified: nothing says what the expectation rests on",
     "No evidence is named for it (a gap of ours to close), so it fails the run under every "
     "setting, --flexie-assumptions warn included."),
    ("assumed", "Assumed: the workspace differs from a decision of ours",
     "Neither Flexie nor real clients say it; docs/contract-notes.md records why we expect "
     "it. The workspace may well be right."),
)


def findings(doc: Mapping[str, Any]) -> list[Finding]:
    """The report's failures as findings, in the report's order."""
    return [Finding.from_json(f) for f in doc["failures"]]


def evidence_of(failure: Finding) -> str:
    """A failure's evidence level; one that names none (an older report) is unclassified."""
    return failure.evidence.level if failure.evidence is not None else UNCLASSIFIED


def evidence_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failure cards grouped by what they rest on, strongest first; empty groups left out."""
    groups = []
    for level, title, meaning in EVIDENCE_LEVELS:
        members = [f for f in rows if f["evidence"] == level]
        if members:
            warnings = sum(1 for f in members if f.get("warning"))
            groups.append({"level": level, "title": title, "meaning": meaning,
                           "failures": members, "warnings": warnings})
    return groups


def _operation_order(doc: Mapping[str, Any]) -> dict[str, int]:
    """Operation keys in the order the matrix shows them (group, path, method)."""
    def key(op: Mapping[str, Any]) -> tuple[Any, ...]:
        method, path = split_key(op["key"])
        return (group_key(op["group"]), path, method_rank(method))

    return {op["key"]: i for i, op in enumerate(sorted(doc["operations"], key=key))}


def _failure_index(doc: Mapping[str, Any], anchors: dict[str, str]) -> list[dict[str, Any]]:
    """Failures grouped by check: a broken behaviour usually fails on many operations at once."""
    by_check: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for f in findings(doc):
        by_check[(f.check, str(f.kind))].append(
            {"label": f.operation or f.check, "anchor": anchors[f.id],
             "evidence": evidence_of(f)}
        )
    rows = [{"check": c, "kind": k, "where": items,
             "evidence": sorted({i["evidence"] for i in items})}
            for (c, k), items in by_check.items()]
    return sorted(rows, key=lambda r: (-len(r["where"]), r["check"]))


def _accounts(aliases: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for alias in aliases:
        by_account[alias["account"]].append({**alias, "finding": alias_finding(alias)})
    anchors = anchor_ids(sorted(by_account), prefix="acct-")
    accounts = []
    for account in sorted(by_account):
        rows = sorted(by_account[account], key=lambda a: (a["entity"], a["alias"]))
        findings = [r["finding"] for r in rows]
        accounts.append({
            "name": account,
            "anchor": anchors[account],
            "rows": rows,
            "problems": sum(f != "ok" for f in findings),
            "missing": findings.count("missing"),
            "unexpected": findings.count("unexpected"),
        })
    return accounts


def entity_key(entity: str) -> tuple[int, str]:
    """Standard entities in the API's order, then custom entities (`ce:table`) by name."""
    return group_key(entity) if not entity.startswith("ce:") else (len(GROUP_ORDER) + 1, entity)


def fleet_matrix(accounts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """For a fleet run (aliases of more than one account): accounts x entities, each cell
    passed (every alias of the entity fine), failed (with its problems by finding) or
    not-run (nothing of the entity checked for the account). None for one account."""
    if len(accounts) < 2:
        return None
    entities = sorted({r["entity"] for a in accounts for r in a["rows"]}, key=entity_key)
    rows = []
    for account in accounts:
        cells = []
        for entity in entities:
            members = [r for r in account["rows"] if r["entity"] == entity]
            problems = {label: [r["alias"] for r in members if r["finding"] == finding]
                        for finding, label in FINDING_LABELS.items() if finding != "ok"}
            count = sum(map(len, problems.values()))
            cells.append({"entity": entity, "checked": len(members), "problems": count,
                          "state": "not-run" if not members else
                          "failed" if count else "passed",
                          "findings": {k: v for k, v in problems.items() if v}})
        rows.append({"name": account["name"], "anchor": account["anchor"],
                     "problems": account["problems"], "cells": cells})
    failing = {e: sum(r["cells"][i]["state"] == "failed" for r in rows)
               for i, e in enumerate(entities)}
    return {"entities": entities, "rows": rows, "failing": failing,
            "with_problems": sum(1 for r in rows if r["problems"])}


def _undocumented(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    documented = {o["key"]: sorted(set(o["documented_status_codes"])) for o in doc["operations"]}
    rows = [{**u, "documented": documented.get(u["operation"], [])}
            for u in doc["coverage"]["undocumented"]]
    return sorted(rows, key=lambda u: (group_key(u["group"]), u["operation"]))


def _baseline(baseline: Mapping[str, Any], anchors: dict[str, str]) -> dict[str, Any]:
    records = {f["id"]: f for f in baseline.get("fixed_failures", [])}
    not_rerun = set(baseline.get("not_rerun", []))
    return {
        **baseline,
        "new_rows": [{"id": i, "anchor": anchors.get(i)} for i in baseline["new"]],
        "unchanged_rows": [{"id": i, "anchor": anchors.get(i)} for i in baseline["unchanged"]],
        "fixed_rows": [{"id": i, "record": records.get(i), "not_rerun": i in not_rerun}
                       for i in baseline["fixed"]],
    }
