"""Errors are JSON, always, with a message a person can read."""

from __future__ import annotations

from typing import Any

from schemathesis import Case

from conformance.checks.evidence import CLIENTS, PAGE, assumed, documented
from conformance.checks.registry import CheckContext, case_check
from conformance.engine.target import Reply


def error_problem(reply: Reply) -> str | None:
    """What is wrong with an error answer, or None when it is a proper Flexie error."""
    if reply.content_type != "application/json":
        return f"error answer {reply.status} is {reply.content_type or 'untyped'}, not JSON"
    body = reply.json
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("message"), str) \
            or not error["message"].strip():
        return f"error answer {reply.status} has no error.message: {reply.text[:120]!r}"
    return None


#: An error that is JSON with a top-level `error` breaks what is documented only when it lacks
#: a message, which is our decision (the published bad-request makes code and message optional).
_MESSAGE_REQUIRED = assumed("Error bodies")


@case_check(evidence=documented(f"{PAGE}: every answer is JSON, errors too; {CLIENTS} #9: "
                                "errors are recognised by a top-level error key"))
def errors_are_json(ctx: CheckContext, case: Case[Any], reply: Reply) -> None:
    if reply.status < 400:
        raise ctx.not_checked("judges error answers (4xx/5xx)")
    if problem := error_problem(reply):
        body = reply.json
        only_message = reply.content_type == "application/json" and isinstance(body, dict) \
            and isinstance(body.get("error"), dict)
        raise ctx.fail(problem, reply, evidence=_MESSAGE_REQUIRED if only_message else None)
