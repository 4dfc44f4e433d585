"""modelreg's own HTTP API under ``/api/v1`` (docs/api.md): one router per resource, each a thin
front end over the service layer."""

from __future__ import annotations

from fastapi import APIRouter

from modelreg import routes
from modelreg.server.api import (
    accounts,
    archive,
    audit,
    blobs,
    chunks,
    deployments,
    direct,
    evaluations,
    meta,
    models,
    permissions,
    policies,
    promotions,
    scans,
    signatures,
    storage,
    uploads,
    versions,
    webhooks,
)

# In the order they are matched (an earlier route wins where two patterns overlap).
routers: tuple[APIRouter, ...] = (
    meta.router,
    accounts.router,
    permissions.router,  # docs/permissions.md
    models.router,
    versions.router,
    uploads.router,
    blobs.router,
    policies.router,
    promotions.router,
    webhooks.router,
    audit.router,
    archive.router,
    deployments.router,
    evaluations.router,
    signatures.router,  # docs/signing.md
    storage.router,  # docs/storage.md
    chunks.router,  # chunked, deduplicated pushes: docs/dedup.md
    direct.router,  # uploads straight to S3: docs/storage-s3.md
    scans.router,  # scan verdicts and quarantine: docs/scanning.md
)
# Where ``server/branches.py`` sends requests straight to these routers.
PREFIX = f"{routes.API}/"
