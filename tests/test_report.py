"""Tests for `conformance.report`: the HTML/JSON report a release reviewer and CI read.

The results dict below is shaped like a real run (several resource groups, a failing property
test whose curl carries the API key twice, two accounts' aliases with a missing and an
unexpected one), so the assertions exercise the same paths a real run does.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from conformance.report import (
    compare,
    derive_coverage,
    load_baseline,
    redact,
    redact_obj,
    write_reports,
)
from conformance.report.render import TEMPLATES
from conformance.report.validate import results_schema
from tests.browser import CHROMIUM

API_KEY = "secret-key-123"
CLIENT_SECRET = "cl!ent/se'cret+42&<x>"
ACCESS_TOKEN = "at-9f8e7d6c5b4a39281706"
REFRESH_TOKEN = "rt-0a1b2c3d4e5f60718293"
SECRETS = (API_KEY, CLIENT_SECRET)
# Values the caller did not pass as secrets: only the patterns can hide these.
PATTERN_ONLY = (ACCESS_TOKEN, REFRESH_TOKEN, "hdr-key-55aa66bb", "bearer0123456789abcdef")

FAILING_OP = "POST /contacts"
FAILING_CHECK = "response_schema_conformance"


def op(key: str, group: str, statuses: tuple[str, str, str], documented: list[int],
       seen: list[int], cases: int) -> dict[str, Any]:
    method, path = key.split(" ", 1)
    op_id = method.lower() + "".join(p.strip("{}").title() for p in path.split("/"))
    return {
        "key": key, "operation_id": op_id, "group": group,
        "statuses": dict(zip(("property", "scenarios", "aliases"), statuses, strict=True)),
        "documented_status_codes": documented, "seen_status_codes": seen, "test_cases": cases,
    }


def make_results() -> dict[str, Any]:
    """A realistic end-of-run results dict (a handful of the 194 operations)."""
    operations = [
        op("GET /contacts", "contacts", ("passed", "passed", "passed"),
           [200, 400, 401, 403, 500], [200, 401], 50),
        op(FAILING_OP, "contacts", ("failed", "passed", "failed"),
           [200, 400, 401, 403, 500], [200, 400, 422], 50),
        op("GET /contacts/{id}", "contacts", ("passed", "passed", "not-run"),
           [200, 400, 401, 403, 404, 500], [200, 404], 40),
        op("DELETE /contacts/{id}", "contacts", ("passed", "passed", "not-run"),
           [200, 401, 403, 404, 500], [200, 404, 500], 30),
        op("GET /leads", "leads", ("passed", "not-run", "passed"), [200, 401, 500], [200], 50),
        op("PATCH /leads/{id}", "leads", ("skipped", "not-run", "not-run"), [200, 400, 404], [], 0),
        op("POST /deals/search", "deals", ("passed", "not-run", "not-run"), [200, 400],
           [200, 400, 418], 25),
        op("GET /users", "users", ("not-run", "not-run", "not-run"), [200, 401], [], 0),
        op("POST /dynamic/{endpoint}", "dynamic_endpoints", ("failed", "not-run", "not-run"),
           [200, 400, 404], [500], 12),
    ]
    curl = (
        "curl -X POST 'https://api.flexie.example/api/contacts?apikey=secret-key-123' \\\n"
        "  -H 'apikey: secret-key-123' -H 'Content-Type: application/json' \\\n"
        "  -d '{\"firstname\": \"Ана\", \"email\": \"x@example.org\", \"score\": -0.0}'"
    )
    failures = [
        {
            "id": f"property|{FAILING_OP}|{FAILING_CHECK}", "kind": "property",
            "operation": FAILING_OP, "check": FAILING_CHECK,
            "message": "Response violates schema: 'id' is a required property\n"
                       "  at $.contact (status 200)",
            "curl": curl, "status": 200,
            "response_excerpt": json.dumps({
                "contact": {"firstname": "Ана"},
                "access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN,
            }),
            "replay": "pytest conformance -k 'POST /contacts' --hypothesis-seed=4242 "
                      "--profile=thorough",
        },
        {
            "id": "alias|POST /contacts|alias_round_trip", "kind": "alias",
            "operation": FAILING_OP, "check": "alias_round_trip",
            "message": f"cf_birthday read back as null; token endpoint said {CLIENT_SECRET}",
            "curl": "curl -H 'Authorization: Bearer bearer0123456789abcdef' "
                    "-H 'X-Api-Key: hdr-key-55aa66bb' https://api.flexie.example/api/contacts",
            "status": 200, "response_excerpt": "<b>not html</b> <script>alert(1)</script>",
            "replay": "pytest conformance/test_aliases.py -k cf_birthday",
        },
        {
            "id": "property|POST /dynamic/{endpoint}|not_a_server_error", "kind": "property",
            "operation": "POST /dynamic/{endpoint}", "check": "not_a_server_error",
            "message": "Server error 500", "curl": None, "status": 500,
            "response_excerpt": None,
            "replay": "pytest conformance -k 'dynamic' --hypothesis-seed=4242",
        },
        {
            "id": "scenario||deal_moves_through_pipeline", "kind": "scenario", "operation": None,
            "check": "deal_moves_through_pipeline",
            "message": "stage after move was 'new', expected 'won'", "curl": None,
            "status": None, "response_excerpt": None,
            "replay": "pytest conformance/test_scenarios.py -k deal_moves_through_pipeline",
        },
    ]
    scenarios = [
        {"name": "contact_lifecycle", "group": "contacts", "status": "passed", "duration_s": 3.2},
        {"name": "lead_to_contact_conversion", "group": "leads", "status": "passed",
         "duration_s": 4.05},
        {"name": "deal_moves_through_pipeline", "group": "deals", "status": "failed",
         "duration_s": 2.5},
        {"name": "workflow_trigger_on_create", "group": "workflows", "status": "skipped",
         "duration_s": 0},
    ]

    def alias(account: str, entity: str, name: str, ftype: str, expected: bool, present: bool,
              type_ok: bool | None, round_trip: str, detail: str = "") -> dict[str, Any]:
        return {"account": account, "entity": entity, "alias": name, "type": ftype,
                "expected": expected, "present": present, "type_ok": type_ok,
                "round_trip": round_trip, "detail": detail}

    aliases = [
        alias("acme-prod", "contacts", "cf_region", "text", True, True, True, "passed"),
        alias("acme-prod", "contacts", "cf_score", "number", True, False, None, "not-run",
              "not listed by GET /contacts/list/fields"),
        alias("acme-prod", "deals", "cf_legacy_code", "text", False, True, True, "skipped",
              "listed but not in the account profile"),
        alias("beta-sandbox", "contacts", "cf_region", "text", True, True, True, "passed"),
        alias("beta-sandbox", "leads", "cf_source", "select", True, True, False, "passed",
              "listed as text"),
        alias("beta-sandbox", "contacts", "cf_birthday", "date", True, True, True, "failed",
              "read back as null"),
    ]
    return {
        "target": {"url": "https://api.flexie.example/api", "transport": "live",
                   "auth": "header", "account": "acme-prod"},
        "spec": {"title": "Flexie", "version": "1.0.1", "path": "flexie-api.json",
                 "operations": 194},
        "profile": "thorough", "seed": 4242, "started": "2025-11-27T21:06:12+00:00",
        "duration_s": 754.3, "verdict": "failed",
        "operations": operations, "failures": failures, "scenarios": scenarios,
        "aliases": aliases, "baseline": None,
    }


@pytest.fixture
def results() -> dict[str, Any]:
    return make_results()


@pytest.fixture
def written(results: dict[str, Any], tmp_path: Path) -> dict[str, Path]:
    return write_reports(results, tmp_path / "out", secrets=SECRETS)


def read_json(paths: dict[str, Path]) -> dict[str, Any]:
    return json.loads(paths["json"].read_text(encoding="utf-8"))


# --- writing -------------------------------------------------------------------------------


def test_writes_both_files(written: dict[str, Path], results: dict[str, Any]) -> None:
    assert set(written) == {"json", "html"}
    assert written["json"].name == "conformance.json"
    assert written["html"].name == "conformance.html"
    doc = read_json(written)
    assert doc["verdict"] == "failed" and doc["report_format"] == 1
    assert [o["key"] for o in doc["operations"]] == [o["key"] for o in results["operations"]]
    assert written["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in written["json"].parent.iterdir()) == [
        "conformance.html", "conformance.json"]  # no temp files left behind


def test_input_is_not_mutated(results: dict[str, Any], tmp_path: Path) -> None:
    before = copy.deepcopy(results)
    write_reports(results, tmp_path, secrets=SECRETS)
    assert results == before


def test_written_json_validates_against_input_schema(written: dict[str, Path]) -> None:
    """conformance.json can be fed back (re-render, baseline) without translation."""
    jsonschema.validate(read_json(written), results_schema())


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda r: r["operations"][1]["statuses"].update(property="ok"),
         "$.operations[1].statuses.property"),
        (lambda r: r.pop("verdict"), "$"),
        (lambda r: r["target"].update(transport="carrier-pigeon"), "$.target.transport"),
        (lambda r: r["failures"][0].update(kind="flaky"), "$.failures[0].kind"),
        (lambda r: r["aliases"][2].update(present="yes"), "$.aliases[2].present"),
        (lambda r: r["operations"][0].update(seen_status_codes=["200"]),
         "$.operations[0].seen_status_codes[0]"),
        (lambda r: r.update(started="yesterday"), "$.started"),
        (lambda r: r["operations"].append(copy.deepcopy(r["operations"][0])),
         "$.operations[9].key"),
        (lambda r: r["spec"].update(extra=1), "$.spec"),
    ],
)
def test_schema_invalid_input_raises(results: dict[str, Any], tmp_path: Path, mutate: Any,
                                     where: str) -> None:
    mutate(results)
    with pytest.raises(ValueError, match=re.escape(f"invalid results at {where}:")):
        write_reports(results, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_non_mapping_input_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected an object"):
        write_reports([], tmp_path)  # type: ignore[arg-type]


# --- secrets -------------------------------------------------------------------------------


def spellings(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), html.escape(secret),
            str(escape(secret)), json.dumps(secret)[1:-1]}


def test_no_secret_in_any_written_file(written: dict[str, Path]) -> None:
    files = [p for p in written["json"].parent.rglob("*") if p.is_file()]
    assert len(files) == 2
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            for form in spellings(secret):
                assert form.encode() not in data, f"{form!r} leaked into {path.name}"
        for value in PATTERN_ONLY:
            assert value.encode() not in data, f"{value!r} leaked into {path.name}"
        assert b"[REDACTED]" in data


def test_redaction_keeps_the_rest_of_the_curl(written: dict[str, Path]) -> None:
    curl = read_json(written)["failures"][0]["curl"]
    assert "?apikey=[REDACTED]'" in curl
    assert "-H 'apikey: [REDACTED]'" in curl
    assert "Content-Type: application/json" in curl and '"firstname": "Ана"' in curl


def test_final_pass_does_not_break_escapes(results: dict[str, Any], tmp_path: Path) -> None:
    """Redacted values next to quotes, backslashes and newlines survive JSON and HTML escaping."""
    curl = "curl 'https://h/api?apikey=secret-key-123' -H 'apikey: k-99887766'\n  ?apikey=zz9\\"
    results["failures"][0]["curl"] = curl
    paths = write_reports(results, tmp_path, secrets=SECRETS)
    expected = (
        "curl 'https://h/api?apikey=[REDACTED]' -H 'apikey: [REDACTED]'\n  ?apikey=[REDACTED]"
    )
    assert read_json(paths)["failures"][0]["curl"] == expected  # still valid JSON, nothing eaten
    page = paths["html"].read_text(encoding="utf-8")
    assert str(escape(expected)) in page  # Jinja's own escaping, e.g. &#39; for a quote


# --- content -------------------------------------------------------------------------------


def test_html_names_failing_operations_and_checks(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    for text in (FAILING_OP, FAILING_CHECK, "alias_round_trip", "not_a_server_error",
                 "POST /dynamic/{endpoint}", "deal_moves_through_pipeline",
                 "pytest conformance -k &#39;POST /contacts&#39; --hypothesis-seed=4242"):
        assert text in page, text
    assert 'href="#f-property-post-contacts-response-schema-conformance"' in page
    assert 'id="f-property-post-contacts-response-schema-conformance"' in page


def without_fleet_script(page: str) -> str:
    """The page less the fleet matrix's own script (fleet.js, the page's only one)."""
    script = (TEMPLATES / "fleet.js").read_text(encoding="utf-8")
    assert page.count(f"<script>{script}</script>") == 1
    return page.replace(f"<script>{script}</script>", "")


def test_html_escapes_response_text(written: dict[str, Path]) -> None:
    page = without_fleet_script(written["html"].read_text(encoding="utf-8"))
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_status_cells_carry_text_labels(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    for status, label in (("passed", "passed"), ("failed", "failed"), ("skipped", "skipped"),
                          ("not-run", "not run")):
        assert re.search(rf'class="st st-{status}">.*?</span> {label}</span>', page), status


def test_coverage_numbers(written: dict[str, Path], results: dict[str, Any]) -> None:
    # Exercised (property not skipped/not-run): all but PATCH /leads/{id} and GET /users -> 7.
    # Documented pairs: 5+5+6+5+3+3+2+2+3 = 34; of those seen: 2+2+2+3+1+0+2+0+0 = 12.
    # Undocumented seen: 422 on POST /contacts, 418 on POST /deals/search, 500 on dynamic.
    expected = {
        "operations": {"exercised": 7, "total": 194, "listed": 9, "percent": 3.6},
        "status_codes": {"seen": 12, "documented": 34, "percent": 35.3, "undocumented_seen": 3},
        "undocumented": [
            {"operation": "POST /contacts", "group": "contacts", "codes": [422]},
            {"operation": "POST /deals/search", "group": "deals", "codes": [418]},
            {"operation": "POST /dynamic/{endpoint}", "group": "dynamic_endpoints",
             "codes": [500]},
        ],
    }
    for coverage in (derive_coverage(results), read_json(written)["coverage"]):
        for key, value in expected.items():
            assert coverage[key] == value, key
        assert coverage["by_group"]["contacts"] == {"operations": 4, "exercised": 4}
        assert coverage["by_group"]["leads"] == {"operations": 2, "exercised": 1}
    page = written["html"].read_text(encoding="utf-8")
    assert re.search(r"7 <small>/ 194", page) and re.search(r"12 <small>/ 34", page)


def test_summary_counts(written: dict[str, Path]) -> None:
    summary = read_json(written)["summary"]
    assert summary["operations"]["property"] == {
        "passed": 5, "failed": 2, "skipped": 1, "not-run": 1}
    assert summary["scenarios"] == {"passed": 2, "failed": 1, "skipped": 1, "not-run": 0}
    assert summary["test_cases"] == 257
    assert summary["aliases"] == {"checked": 6, "accounts": 2, "ok": 2, "missing": 1,
                                  "unexpected": 1, "type_mismatch": 1, "round_trip_failed": 1}
    assert summary["failures"] == {"total": 4, "property": 2, "scenario": 1, "alias": 1,
                                   "stateful": 0}


def test_alias_rows_highlight_missing_and_unexpected(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="f-([a-z-]+)[^"]*">(.*?)</tr>', page, re.S)
    found = {(re.search(r'class="mono">([^<]+)<', body).group(1), finding)  # type: ignore[union-attr]
             for finding, body in rows}
    assert ("cf_score", "missing") in found
    assert ("cf_legacy_code", "unexpected") in found
    assert ("cf_source", "type-mismatch") in found
    assert ("cf_birthday", "round-trip-failed") in found
    assert ("cf_region", "ok") in found
    assert ">Missing</span>" in page and ">Unexpected</span>" in page
    assert page.index(">acme-prod <span") < page.index(">beta-sandbox <span")


EXTERNAL = [
    re.compile(r"""\b(?:src|href|action|formaction|poster|data|srcset|background)\s*=\s*["']?"""
               r"""\s*(?!#)[^"'\s>]""", re.I),                  # any non-fragment reference
    re.compile(r"@import", re.I),
    re.compile(r"url\(", re.I),
    re.compile(r"<(?:link|script|img|iframe|object|embed|video|audio|source)\b", re.I),
]


