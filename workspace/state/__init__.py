"""The state model: SQLite-backed storage that knows nothing about HTTP."""

from workspace.state.store import Backend, Row

__all__ = ["Backend", "Row"]
