"""Where to add an alias check: register it with `@alias_check(stage=..., evidence=...)` in a
module of your own, and it runs. The suite runs against the mock with a plugin from outside
conformance/checks/ (tests/alias_check_plugin.py, loaded with `-p`) that registers one check
at the FIELDS stage and one at the ROUND_TRIP stage; conformance.json shows what the passing
one wrote into the alias matrix, and each failing one as a failure naming it, with the
evidence it declared. Nothing else lists which alias checks run.
"""

from __future__ import annotations

import json

from conformance.checks.aliases.checks import field_list_published, invalid_value_refused
from conformance.checks.aliases.context import PublishedFields
from conformance.checks.registry import (
    ALIAS_CHECKS,
    CHECKS,
    AliasStage,
    Kind,
    alias_checks,
    finding_evidence,
)
from conformance.findings import Finding
from conformance.findings import Kind as FindingKind
from tests.suite_runner import run_suite

# Not imported: registered in this process, the plugin's checks would run in every alias
# check the other tests run here. Its evidence and what it writes, as it declares them:
SOURCE = "tests/alias_check_plugin.py: a plugin's own expectation"
SEEN = "seen by plugin_sees_fields"


def test_the_built_in_alias_checks_run_in_the_order_registered():
    assert [c.name for c in alias_checks(AliasStage.FIELD_LIST)] == ["field_list_published"]
    assert [c.name for c in alias_checks(AliasStage.FIELDS)][:4] == [
        "expected_aliases_published", "alias_types_match", "alias_options_published",
        "no_unexpected_aliases"]
    assert [c.name for c in alias_checks(AliasStage.ROUND_TRIP)][:4] == [
        "created_value_reads_back", "updated_value_reads_back", "filter_finds_value",
        "invalid_value_refused"]
    # one registry: a typed record per check, whatever its kind
    assert CHECKS["invalid_value_refused"].kind is Kind.ALIAS
    assert CHECKS["invalid_value_refused"].run is invalid_value_refused
    assert ALIAS_CHECKS["field_list_published"] is field_list_published
    assert CHECKS["errors_are_json"].kind is Kind.CASE and CHECKS["errors_are_json"].stage is None


def test_an_alias_check_registered_by_a_plugin_runs_and_is_reported(tmp_path):
    run = run_suite("-p", "tests.alias_check_plugin", "--flexie-coverage", "off", "-m", "aliases",
                    "-k", "acme and (contacts or deals)", reports=tmp_path)
    assert run.code == 1, run.output[-3000:]
    doc = json.loads((tmp_path / "conformance.json").read_text())
    rows = [r for r in doc["aliases"] if r["account"] == "acme"]
    # it ran on both entities (and passed on deals): what it wrote is in the matrix
    assert {r["entity"] for r in rows if r["detail"] == SEEN} == {"contacts", "deals"}
    assert {r["round_trip"] for r in rows if r["entity"] == "contacts"} == {"passed"}
    assert {r["round_trip"] for r in rows if r["entity"] == "deals"} == {"failed"}
    failures = {f["check"]: f for f in doc["failures"]}
    fields = failures.pop("test_fields_match_expectation[acme-contacts]")
    assert fields["message"] == ("[plugin_sees_fields] account acme, contacts: the plugin fails "
                                 "acme's contacts; on purpose")
    assert (fields["evidence"], fields["evidence_source"]) == ("documented", SOURCE)
    deals = {r["alias"] for r in rows if r["entity"] == "deals"}
    assert set(failures) == {f"test_field_round_trips[acme-deals-{a}]" for a in deals}
    for alias, failure in ((f["check"].split("-")[-1][:-1], f) for f in failures.values()):
        assert failure["message"] == (f"[plugin_sees_round_trips] account acme, deals, alias "
                                      f"{alias!r}: the plugin fails acme's deals")
        assert failure["evidence_source"] == SOURCE
    assert "[plugin_sees_fields] account acme, contacts" in run.output


def test_a_failure_of_an_unregistered_check_rests_on_nothing_known():
    assert "plugin_sees_fields" not in CHECKS  # registered only where the plugin is loaded
    assert finding_evidence(Finding("x", kind=FindingKind.ALIAS, checks=(
        "plugin_sees_fields",))).level == "unclassified"
    assert finding_evidence(Finding("x", kind=FindingKind.ALIAS, checks=(
        "invalid_value_refused",))).level == "assumed"


def test_a_published_custom_field_without_a_string_alias_names_no_alias():
    published = [{"alias": "tier", "custom": True, "type": "text"},
                 {"alias": None, "custom": True, "type": "text"},
                 {"alias": 7, "custom": True, "type": "number"},
                 {"custom": True, "type": "text"},
                 {"alias": "email", "custom": False, "type": "email"}]
    ctx = PublishedFields("acme", "contacts", None, {}, published)  # no run: nothing recorded
    assert list(ctx.custom) == ["tier"]
