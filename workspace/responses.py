"""The HTTP layer of /api: parse, authenticate, dispatch, render. Thin and stateless.

It reads the WSGI environ directly (no request object on the hot path), validates path
parameters as the contract types them, parses the JSON body, finds the grant behind the API
key or OAuth token, calls the handler for the operation and renders the answer or the typed
error as JSON. Faults that only change how an answer looks are applied here, after a faithful
handler has answered.
"""

from __future__ import annotations

import html
import json
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from contract.operations import OPERATIONS, Operation
from contract.resources import COLLECTIONS_BY_NAME, KINDS_BY_NAME, NOTE_TYPES
from contract.schemas import IDENTIFIER_PATTERN, MAX_ID, TABLE_NAME_PATTERN
from workspace.accounts import Grant, Registry
from workspace.exceptions import (
    ApiError,
    BadRequest,
    Forbidden,
    InternalError,
    PayloadTooLarge,
    Unauthorized,
)
from workspace.faults import ActiveFaults, FaultName, Faults
from workspace.handlers.collections import CollectionHandlers
from workspace.handlers.common import Call, Result
from workspace.handlers.records import RecordHandlers

StartResponse = Callable[..., Any]
Handler = Callable[[Call], Result]
MAX_BODY = 1024 * 1024  # 1 MiB
JSON_TYPE = "application/json"
# The path parameters as the contract types them (contract.build.PATH_PARAMS): an id is
# digits without a leading zero, no longer than MAX_ID (then compared with it).
_ID = re.compile(rf"^[1-9][0-9]{{0,{len(str(MAX_ID)) - 1}}}$")
_PARAMS: dict[str, tuple[re.Pattern[str], str]] = {
    "tableName": (re.compile(TABLE_NAME_PATTERN), "a table name such as projects"),
    "entityType": (re.compile("^(" + "|".join(map(re.escape, NOTE_TYPES)) + ")$"),
                   "one of " + ", ".join(NOTE_TYPES)),
    "identifier": (re.compile(IDENTIFIER_PATTERN), "an identifier such as REF-1042"),
}
STATUS_LINES = {200: "200 OK", 201: "201 Created", 204: "204 No Content",
                400: "400 Bad Request", 401: "401 Unauthorized", 403: "403 Forbidden",
                404: "404 Not Found", 405: "405 Method Not Allowed",
                413: "413 Payload Too Large", 500: "500 Internal Server Error"}
_ENVELOPE_FAULTS = frozenset({
    FaultName.ENVELOPE_RENAMED, FaultName.LIST_TOTAL_STRING, FaultName.ID_AS_STRING,
    FaultName.FIELD_RENAMED, FaultName.TOTAL_COUNTS_PAGE, FaultName.CREATE_STATUS_200,
    FaultName.DELETE_STATUS_200, FaultName.CONTENT_TYPE_TEXT})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def parse_json(raw: bytes) -> Any:
    """JSON with the strictness the contract implies: finite numbers, valid UTF-8."""
    try:
        return json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise BadRequest("The JSON body nests too deeply.") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int too long
        raise BadRequest(f"The body is not valid JSON: {exc}") from None


