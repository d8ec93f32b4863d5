"""The WSGI application: one URL map, the API under /api and OAuth under /oauth2.

`create_app` wires the layers: accounts (registry), state (backend, seeded once per
database), handlers, the HTTP layer and OAuth. The app object exposes `.backend`,
`.registry` and `.faults` (the resolved `ActiveFaults`) so tests can look behind the HTTP
surface.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.exceptions import MethodNotAllowed as RoutingMethodNotAllowed
from werkzeug.exceptions import NotFound as RoutingNotFound
from werkzeug.routing import RequestRedirect

from contract.operations import OPERATIONS, Operation
from workspace import faults as fault_catalogue
from workspace.accounts import build_registry
from workspace.exceptions import MethodNotAllowed, NotFound
from workspace.handlers.collections import CollectionHandlers
from workspace.handlers.records import RecordHandlers
from workspace.oauth import OAuth
from workspace.responses import Api, render_error
from workspace.seed import seed
from workspace.state import Backend
from workspace.urls import build_map

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: Static path segments ("new", "edit", "search" ...): a path parameter holding one of them
#: usually means the client meant the static route with another method.
_STATIC_WORDS = frozenset(seg for op in OPERATIONS for seg in op.path.split("/")
                          if seg and not seg.startswith("{"))


def _specificity(endpoint: Any) -> int:
    if isinstance(endpoint, Operation):
        return sum(1 for seg in endpoint.path.split("/") if seg and not seg.startswith("{"))
    return 99  # OAuth routes are all static


class WorkspaceApp:
    """The mocked Flexie workspace as a WSGI callable."""

    def __init__(self, accounts_file: str | Path | None = None, db: str | Path | None = None,
                 faults: Iterable[str] = (), token_ttl: int = 3600,
                 clock: Callable[[], float] = time.time) -> None:
        self.faults = fault_catalogue.resolve(faults)
        self.registry = build_registry(accounts_file)
        self.backend = Backend(str(db) if db else ":memory:", clock=clock)
        for account in self.registry.accounts.values():
            seed(self.backend, account)
        self.oauth = OAuth(self.backend, self.registry, token_ttl, clock)
        self.api = Api(self.registry, RecordHandlers(self.backend, self.registry),
                       CollectionHandlers(self.backend), self.oauth.grant_for, self.faults)
        self.adapter = build_map().bind("workspace", "/")

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if not path.isascii():  # WSGI hands over raw bytes as latin-1
            path = path.encode("latin-1", "replace").decode("utf-8", "replace")
        try:
            endpoint, args = self.adapter.match(path, environ.get("REQUEST_METHOD", "GET"))
        except RoutingMethodNotAllowed:
            return self.not_allowed(environ, start_response, path)
        except (RoutingNotFound, RequestRedirect):
            hint = "" if path.startswith("/api/") else "; the API lives under /api"
            return render_error(start_response, NotFound(f"No operation at {path}{hint}."),
                                self.faults.everywhere)
        if isinstance(endpoint, Operation):
            if args and not _STATIC_WORDS.isdisjoint(args.values()):
                best, _ = self.route_of(path)
                if best != endpoint.path:  # PUT /contacts/new is not PUT /contacts/{id}
                    return self.not_allowed(environ, start_response, path)
            return self.api.handle(environ, start_response, endpoint, args)
        return self.oauth.handle(environ, start_response, endpoint)


    def route_of(self, path: str) -> tuple[str | None, tuple[str, ...]]:
        """The most specific route template of `path` and the methods it documents."""
        found: dict[str, tuple[int, list[str]]] = {}
        for method in _METHODS:
            try:
                endpoint, _ = self.adapter.match(path, method)
            except (RoutingMethodNotAllowed, RoutingNotFound, RequestRedirect):
                continue
            key = endpoint.path if isinstance(endpoint, Operation) else endpoint
            found.setdefault(key, (_specificity(endpoint), []))[1].append(method)
        if not found:
            return None, ()
        best = max(found, key=lambda k: found[k][0])
        methods = found[best][1]
        return best, tuple(sorted([*methods, "HEAD"] if "GET" in methods else methods))

    def not_allowed(self, environ: dict, start_response: Callable[..., Any],
                    path: str) -> Iterable[bytes]:
        _, allowed = self.route_of(path)
        return render_error(start_response, MethodNotAllowed(
            f"{environ.get('REQUEST_METHOD')} is not allowed here; use "
            f"{', '.join(allowed)}.", allowed), self.faults.everywhere)


def create_app(accounts_file: str | Path | None = None, db: str | Path | None = None,
               faults: Iterable[str] = (), token_ttl: int = 3600) -> WorkspaceApp:
    """A ready workspace: demo accounts (plus `accounts_file`), seeded, with `faults` on:
    fault specs, `NAME` or `NAME@METHOD PATH` (see `workspace.faults`)."""
    return WorkspaceApp(accounts_file=accounts_file, db=db, faults=faults, token_ttl=token_ttl)
