"""Authorization for the MLflow-compatible API: the same checks as ``server/access.py``, with
the model named in the request message (``name``) instead of the path. Refusals answer in
MLflow's shape through ``MlflowRoute``: ``PERMISSION_DENIED`` (403), and
``RESOURCE_DOES_NOT_EXIST`` for a model the caller may not read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from modelreg.domain.errors import ModelregError
from modelreg.domain.permissions import Action, is_model_action
from modelreg.domain.tracking import REGISTRY_ARTIFACT_ROOT, parse_source
from modelreg.server.access import check_async
from modelreg.server.mlflow.messages import Message, MessageDep

# What a route checks before its endpoint runs: a FastAPI dependency, or one of an express
# route's (``express.py``), called with the request and its message.
Check = Callable[[Request, Message], Awaitable[None]]


def mlflow_requires(action: Action, *, field: str = "name") -> Check:
    """A check (a dependency, or one of an express route's): the caller may do ``action`` on
    the model the message's ``field`` names."""

    async def check(request: Request, msg: MessageDep) -> None:
        await check_async(request, action, msg.required(field) if is_model_action(action) else None)

    return check


async def tracking_access(request: Request) -> None:
    """Experiments and runs belong to no model: reading them needs the read scope, changing
    them the write scope (searches are POSTs, so they are told apart by name)."""
    reading = request.method in ("GET", "HEAD") or request.url.path.endswith("/search")
    await check_async(request, Action.TRACK if reading else Action.LOG)


async def artifact_access(request: Request) -> None:
    """``_registry/<name>/...`` shows registered versions: READ on that model; the rest of the
    artifact tree is tracking data."""
    path = request.path_params.get("path") or request.query_params.get("path") or ""
    parts = path.strip("/").split("/")
    if parts[0] == REGISTRY_ARTIFACT_ROOT and len(parts) > 1 and parts[1]:
        await check_async(request, Action.READ, parts[1])
        return
    await tracking_access(request)


async def source_access(request: Request, msg: MessageDep) -> None:
    """A new version copies the files of its ``source``: when that is another registered
    version (``models:/NAME/...`` or ``_registry/NAME/...``), the caller must be able to read
    it. A malformed source is left for the use case to refuse in its own words."""
    try:
        ref = parse_source(msg.text("source") or "")
    except ModelregError:
        return
    parts = (ref.path or "").split("/")
    if ref.kind == "version" and ref.model_name:
        await check_async(request, Action.READ, ref.model_name)
    elif ref.kind == "artifacts" and parts[0] == REGISTRY_ARTIFACT_ROOT and len(parts) > 1:
        await check_async(request, Action.READ, parts[1])