def test_html_is_self_contained(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    script = (TEMPLATES / "fleet.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page  # the fleet script, and nothing else, runs
    page = without_fleet_script(page)
    for pattern in EXTERNAL:
        assert not pattern.search(page), pattern.search(page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # URLs only appear as text: the target, and the curl commands in the failures.
    outside_pre = re.sub(r"<pre\b.*?</pre>", "", page, flags=re.S)
    assert set(re.findall(r"https?://[^\s<'\"]+", outside_pre)) <= {
        "https://api.flexie.example/api"}


class _Balance(HTMLParser):
    VOID = frozenset({"meta", "input", "br", "hr", "img", "link", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids += [v for k, v in attrs if k == "id" and v]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def test_html_is_well_formed(written: dict[str, Path]) -> None:
    parser = _Balance()
    page = written["html"].read_text(encoding="utf-8")
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []
    assert len(parser.ids) == len(set(parser.ids)), "duplicate element ids"
    for target in re.findall(r'href="#([^"]+)"', page):
        assert target in parser.ids, f"dangling link #{target}"


def test_failures_are_indexed_by_check(results: dict[str, Any], tmp_path: Path) -> None:
    template = results["failures"][2]
    extra = [
        {**template, "id": f"property|GET /x{i}|not_a_server_error", "operation": f"GET /x{i}"}
        for i in range(10)
    ]
    results["failures"] += extra
    page = write_reports(results, tmp_path)["html"].read_text(encoding="utf-8")
    start = page.index('<table class="findex">')
    index = page[start : page.index("</table>", start)]
    rows = re.findall(r'<td class="mono">([^<]+)</td><td>(\w+)</td><td class="num">(\d+)</td>',
                      index)
    assert rows[0] == ("not_a_server_error", "property", "11")  # biggest group first
    assert ("deal_moves_through_pipeline", "scenario", "1") in rows
    assert "<summary>3 more</summary>" in index  # long lists fold, without script
    parser = _Balance()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []


def test_empty_run_renders(results: dict[str, Any], tmp_path: Path) -> None:
    for key in ("operations", "failures", "scenarios", "aliases"):
        results[key] = []
    results.update(verdict="passed", seed=None, spec={**results["spec"], "operations": 0})
    paths = write_reports(results, tmp_path)
    page = paths["html"].read_text(encoding="utf-8")
    assert "PASSED" in page and "No failures." in page and "random" in page
    assert read_json(paths)["coverage"]["operations"]["percent"] == 0.0


# --- baseline ------------------------------------------------------------------------------


def test_compare_new_fixed_unchanged(results: dict[str, Any]) -> None:
    previous = {"failures": [
        {"id": f"property|{FAILING_OP}|{FAILING_CHECK}"},
        {"id": "property|GET /leads|not_a_server_error"},
        {"id": "scenario||deal_moves_through_pipeline"},
        {"id": "property|GET /leads|not_a_server_error"},  # duplicates are harmless
    ]}
    assert compare(results, previous) == {
        "new": ["alias|POST /contacts|alias_round_trip",
                "property|POST /dynamic/{endpoint}|not_a_server_error"],
        "fixed": ["property|GET /leads|not_a_server_error"],
        "unchanged": [f"property|{FAILING_OP}|{FAILING_CHECK}",
                      "scenario||deal_moves_through_pipeline"],
    }
    assert compare(results, {"failures": []})["new"] == [f["id"] for f in results["failures"]]


def test_report_with_baseline(results: dict[str, Any], tmp_path: Path) -> None:
    old = make_results()
    old["failures"] = [
        old["failures"][0],
        {**old["failures"][2], "id": "property|GET /leads|response_schema_conformance",
         "operation": "GET /leads", "check": "response_schema_conformance"},
        {**old["failures"][2], "id": "property|PATCH /leads/{id}|not_a_server_error",
         "operation": "PATCH /leads/{id}", "check": "not_a_server_error",
         "message": "timeout talking to secret-key-123"},
    ]
    base = tmp_path / "baseline.json"  # raw, unredacted: the renderer must scrub what it copies
    base.write_text(json.dumps(old), encoding="utf-8")
    paths = write_reports(results, tmp_path / "now", secrets=SECRETS, baseline_path=base)
    cmp = read_json(paths)["baseline"]
    assert cmp["path"] == str(base)
    assert cmp["new"] == ["alias|POST /contacts|alias_round_trip",
                          "property|POST /dynamic/{endpoint}|not_a_server_error",
                          "scenario||deal_moves_through_pipeline"]
    assert cmp["fixed"] == ["property|GET /leads|response_schema_conformance",
                            "property|PATCH /leads/{id}|not_a_server_error"]
    assert cmp["unchanged"] == [f"property|{FAILING_OP}|{FAILING_CHECK}"]
    # PATCH /leads/{id} was skipped this run, so its failure is gone but not known fixed.
    assert cmp["not_rerun"] == ["property|PATCH /leads/{id}|not_a_server_error"]
    assert [f["id"] for f in cmp["fixed_failures"]] == cmp["fixed"]
    page = paths["html"].read_text(encoding="utf-8")
    assert 'id="baseline"' in page and "not re-run" in page and "passes now" in page
    assert page.index('class="pill new"') < page.index('class="pill unchanged"')
    assert "timeout talking to [REDACTED]" in page
    for path in paths.values():
        assert API_KEY.encode() not in path.read_bytes()


def test_no_baseline_section_without_baseline(written: dict[str, Path]) -> None:
    assert read_json(written)["baseline"] is None
    assert 'id="baseline"' not in written["html"].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline file not found"),
        ("{not json", "is not valid JSON: Expecting property name"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"verdict": "passed"}', "has no 'failures' list"),
        ('{"failures": [{"id": 3}]}', r"failures\[0\] has no string 'id'"),
    ],
)
def test_load_baseline_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_baseline(path)


def test_bad_baseline_writes_nothing(results: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="baseline file not found"):
        write_reports(results, tmp_path / "out", baseline_path=tmp_path / "nope.json")
    assert not (tmp_path / "out").exists()


# --- redaction -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /contacts?apikey=abcdef123&limit=5", "GET /contacts?apikey=[REDACTED]&limit=5"),
        ("curl -H 'apikey: abcdef123' x", "curl -H 'apikey: [REDACTED]' x"),
        ("X-Api-Key: abcdef123\nAccept: */*", "X-Api-Key: [REDACTED]\nAccept: */*"),
        ("-H 'Authorization: Bearer eyJhbGciOi.J9.xyz'",
         "-H 'Authorization: Bearer [REDACTED]'"),
        ("authorization: Basic dXNlcjpwYXNz", "authorization: Basic [REDACTED]"),
        ("sent Bearer abcdefghijklmnop to /oauth", "sent Bearer [REDACTED] to /oauth"),
        ("grant_type=refresh_token&refresh_token=rt-123456&client_secret=cs-9876",
         "grant_type=refresh_token&refresh_token=[REDACTED]&client_secret=[REDACTED]"),
        ("?access_token=tok-123456#frag", "?access_token=[REDACTED]#frag"),
        ('{"access_token": "tok-1", "expires_in": 3600, "refresh_token": "rt-2"}',
         '{"access_token": "[REDACTED]", "expires_in": 3600, "refresh_token": "[REDACTED]"}'),
        ('"{\\"client_secret\\": \\"cs-1\\", \\"a\\": 1}"',
         '"{\\"client_secret\\": \\"[REDACTED]\\", \\"a\\": 1}"'),
        ("{'refresh_token': 'rt-2'}", "{'refresh_token': '[REDACTED]'}"),
        ("expected a Bearer token", "expected a Bearer token"),  # prose is left alone
        ("apikeys are rotated; key=1", "apikeys are rotated; key=1"),
    ],
)
def test_redact_patterns(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(expected) == expected


def test_redact_secrets_in_every_spelling() -> None:
    assert "'" in CLIENT_SECRET and "&" in CLIENT_SECRET  # escaped differently by each format
    s = CLIENT_SECRET
    text = (f"a {s} b {quote(s, safe='')} c {html.escape(s)} "
            f"d {json.dumps(s)} e {quote_plus(s)} f {escape(s)}")
    out = redact(text, [CLIENT_SECRET])
    assert out == 'a [REDACTED] b [REDACTED] c [REDACTED] d "[REDACTED]" e [REDACTED] f [REDACTED]'


def test_redact_ignores_short_or_empty_secrets() -> None:
    assert redact("the cat sat", ["", "cat", "at"]) == "the cat sat"


def test_secret_overlapping_the_marker_is_stable() -> None:
    once = redact("apikey=abcdef and DACT here", ["DACT", "abcdef"])
    assert once == "apikey=[REDACTED] and [REDACTED] here"
    assert redact(once, ["DACT", "abcdef"]) == once


def test_longest_secret_wins() -> None:
    assert redact("xx secret-key-123 yy", ["secret", "secret-key-123"]) == "xx [REDACTED] yy"


def test_redact_obj_recurses() -> None:
    obj = {"a": [API_KEY, {"apikey=" + API_KEY: ("x", 1, None, True)}], "n": 2.5}
    assert redact_obj(obj, [API_KEY]) == {
        "a": ["[REDACTED]", {"apikey=[REDACTED]": ["x", 1, None, True]}], "n": 2.5}


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from([
        "apikey=", "apikey: ", "Authorization: Bearer ", "Bearer ", '"access_token": "',
        "refresh_token=", "client_secret=", "&", "'", '"', "\\", " ", "\n", API_KEY,
        "[REDACTED]", "REDACTED", "DACT", "abcdefgh1234", "[", "]",
    ]) | st.text(max_size=6), max_size=12).map("".join),
    st.lists(st.sampled_from([API_KEY, "DACT", "abcd", "key-1", "[RED"]), max_size=3),
)
def test_redact_is_idempotent(text: str, secrets: list[str]) -> None:
    once = redact(text, secrets)
    assert redact(once, secrets) == once
    assert API_KEY not in once or API_KEY not in secrets


