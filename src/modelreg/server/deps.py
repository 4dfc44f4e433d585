"""Request-scoped dependencies: the services and the acting user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from modelreg.routes import USER_HEADER
from modelreg.service.registry import Registry
from modelreg.service.uploads import Uploads
from modelreg.wiring import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_registry(request: Request) -> Registry:
    return get_services(request).registry


def get_uploads(request: Request) -> Uploads:
    return get_services(request).uploads


def get_actor(request: Request) -> str:
    # Until authentication lands, the caller names itself; the name is only used for history.
    return request.headers.get(USER_HEADER, "").strip()[:256] or "anonymous"


RegistryDep = Annotated[Registry, Depends(get_registry)]
UploadsDep = Annotated[Uploads, Depends(get_uploads)]
ActorDep = Annotated[str, Depends(get_actor)]
