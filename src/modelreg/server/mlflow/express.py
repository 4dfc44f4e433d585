"""The MLflow registry's routes, served without FastAPI's per-request machinery.

Every registry call of an MLflow client names a fixed path and carries its fields in the query
string or a JSON body (``messages.py``), and every endpoint takes the same few arguments: the
message, the services, the caller's name, what the caller may see. What FastAPI adds per request
here (its application's middleware stack, matching the route among the branch's, resolving the
dependencies) cost 1.3 ms an alias lookup on the benchmark machine: more than the lookup itself
(docs/mlflow.md, "Benchmark").

``ExpressRoutes.route`` registers an endpoint twice: on the FastAPI router, so ``/openapi.json``
lists it and a request the lane does not take (another method, a trailing slash) is still
answered as before; and in a table keyed by method and path, which ``ExpressLane`` serves by
itself. Both run the same checks and the same endpoint, and turn errors into MLflow's shape with
the same ``response_for``; the middleware (authentication, limits, security headers) wraps both.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from modelreg.server.access import get_visibility
from modelreg.server.mlflow.access import Check
from modelreg.server.mlflow.deps import get_mlflow, get_mlflow_actor
from modelreg.server.mlflow.errors import response_for
from modelreg.server.mlflow.messages import read_message

Endpoint = Callable[..., Any]  # returns a Response, or a coroutine of one

# What an endpoint may ask for besides ``msg``, by parameter name: the same functions its
# FastAPI dependencies (MlflowDep, MlflowActorDep, VisibilityDep) call.
PROVIDERS: dict[str, Callable[[Request], Awaitable[Any]]] = {
    "ms": get_mlflow,
    "actor": get_mlflow_actor,
    "who": get_visibility,
}
ARGUMENTS = frozenset({"msg", *PROVIDERS})


@dataclass(frozen=True)
class ExpressRoute:
    endpoint: Endpoint
    checks: tuple[Check, ...]
    arguments: tuple[str, ...]
    is_async: bool


class ExpressRoutes:
    """The table of routes the lane serves, filled by ``route`` as the endpoints are defined."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.table: dict[tuple[str, str], ExpressRoute] = {}

    def route(self, method: str, path: str, *checks: Check) -> Callable[[Endpoint], Endpoint]:
        """Serve ``endpoint`` for ``method path`` after ``checks`` pass, in both ways."""

        def register(endpoint: Endpoint) -> Endpoint:
            arguments = tuple(inspect.signature(endpoint).parameters)
            unknown = set(arguments) - ARGUMENTS
            if unknown:
                raise TypeError(f"{endpoint.__name__}: no express argument {sorted(unknown)}")
            self.router.add_api_route(
                path,
                endpoint,
                methods=[method],
                dependencies=[Depends(check) for check in checks],
            )
            is_async = inspect.iscoroutinefunction(endpoint)
            self.table[(method, path)] = ExpressRoute(endpoint, checks, arguments, is_async)
            return endpoint

        return register

    def get(self, path: str, *checks: Check) -> Callable[[Endpoint], Endpoint]:
        return self.route("GET", path, *checks)

    def post(self, path: str, *checks: Check) -> Callable[[Endpoint], Endpoint]:
        return self.route("POST", path, *checks)

    def patch(self, path: str, *checks: Check) -> Callable[[Endpoint], Endpoint]:
        return self.route("PATCH", path, *checks)

    def delete(self, path: str, *checks: Check) -> Callable[[Endpoint], Endpoint]:
        return self.route("DELETE", path, *checks)


class ExpressLane:
    """Pure ASGI: a request whose method and path are in ``routes`` is served here, any other
    goes on to ``fallback`` (the MLflow branch application)."""

    def __init__(self, routes: ExpressRoutes, *, fallback: ASGIApp) -> None:
        self.table = routes.table
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = (
            self.table.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        )
        if route is None:
            await self.fallback(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await _answer(route, request)
        except Exception as error:  # every error becomes an MLflow error body, as MlflowRoute
            response = response_for(error, request)
        await response(scope, receive, send)


async def _answer(route: ExpressRoute, request: Request) -> Response:
    msg = await read_message(request)
    for check in route.checks:
        await check(request, msg)
    given: dict[str, Any] = {}
    for name in route.arguments:
        given[name] = msg if name == "msg" else await PROVIDERS[name](request)
    if route.is_async:
        response: Response = await route.endpoint(**given)
    else:  # a write: in a worker thread, as FastAPI runs a plain ``def`` endpoint
        response = await run_in_threadpool(route.endpoint, **given)
    return response
