"""The only table from error codes to HTTP statuses, and the handlers that use it.

Every error answer has the shape ``{"error": {"code": ..., "message": ..., "details": {...}}}``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelreg.domain.errors import ModelregError

log = logging.getLogger("modelreg.server")

STATUS_BY_CODE: dict[str, int] = {
    "NOT_FOUND": 404,
    "MODEL_NOT_FOUND": 404,
    "VERSION_NOT_FOUND": 404,
    "ALIAS_NOT_FOUND": 404,
    "BLOB_NOT_FOUND": 404,
    "UPLOAD_NOT_FOUND": 404,
    "POLICY_NOT_FOUND": 404,
    "PROMOTION_NOT_FOUND": 404,
    "WEBHOOK_NOT_FOUND": 404,
    "USER_NOT_FOUND": 404,
    "TEAM_NOT_FOUND": 404,
    "TOKEN_NOT_FOUND": 404,
    "SIGNING_KEY_NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "INVALID_ARGUMENT": 400,
    "INVALID_FILTER": 400,
    "MISSING_BLOBS": 400,
    "LIMIT_EXCEEDED": 413,
    "DIGEST_MISMATCH": 400,
    "CONFLICT": 409,
    "PROTECTED_ALIAS": 409,
    "POLICY_VIOLATION": 422,
    "PERMISSION_DENIED": 403,
    "QUARANTINED": 403,
    "VERIFICATION_FAILED": 422,
    "UNAUTHENTICATED": 401,
    "METHOD_NOT_ALLOWED": 405,
    "RANGE_NOT_SATISFIABLE": 416,
    "UNAVAILABLE": 503,
    "STORAGE_FULL": 507,
    "INTERNAL": 500,
}


def error_response(
    status: int, code: str, message: str, details: dict[str, object] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status)


async def _modelreg_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ModelregError)  # noqa: S101 - registered for this class only
    status = STATUS_BY_CODE.get(error.code, 500)
    response = error_response(status, error.code, error.message, _jsonable(error.details))
    if status == 416 and "size" in error.details:
        response.headers["Content-Range"] = f"bytes */{error.details['size']}"
    return response


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # noqa: S101
    problems = []
    for item in error.errors():
        if item.get("type") == "json_invalid":
            reason = (item.get("ctx") or {}).get("error", "not valid JSON")
            return error_response(400, "INVALID_ARGUMENT", f"malformed JSON body: {reason}")
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        problems.append(f"{where or 'body'}: {item.get('msg', 'invalid')}")
    return error_response(400, "INVALID_ARGUMENT", "invalid request: " + "; ".join(problems))


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)  # noqa: S101
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "LIMIT_EXCEEDED"}.get(
        error.status_code, "INVALID_ARGUMENT" if error.status_code < 500 else "INTERNAL"
    )
    return error_response(error.status_code, code, str(error.detail))


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "INTERNAL", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ModelregError, _modelreg_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def _jsonable(details: dict[str, object]) -> dict[str, object]:
    return {
        key: value
        if isinstance(value, str | int | float | bool | list | type(None))
        else str(value)
        for key, value in details.items()
    }
