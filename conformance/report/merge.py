"""Join the report folders of one run split across CI jobs (shards) into the report one run
would have written: `flexie-conformance merge DIR... -o OUTDIR`.

Each shard's conformance.json is a complete results document; the merged one is built from
them by the same rules a run uses to combine what its processes saw (statuses: the worst wins,
checks: conformance.observed's precedence, counts: summed), then written by the one renderer
(render.write_reports), so summary, coverage, baseline and HTML come from the same code as a
run's. Shards of different runs (commit, spec, accounts file, seed, profile, target) are
refused, and so are shards that did the same work twice; a missing shard leaves the merged
report incomplete.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.findings import Finding
from conformance.observed import Observed
from conformance.report.results import check_outcomes, worst
from contract.fields import JsonObject

from .render import JSON_NAME, write_atomic, write_reports
from .validate import validate_results

JUNIT_NAME, LEDGER_NAME, PYTEST_HTML = "junit.xml", "ledger.jsonl", "pytest-report.html"


class MergeRefused(ValueError):
    """The folders cannot be merged into one run's report; the message is one line."""


@dataclass(frozen=True)
class Part:
    folder: Path
    doc: dict[str, Any]

    @property
    def shard(self) -> dict[str, int] | None:
        shard: dict[str, int] | None = self.doc["run"]["shard"]
        return shard

    @property
    def name(self) -> str:
        shard = self.shard
        return f"shard {shard['index']}/{shard['total']} ({self.folder})" if shard \
            else str(self.folder)


def read_parts(folders: Iterable[Path]) -> list[Part]:
    """Each folder's conformance.json, checked against the schema; MergeRefused otherwise."""
    parts = []
    for folder in folders:
        path = Path(folder) / JSON_NAME
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            validate_results(doc)
        except FileNotFoundError:
            raise MergeRefused(f"{folder} holds no {JSON_NAME}: is it a report folder?") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise MergeRefused(f"{path} is not a readable report: {exc}") from None
        if "run" not in doc:
            raise MergeRefused(f"{path} does not say which run it is (written by a version "
                               "before merge existed): run that shard again")
        parts.append(Part(Path(folder), doc))
    if not parts:
        raise MergeRefused("give the report folders of the shards to merge")
    return parts


#: What must be equal in every shard of one run, and how to read it.
IDENTITY: tuple[tuple[str, Callable[[JsonObject], Any]], ...] = (
    ("commit", lambda d: d["run"]["commit"]),
    ("spec", lambda d: d["run"]["spec_digest"]),
    ("accounts file", lambda d: d["run"].get("accounts_digest")),
    ("seed", lambda d: d["seed"]),
    ("profile", lambda d: d["profile"]),
    ("target", lambda d: d["target"]["url"]),
)


def check_same_run(parts: list[Part]) -> None:
    """MergeRefused naming the first thing two shards disagree on."""
    first = parts[0]
    for name, read in IDENTITY:
        for part in parts[1:]:
            if read(part.doc) != read(first.doc):
                raise MergeRefused(
                    f"refusing to merge reports of different runs: {name} "
                    f"{read(first.doc)} in {first.folder} but {read(part.doc)} in {part.folder}")


def missing_shards(parts: list[Part]) -> tuple[int | None, list[int]]:
    """(N, the shard numbers of N not given); (None, []) for parts without shard numbers,
    whose completeness nothing records. MergeRefused for shards that cannot be one run's."""
    numbered = [(p, p.shard) for p in parts if p.shard is not None]
    if not numbered:
        return None, []
    if len(numbered) < len(parts):
        whole = next(p for p in parts if p.shard is None)
        raise MergeRefused(f"{whole.folder} is a whole run, not a shard: merge shards of one "
                           "run (--flexie-shard K/N) only")
    totals = sorted({shard["total"] for _, shard in numbered})
    if len(totals) > 1:
        raise MergeRefused(f"the shards split the run differently: into {totals[0]} and "
                           f"{totals[1]} parts")
    seen: dict[int, Path] = {}
    for part, shard in numbered:
        index = shard["index"]
        if index in seen:
            raise MergeRefused(f"shard {index}/{totals[0]} given twice: {seen[index]} and "
                               f"{part.folder}")
        if index > totals[0]:
            raise MergeRefused(f"{part.folder} says shard {index} of {totals[0]}")
        seen[index] = part.folder
    return totals[0], [k for k in range(1, totals[0] + 1) if k not in seen]


def _work(doc: dict[str, Any]) -> set[tuple[str, ...]]:
    """What a shard did that no other shard may do too: operations whose own tests ran,
    scenarios, and each account's alias checks of an entity."""
    done: set[tuple[str, ...]] = {("operation", o["key"]) for o in doc["operations"]
                                   if o["statuses"]["property"] != "not-run"}
    done |= {("scenario", s["name"]) for s in doc["scenarios"] if s["status"] != "not-run"}
    done |= {("account", a["account"], a["entity"]) for a in doc["aliases"]}
    return done


