"""OAuth 2.0 authorization codes, access and refresh tokens, stored with their expiry.

A refresh token and the access tokens minted from it share a `family`, so revoking the
refresh token (or rotating it) revokes them all at once.
"""

from __future__ import annotations

import sqlite3
from typing import Any

_COLS = ("token", "kind", "account", "username", "client_id", "redirect_uri", "family",
         "expires_at", "revoked")


class TokensMixin:
    """Part of `Backend`; expects its `_tx` and `_query`."""

    _db: sqlite3.Connection

    def store_token(self, token: str, kind: str, account: str, username: str, client_id: str,
                    expires_at: float, *, redirect_uri: str | None = None,
                    family: str | None = None) -> None:
        with self._tx() as db:  # type: ignore[attr-defined]
            db.execute(f"INSERT INTO tokens ({', '.join(_COLS[:-1])}) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?)",
                       (token, kind, account, username, client_id, redirect_uri, family,
                        expires_at))

    def get_token(self, token: str) -> dict[str, Any] | None:
        rows = self._query(f"SELECT {', '.join(_COLS)} FROM tokens WHERE token = ?",  # type: ignore[attr-defined]
                           (token,))
        return dict(zip(_COLS, rows[0], strict=True)) if rows else None

    def revoke_token(self, token: str) -> bool:
        """Revoke a token; a refresh token takes its whole family with it."""
        with self._tx() as db:  # type: ignore[attr-defined]
            row = db.execute("SELECT kind, family FROM tokens WHERE token = ?",
                             (token,)).fetchone()
            if row is None:
                return False
            db.execute("UPDATE tokens SET revoked = 1 WHERE token = ?", (token,))
            if row[0] == "refresh" and row[1]:
                db.execute("UPDATE tokens SET revoked = 1 WHERE family = ?", (row[1],))
        return True
