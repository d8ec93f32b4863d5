"""Which run a results document comes from: the suite's commit, the spec it read, its shard.

`flexie-conformance merge` joins only the reports of one run split across CI jobs; this
identity (with the seed, profile and target the results hold beside it) is what it compares.
"""

from __future__ import annotations

import hashlib
import subprocess
from functools import cache
from pathlib import Path

from conformance.config.settings import ROOT, Settings


@cache
def source_commit() -> str | None:
    """The suite's git commit (`git rev-parse HEAD`), or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None


def file_digest(path: Path) -> str | None:
    """`sha256:<hex>` of a file's bytes (the spec, the accounts file), or None when it cannot
    be read."""
    try:
        return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def run_identity(settings: Settings) -> dict[str, object]:
    """The results' `run` section: commit, spec digest, accounts file digest (None without
    one: the accounts of a fleet are what its shards split) and shard (`{"index": K,
    "total": N}`, K counted from 1; None for a run that is not one of several shards)."""
    shard = settings.shard
    accounts = settings.accounts_file
    return {"commit": source_commit(), "spec_digest": file_digest(settings.spec),
            "accounts_digest": file_digest(accounts) if accounts is not None else None,
            "shard": {"index": shard[0], "total": shard[1]} if shard else None}
