"""A valid request is answered with success.

Schemathesis's `positive_data_acceptance` accepts a 404 to a valid case, which is right for
ids it draws at random; but binding (conformance/engine/safety.py) aims a positive case at records
this run owns, lists that exist and unique values an owned record holds, so such a case names
nothing the workspace may not find. A refusal of it means the operation does not work.
"""

from __future__ import annotations

from typing import Any

from schemathesis import Case

from conformance.checks.evidence import PAGE, PUBLISHED, Evidence, assumed, documented
from conformance.checks.registry import CheckContext, case_check
from conformance.engine.safety import is_positive
from conformance.engine.target import Reply
from contract.operations import Operation


def _evidence(op: Operation) -> Evidence:
    """Documented where Flexie's spec or page shows the operation and its success status."""
    if op.in_published_spec or op.on_page:
        return documented(f"{PUBLISHED} and {PAGE}: the operation answers {op.success} on "
                          "success")
    return assumed("Status codes on the page")


@case_check(evidence=_evidence)
def positive_case_succeeds(ctx: CheckContext, case: Case[Any], reply: Reply) -> None:
    if not is_positive(case):
        raise ctx.not_checked("judges positive cases")
    binding = ctx.binding
    if binding is None:
        raise ctx.not_checked("the case was not bound to the run's records")
    if binding.unbound:
        raise ctx.not_checked(f"the case could not be made valid on the account: "
                              f"{binding.unbound}")
    if not 200 <= reply.status < 300:
        raise ctx.fail(f"a valid request (its ids and unique values name records this run "
                       f"owns) answered HTTP {reply.status}, not success "
                       f"({ctx.op.success}): {reply.text[:200]}", reply)
