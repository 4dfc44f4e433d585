"""Authorization at the HTTP edge: one reusable dependency per (action, where the model comes
from), so a route states what it needs in its decorator and checks happen before the body is
read or validated (``docs/permissions.md``).

* ``requires(action)``: the model is the ``{name}`` path parameter (registry actions need none);
* ``requires_for_upload()`` / ``requires_for_promotion(action)``: the model of the session or
  request named in the path, answered as missing when the caller may not read that model;
* ``requires_blob()``: content by digest, readable through some readable model;
* ``VisibilityDep``: the search constraint for the caller (``Registry.search_*(readable_by=)``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from modelreg.domain.access import Principal
from modelreg.domain.errors import (
    ModelNotFoundError,
    PromotionNotFoundError,
    UploadNotFoundError,
)
from modelreg.domain.permissions import Action, Visibility, is_model_action
from modelreg.domain.rules import parse_ref
from modelreg.server.deps import get_principal, get_services
from modelreg.server.offload import read
from modelreg.service.access import AccessControl


def get_access(request: Request) -> AccessControl:
    return get_services(request).access


def check(request: Request, action: Action, model_name: str | None = None) -> Principal:
    """Raise unless the caller may do ``action`` (on ``model_name``); returns the caller."""
    principal = get_principal(request)
    get_access(request).require(principal, action, model_name)
    return principal


async def check_async(request: Request, action: Action, model_name: str | None = None) -> Principal:
    """``check`` for async dependencies: on the event loop when the answer needs no store read
    (``AccessControl.decides_alone``) or the store's reads never wait, else in a worker thread
    (``server/offload.py``). A sync dependency would cost a thread hop on every request."""
    principal = get_principal(request)
    access = get_access(request)
    inline = access.decides_alone(principal, action)
    inline = inline or get_services(request).metadata.reads_never_wait
    await read(inline, access.require, principal, action, model_name)
    return principal


def requires(action: Action, *, param: str = "name") -> Any:
    """A dependency: the caller may do ``action`` on the model named by path parameter
    ``param`` (for registry actions: at all)."""

    async def dependency(request: Request) -> None:
        name = request.path_params.get(param) if is_model_action(action) else None
        await check_async(request, action, name)

    return Depends(dependency)


def requires_ref(action: Action = Action.READ, *, param: str = "ref") -> Any:
    """As ``requires``, for the model of a ``NAME[/VERSION|@ALIAS]`` query parameter."""

    async def dependency(request: Request) -> None:
        ref = request.query_params.get(param)
        await check_async(request, action, parse_ref(ref).name if ref else None)

    return Depends(dependency)


def requires_for_upload() -> Any:
    """PUSH on the model of the upload session ``{upload_id}`` (creating it, if it is new)."""

    def dependency(request: Request, upload_id: str) -> None:
        principal = get_principal(request)
        access = get_access(request)
        if principal.open_mode:
            return
        model = access.model_of_upload(upload_id)
        try:
            access.require(principal, Action.PUSH, model)
        except ModelNotFoundError as error:
            raise UploadNotFoundError(  # worded as the store words a missing session
                f"upload {upload_id!r} does not exist (committed, cancelled or expired)",
                upload=upload_id,
            ) from error

    return Depends(dependency)


def requires_for_promotion(action: Action) -> Any:
    """``action`` on the model of promotion request ``{request_id}``."""

    def dependency(request: Request, request_id: int) -> None:
        principal = get_principal(request)
        access = get_access(request)
        if principal.open_mode:
            return
        model = access.model_of_promotion(request_id)
        try:
            access.require(principal, action, model)
        except ModelNotFoundError as error:
            raise PromotionNotFoundError(
                f"promotion request {request_id} does not exist", promotion=request_id
            ) from error

    return Depends(dependency)


def requires_blob() -> Any:
    def dependency(request: Request, digest: str) -> None:
        get_access(request).require_blob(get_principal(request), digest)

    return Depends(dependency)


async def get_visibility(request: Request) -> Visibility | None:
    """The caller may search (read scope); the constraint its results are filtered by."""
    return get_access(request).visibility(await check_async(request, Action.SEARCH))


def get_readable_by(request: Request) -> Visibility | None:
    """What the caller may read, as a constraint (None: everything), with no check of its own:
    for pushes, where a stored blob counts as present only if the caller could read it."""
    return get_access(request).visibility(get_principal(request))


def readable(request: Request, names: list[str]) -> set[str]:
    """Which of ``names`` the caller may read (for listings that are not SQL searches)."""
    principal = get_principal(request)
    access = get_access(request)
    return {name for name in set(names) if access.can_read(principal, name)}


VisibilityDep = Annotated[Visibility | None, Depends(get_visibility)]
ReadableByDep = Annotated[Visibility | None, Depends(get_readable_by)]
