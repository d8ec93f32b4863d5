"""Planning a run under a request budget (`--flexie-budget N`, profile `ci`).

The budget itself is enforced request by request (conformance.engine.pacing): a test that would
exceed it is left out, and says so. This module decides the order, so that what proves the
most comes first: every operation's probes and its decisive pair (one positive, one negative
case), operation by operation, then one scenario of each kind, the published alias lists and
the alias round trips (batched per entity), the other scenarios, the model-based sequences
and last the boundary cases. No economy leaves a route's verdict to another route of its
resource: every probe judges every operation it applies to. What a budget changes on each
operation (one positive and one negative case, one page of paging, authentication judged by
the probes rather than also by Schemathesis's `ignored_auth`) is said where it happens: the
runner, and the checks that read `ctx.budgeted`.
It also estimates what the plan costs, from request counts measured against the embedded mock
(`docs/performance.md`), so the run can say up front how much of it the budget will reach.

Each test declares its tier and cost (`@pytest.mark.flexie(tier=..., cost=...)`,
conformance/declared.py), measured against the embedded mock with the `ci` profile in one
process (seed 1, budget 100,000): probes 751 over 194 operations (every probe on every
operation), decisive pairs 412, alias round trips 150 over 13 entities, setup 45; the scenarios
from the traffic per test of the same run. Under `-n N` each worker has its own setup.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance import declared

#: Setup creates the pool of owned records before the first test.
SETUP_ESTIMATE = 45


def tier(item: pytest.Item, first_of_test: set[int]) -> int:
    """The tier a test declares: 0, an operation's probes and pair; 1, the first scenario of
    each kind; 2, published alias lists and the round trips batched per entity; 3, the other
    scenarios (`then`: the other parameters of a scenario after its first); 4, alias round
    trips per field; 5, the rest."""
    found = declared.of(item)
    if found.then is None:
        return found.tier
    test = id(getattr(item, "obj", item))  # the test function, whatever its parameter
    if test in first_of_test:
        return found.then
    first_of_test.add(test)
    return found.tier


def order(items: list[pytest.Item]) -> None:
    """Sort `items` in place into the budget's order: by tier, operations interleaved (the
    probes and the pair of one operation, then the next), the rest in collection order."""
    seen: set[int] = set()
    tiers = {id(item): tier(item, seen) for item in items}
    position = {id(item): index for index, item in enumerate(items)}
    operations: dict[str, int] = {}
    for item in items:
        if tiers[id(item)] == 0:
            operations.setdefault(declared.of(item).operation or "", len(operations))

    def key(item: pytest.Item) -> tuple[int, int, int]:
        if tiers[id(item)] == 0:
            found = declared.of(item)
            return 0, operations[found.operation or ""], found.order
        return tiers[id(item)], position[id(item)], 0

    items.sort(key=key)


def plan_line(plan: dict[str, int]) -> str:
    """The terminal's line on a plan (as `Plan.as_dict` gives it)."""
    return Plan(plan["budget"], plan["estimate"], plan["fits"], plan["tests"],
                plan.get("workers", 1)).line()


#: Requests each xdist worker spends besides the first: its own setup.
PER_WORKER_ESTIMATE = SETUP_ESTIMATE


@dataclass(frozen=True)
class Plan:
    """What the budget is expected to reach: the first `fits` tests of the order."""

    budget: int
    estimate: int  # requests of the whole plan, setup included
    fits: int
    total: int
    workers: int = 1

    def as_dict(self) -> dict[str, int]:
        return {"budget": self.budget, "estimate": self.estimate, "fits": self.fits,
                "tests": self.total, "workers": self.workers}

    def line(self) -> str:
        reach = ("every test" if self.fits == self.total
                 else f"the first {self.fits} of {self.total} tests in its order; the rest "
                      "will be left out unless they cost less than measured")
        line = (f"flexie: budget {self.budget:,} requests; the whole run is estimated at "
                f"{self.estimate:,} (measured against the mock): it should reach {reach}")
        if self.workers > 1:
            line += (f". Each of the {self.workers} workers spends about "
                     f"{PER_WORKER_ESTIMATE} on its own setup: under a budget one "
                     "process (no -n) reaches more, and a rate limit paces both alike")
        return line


def plan(items: list[pytest.Item], budget: int, workers: int = 1) -> Plan:
    """The estimate of the ordered `items` against `budget`, run by `workers` processes."""
    spent, fits = float(SETUP_ESTIMATE + PER_WORKER_ESTIMATE * (workers - 1)), 0
    for item in items:
        spent += declared.of(item).cost
        if spent <= budget:
            fits += 1
    return Plan(budget, round(spent), fits, len(items), workers)
