"""Typed errors of the workspace, each knowing the HTTP status it is answered with.

The state model and the handlers raise these; only the HTTP layer turns them into the Flexie
error body {"error": {"code": status, "message": ...}}, so no layer below it builds answers.
"""

from __future__ import annotations


class ApiError(Exception):
    """An error the client caused (4xx) or one the workspace admits to (5xx)."""

    status = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def body(self) -> dict:
        return {"error": {"code": self.status, "message": self.message}}


class BadRequest(ApiError):
    status = 400


class Conflict(ApiError):
    """The request is valid but the workspace's state forbids it (a unique value already
    taken, a record still in use): the contract answers 409."""

    status = 409


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405

    def __init__(self, message: str, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.allowed = allowed


class PayloadTooLarge(ApiError):
    status = 413


class InternalError(ApiError):
    status = 500
