"""Three outcomes, not two: a check passes only when it sent its request and the answer held,
fails when the answer broke it, and is "not checked" (with its reason) when it could not judge.
Against the embedded mock, faithful and with the fault each extended probe must catch."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import conformance.engine.runner as runner_module
from conformance.checks import listings, probes
from conformance.checks.evidence import assumed
from conformance.checks.registry import (
    EVIDENCE,
    PROBES,
    CheckContext,
    CheckFailure,
    NotChecked,
    probe,
)
from conformance.config.settings import Settings
from conformance.engine.ledger import Ledger
from conformance.engine.outcomes import NotApplicable
from conformance.engine.owned import OwnedRecords
from conformance.engine.runner import Runner
from conformance.engine.target import Reply, make_target
from conformance.observed import FAILED, NOT_CHECKED, PASSED, Observed, checks_line
from contract.operations import OPERATIONS_BY_KEY
from workspace import create_app

OTHER_KEY = "globex-demo-key"


def _run(tmp_path: Path, *faults: str, key: str = "acme-demo-key",
         table: str = "projects") -> tuple[Settings, OwnedRecords]:
    s = Settings.from_values({"reports": str(tmp_path), "apikey": key})
    target = make_target(s, base_url="http://localhost/api", app=create_app(faults=list(faults)))
    owned = OwnedRecords(target, Ledger(tmp_path / "ledger.jsonl", s.run_id, "t"), s.run_id,
                         table)
    owned.setup()
    return s, owned


@pytest.fixture()
def faithful(tmp_path: Path) -> OwnedRecords:
    return _run(tmp_path)[1]


def _ctx(owned: OwnedRecords, key: str, other: str | None = OTHER_KEY) -> CheckContext:
    return CheckContext(owned.target, owned, OPERATIONS_BY_KEY[key], other_apikey=other)


def _reason(call) -> str:
    with pytest.raises(NotChecked) as caught:
        call()
    return caught.value.reason


# --- the registry's filters and the "sent nothing" net ----------------------------------------

def test_a_probe_outside_its_filters_is_not_checked_saying_why(faithful):
    reason = _reason(lambda: probes.unknown_alias_is_refused(_ctx(faithful, "GET /contacts")))
    assert reason == "applies to update operations"
    reason = _reason(lambda: listings.paging_is_consistent(_ctx(faithful, "POST /contacts")))
    assert reason == "applies to GET requests"


def test_a_probe_that_sends_no_request_is_not_checked(faithful):
    def sends_nothing(ctx: CheckContext) -> None:
        """Passes without asking the workspace anything."""

    registered = probe(evidence=assumed("Account isolation"))(sends_nothing)
    try:
        assert _reason(lambda: registered(_ctx(faithful, "GET /contacts"))) == "sent no request"
    finally:
        PROBES.pop("sends_nothing", None)
        EVIDENCE.pop("sends_nothing", None)


# --- isolation ---------------------------------------------------------------------------------

def test_isolation_without_a_second_key_is_not_checked(faithful):
    ctx = _ctx(faithful, "GET /contacts/{id}", other=None)
    assert "no second account's key" in _reason(lambda: probes.other_account_cannot_read(ctx))


def test_isolation_on_a_table_the_other_account_lacks_is_not_checked(tmp_path):
    # globex's table `shipments`: acme has none, so a 404 would prove nothing.
    _, owned = _run(tmp_path, "cross-account-leak", key=OTHER_KEY, table="shipments")
    ctx = _ctx(owned, "GET /ce/{tableName}/{id}", other="acme-demo-key")
    assert _reason(lambda: probes.other_account_cannot_read(ctx)) == \
        "the other account has no table 'shipments'"


def test_isolation_on_a_table_both_accounts_have_bites(tmp_path):
    # Both demo accounts have a `projects` table: a leak is a leak, not an unknown table.
    probes.other_account_cannot_read(_ctx(_run(tmp_path / "ok")[1], "GET /ce/{tableName}/{id}"))
    _, leaking = _run(tmp_path / "leak", "cross-account-leak")
    with pytest.raises(CheckFailure, match="another account's key read /ce/projects/"):
        probes.other_account_cannot_read(_ctx(leaking, "GET /ce/{tableName}/{id}"))


def test_isolation_is_judged_and_bites(faithful, tmp_path):
    probes.other_account_cannot_read(_ctx(faithful, "GET /contacts/{id}"))  # passes
    _, leaking = _run(tmp_path / "leak", "cross-account-leak")
    with pytest.raises(CheckFailure, match="another account's key read"):
        probes.other_account_cannot_read(_ctx(leaking, "GET /contacts/{id}"))


def test_a_server_error_is_no_refusal(faithful, monkeypatch):
    real = faithful.target.request

    def five_hundred_for_the_other_key(method, path, **kwargs):
        if kwargs.get("key") == OTHER_KEY:
            return Reply(500, {"content-type": "application/json"},
                         '{"error": {"code": 500, "message": "boom"}}')
        return real(method, path, **kwargs)

    monkeypatch.setattr(faithful.target, "request", five_hundred_for_the_other_key)
    with pytest.raises(CheckFailure, match="server error, not a refusal"):
        probes.other_account_cannot_read(_ctx(faithful, "GET /contacts/{id}"))


# --- paging, filters, search, PATCH ------------------------------------------------------------

def test_paging_a_listing_the_run_cannot_fill_is_not_checked(tmp_path):
    _, owned = _run(tmp_path, "pagination-off-by-one")
    reason = _reason(lambda: listings.paging_is_consistent(_ctx(owned, "GET /reports")))
    assert reason.startswith("fewer than 3 records")
    with pytest.raises(CheckFailure):  # a listing the run fills is judged, and the fault bites
        listings.paging_is_consistent(_ctx(owned, "GET /tasks"))


@pytest.mark.parametrize(("key", "check", "fault"), [
    ("POST /cases", listings.filters_are_applied, "filter-ignored"),
    ("POST /cases/search", listings.search_finds_written, "search-or-as-and"),
    ("PATCH /contacts/{id}", probes.unknown_alias_is_refused, "unknown-alias-accepted"),
    ("PATCH /cases/{id}", probes.invalid_values_are_refused, "wrong-type-accepted"),
])
def test_extended_probes_pass_the_faithful_mock_and_catch_their_fault(tmp_path, key, check,
                                                                       fault):
    _, owned = _run(tmp_path / "faithful")
    check(_ctx(owned, key))  # judged (it would raise NotChecked otherwise) and held
    _, broken = _run(tmp_path / "broken", fault)
    with pytest.raises(CheckFailure):
        check(_ctx(broken, key))


def test_listings_the_run_cannot_write_are_not_checked(faithful):
    reason = _reason(lambda: listings.filters_are_applied(_ctx(faithful, "POST /reports")))
    assert reason == "no reports record holds a value this run wrote"


# --- the runner: outcomes recorded, a test with nothing checked is skipped ----------------------

def test_the_runner_records_outcomes_and_skips_a_test_that_checked_nothing(tmp_path,
                                                                           monkeypatch):
    s, owned = _run(tmp_path)
    observed = Observed()
    runner = Runner(s, owned.target, owned, observed)

    def cannot_judge(ctx: CheckContext) -> None:
        raise ctx.not_checked("fewer than 3 records")

    monkeypatch.setattr(runner_module, "PROBES", {"cannot_judge": cannot_judge})
    with pytest.raises(NotApplicable, match="fewer than 3 records"):
        runner.probe(OPERATIONS_BY_KEY["GET /reports"])
    assert observed.checks["GET /reports"] == {"cannot_judge": NOT_CHECKED}
    assert observed.reasons["GET /reports"]["cannot_judge"] == "fewer than 3 records"

    monkeypatch.setattr(runner_module, "PROBES", {"cannot_judge": cannot_judge,
                                                  "unknown_id_is_404": probes.unknown_id_is_404})
    runner.probe(OPERATIONS_BY_KEY["GET /contacts/{id}"])  # one probe judged: no skip
    assert observed.checks["GET /contacts/{id}"]["unknown_id_is_404"] == PASSED


def test_unsent_fields_are_compared_for_text_ids(tmp_path):
    s, owned = _run(tmp_path)
    runner = Runner(s, owned.target, owned, Observed())
    record_id = owned.ids["contacts"][0]
    case = SimpleNamespace(path_parameters={"id": str(record_id)})
    op = OPERATIONS_BY_KEY["PUT /contacts/{id}"]
    before = runner._context(op, runner._before(op, case)).before
    assert before is not None and before["id"] == record_id


# --- merging and counting ----------------------------------------------------------------------

def test_precedence_is_failed_over_passed_over_not_checked_across_workers():
    one, two, controller = Observed(), Observed(), Observed()
    one.check("GET /x", "a", NOT_CHECKED, "no second key")
    one.check("GET /x", "a", PASSED)  # one case judged: the check is judged on the operation
    one.check("GET /x", "b", PASSED)
    two.check("GET /x", "b", FAILED)
    two.check("GET /x", "c", NOT_CHECKED, "fewer than 3 records")
    two.drop("GET /x")
    for worker in (one, two):
        controller.absorb(worker.export())
    assert controller.checks["GET /x"] == {"a": PASSED, "b": FAILED, "c": NOT_CHECKED}
    counts = controller.check_counts()
    assert counts == {"passed": 1, "failed": 1, "not_checked": 1,
                      "reasons": {"fewer than 3 records": 1}, "dropped": 1}
    line = checks_line(counts)
    assert line.startswith("flexie: 1 checks passed, 1 failed, 1 not checked (reasons: fewer "
                           "than 3 records (1))")
    assert "1 generated requests not sent" in line
