"""``create_app``: the FastAPI application over one set of services. No module-level app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version as package_version

from fastapi import FastAPI
from starlette.types import ASGIApp

from modelreg import routes
from modelreg.server import api, mlflow, ui
from modelreg.server.auth import install_authentication
from modelreg.server.branches import Branches, branch
from modelreg.server.errors import install_error_handlers
from modelreg.server.limits import BodyLimitMiddleware
from modelreg.server.mlflow.express import ExpressLane
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

    # First, and async (no thread hop): load balancers call it every few seconds.
    @app.get(routes.HEALTH, tags=["meta"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    install_error_handlers(app)
    # Added first, so it is the innermost layer: server/branches.py.
    native = branch(app, api.routers, install_error_handlers)
    compatible = ExpressLane(
        mlflow.express, fallback=branch(app, mlflow.routers, install_error_handlers)
    )
    shortcuts: list[tuple[str, ASGIApp]] = [(api.PREFIX, native)]
    shortcuts += [(prefix, compatible) for prefix in mlflow.PREFIXES]
    app.add_middleware(Branches, branches=shortcuts)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_json_bytes)
    install_authentication(app, settings, active.accounts)  # docs/security.md
    # Every route is on the main application too: /openapi.json and /docs list them all.
    for router in api.routers:
        app.include_router(router)
    ui.install(app, settings)  # the web UI at /, beside /api/v1, /docs and /healthz
    app.include_router(mlflow.router)  # the MLflow-compatible API, docs/mlflow.md

    # Added last, so it is the outermost layer: even 401s and 413s get the headers.
    app.add_middleware(SecurityHeadersMiddleware)  # docs/hardening.md
    return app
