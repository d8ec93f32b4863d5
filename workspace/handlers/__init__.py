"""Handlers: one generic implementation for the six record kinds, one for the collections.

A handler takes a parsed `Call` and answers `(status, body)`; it never sees the WSGI environ
and never renders JSON. `dispatch_table` maps every contract operation to its handler.
"""

from workspace.handlers.common import Call, Result

__all__ = ["Call", "Result"]
