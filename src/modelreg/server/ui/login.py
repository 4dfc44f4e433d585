"""The login page (paste an API token) and logout, when the registry requires authentication.

A successful login seals the token into the session cookie (``server/session.py``); every later
page is authenticated from that cookie by ``server/auth.py``, so revoking the token ends the
session. Both forms carry the CSRF token (a login form without it lets another site log the
browser in as someone else).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from modelreg.domain.errors import UnauthenticatedError
from modelreg.server.auth import LOGIN, LOGOUT
from modelreg.server.deps import get_services
from modelreg.server.session import SessionCookie
from modelreg.server.ui.forms import CSRF_CHECKED, see_other
from modelreg.server.ui.rendering import UiRoute, links_for, render

router = APIRouter(route_class=UiRoute, include_in_schema=False)


def _session(request: Request) -> SessionCookie:
    session: SessionCookie = request.app.state.session
    return session


def _safe_next(target: str) -> str:
    # Only a path on this site: never "//host" or "https://..." (an open redirect).
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _page(request: Request, target: str, *, refused: str | None = None) -> Response:
    context = {
        "login_action": links_for(request).api(LOGIN),
        "next": _safe_next(target),
        "refused": refused,
    }
    return render(request, "login.html", context, status=401 if refused else 200)


@router.get(LOGIN, name="ui_login")
def login_page(request: Request, next: str = "/") -> Response:
    return _page(request, next)


@router.post(LOGIN, name="ui_login_submit", dependencies=CSRF_CHECKED)
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    token = token.strip()
    try:
        get_services(request).accounts.authenticate(token)
    except UnauthenticatedError as error:
        return _page(request, next, refused=error.message)
    response = see_other(links_for(request).api(_safe_next(next)))
    _session(request).set(response, request, token)
    return response


@router.post(LOGOUT, name="ui_logout", dependencies=CSRF_CHECKED)
def logout(request: Request) -> Response:
    response = see_other(links_for(request).api(LOGIN))
    _session(request).clear(response, request)
    return response
