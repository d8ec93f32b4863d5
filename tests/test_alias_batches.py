"""Alias round trips under a request budget: one record per account and entity carries every
expected field, each alias still judged on its own, for at most 7 + 2 requests per field.

The suite runs as a user runs it (`--flexie-profile ci`, a budget large enough to reach every
test) against the embedded mock; one in-process test drives a batch whose create the
workspace refuses for one field.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from conformance.checks.aliases.checks import FILTER_PAGE, _filtered
from conformance.checks.aliases.drivers import check_entity_round_trip, published_definition
from conformance.checks.registry import CheckFailure
from conformance.config.settings import Settings
from conformance.run import Run, start_run
from tests.declarations import collect
from tests.suite_runner import run_suite

BUDGET = ("--flexie-profile", "ci", "--flexie-budget", "100000", "-k", "round_trips")
#: What a batch may cost: create, read, update, read, one combined filter and delete (and
#: the entity's field list, where no published-fields test of this process read it), plus
#: per field one filter on its old value and one invalid value.
FIXED, PER_FIELD = 7, 2


def _report(reports: Path) -> dict:
    return json.loads((reports / "conformance.json").read_text())


def test_batched_round_trips_pass_and_cost_at_most_7_plus_2_per_field(tmp_path):
    run = run_suite(*BUDGET, reports=tmp_path, seed=4)
    assert run.code == 0, run.output[-3000:]
    report = _report(tmp_path)
    rows = report["aliases"]
    assert rows and all(r["round_trip"] == "passed" for r in rows), rows
    fields = Counter(f"{r['account']}-{r['entity']}" for r in rows)
    names = [o["name"] for o in report["traffic"]["other"]]
    costs = {found.group(1): o["requests"] for o in report["traffic"]["other"]
             if (found := re.fullmatch(r"test_entity_round_trips\[(.*)\]", o["name"]))}
    assert set(costs) == set(fields), costs  # one test per account and entity, no other
    assert not [n for n in names if n.startswith("test_field_round_trips")], names
    for test, cost in costs.items():
        assert cost <= FIXED + PER_FIELD * fields[test], (test, cost, fields[test])


def test_a_workspace_accepting_wrong_types_fails_naming_the_alias(tmp_path):
    run = run_suite(*BUDGET, "--flexie-mock-fault", "wrong-type-accepted", reports=tmp_path)
    assert run.code == 1, run.output[-3000:]
    report = _report(tmp_path)
    [failure] = [f for f in report["failures"]
                 if f["check"] == "test_entity_round_trips[acme-contacts]"]
    assert "[invalid_value_refused] account acme, contacts, aliases 'vip'" in failure["message"]
    assert "alias 'vip': invalid value" in failure["message"], failure["message"]
    rows = {r["alias"]: r["round_trip"] for r in report["aliases"] if r["account"] == "acme"}
    assert rows["vip"] == "failed"
    # select and text fields are not lenient under this fault: they passed, and say so
    assert rows["industry_code"] == rows["linkedin_url"] == "passed", rows


def test_only_one_form_of_the_round_trips_is_collected(tmp_path):
    batched = run_suite(*BUDGET, "--collect-only", reports=tmp_path / "b")
    searched = run_suite("-k", "round_trips", "--collect-only", reports=tmp_path / "s")
    assert "test_entity_round_trips[acme-contacts]" in batched.output, batched.output[-2000:]
    assert "test_field_round_trips" not in batched.output
    assert "test_field_round_trips[acme-contacts-vip]" in searched.output
    assert "test_entity_round_trips" not in searched.output


def test_the_per_entity_test_declares_its_entity():
    tests = collect(*BUDGET)
    nodeid = "conformance/test_aliases.py::test_entity_round_trips[acme-ce:projects]"
    for entity in ("ce:projects", "contacts"):
        declared = tests[nodeid.replace("ce:projects", entity)].declared
        assert declared is not None and (declared.check, declared.entity) == \
            ("round_trip", entity)
        assert declared.exercises, entity


@pytest.fixture()
def run(tmp_path: Path) -> Run:
    """The embedded mock in process, under a budget, with the demo accounts' plan."""
    settings = Settings.from_values({"reports": str(tmp_path), "budget": "100000",
                                     "seed": "7"})
    return start_run(settings)


def test_a_refused_create_names_the_field_and_the_others_still_pass(run):
    account = next(a for a in run.alias_plan.accounts if a.name == "acme")
    definitions = [published_definition(run, account, "contacts", f.alias)
                   for f in account.fields_of("contacts")]
    # The file's expectation is wrong about one option: the value drawn is one the
    # workspace does not have, so it refuses the create naming that field.
    wrong = next(d for d in definitions if d["alias"] == "industry_code")
    definitions[definitions.index(wrong)] = {**wrong, "options": ["NOT-AN-OPTION"]}
    with pytest.raises(CheckFailure) as raised:
        check_entity_round_trip(run, account, "contacts", definitions)
    failure = raised.value
    assert failure.check == "created_value_reads_back"
    assert failure.operation == "account acme, contacts, alias 'industry_code'"
    assert "Field 'industry_code' (select)" in failure.message  # the workspace's answer
    rows = {alias: row["round_trip"] for (_, entity, alias), row
            in run.alias_plan.results.items() if entity == "contacts"}
    assert rows.pop("industry_code") == "failed"
    assert rows and set(rows.values()) == {"passed"}, rows


def test_a_filter_pages_until_it_finds_the_record():
    """A value many records hold (a select's option, written all run long) fills more than
    one page: the filter reads on with `start` until the record is among them, and stops at
    the first short page (umbrella's `branch`, coverage on, seed 5: the record was on page 3)."""
    holders = list(range(1, 2 * FILTER_PAGE + 51))  # 250 records hold the value
    asked: list[int] = []

    def request(method: str, path: str, json_body: dict) -> SimpleNamespace:
        start = json_body["start"]
        asked.append(start)
        page = holders[start:start + json_body["limit"]]
        return SimpleNamespace(status=200, json={"contacts": [{"id": i} for i in page]})

    definition = {"alias": "branch", "type": "select"}
    rt = SimpleNamespace(record_id=2 * FILTER_PAGE + 7, entity="contacts",
                         target=SimpleNamespace(request=request))
    _, ids = _filtered(rt, [(definition, "R&D / Ops")])
    assert rt.record_id in ids and asked == [0, FILTER_PAGE, 2 * FILTER_PAGE]
    asked.clear()
    rt.record_id = 9999  # not among them: every page is read, up to the short last one
    _, ids = _filtered(rt, [(definition, "R&D / Ops")])
    assert rt.record_id not in ids and len(ids) == len(holders) and len(asked) == 3
