"""A scenario step that meets a deviation fails as a named step, saying what it expected and
what came: never a raw KeyError or TypeError from the scenario's own code."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.engine.ledger import Ledger
from conformance.engine.owned import OwnedRecords
from conformance.engine.target import Target
from conformance.scenarios.steps import StepFailed, Steps, kind
from workspace import create_app


def _without_key(app: Callable, key: str) -> Callable:
    """`app`, its answers' records stripped of `key` (a workspace that drops a field)."""
    def strip(value: Any) -> Any:
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not (k == key and "id" in value)}
        return value

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        captured: dict = {}
        body = b"".join(app(environ, lambda s, h, e=None: captured.update(s=s, h=h)))
        if body:
            body = json.dumps(strip(json.loads(body))).encode()
        headers = [(k, v) for k, v in captured["h"] if k.lower() != "content-length"]
        start_response(captured["s"], [*headers, ("Content-Length", str(len(body)))])
        return [body]
    return wsgi


def _steps(tmp_path, app: Any, *, setup: bool = True) -> Steps:
    target = Target("http://localhost/api", apikey="acme-demo-key", app=app)
    ledger = Ledger(tmp_path / "ledger.jsonl", "steps-test", target.base_url)
    owned = OwnedRecords(target, ledger, "steps-test", "projects", allow_send=False)
    if setup:
        owned.setup()
    return Steps(SimpleNamespace(target=target, owned=owned))  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # its scenario mark
def test_a_dropped_field_fails_the_lifecycle_at_the_step_that_reads_it(tmp_path):
    """The workspace answers records without their email: the lifecycle that reads the
    created contact's email fails naming the create step and the key (it was KeyError)."""
    from conformance.test_scenarios import test_record_lifecycle

    steps = _steps(tmp_path, _without_key(create_app(), "email"))
    with pytest.raises(StepFailed) as failed:
        test_record_lifecycle(steps, "contacts")
    message = str(failed.value)
    assert "create a contact" in message and "'email'" in message, message
    assert "POST /contacts/new -> 201" in message, message


def test_a_renamed_field_fails_the_step_that_reads_it(tmp_path):
    steps = _steps(tmp_path, create_app(faults=["field-renamed"]))
    record = steps.create(kind("contacts"))
    with pytest.raises(StepFailed) as failed:
        record["first_name"]
    assert "create a contact" in str(failed.value) and "'first_name'" in str(failed.value)
    assert steps.get(kind("contacts"), record["id"])["id"] == record["id"]


def test_a_renamed_envelope_fails_each_step_that_reads_a_record(tmp_path):
    steps = _steps(tmp_path, create_app(faults=["envelope-renamed"]), setup=False)
    with pytest.raises(StepFailed) as failed:
        steps.create(kind("contacts"))
    assert "create a contact" in str(failed.value) and "'contact' record" in str(failed.value)
    contact = steps.call("GET", "/contacts", expect=200, params={"limit": 1}).json
    with pytest.raises(StepFailed) as failed:
        steps.get(kind("contacts"), contact["contacts"][0]["id"])
    assert "read contact" in str(failed.value) and '{"data"' in str(failed.value)
    with pytest.raises(StepFailed) as failed:
        steps.call("POST", "/tasks/new", expect=201, step="create a task",
                   body={"task": "t"}).json["task"]
    assert "create a task (POST /tasks/new -> 201)" in str(failed.value)


def test_a_listing_without_its_array_is_no_empty_listing(tmp_path):
    steps = _steps(tmp_path, _without_key(create_app(), "email"), setup=False)
    steps.target.request = lambda *a, **k: SimpleNamespace(  # type: ignore[method-assign]
        status=200, text='{"total": 0}', json={"total": 0}, content_type="application/json")
    with pytest.raises(StepFailed) as failed:
        steps.listing(kind("contacts"))
    assert "list contacts" in str(failed.value) and "'contacts' list" in str(failed.value)


def test_any_other_shape_error_of_a_scenario_names_the_last_call():
    """A null where the scenario reads a record (`None["x"]`) is named by the plugin: the last
    call and what the scenario read, not a bare TypeError; other tests are left alone."""
    from conformance.plugin.verdict import name_the_step

    def outcome(kinds: set[str], error: BaseException) -> str:
        """What the short summary shows for a test that declares `kinds` (its flexie mark)."""
        crash = SimpleNamespace(message=f"{type(error).__name__}: {error}")
        marks = [pytest.mark.flexie(kind=k).mark for k in kinds]
        item = SimpleNamespace(iter_markers=lambda name=None: marks, funcargs={
            "steps": SimpleNamespace(log=["POST /tasks/7/complete -> 201"])})
        report = SimpleNamespace(longrepr=SimpleNamespace(reprcrash=crash))
        name_the_step(item, report, SimpleNamespace(excinfo=SimpleNamespace(value=error)))
        return crash.message

    error = TypeError("'NoneType' object is not subscriptable")
    named = outcome({"scenario"}, error)
    assert named.startswith("the answer to the last step (POST /tasks/7/complete -> 201)")
    assert "TypeError" in named
    assert outcome({"operation"}, error).startswith("TypeError")  # not a scenario: untouched
    assert outcome({"state_machine"}, error).startswith("the answer to the last step")
    assert outcome({"scenario"}, StepFailed("read task 7: ...")) == \
        "StepFailed: read task 7: ..."