def check_no_overlap(parts: list[Part]) -> None:
    """MergeRefused when two shards ran the same work: its counts would be counted twice."""
    owner: dict[tuple[str, ...], Part] = {}
    for part in parts:
        for item in sorted(_work(part.doc)):
            if item in owner:
                what = (f"account {item[1]} ({item[2]} aliases)" if item[0] == "account"
                        else f"{item[0]} {item[1]}")
                raise MergeRefused(f"the shards overlap: {what} ran in {owner[item].name} "
                                   f"and in {part.name}")
            owner[item] = part


# --- the merged results ----------------------------------------------------------------------

def merge_results(parts: list[Part], total: int | None, missing: list[int]) -> dict[str, Any]:
    """One results document for the parts, as one run that did all their work writes it."""
    docs = [p.doc for p in parts]
    first = docs[0]
    checks = _checks_seen(docs)
    failures: dict[str, JsonObject] = {}
    for doc in docs:
        for failure in doc["failures"]:
            failures.pop(failure["id"], None)  # a check every shard runs fails once
            failures[failure["id"]] = failure
    merged = {
        "target": {**first["target"], "account": _same(d["target"]["account"] for d in docs)},
        "spec": first["spec"], "profile": first["profile"], "seed": first["seed"],
        "run": {**first["run"], "shard": None,
                "merged": {"parts": len(parts), "total": total, "missing": missing}},
        **_timing(docs), "stopped": _stopped(parts, total, missing),
        "operations": _operations(docs, checks),
        "failures": list(failures.values()),
        "scenarios": [s for d in docs for s in d["scenarios"]],
        "aliases": sorted((a for d in docs for a in d["aliases"]),  # as results._alias_rows
                          key=lambda a: "|".join((a["account"], a["entity"], a["alias"]))),
        "baseline": None,
        "traffic": _traffic([d["traffic"] for d in docs if d.get("traffic")]),
        "budget": _budget([d["budget"] for d in docs if d.get("budget")]),
    }
    if merged["traffic"] is None:
        del merged["traffic"]
    if any(d.get("checks") for d in docs):
        merged["checks"] = {**checks.check_counts(),
                            "dropped": sum(d["checks"]["dropped"] for d in docs
                                           if d.get("checks"))}
    blocking = [f for f in map(Finding.from_json, merged["failures"]) if f.blocking]
    merged["verdict"] = "failed" if blocking else "error" if merged["stopped"] else "passed"
    return merged


def _same(values: Iterable[Any]) -> Any:
    found = set(values)
    return found.pop() if len(found) == 1 else None


def _timing(docs: list[JsonObject]) -> dict[str, Any]:
    """From the first shard's start to the last one's end: the wall time of the whole run."""
    starts = [datetime.fromisoformat(d["started"]) for d in docs]
    ends = [s.timestamp() + d["duration_s"] for s, d in zip(starts, docs, strict=True)]
    begin = min(starts)
    return {"started": begin.astimezone(UTC).isoformat(timespec="seconds"),
            "duration_s": round(max(max(ends) - begin.timestamp(), 0.0), 2)}


def _stopped(parts: list[Part], total: int | None, missing: list[int]) -> str | None:
    reasons = [f"{p.name}: {p.doc['stopped']}" for p in parts if p.doc.get("stopped")]
    if missing:
        reasons.insert(0, "incomplete: " + ", ".join(f"shard {k}/{total}" for k in missing)
                       + " missing from the merge: the results are partial")
    return "; ".join(reasons) or None


def _checks_seen(docs: list[JsonObject]) -> Observed:
    """Every shard's check outcomes per operation, combined by the precedence a run applies
    across its processes (failed over passed over not checked)."""
    observed = Observed()
    for doc in docs:
        for op in doc["operations"]:
            for name, result in (op.get("checks") or {}).items():
                observed.check(op["key"], name, result["outcome"], result.get("reason"))
    return observed


def _operations(docs: list[JsonObject], observed: Observed) -> list[JsonObject]:
    """Per operation: the worst status per column, status codes seen joined, counts summed,
    and each check's combined outcome."""
    by_key: dict[str, list[JsonObject]] = {}
    for doc in docs:
        for op in doc["operations"]:
            by_key.setdefault(op["key"], []).append(op)
    out = []
    for key, ops in by_key.items():
        merged = {**ops[0],
                  "statuses": {col: worst(o["statuses"][col] for o in ops)
                               for col in ops[0]["statuses"]},
                  "seen_status_codes": sorted({c for o in ops for c in o["seen_status_codes"]}),
                  "test_cases": sum(o["test_cases"] for o in ops)}
        for count in ("requests", "retries", "dropped_requests"):
            if any(count in o for o in ops):
                merged[count] = sum(o.get(count, 0) for o in ops)
        if any("checks" in o for o in ops):
            merged["checks"] = check_outcomes(observed, key)
        out.append(merged)
    return out


