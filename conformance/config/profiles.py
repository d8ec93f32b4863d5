"""Named effort levels, mapped onto Hypothesis settings."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from hypothesis import HealthCheck, Phase, settings


class Profile(TypedDict):
    """One effort level: Hypothesis's examples per test, the coverage phase (on, off, or only
    against the embedded mock) and the request budget it sets when none is given."""

    max_examples: int
    coverage: bool | Literal["embedded"]
    budget: NotRequired[int]


PROFILES: dict[str, Profile] = {
    # CI default: the whole suite against the mock in under two minutes on 2 cores. The coverage
    # phase is on against the embedded mock, as in `schemathesis run`: its boundary cases are
    # cheap there. Against a live workspace they are some 75,000 requests, so opt-in.
    "quick": {"max_examples": 12, "coverage": "embedded"},
    # Every deploy against a live staging workspace: every operation judged (a positive and a
    # negative case, every probe on every route), a scenario of each kind and the aliases,
    # within 1,600 requests (the whole plan: about 1,670, docs/performance.md).
    "ci": {"max_examples": 2, "coverage": False, "budget": 1600},
    # Release QA: many more examples per operation, with shrinking.
    "thorough": {"max_examples": 150, "coverage": True},
}


def register() -> None:
    for name, profile in PROFILES.items():
        settings.register_profile(
            f"flexie-{name}",
            deadline=None,
            derandomize=False,
            database=None,
            print_blob=False,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            max_examples=profile["max_examples"],
        )
