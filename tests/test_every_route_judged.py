"""A regression rarely breaks a whole layer; it breaks one route. Each fault here is aimed at
one route of the mock (`NAME@METHOD PATH`) that is neither the first of its resource nor the
one a per-resource sample used to judge (paging aside, below), and must be named on that
route by the check meant for it, under the `ci` profile's request budget and under `quick`,
with `--flexie-assumptions warn` (what the README tells teams to run on every deploy): a
fault that breaks what Flexie documents fails the run there, one that breaks only an
assumption of ours is listed as a warning.

All faults share one run per profile, each on its own route, so that CI pays for two runs, not
one per fault; asserting that every one of them is named shows that none masks another.
"""

from __future__ import annotations

import json

import pytest

from tests.suite_runner import run_suite

#: Each fault on its route, and the check meant to name it there. Every record kind (notes
#: where the check applies) and every check a budget used to economise on: authentication
#: (missing and unknown key), broken JSON, /edit, unknown aliases, wrong types, paging, and
#: the positive case read back (field-renamed on a read by id: every write of contacts reads
#: back through it, so the failure names the writes and the read). Paging judges GET listings
#: only, each the first operation of its resource: limit-ignored is on another listing than
#: the first resource's.
ROUTE_FAULTS: dict[str, str] = {
    "auth-ignored@POST /contacts/search": "missing_key_is_refused",
    "auth-ignored@GET /leads/{id}/notes": "missing_key_is_refused",
    "auth-ignored@PUT /ce/{tableName}/edit": "missing_key_is_refused",
    "wrong-key-accepted@POST /accounts": "unknown_key_is_refused",
    "wrong-key-accepted@GET /cases/list/fields": "unknown_key_is_refused",
    "wrong-key-accepted@GET /tasks/list/categories": "unknown_key_is_refused",
    "bad-json-500@PUT /leads/{id}": "malformed_json_is_400",
    "bad-json-500@PUT /notes/{id}": "malformed_json_is_400",
    "bad-json-500@POST /deals/{id}/associations": "malformed_json_is_400",
    "edit-creates@PATCH /deals/edit": "edit_never_creates",
    "edit-creates@PATCH /cases/edit": "edit_never_creates",
    "edit-creates@PATCH /ce/{tableName}/edit": "edit_never_creates",
    "unknown-alias-accepted@PATCH /accounts/{id}": "unknown_alias_is_refused",
    "unknown-alias-accepted@PUT /ce/{tableName}/{id}": "unknown_alias_is_refused",
    "wrong-type-accepted@PATCH /ce/{tableName}/{id}": "invalid_values_are_refused",
    "wrong-type-accepted@PUT /deals/{id}": "invalid_values_are_refused",
    "limit-ignored@GET /tasks": "paging_is_consistent",
    "field-renamed@GET /contacts/{id}": "read_back_equals_written",
}


def _named(failures: list[dict], spec: str, check: str) -> list[dict]:
    """The failures that name the fault's route by the check meant for it (a fault on a read
    by id is named by the writes that read back through that route)."""
    route = spec.split("@", 1)[1]
    method, path = route.split(" ", 1)
    if check == "read_back_equals_written":
        prefix = path.split("{", 1)[0]
        return [f for f in failures if f["check"] == check and
                f["operation"].split(" ", 1)[1].startswith(prefix.rstrip("/")) and
                f"{method} {prefix}" in f["message"]]
    return [f for f in failures if f["check"] == check and f["operation"] == route]


@pytest.mark.parametrize("profile", ["ci", "quick"])
def test_a_fault_on_one_route_is_named_on_that_route(tmp_path, profile):
    faults = [arg for spec in ROUTE_FAULTS for arg in ("--flexie-mock-fault", spec)]
    run = run_suite("--flexie-profile", profile, "--flexie-assumptions", "warn",
                    "--flexie-coverage", "off", "-k", "test_probes or test_operation", *faults,
                    reports=tmp_path, seed=1)
    doc = json.loads((tmp_path / "conformance.json").read_text())
    failures = doc["failures"]
    missed = [spec for spec, check in ROUTE_FAULTS.items() if not _named(failures, spec, check)]
    assert not missed, (f"under {profile}, unnoticed on their route: {missed}\n"
                        + "\n".join(f"{f['check']} {f['operation']}" for f in failures))
    for spec, check in ROUTE_FAULTS.items():
        for failure in _named(failures, spec, check):
            assert failure["warning"] == (failure["evidence"] == "assumed"), failure
    assert run.code == 1, run.output[-2000:]  # documented breaks fail a warn run
    if profile == "ci":
        assert doc["budget"]["spent"] <= doc["budget"]["limit"]
        assert not doc["budget"]["left_out"], doc["budget"]["left_out"]