# --- headless browser ----------------------------------------------------------------------

@pytest.mark.skipif(CHROMIUM is None,
                    reason="chromium not installed (Debian: apt-get install -y chromium)")
def test_chromium_renders_without_console_errors(results: dict[str, Any],
                                                 tmp_path: Path) -> None:
    old = make_results()
    old["failures"] = old["failures"][:2]
    base = write_reports(old, tmp_path / "base")["json"]
    page = write_reports(results, tmp_path / "out", secrets=SECRETS, baseline_path=base)["html"]
    shot = tmp_path / "shot.png"
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars",
        "--enable-logging=stderr", "--v=0", page.resolve().as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000, "screenshot missing or blank"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The page has no script, so any console line (JS error, CSP violation, blocked external
    # load) means something is wrong with it.
    console = [line for line in proc.stderr.splitlines()
               if "CONSOLE" in line or "Uncaught" in line or "Content Security Policy" in line]
    assert console == [], console


def _section_order(page: str) -> list[str]:
    return re.findall(r'<section id="([\w-]+)"', page)


def test_a_failed_run_opens_on_its_failures(results: dict[str, Any], tmp_path: Path) -> None:
    """Right after the summary, before the rows of checks that could not judge, coverage and
    the matrix; a passed run keeps its (empty) failures section last, as before."""
    results["checks"] = {"passed": 3, "failed": 1, "not_checked": 2,
                         "reasons": {"no second account's key (--flexie-other-apikey)": 2},
                         "dropped": 0}
    for o in results["operations"][:2]:
        o["checks"] = {"other_account_cannot_read": {
            "outcome": "not-checked", "reason": "no second account's key (--flexie-other-apikey)"}}
    assert results["failures"] and results["verdict"] == "failed"
    page = write_reports(copy.deepcopy(results), tmp_path / "failed")["html"].read_text("utf-8")
    order = _section_order(page)
    # A fleet run (this one verifies two accounts) opens on its accounts x entities matrix,
    # one compact row an account whose red cells are its alias failures; then the failures.
    assert "fleet" not in order or order[0] == "fleet", order
    assert [s for s in order if s != "fleet"][:3] == ["summary", "failures", "not-checked"], order
    toc = page[page.index('<nav class="toc"'):page.index("</nav>")]
    assert toc.index("#failures") < toc.index("#not-checked") < toc.index("#coverage")
    results.update(failures=[], verdict="passed")
    passed = write_reports(results, tmp_path / "passed")["html"].read_text("utf-8")
    order = _section_order(passed)
    assert order.index("failures") > order.index("matrix"), order
