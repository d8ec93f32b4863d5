"""A check never passes on a read that failed: a read-back, membership read or listing that
does not answer 2xx JSON fails the check, naming the read (conformance/checks/registry.py:
CheckContext.read). Each case is run against a target whose reads answer well (the check
passes) and one whose read this check relies on answers 500 (the check fails)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.checks import CASE_CHECKS, CheckContext, CheckFailure
from conformance.engine.target import Reply
from contract.operations import OPERATIONS_BY_KEY


class Scripted:
    """A target answering each (method, path) from a table: {status, body}."""

    def __init__(self, answers: dict[tuple[str, str], tuple[int, Any]]) -> None:
        self.answers = answers

    def request(self, method: str, path: str, **_: Any) -> Reply:
        status, body = self.answers[(method, path)]
        text = body if isinstance(body, str) else json.dumps(body)
        kind = "text/html" if isinstance(body, str) else "application/json"
        return Reply(status, {"content-type": kind}, text)


def _judge(key: str, answers: dict, path_params: dict, status: int = 200,
           before: Reply | None = None, body: Any = None) -> None:
    op = OPERATIONS_BY_KEY[key]
    ctx = CheckContext(Scripted(answers), SimpleNamespace(ce_table=None, custom_fields={}),
                       op, before_read=before,
                       before=json.loads(before.text).get("contact") if before and
                       before.status == 200 else None)
    case = SimpleNamespace(path_parameters=path_params, body=body)
    check = {"delete": "deleted_record_is_gone", "list_remove": "list_membership_persisted",
             "complete": "task_completion_persisted",
             "update": "read_back_equals_written"}[op.action]
    CASE_CHECKS[check](ctx, case, Reply(status, {}, ""))


BROKEN = (500, {"error": {"code": 500, "message": "boom"}})


@pytest.mark.parametrize("listing", [(200, {"total": 0, "contacts": []}), BROKEN,
                                     (200, "<html>busy</html>"), (200, {"total": 0})])
def test_deleted_record_is_gone_reads_its_listing(listing):
    answers = {("GET", "/contacts/5"): (404, {"error": {"code": 404, "message": "gone"}}),
               ("GET", "/contacts"): listing}
    if listing[1] == {"total": 0, "contacts": []}:
        _judge("DELETE /contacts/{id}", answers, {"id": 5}, 204)
        return
    with pytest.raises(CheckFailure, match="the listing after deleting record 5"):
        _judge("DELETE /contacts/{id}", answers, {"id": 5}, 204)


@pytest.mark.parametrize("lists", [(200, {"total": 0, "lists": []}), BROKEN])
def test_a_remove_is_not_confirmed_by_the_empty_answer_of_a_500(lists):
    answers = {("GET", "/contacts/5/lists"): lists}
    params = {"id": 3, "entityId": 5}
    if lists[0] == 200:
        _judge("POST /contact/lists/{id}/remove/{entityId}", answers, params)
        return
    with pytest.raises(CheckFailure, match=r"the lists of record 5: GET /contacts/5/lists "
                                           r"answered HTTP 500"):
        _judge("POST /contact/lists/{id}/remove/{entityId}", answers, params)


def test_task_completion_reads_the_task():
    answers = {("GET", "/tasks/7"): BROKEN}
    with pytest.raises(CheckFailure, match="task 7 read back: GET /tasks/7 answered HTTP 500"):
        _judge("POST /tasks/{id}/complete", answers, {"id": 7}, 201)
    answers = {("GET", "/tasks/7"): (200, {"task": {"id": 7, "is_completed": True}})}
    _judge("POST /tasks/{id}/complete", answers, {"id": 7}, 201)


def test_unsent_fields_are_never_skipped_on_a_failed_read_before_the_update():
    record = {"contact": {"id": 5, "city": "Porto", "company": "Acme"}}
    answers = {("GET", "/contacts/5"): (200, record)}
    ok = Reply(200, {"content-type": "application/json"}, json.dumps(record))
    _judge("PUT /contacts/{id}", answers, {"id": 5}, body={"city": "Porto"}, before=ok)
    failed = Reply(500, {"content-type": "application/json"}, json.dumps(BROKEN[1]))
    with pytest.raises(CheckFailure, match=r"read before the update .* HTTP 500"):
        _judge("PUT /contacts/{id}", answers, {"id": 5}, body={"city": "Porto"},
               before=failed)
