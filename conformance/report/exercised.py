"""Which operations the tests that are not per operation exercise: the scenarios (by test
function) and the alias checks (by entity), so their outcomes show on the operations they
check. tests/test_report_truth.py keeps the scenario table in step with the test modules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from contract.accounts import entity_kind as kind_of
from contract.operations import OPERATIONS_BY_KEY
from contract.resources import GROUPS, KINDS_BY_NAME, RECORD_KINDS, RecordKind


def split_nodeid(nodeid: str) -> tuple[str, str | None]:
    """(function, parameter id): `...::test_probes[GET /x]` -> ("test_probes", "GET /x")."""
    last = nodeid.split("::")[-1]
    func, bracket, rest = last.partition("[")
    return func, (rest[:-1] if bracket and rest.endswith("]") else None)


def _on(kind: RecordKind | None, *templates: str) -> tuple[str, ...]:
    """Operation keys from templates: `P` is the kind's path, `L` its static-list path."""
    keys = []
    for template in templates:
        method, path = template.split(" ", 1)
        if kind is not None and (path == "P" or path.startswith("P/")):
            path = kind.path + path[1:]
        elif kind is not None and path.startswith("L/"):
            path = kind.list_path + path[1:]
        keys.append(f"{method} {path}")
    return tuple(keys)


@dataclass(frozen=True)
class ScenarioUse:
    """What a scenario test checks: its group and the operations under test.

    Operations a scenario only uses to set up (creating the contact a note is put on) are not
    listed: a notes bug must not mark POST /contacts/new failed. `per_kind`: the test is
    parametrized by record kind (`[contacts]`), which fills `P` and `L` and names the group
    unless `group` is given; otherwise the templates apply to every record kind."""

    group: str | None
    templates: tuple[str, ...]
    per_kind: bool = False

    def operations(self, param: str | None) -> list[str]:
        if self.per_kind:
            kind = KINDS_BY_NAME.get(param or "")
            return list(_on(kind, *self.templates)) if kind is not None else []
        if any(t.split(" ", 1)[1][:1] in "PL" for t in self.templates):
            return [key for k in RECORD_KINDS for key in _on(k, *self.templates)]
        return list(_on(None, *self.templates))

    def group_for(self, param: str | None) -> str | None:
        if self.group is None and self.per_kind and param in KINDS_BY_NAME:
            return param
        return self.group


#: Scenario tests (conformance/test_scenarios.py, test_state_machine.py) by function name.
#: tests/test_report_truth.py checks that every scenario test is here and every key exists.
SCENARIOS: dict[str, ScenarioUse] = {
    "test_record_lifecycle": ScenarioUse(None, (
        "POST P/new", "GET P/{id}", "POST L/lists/{id}/add/{entityId}", "GET P/{id}/lists",
        "GET P", "PUT P/edit", "POST P/identify", "POST P/search",
        "POST L/lists/{id}/remove/{entityId}", "DELETE P/{id}"), per_kind=True),
    "test_notes_on_a_record": ScenarioUse("notes", (
        "POST /notes/{entityType}/{entityId}", "GET /notes/{id}", "PUT /notes/{id}",
        "GET P/{id}/notes", "DELETE /notes/{id}", "DELETE /notes/{entityType}/{entityId}"),
        per_kind=True),
    "test_task_lifecycle": ScenarioUse("tasks", (
        "POST /tasks/new", "POST /tasks/{id}/complete", "GET /tasks/{id}",
        "POST /tasks/{id}/incomplete", "PATCH /tasks/{id}", "GET /tasks/list/categories",
        "DELETE /tasks/{id}")),
    "test_case_replies_by_id_and_identifier": ScenarioUse("cases", (
        "POST /cases/{id}/replies", "POST /cases/replies/{identifier}",
        "GET /cases/{id}/replies", "GET /cases/replies/{identifier}")),
    "test_email_send": ScenarioUse("emails", ("GET /emails", "POST /emails/{id}/send")),
    "test_user_lifecycle": ScenarioUse("users", (
        "POST /users/new", "POST /users/{id}/permission", "GET /users/self",
        "PUT /users/{id}", "GET /users/{id}", "DELETE /users/{id}")),
    "test_deal_associations": ScenarioUse("deals", (
        "POST /deals/{id}/associations", "DELETE /deals/{id}/associations")),
    "test_pipeline_lifecycle": ScenarioUse("pipelines", (
        "POST /pipelines", "GET /pipelines", "PATCH /pipelines/{id}", "GET /pipelines/{id}",
        "GET /stages", "DELETE /pipelines/{id}")),
    "test_model_based_sequences": ScenarioUse(None, (
        "POST P/new", "GET P/{id}", "PUT P/{id}", "PATCH P/{id}", "PUT P/edit",
        "DELETE P/{id}", "POST L/lists/{id}/add/{entityId}",
        "POST L/lists/{id}/remove/{entityId}", "GET P", "GET P/{id}/lists")),
}


def scenario_operations(name: str) -> list[str]:
    """Operations a scenario (`test_task_lifecycle`, `test_record_lifecycle[contacts]`)
    checks, as the contract names them; [] for a scenario this table does not know."""
    func, param = split_nodeid(name)
    use = SCENARIOS.get(func)
    if use is None:
        return []
    return [key for key in dict.fromkeys(use.operations(param)) if key in OPERATIONS_BY_KEY]


def scenario_group(name: str, keywords: Iterable[str] = ()) -> str:
    """The resource group a scenario belongs to; "scenarios" when it spans several."""
    func, param = split_nodeid(name)
    use = SCENARIOS.get(func)
    group = use.group_for(param) if use is not None else None
    if group is None and use is None:
        words = set(keywords)
        group = next((g for g in GROUPS if g in words), None)
    return group or "scenarios"


#: Alias checks per entity (conformance/test_aliases.py): the published field list is read
#: from `list/fields`; a round trip creates, reads, updates and filters through the alias.
ALIAS_FIELDS = ("GET P/list/fields",)
ALIAS_ROUND_TRIP = ("POST P/new", "GET P/{id}", "PUT P/{id}", "POST P")
_ENTITY = r"(ce:[A-Za-z0-9_]+|" + "|".join(k.name for k in RECORD_KINDS
                                          if not k.is_custom_entity) + ")"


def entity_kind(entity: str) -> RecordKind | None:
    try:
        return kind_of(entity)
    except KeyError:
        return None


def alias_entity(nodeid: str) -> tuple[str, str | None]:
    """(which check, entity) of an alias test: ("fields", "contacts") for
    `test_fields_match_expectation[acme-contacts]`, ("round_trip", "ce:projects") for
    `test_field_round_trips[acme-ce:projects-budget]` and (batched, under a request budget)
    `test_entity_round_trips[acme-ce:projects]`; entity None when not named."""
    func, param = split_nodeid(nodeid)
    check = "fields" if func == "test_fields_match_expectation" else "round_trip"
    per_entity = func in ("test_fields_match_expectation", "test_entity_round_trips")
    pattern = rf"-{_ENTITY}$" if per_entity else rf"-{_ENTITY}-[^-]+$"
    found = re.search(pattern, param or "")
    return check, found.group(1) if found else None


def alias_operations(entity: str, check: str) -> list[str]:
    kind = entity_kind(entity)
    templates = ALIAS_FIELDS if check == "fields" else ALIAS_ROUND_TRIP
    return [k for k in _on(kind, *templates) if k in OPERATIONS_BY_KEY] if kind else []


def _is_alias_test(nodeid: str, keywords: Iterable[str] = ()) -> bool:
    return "test_aliases.py" in nodeid or "aliases" in set(keywords)
