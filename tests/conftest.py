"""Shared fixtures of our own unit tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def reference_dir() -> Path:
    """Flexie's published material, kept beside the project (never inside it)."""
    return Path(os.environ.get("FLEXIE_REFERENCE_DIR", ROOT.parent / "shared" / "reference"))


@pytest.fixture(scope="session")
def reference() -> Path:
    path = reference_dir()
    if not (path / "flexie-api.json").exists():
        pytest.skip(f"reference material not found at {path} (set FLEXIE_REFERENCE_DIR)")
    return path
