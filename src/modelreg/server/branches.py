"""Route by path prefix before FastAPI's own routing.

FastAPI matches a request by trying the application's routes one by one, at several microseconds
a route, and an included router is walked twice (once to match, once to dispatch). With about
250 routes that was most of a metadata call's time inside the server (docs/mlflow.md,
"Benchmark"). A *branch* is a small FastAPI application holding only the routes under one path
prefix; ``Branches`` hands each request whose path starts with that prefix straight to it.

The main application keeps every route too, so ``/openapi.json`` and the docs still list them,
and a branch shares the main application's ``state`` (services, settings of the login) and
error handlers: a request answers the same whichever way it is routed. ``Branches`` is the
innermost middleware, so authentication, body limits and security headers apply as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send


def branch(
    main: FastAPI, routers: Sequence[APIRouter], install: Callable[[FastAPI], None]
) -> FastAPI:
    """An application of ``routers`` alone, with ``main``'s state; ``install`` adds the error
    handlers (the same function that installs them on ``main``)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state = main.state
    install(app)
    for router in routers:
        app.include_router(router)
    return app


class Branches:
    """Pure ASGI middleware: the first ``(prefix, app)`` whose prefix starts the path serves
    the request; other requests go on to the main application's router."""

    def __init__(self, app: ASGIApp, *, branches: Sequence[tuple[str, ASGIApp]]) -> None:
        self.app = app
        self.branches = tuple(branches)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            for prefix, target in self.branches:
                if path.startswith(prefix):
                    await target(scope, receive, send)
                    return
        await self.app(scope, receive, send)
