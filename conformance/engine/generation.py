"""Where test cases come from: Schemathesis's generation, per operation, three ways.

- `property_test`: the Hypothesis test Schemathesis's pytest plugin would build (explicit
  examples, both generation modes, the profile's number of examples);
- `coverage_cases`: the coverage phase's boundary cases, built as they are sent;
- `decisive_cases`: one positive and one negative case, for runs under a request budget.

Each is seeded per operation, so one operation replays alone as it ran in the whole run.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy
    from schemathesis import APIOperation, Case
    from schemathesis.specs.openapi.schemas import OpenApiSchema

T = TypeVar("T")


def operation_seed(seed: int | None, key: str) -> int | None:
    return None if seed is None else seed ^ zlib.crc32(key.encode())


def _operation(schema: OpenApiSchema, key: str) -> APIOperation[Any, Any, Any, Any]:
    method, path = key.split(" ", 1)
    return schema[path][method.lower()]


def property_test(schema: OpenApiSchema, key: str, test: Callable[..., None],
                  seed: int | None) -> Callable[..., None]:
    """The Hypothesis test of one operation, built as Schemathesis's pytest plugin builds it
    (its explicit examples, both generation modes, the schema's Hypothesis settings), seeded
    per operation so one operation replays alone as it ran in the whole run."""
    import hypothesis
    from schemathesis.generation.feedback import FeedbackSources

    operation = _operation(schema, key)
    built: Callable[..., None] = _build_operation_test(schema.config, operation, test,
                                                       FeedbackSources())
    if seed is not None:
        built = hypothesis.seed(operation_seed(seed, key))(built)
    return built


def _build_operation_test(config: Any, operation: Any, test: Any, feedback: Any) -> Any:
    """Schemathesis's pytest plugin's `build_operation_test` (schemathesis/pytest/
    _test_builder.py, 4.x), without its package, which imports pytest: the engine does not."""
    from schemathesis.generation import derive_operation_seed, overrides
    from schemathesis.generation.hypothesis.builder import (
        HypothesisTestConfig,
        HypothesisTestMode,
        create_test,
    )

    phases = config.phases_for(operation=operation)
    modes = [mode for mode, phase in ((HypothesisTestMode.EXAMPLES, phases.examples),
                                      (HypothesisTestMode.FUZZING, phases.fuzzing),
                                      (HypothesisTestMode.COVERAGE, phases.coverage))
             if phase.enabled]
    # Only fuzzing uses max_examples.
    phase = "fuzzing" if HypothesisTestMode.FUZZING in modes else None
    return create_test(
        operation=operation, test_func=test,
        config=HypothesisTestConfig(
            settings=config.get_hypothesis_settings(operation=operation, phase=phase),
            explicit_settings=None,
            explicit_setting_names=config.explicit_hypothesis_settings(operation=operation,
                                                                       phase=phase),
            modes=modes, seed=derive_operation_seed(config.seed, operation.label),
            project=config, override=overrides.with_config_headers(config, operation=operation),
            given_kwargs={}, feedback=feedback))


def coverage_cases(schema: OpenApiSchema, key: str) -> Iterator[Case[Any]]:
    """The coverage phase's cases of one operation, built as they are sent."""
    from schemathesis.generation.drivers import CoverageGenerator
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.generation.overrides import Override

    operation = _operation(schema, key)
    generation = schema.config.generation_for(operation=operation, phase="coverage")
    return iter(CoverageGenerator(operation=operation, generation_modes=generation.modes,
                                  generation_config=generation, auth_storage=schema.auth,
                                  override=Override(), feedback=FeedbackSources()))


def seeded_values(strategy: SearchStrategy[T], seed: int, count: int) -> list[T]:
    """Up to `count` values of `strategy`, the same for the same seed, without Hypothesis's
    first example, which is its simplest whatever the seed (0, "", the first option) where
    the strategy has more. Raises Unsatisfiable when it has none (a filter nothing passes)."""
    import hypothesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable

    drawn: list[T] = []

    @hypothesis.seed(seed)
    @settings(max_examples=count + 1, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(value=strategy)
    def draw(value: T) -> None:
        drawn.append(value)

    draw()
    if not drawn:
        raise Unsatisfiable("the strategy drew no value")
    return drawn[1:] or drawn


def seeded_value(strategy: SearchStrategy[T], seed: int) -> T:
    """One value of `strategy`, the same for the same seed (see `seeded_values`)."""
    return seeded_values(strategy, seed, 1)[0]


def _richness(case: Case[Any]) -> int:
    """How much of the operation a case writes: the fields of its body and its parameters."""
    body = case.body if isinstance(case.body, dict) else {}
    return len(body) + len(case.query or {})


#: Positive cases drawn per operation under a budget; the richest one is sent.
POSITIVE_CANDIDATES = 6


def decisive_cases(schema: OpenApiSchema, key: str, seed: int | None) -> list[Case[Any]]:
    """One positive and one negative case of the operation (the negative one only where the
    operation has inputs to get wrong), drawn deterministically from the seed. The positive
    case is the richest of a few drawn (drawing costs no request): one request that writes
    every optional field proves what several sparse ones would."""
    import random

    from schemathesis import GenerationMode

    operation = _operation(schema, key)
    base = operation_seed(seed, key)
    cases: list[Case[Any]] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategy = operation.as_strategy(generation_mode=mode)
        draw_seed = random.Random(f"{base}-{mode.value}").getrandbits(32)
        try:
            if mode is GenerationMode.POSITIVE:
                drawn = seeded_values(strategy, draw_seed, POSITIVE_CANDIDATES)
                cases.append(max(drawn, key=_richness))
            else:
                cases.append(seeded_value(strategy, draw_seed))
        except Exception:
            if mode is GenerationMode.POSITIVE:
                raise
            # no negative case exists: the operation has nothing to get wrong
    return cases