def _traffic(traffics: list[JsonObject]) -> dict[str, Any] | None:
    """Every request every shard sent (each sets up and cleans up its own records)."""
    if not traffics:
        return None
    other: dict[str, dict[str, int]] = {}
    for traffic in traffics:
        for row in traffic["other"]:
            entry = other.setdefault(row["name"], {"requests": 0, "retries": 0})
            entry["requests"] += row["requests"]
            entry["retries"] += row["retries"]
    return {"requests": sum(t["requests"] for t in traffics),
            "retries": sum(t["retries"] for t in traffics),
            "retry_wait_s": round(sum(t["retry_wait_s"] for t in traffics), 2),
            "other": [{"name": name, **other[name]} for name in sorted(other)]}


def _budget(budgets: list[JsonObject]) -> dict[str, Any] | None:
    """Each shard has a budget of its own: the limits, plans and spending add up."""
    if not budgets:
        return None
    planned = [b["planned"] for b in budgets]
    return {"limit": sum(b["limit"] for b in budgets),
            "planned": None if None in planned else sum(planned),
            "spent": sum(b["spent"] for b in budgets),
            "exempt": sum(b["exempt"] for b in budgets),
            "left_out": sorted({n for b in budgets for n in b["left_out"]})}


def merge_reports(folders: list[Path], out: Path, baseline_path: Path | None = None
                  ) -> tuple[list[Part], int | None, dict[str, Path]]:
    """Check the shards' folders, write the merged report into `out` (conformance.json and
    .html by the one renderer, junit.xml, ledger.jsonl); (the parts, N or None, the paths).
    MergeRefused (nothing written) for folders that are not the shards of one run, or for a
    baseline that cannot be read."""
    out = Path(out)
    if out.resolve() in {Path(f).resolve() for f in folders}:
        raise MergeRefused(f"-o {out} is one of the shards' folders: write the merge elsewhere")
    parts = read_parts(folders)
    check_same_run(parts)
    total, missing = missing_shards(parts)
    check_no_overlap(parts)
    results = merge_results(parts, total, missing)
    try:
        paths = write_reports(results, out, baseline_path=baseline_path)
    except ValueError as exc:
        raise MergeRefused(str(exc)) from None
    for stale in (JUNIT_NAME, PYTEST_HTML):  # nothing of an earlier run may pass for this one
        (out / stale).unlink(missing_ok=True)
    for name, path in (("junit", merge_junit([p.folder for p in parts], out)),
                       ("ledger", merge_ledgers([p.folder for p in parts], out))):
        if path is not None:
            paths[name] = path
    return parts, total, paths


# --- the files beside conformance.json -------------------------------------------------------

def merge_junit(folders: list[Path], out: Path) -> Path | None:
    """One JUnit XML with every shard's test cases in one suite, its counts summed (what
    pytest writes for one run); None when no shard wrote one."""
    suites = []
    for folder in folders:
        path = folder / JUNIT_NAME
        if not path.exists():
            continue
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise MergeRefused(f"{path} is not valid XML: {exc}") from None
        suites += [root] if root.tag == "testsuite" else root.findall("testsuite")
    if not suites:
        return None
    suite = ET.Element("testsuite", {k: v for k, v in suites[0].attrib.items()})
    for count in ("tests", "errors", "failures", "skipped"):
        suite.set(count, str(sum(int(s.get(count, "0")) for s in suites)))
    suite.set("time", f"{sum(float(s.get('time', '0')) for s in suites):.3f}")
    stamps = [str(s.get("timestamp")) for s in suites if s.get("timestamp")]
    if stamps:
        suite.set("timestamp", min(stamps))
    for part in suites:
        suite.extend(child for child in part if child.tag != "properties" or
                     part is suites[0])
    root = ET.Element("testsuites", {"name": "pytest tests"})
    root.append(suite)
    path = out / JUNIT_NAME
    write_atomic(path, ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n")
    return path


def merge_ledgers(folders: list[Path], out: Path) -> Path | None:
    """Every shard's ledger in one, so `flexie-conformance sweep --ledger` reaches the records
    any shard left behind; lines already in the output's ledger are kept, none twice."""
    path = out / LEDGER_NAME
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    sources = [f / LEDGER_NAME for f in folders if (f / LEDGER_NAME).exists()]
    if not sources:
        return None
    for source in sources:
        lines += source.read_text(encoding="utf-8").splitlines()
    write_atomic(path, "".join(line + "\n" for line in dict.fromkeys(lines) if line))
    return path
