"""Turn a finished run into the results dict the report renderer takes, and write it."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from contract.lint import METHODS
from contract.operations import OPERATIONS_BY_KEY
from contract.resources import GROUPS, TAGS

#: Tests whose failures the runner records itself, one per operation (the id is its key).
RUNNER_TESTS = ("test_probes", "test_operation", "test_coverage")


def recorded_by_runner(nodeid: str) -> bool:
    """Whether the test is one of RUNNER_TESTS, whose outcome is an operation's."""
    return any(f"{name}[" in nodeid for name in RUNNER_TESTS)

_TAG_TO_GROUP = {tag: group for group, tag in TAGS.items()}


def _group(key: str, op: dict) -> str:
    known = OPERATIONS_BY_KEY.get(key)
    if known is not None:
        return known.group
    tags = op.get("tags") or ["untagged"]
    return _TAG_TO_GROUP.get(tags[0], tags[0].lower().replace(" ", "_"))


def spec_operations(raw: dict) -> list[tuple[str, dict]]:
    return [(f"{m.upper()} {p}", op) for p, item in raw.get("paths", {}).items()
            for m, op in item.items() if m in METHODS]


def build_results(session: Any, pytest_session: pytest.Session, exitstatus: int) -> dict:
    s = session.settings
    observed = session.observed
    by_key: dict[str, str] = {}
    scenarios_by_key: dict[str, str] = {}
    for nodeid, state in observed.outcomes.items():
        key = nodeid[nodeid.index("[") + 1:-1] if nodeid.endswith("]") and "[" in nodeid else None
        if key and recorded_by_runner(nodeid):
            if by_key.get(key) != "failed":
                by_key[key] = state
    for name, (_, state, _duration) in observed.scenarios.items():
        for key in _scenario_operations(name):
            if scenarios_by_key.get(key) != "failed":
                scenarios_by_key[key] = state
    raw = session.schema.raw_schema if session.schema is not None else {}
    operations = []
    for key, op in spec_operations(raw):
        operations.append({
            "key": key, "operation_id": op.get("operationId") or key,
            "group": _group(key, op),
            "statuses": {"property": by_key.get(key, "not-run"),
                         "scenarios": scenarios_by_key.get(key, "not-run"),
                         "aliases": "not-run"},
            "documented_status_codes": sorted(int(c) for c in op.get("responses", {})
                                              if c.isdigit()),
            "seen_status_codes": sorted(observed.statuses.get(key, ())),
            "test_cases": observed.cases.get(key, 0),
        })
    failures = []
    for f in observed.failures:
        kind = f.get("kind", "property")
        failures.append({
            "id": f"{kind}|{f['operation'] or ''}|{f['check']}", "kind": kind,
            "operation": f["operation"], "check": f["check"], "message": f["message"],
            "curl": f.get("curl") or None, "status": f.get("status"),
            "response_excerpt": f.get("response_excerpt"),
            "replay": f.get("replay") or _replay(s, f["operation"]),
        })
    failures = list({f["id"]: f for f in failures}.values())
    for problem in session.spec_problems:
        failures.append({
            "id": f"spec|{problem.where}|{problem.rule}", "kind": "property",
            "operation": problem.where if problem.where.split(" ")[0] in
            {m.upper() for m in METHODS} else None, "check": f"spec lint: {problem.rule}",
            "message": problem.message, "curl": None, "status": None,
            "response_excerpt": None, "replay": f"pytest conformance -k spec_lint --spec {s.spec}",
        })
    info = raw.get("info", {})
    verdict = "passed" if exitstatus == 0 else "failed"
    return {
        "target": {"url": session.target.base_url if s.url else
                   f"embedded mock workspace ({s.transport})",
                   "transport": "live" if s.url else s.transport,
                   "auth": "oauth2" if (s.oauth_token or s.oauth_client_id) else s.auth,
                   "account": None},
        "spec": {"title": str(info.get("title", "")), "version": str(info.get("version", "")),
                 "path": str(s.spec), "operations": len(spec_operations(raw))},
        "profile": s.profile, "seed": s.seed,
        "started": datetime.fromtimestamp(session.started, tz=UTC).isoformat(
            timespec="seconds"),
        "duration_s": round(time.time() - session.started, 2),
        "verdict": verdict, "operations": operations, "failures": failures,
        "scenarios": [{"name": n, "group": g, "status": st, "duration_s": round(d, 3)}
                      for n, (g, st, d) in observed.scenarios.items()],
        "aliases": _aliases(session), "baseline": None,
    }


def _scenario_operations(name: str) -> list[str]:
    """Operations a scenario exercises, by the resource group its name carries."""
    for group in sorted(GROUPS, key=len, reverse=True):
        if f"[{group}]" in name or name.endswith(f"_{group}"):
            return [op.key for op in OPERATIONS_BY_KEY.values() if op.group == group]
    return []


def _aliases(session: Any) -> list[dict]:
    rows = dict(session.observed.aliases)
    if session.alias_plan is not None:
        rows.update({"|".join(k): row for k, row in session.alias_plan.results.items()})
    return [rows[k] for k in sorted(rows)]


def _replay(settings: Any, operation: str | None) -> str:
    words = " and ".join(w for w in (operation or "").replace("/", " ").replace("{", " ")
                         .replace("}", " ").split())
    parts = [f"pytest conformance -k 'test_operation and {words}'" if words
             else "pytest conformance",
             f"--flexie-seed {settings.seed}", f"--flexie-profile {settings.profile}"]
    if settings.url:
        parts += [f"--flexie-url {settings.url}", "--flexie-apikey \"$FLEXIE_API_KEY\""]
    parts += [f"--flexie-mock-fault {f}" for f in settings.mock_faults]
    return " ".join(parts)


def write_all(session: Any, pytest_session: pytest.Session, exitstatus: int) -> None:
    from conformance.report import write_reports

    try:
        results = build_results(session, pytest_session, int(exitstatus))
        paths = write_reports(results, session.settings.reports,
                              secrets=session.settings.secrets,
                              baseline_path=session.settings.baseline)
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"flexie: could not write the report: {exc}\n")
        return
    sys.stderr.write(f"flexie: report written to {paths['html']}\n")
