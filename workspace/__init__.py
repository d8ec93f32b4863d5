"""The mocked Flexie CRM workspace: every operation of the contract over SQLite, with faults.

`create_app()` returns the WSGI app; `python -m workspace` (or `flexie-mock`) serves it.
"""

from workspace.app import WorkspaceApp, create_app

__all__ = ["WorkspaceApp", "create_app"]
