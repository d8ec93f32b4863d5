"""OAuth 2.0 beside /api: authorization code (auto-approved for the demo clients), refresh
token and client credentials grants, and revocation.

Errors here follow RFC 6749 (`{"error": "invalid_grant", "error_description": ...}`), which
is what OAuth client libraries parse; the API's own error format is for /api. A refresh
token and the access tokens minted from it form a family: refreshing rotates the family,
revoking the refresh token revokes them all.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Request, Response

from workspace.accounts import Account, Grant, Registry
from workspace.state import Backend

CODE_TTL = 600
REFRESH_TTL = 30 * 24 * 3600


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json",
                    headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


class OAuth:
    def __init__(self, backend: Backend, registry: Registry, token_ttl: int = 3600,
                 clock: Callable[[], float] = time.time) -> None:
        self.backend, self.registry, self.token_ttl, self.clock = (
            backend, registry, token_ttl, clock)

    # --- used by the API on every request with a token --------------------------------------

    def grant_for(self, token: str) -> Grant | None:
        row = self.backend.get_token(token)
        if row is None or row["kind"] != "access" or row["revoked"]:
            return None
        if row["expires_at"] <= self.clock():
            return None
        account = self.registry.accounts.get(row["account"])
        return None if account is None else Grant(account, row["username"], True)

    # --- the endpoints ----------------------------------------------------------------------

    def handle(self, environ: dict, start_response: Callable[..., Any],
               endpoint: str) -> Iterable[bytes]:
        request = Request(environ)
        try:
            if endpoint == "/oauth2/authorize":
                response = self.authorize(request)
            elif endpoint == "/oauth2/token":
                response = self.token(request)
            else:
                response = self.revoke(request)
        except OAuthError as exc:
            response = _json({"error": exc.error, "error_description": exc.description},
                             exc.status)
        return response(environ, start_response)

    def authorize(self, request: Request) -> Response:
        args = request.args
        account = self.registry.clients.get(args.get("client_id", ""))
        if account is None:
            raise OAuthError("invalid_client", "Unknown client_id.", 400)
        redirect_uri = args.get("redirect_uri", "")
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise OAuthError("invalid_request", "redirect_uri must be an absolute http(s) URL.")
        state = args.get("state")
        if args.get("response_type") != "code":
            return self._redirect(redirect_uri, {"error": "unsupported_response_type",
                                                 "state": state})
        code = secrets.token_urlsafe(24)
        self.backend.store_token(code, "code", account.name, account.admin_username,
                                 account.client_id, self.clock() + CODE_TTL,
                                 redirect_uri=redirect_uri)
        return self._redirect(redirect_uri, {"code": code, "state": state})

    @staticmethod
    def _redirect(uri: str, params: dict[str, str | None]) -> Response:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        sep = "&" if "?" in uri else "?"
        return Response(status=302, headers={"Location": f"{uri}{sep}{query}"})

    def _params(self, request: Request) -> dict[str, str]:
        if request.mimetype == "application/json":
            data = request.get_json(silent=True)
            if not isinstance(data, dict):
                raise OAuthError("invalid_request", "The body must be a JSON object.")
            return {k: v for k, v in data.items() if isinstance(v, str)}
        return {k: v for k, v in request.form.items()}

    def _client(self, request: Request, params: dict[str, str],
                required: bool = True) -> Account | None:
        client_id, secret = params.get("client_id"), params.get("client_secret")
        auth = request.headers.get("Authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                raise OAuthError("invalid_client", "Malformed Basic credentials.", 401) from None
        if not client_id and not required:
            return None
        account = self.registry.clients.get(client_id or "")
        if account is None or not secrets.compare_digest(secret or "", account.client_secret):
            raise OAuthError("invalid_client", "Unknown client or wrong secret.", 401)
        return account

    def token(self, request: Request) -> Response:
        params = self._params(request)
        account = self._client(request, params)
        assert account is not None
        grant_type = params.get("grant_type")
        username = account.admin_username
        if grant_type == "authorization_code":
            code = self._valid(params.get("code"), "code", account)
            uri = params.get("redirect_uri")
            if uri and code["redirect_uri"] and uri != code["redirect_uri"]:
                raise OAuthError("invalid_grant", "redirect_uri does not match the code's.")
            self.backend.revoke_token(code["token"])  # single use
            username = code["username"]
        elif grant_type == "refresh_token":
            old = self._valid(params.get("refresh_token"), "refresh", account)
            self.backend.revoke_token(old["token"])  # rotation: the old family is done
            username = old["username"]
        elif grant_type != "client_credentials":
            raise OAuthError("unsupported_grant_type",
                             "grant_type must be authorization_code, refresh_token or "
                             "client_credentials.")
        return _json(self._issue(account, username))

    def _valid(self, token: str | None, kind: str, account: Account) -> dict[str, Any]:
        row = self.backend.get_token(token) if token else None
        if (row is None or row["kind"] != kind or row["revoked"]
                or row["expires_at"] <= self.clock() or row["client_id"] != account.client_id):
            raise OAuthError("invalid_grant", f"The {kind} is unknown, used, expired or "
                                              "revoked.")
        return row

    def _issue(self, account: Account, username: str) -> dict[str, Any]:
        now = self.clock()
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.backend.store_token(refresh, "refresh", account.name, username, account.client_id,
                                 now + REFRESH_TTL, family=refresh)
        self.backend.store_token(access, "access", account.name, username, account.client_id,
                                 now + self.token_ttl, family=refresh)
        return {"access_token": access, "token_type": "bearer", "expires_in": self.token_ttl,
                "refresh_token": refresh, "scope": "api"}

    def revoke(self, request: Request) -> Response:
        params = self._params(request)
        account = self._client(request, params, required=False)
        token = params.get("token")
        if not token:
            raise OAuthError("invalid_request", "Name the token to revoke.")
        row = self.backend.get_token(token)
        if row is not None and (account is None or row["client_id"] == account.client_id):
            self.backend.revoke_token(token)
        return _json({"success": 1})  # RFC 7009: unknown tokens answer 200 as well
