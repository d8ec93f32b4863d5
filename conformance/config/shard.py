"""This job's share of a run split across N jobs (`--flexie-shard K/N`): the K-th of every N,
decided by nothing but K, N and the values shared out (conformance/plugin/sharding.py splits
the collected tests by it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def share(values: Sequence[T], shard: tuple[int, int] | None) -> list[T]:
    """The K-th of every N values, in their order (all of them without a shard)."""
    if shard is None:
        return list(values)
    index, total = shard
    return list(values[index - 1::total])


def fleet_share(accounts: Sequence[T], shard: tuple[int, int] | None) -> list[T]:
    """The accounts a job verifies: its share of a fleet; one account is every job's (its
    alias tests are shared out like any other test)."""
    return share(accounts, shard) if len(accounts) > 1 else list(accounts)
