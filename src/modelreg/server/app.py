"""``create_app``: the FastAPI application over one set of services. No module-level app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version as package_version

from fastapi import FastAPI

from modelreg import routes
from modelreg.domain.digests import DEFAULT_ALGORITHM
from modelreg.server import mlflow, ui
from modelreg.server.api import (
    accounts,
    archive,
    audit,
    blobs,
    chunks,
    deployments,
    direct,
    evaluations,
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
from modelreg.server.auth import install_authentication
from modelreg.server.errors import install_error_handlers
from modelreg.server.limits import BodyLimitMiddleware
from modelreg.server.schemas import InfoOut
from modelreg.server.security_headers import SecurityHeadersMiddleware
from modelreg.server.webhook_worker import DeliveryWorker
from modelreg.settings import Settings
from modelreg.wiring import Services, open_services


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build the app; pass ``services`` to serve an already open registry (tests, embedding)."""
    settings = settings or Settings()
    owned = services is None
    active = services or open_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if settings.webhook_worker:
            worker = DeliveryWorker(
                active.webhooks,
                outbox=active.outbox,
                poll_interval=settings.webhook_poll_interval,
                timeout=settings.webhook_timeout,
            )
            worker.start()
        yield
        if worker is not None:
            worker.stop()
        if owned:
            active.close()

    app = FastAPI(
        title="modelreg",
        version=package_version("modelreg"),
        description="A model registry: versioned, content-addressed model storage.",
        lifespan=lifespan,
    )
    app.state.services = active
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_json_bytes)
    install_authentication(app, settings, active.accounts)  # docs/security.md
    app.include_router(accounts.router)
    app.include_router(permissions.router)  # docs/permissions.md
    for module in (models, versions, uploads, blobs, policies, promotions, webhooks):
        app.include_router(module.router)
    for record in (audit, archive, deployments, evaluations):
        app.include_router(record.router)
    ui.install(app, settings)  # the web UI at /, beside /api/v1, /docs and /healthz
    app.include_router(mlflow.router)  # the MLflow-compatible API, docs/mlflow.md
    app.include_router(signatures.router)  # docs/signing.md
    app.include_router(storage.router)  # docs/storage.md
    app.include_router(chunks.router)  # chunked, deduplicated pushes: docs/dedup.md
    app.include_router(direct.router)  # uploads straight to S3: docs/storage-s3.md
    app.include_router(scans.router)  # scan verdicts and quarantine: docs/scanning.md

    @app.get(routes.HEALTH, tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(routes.INFO, tags=["meta"])
    def info() -> InfoOut:
        return InfoOut(
            version=package_version("modelreg"),
            digest_algorithm=DEFAULT_ALGORITHM,
            database=active.metadata.engine.dialect.name,
        )

    # Added last, so it is the outermost layer: even 401s and 413s get the headers.
    app.add_middleware(SecurityHeadersMiddleware)  # docs/hardening.md
    return app
