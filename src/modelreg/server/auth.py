"""Authentication at the edge: every request but a few open paths needs a valid API token.

``AuthMiddleware`` runs before routing, so no route can forget to ask for credentials. It
accepts ``Authorization: Bearer <token>``, HTTP Basic with the token as the password (any user
name: the MLflow client's ``MLFLOW_TRACKING_USERNAME``/``PASSWORD``), and, on web-UI pages only,
the login cookie (``session.py``). The principal goes on the request for ``deps.get_principal``;
a missing or invalid credential gets a 401 in the shape of the API that was called (modelreg's
JSON error, MLflow's ``error_code``) or, on a UI page, a redirect to the login page. Neither the
token nor the header carrying it is ever logged or repeated in an answer.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from urllib.parse import urlencode

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from modelreg import routes
from modelreg.domain.errors import InvalidArgumentError, ModelregError, UnauthenticatedError
from modelreg.server.deps import PRINCIPAL_STATE
from modelreg.server.errors import STATUS_BY_CODE, error_response
from modelreg.server.session import COOKIE, SessionCookie
from modelreg.service.accounts import Accounts
from modelreg.settings import Settings

LOGIN = "/login"
LOGOUT = "/logout"
CHALLENGE = 'Bearer realm="modelreg", Basic realm="modelreg"'
MLFLOW_PREFIX = "/api/2.0/"
# Liveness, the UI's own files and login page, and the API's description hold no registry data.
OPEN_PATHS = frozenset({routes.HEALTH, LOGIN, LOGOUT, "/docs", "/openapi.json", "/redoc"})
OPEN_PREFIXES = ("/static/",)


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def bearer_or_basic(authorization: str) -> str | None:
    """The token in an ``Authorization`` header value, or None when it carries none."""
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        return password or user or None  # some tools put the token in the user name
    return None


class AuthMiddleware:
    def __init__(self, app: ASGIApp, *, accounts: Accounts, session: SessionCookie) -> None:
        self.app = app
        self.accounts = accounts
        self.session = session

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        if is_open(path):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        secret = None
        if "authorization" in headers:
            secret = bearer_or_basic(headers["authorization"])
        elif not path.startswith("/api/"):
            secret = self.session.open(_cookie(headers, COOKIE))
        if secret is None:
            message = (
                "authentication required: send an API token as 'Authorization: Bearer <token>'"
            )
            await _refuse(scope, path, message)(scope, receive, send)
            return
        try:
            principal = await run_in_threadpool(self.accounts.authenticate, secret)
        except UnauthenticatedError as error:
            await _refuse(scope, path, error.message)(scope, receive, send)
            return
        except ModelregError as error:  # the database is down, say
            status = STATUS_BY_CODE.get(error.code, 500)
            await error_response(status, error.code, error.message)(scope, receive, send)
            return
        scope.setdefault("state", {})[PRINCIPAL_STATE] = principal
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _cookie(headers: Headers, name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _refuse(scope: Scope, path: str, message: str) -> Response:
    challenge = {"WWW-Authenticate": CHALLENGE}
    if path.startswith(MLFLOW_PREFIX):
        body = {"error_code": "UNAUTHENTICATED", "message": message}
        return JSONResponse(body, status_code=401, headers=challenge)
    if path.startswith("/api/"):
        response = error_response(401, UnauthenticatedError.code, message)
        response.headers.update(challenge)
        return response
    # A web page: to the login form, which comes back here afterwards.
    query = scope.get("query_string", b"").decode("latin-1")
    back = path + (f"?{query}" if query else "")
    root = scope.get("root_path", "")
    answer = RedirectResponse(f"{root}{LOGIN}?{urlencode({'next': back})}", status_code=303)
    if _cookie(Headers(scope=scope), COOKIE) is not None:
        answer.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return answer


# -- where the server may run open -----------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name may resolve anywhere: not provably local


def check_exposure(host: str, *, auth: bool, insecure: bool) -> None:
    """Refuse to serve an open registry (no authentication) beyond this machine, unless asked."""
    if auth or insecure or is_loopback(host):
        return
    raise InvalidArgumentError(
        f"refusing to serve without authentication on {host!r}, where others can reach it: "
        "start with --auth (API tokens, see docs/security.md) or, to accept that anyone who "
        "can connect may change the registry, --insecure",
        field="host",
    )


def install_authentication(app: FastAPI, settings: Settings, accounts: Accounts) -> None:
    """With ``settings.auth``: the middleware and the UI's login page; else the open mode."""
    app.state.auth_required = settings.auth
    if not settings.auth:
        return
    session = SessionCookie(settings.ui_secret)
    app.state.session = session
    app.add_middleware(AuthMiddleware, accounts=accounts, session=session)
    from modelreg.server.ui import login  # the UI's part, only when there is a login

    app.include_router(login.router)