def has_non_ascii(value: Any) -> bool:
    if isinstance(value, str):
        return not value.isascii()
    if isinstance(value, dict):
        return any(has_non_ascii(k) or has_non_ascii(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_non_ascii(v) for v in value)
    return False


_ENCODE = json.JSONEncoder(separators=(",", ":")).encode  # ASCII-only: lone surrogates survive


def dumps(body: Any) -> bytes:
    return _ENCODE(body).encode("ascii")


class MissingHandler(ValueError):
    """A contract operation the mock cannot answer: the server refuses to start, in one line."""


class Api:
    """Answers every contract operation under /api: an operation's handler is the method
    `on_<resource>_<action>` or `on_<action>` of the record or collection handlers."""

    def __init__(self, registry: Registry, records: RecordHandlers,
                 collections: CollectionHandlers, token_grant: Callable[[str], Grant | None],
                 faults: ActiveFaults) -> None:
        self.registry = registry
        self.token_grant = token_grant
        self.faults = faults
        self.post_process = bool(faults.anywhere & _ENVELOPE_FAULTS)
        self.handlers: dict[Operation, Handler] = {}
        missing: list[str] = []
        for op in OPERATIONS:
            target: Any = records if op.resource in KINDS_BY_NAME else collections
            handler = (getattr(target, f"on_{op.resource}_{op.action}", None)
                       or getattr(target, f"on_{op.action}", None))
            if handler is None:
                missing.append(f"{op.key} (on_{op.resource}_{op.action} or on_{op.action} in "
                               f"{type(target).__name__})")
            else:
                self.handlers[op] = handler
        if missing:
            raise MissingHandler("the mock has no handler for " + "; ".join(missing))

    # --- the request ------------------------------------------------------------------------

    def handle(self, environ: dict, start_response: StartResponse, op: Operation,
               args: Mapping[str, str]) -> Iterable[bytes]:
        faults = self.faults.on(op.key)  # the faults of this route: set lookups from here on
        try:
            query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
            grant = self.authenticate(environ, query, faults)
            if op.writes and not grant.can_write:
                raise Forbidden("The role of this key's user forbids changes; it may only read.")
            params = self.path_params(args)
            body = self.read_body(environ, op, faults) if op.body else None
            if FaultName.SERVER_ERROR_ON_UNICODE in faults and has_non_ascii(body):
                raise InternalError("Internal error while encoding a value.")
            status, payload = self.handlers[op](Call(op, grant, params, query, body, faults))
        except ApiError as exc:
            return render_error(start_response, exc, faults, op)
        except OverflowError:  # an integer beyond SQLite's 64 bits that no check caught
            return render_error(start_response, BadRequest("A number is out of range."),
                                faults, op)
        except Exception:  # a bug: say so as JSON, keep serving
            traceback.print_exc(file=sys.stderr)
            return render_error(start_response, InternalError("Internal server error."),
                                faults, op)
        if self.post_process:
            status, payload = apply_faults(op, status, payload, faults)
        if payload is None and status == 204:  # no body; the type still says what it would be
            start_response("204 No Content", [("Content-Type", JSON_TYPE)])
            return [b""]
        data = dumps(payload)
        ctype = "text/plain" if FaultName.CONTENT_TYPE_TEXT in faults else JSON_TYPE
        start_response(STATUS_LINES.get(status) or f"{status} OK",
                       [("Content-Type", ctype), ("Content-Length", str(len(data)))])
        return [data] if environ["REQUEST_METHOD"] != "HEAD" else [b""]

    def authenticate(self, environ: dict, query: dict[str, str],
                     faults: Faults) -> Grant:
        key = environ.get("HTTP_APIKEY") or query.get("apikey")
        if key:
            grant = self.registry.keys.get(key)
            if grant is not None:
                return grant
            if FaultName.WRONG_KEY_ACCEPTED in faults:
                return self.registry.admin_grant("acme")
            raise Unauthorized("The API key is unknown.")
        auth = environ.get("HTTP_AUTHORIZATION", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else query.get("access_token")
        if token:
            grant = self.token_grant(token)
            if grant is not None:
                return grant
            if FaultName.WRONG_KEY_ACCEPTED in faults:
                return self.registry.admin_grant("acme")
            raise Unauthorized("The access token is unknown, expired or revoked.")
        if FaultName.AUTH_IGNORED in faults:
            return self.registry.admin_grant("acme")
        raise Unauthorized("No credentials: send an API key in the apikey header or query "
                           "parameter, or an OAuth token as Authorization: Bearer.")

    @staticmethod
    def path_params(args: Mapping[str, str]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for name, value in args.items():
            if name in ("id", "entityId"):
                if not _ID.match(value) or int(value) > MAX_ID:
                    raise BadRequest(f"{name} must be an integer from 1 to {MAX_ID}, not "
                                     f"{value!r}.")
                params[name] = int(value)
            else:
                pattern, what = _PARAMS[name]
                if not pattern.match(value):
                    raise BadRequest(f"{name} must be {what}, not {value!r}.")
                params[name] = value
        return params

    def read_body(self, environ: dict, op: Operation, faults: Faults) -> Any:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise BadRequest("Content-Length is not a number.") from None
        if length > MAX_BODY:
            raise PayloadTooLarge(f"The body is larger than {MAX_BODY} bytes.")
        stream = environ.get("wsgi.input")
        raw = stream.read(length) if stream is not None and length > 0 else b""
        if not raw:  # whitespace is a body, and not JSON
            if op.body_required:
                raise BadRequest("This operation needs a JSON object as its body.")
            return None
        try:
            body = parse_json(raw)
        except BadRequest:
            if FaultName.BAD_JSON_500 in faults:
                raise InternalError("Internal error while reading the body.") from None
            raise
        if not isinstance(body, dict):
            raise BadRequest("The body must be a JSON object.")
        return body


def apply_faults(op: Operation, status: int, body: Any,
                 faults: Faults) -> tuple[int, Any]:
    """The faults that only change how a faithful answer looks."""
    if status == 201 and op.is_create and FaultName.CREATE_STATUS_200 in faults:
        status = 200
    if status == 204 and FaultName.DELETE_STATUS_200 in faults:
        return 200, {"success": 1}
    if not isinstance(body, dict):
        return status, body
    for record in _records(op, body):
        if FaultName.ID_AS_STRING in faults and "id" in record:
            record["id"] = str(record["id"])
        if FaultName.FIELD_RENAMED in faults and "first_name" in record:
            record["firstname"] = record.pop("first_name")
    if "total" in body:
        if FaultName.TOTAL_COUNTS_PAGE in faults:
            items = [v for k, v in body.items() if isinstance(v, list)]
            body["total"] = len(items[0]) if items else 0
        if FaultName.LIST_TOTAL_STRING in faults:
            body["total"] = str(body["total"])
    if FaultName.ENVELOPE_RENAMED in faults and (op.response or "").startswith("single-"):
        body = {"data": next(iter(body.values()))} if len(body) == 1 else body
    return status, body


def _records(op: Operation, body: dict) -> list[dict]:
    name = op.response or ""
    if name.startswith("single-") and len(body) == 1:
        one = next(iter(body.values()))
        return [one] if isinstance(one, dict) else []
    if name.startswith("list-"):
        return [r for v in body.values() if isinstance(v, list) for r in v
                if isinstance(r, dict)]
    return []


def render_error(start_response: StartResponse, exc: ApiError, faults: Faults,
                 op: Operation | None = None) -> list[bytes]:
    """The Flexie error body, or one of the error faults' deviations from it."""
    status = exc.status
    if status == 404 and op is not None and op.path_params and FaultName.NOT_FOUND_200 in faults:
        res = KINDS_BY_NAME.get(op.resource) or COLLECTIONS_BY_NAME.get(op.resource)
        envelope = res.singular if res is not None else op.resource
        data = dumps({envelope: None})
        start_response("200 OK", [("Content-Type", JSON_TYPE),
                                  ("Content-Length", str(len(data)))])
        return [data]
    headers = []
    if getattr(exc, "allowed", ()):
        headers.append(("Allow", ", ".join(exc.allowed)))  # type: ignore[attr-defined]
    if status == 401:
        headers.append(("WWW-Authenticate", 'Bearer realm="flexie"'))
    if FaultName.ERROR_NOT_JSON in faults:
        text = (f"<html><body><h1>Error {status}</h1><p>{html.escape(exc.message)}</p>"
                "</body></html>")
        data = text.encode("utf-8", "replace")
        headers.append(("Content-Type", "text/html; charset=utf-8"))
    else:
        body = exc.body()
        if FaultName.ERROR_WITHOUT_MESSAGE in faults:
            del body["error"]["message"]
        data = dumps(body)
        headers.append(("Content-Type", JSON_TYPE))
    headers.append(("Content-Length", str(len(data))))
    start_response(STATUS_LINES.get(status) or f"{status} Error", headers)
    return [data]
