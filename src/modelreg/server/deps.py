"""Request-scoped dependencies: the services and the acting user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from modelreg.domain.access import Principal, open_principal
from modelreg.domain.errors import UnauthenticatedError
from modelreg.routes import USER_HEADER
from modelreg.service.registry import Registry
from modelreg.service.uploads import Uploads
from modelreg.wiring import Services

PRINCIPAL_STATE = "principal"
"""Where the auth middleware leaves the principal in the ASGI scope's ``state``."""


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_registry(request: Request) -> Registry:
    return get_services(request).registry


def get_uploads(request: Request) -> Uploads:
    return get_services(request).uploads


def get_principal(request: Request) -> Principal:
    """The caller. With authentication on, ``server/auth.py``'s middleware has put the token's
    principal on the request (or answered 401); without it the registry runs open and the
    caller only names itself, for the history."""
    found: Principal | None = request.scope.get("state", {}).get(PRINCIPAL_STATE)
    if found is not None:
        return found
    if getattr(request.app.state, "auth_required", False):
        raise UnauthenticatedError("authentication required")
    return open_principal(request.headers.get(USER_HEADER, "").strip()[:256])


def get_actor(request: Request) -> str:
    return get_principal(request).name


RegistryDep = Annotated[Registry, Depends(get_registry)]
UploadsDep = Annotated[Uploads, Depends(get_uploads)]
ActorDep = Annotated[str, Depends(get_actor)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
