"""One CI job's share of a run split across N jobs (`--flexie-shard K/N`).

Every job collects the same tests (same commit, options and accounts file) and keeps its
share, decided by nothing but K, N and what it is shared out:

- a fleet (an accounts file of two or more accounts, no `--flexie-account`): the accounts,
  the K-th of every N in file order, so each account's alias tests run in one job;
- the operations of the spec, the K-th of every N in spec order: an operation's probes,
  property test and boundary cases stay together;
- any other test (scenarios, the state machine, the spec's lint, one account's alias tests):
  by a checksum of its name.

Each job's `conformance.json` says which share it ran (`shard`), and `flexie-conformance
merge` joins the jobs' reports into one.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import pytest

from conformance.config.shard import share


def _checksum_share(name: str, total: int) -> int:
    return zlib.crc32(name.encode()) % total + 1


def split(items: list[pytest.Item], shard: tuple[int, int], operations: Sequence[str],
          operation_of: Callable[[pytest.Item], str | None],
          fleet_test: Callable[[pytest.Item], bool]
          ) -> tuple[list[pytest.Item], list[pytest.Item]]:
    """(kept, deselected): the tests of this shard and the others'. `operations` is the
    spec's operation keys in order; `fleet_test` says which tests belong to an account of a
    sharded fleet (already this job's: the plan holds only its accounts)."""
    index, total = shard
    known, mine = set(operations), set(share(operations, shard))
    kept: list[pytest.Item] = []
    other: list[pytest.Item] = []
    for item in items:
        key = operation_of(item)
        if fleet_test(item):
            ours = True
        elif key is not None and key in known:
            ours = key in mine
        else:
            ours = _checksum_share(item.nodeid.split("::")[-1], total) == index
        (kept if ours else other).append(item)
    return kept, other
