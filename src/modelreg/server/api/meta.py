"""What this server is: ``GET /api/v1/info`` (the SDK and CLI read the digest algorithm here)."""

from __future__ import annotations

from importlib.metadata import version as package_version

from fastapi import APIRouter, Request

from modelreg import routes
from modelreg.domain.digests import DEFAULT_ALGORITHM
from modelreg.server.deps import get_services
from modelreg.server.schemas import InfoOut

router = APIRouter(tags=["meta"])


@router.get(routes.INFO)
async def info(request: Request) -> InfoOut:
    return InfoOut(
        version=package_version("modelreg"),
        digest_algorithm=DEFAULT_ALGORITHM,
        database=get_services(request).metadata.engine.dialect.name,
    )
