"""Errors are JSON, always, with a message a person can read."""

from __future__ import annotations

from conformance.checks.registry import CheckContext, case_check
from conformance.target import Reply


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


@case_check
def errors_are_json(ctx: CheckContext, case, reply: Reply) -> None:
    if reply.status >= 400 and (problem := error_problem(reply)):
        raise ctx.fail(problem, reply)
