"""Errors as MLflow clients expect them: ``{"error_code": ..., "message": ...}`` with MLflow's
code-to-status table, and the route class that turns every exception of an MLflow route into
that shape.

Deterministic failures never answer 5xx: the MLflow client retries 500, 502, 503 and 504 with
back-off for minutes, so only "try again later" (``TEMPORARILY_UNAVAILABLE``) and real bugs
(``INTERNAL_ERROR``) do. A full disk is the one 5xx of its own: ``RESOURCE_EXHAUSTED`` with
507 Insufficient Storage, which the client does not retry (MLflow's table maps that code to
429, which it would retry for minutes against storage that stays full).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelreg.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    DigestMismatchError,
    InvalidArgumentError,
    ModelregError,
    NotFoundError,
    PermissionDeniedError,
    StorageFullError,
    UnauthenticatedError,
    UnavailableError,
)

log = logging.getLogger("modelreg.server.mlflow")

# MLflow's own table (mlflow.exceptions.ERROR_CODE_TO_HTTP_STATUS), for the codes we answer.
MLFLOW_STATUS: dict[str, int] = {
    "INTERNAL_ERROR": 500,
    "TEMPORARILY_UNAVAILABLE": 503,
    "RESOURCE_EXHAUSTED": 507,  # MLflow's table says 429; see the module's docstring
    "REQUEST_LIMIT_EXCEEDED": 429,
    "RESOURCE_CONFLICT": 409,
    "ENDPOINT_NOT_FOUND": 404,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "BAD_REQUEST": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_PARAMETER_VALUE": 400,
}

# modelreg's error classes (most specific first) -> MLflow error code.
_CODE_FOR_CLASS: tuple[tuple[type[ModelregError], str], ...] = (
    (NotFoundError, "RESOURCE_DOES_NOT_EXIST"),
    (AlreadyExistsError, "RESOURCE_ALREADY_EXISTS"),
    (InvalidArgumentError, "INVALID_PARAMETER_VALUE"),
    (DigestMismatchError, "INVALID_PARAMETER_VALUE"),
    (ConflictError, "RESOURCE_CONFLICT"),
    (PermissionDeniedError, "PERMISSION_DENIED"),
    (UnauthenticatedError, "UNAUTHENTICATED"),
    (UnavailableError, "TEMPORARILY_UNAVAILABLE"),
    (StorageFullError, "RESOURCE_EXHAUSTED"),
)
# Codes of errors outside the classes above (other features' errors).
_CODE_FOR_CODE = {"POLICY_VIOLATION": "INVALID_PARAMETER_VALUE"}


class MlflowError(Exception):
    """An error to answer with an explicit MLflow code (protocol-level problems)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> MlflowError:
    return MlflowError("INVALID_PARAMETER_VALUE", message)


def mlflow_code(error: ModelregError) -> str:
    if error.code in _CODE_FOR_CODE:
        return _CODE_FOR_CODE[error.code]
    for cls, code in _CODE_FOR_CLASS:
        if isinstance(error, cls):
            return code
    return "BAD_REQUEST"


def error_response(code: str, message: str) -> Response:
    body = json.dumps({"error_code": code, "message": message})
    return Response(body, status_code=MLFLOW_STATUS.get(code, 400), media_type="application/json")


def response_for(error: Exception, request: Request) -> Response:
    if isinstance(error, MlflowError):
        return error_response(error.code, error.message)
    if isinstance(error, ModelregError):
        return error_response(mlflow_code(error), error.message)
    if isinstance(error, RequestValidationError):
        return error_response("INVALID_PARAMETER_VALUE", f"invalid request: {error.errors()[:3]}")
    if isinstance(error, StarletteHTTPException):
        code = "ENDPOINT_NOT_FOUND" if error.status_code == 404 else "BAD_REQUEST"
        return error_response(code, str(error.detail))
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response("INTERNAL_ERROR", f"internal server error: {type(error).__name__}")


class MlflowRoute(APIRoute):
    """A route whose errors answer in MLflow's shape instead of modelreg's."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as error:  # every error becomes an MLflow error body
                return response_for(error, request)

        return guarded
