"""Archiving and restoring versions, and the alias history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from modelreg import routes
from modelreg.domain.permissions import Action
from modelreg.server.access import requires
from modelreg.server.deps import ActorDep, get_services
from modelreg.server.record_schemas import AliasChangeOut, AliasHistoryPage
from modelreg.server.schemas import VersionOut
from modelreg.service.history import AliasHistory
from modelreg.service.lifecycle import Lifecycle

router = APIRouter(tags=["versions"])


def get_lifecycle(request: Request) -> Lifecycle:
    return get_services(request).lifecycle


def get_alias_history(request: Request) -> AliasHistory:
    return get_services(request).alias_history


LifecycleDep = Annotated[Lifecycle, Depends(get_lifecycle)]
AliasHistoryDep = Annotated[AliasHistory, Depends(get_alias_history)]


@router.post(routes.VERSION_ARCHIVE, dependencies=[requires(Action.ARCHIVE)])
def archive_version(
    name: str, version: int, lifecycle: LifecycleDep, actor: ActorDep
) -> VersionOut:
    return VersionOut.from_entity(lifecycle.archive_version(name, version, actor=actor))


@router.post(routes.VERSION_RESTORE, dependencies=[requires(Action.ARCHIVE)])
def restore_version(
    name: str, version: int, lifecycle: LifecycleDep, actor: ActorDep
) -> VersionOut:
    return VersionOut.from_entity(lifecycle.restore_version(name, version, actor=actor))


@router.get(routes.ALIAS_HISTORY, dependencies=[requires(Action.READ)])
def alias_history(
    name: str,
    alias: str,
    history: AliasHistoryDep,
    cursor: str | None = None,
    limit: int = 100,
) -> AliasHistoryPage:
    page = history.list_changes(name, alias, cursor=cursor, limit=limit)
    return AliasHistoryPage(
        items=[AliasChangeOut.from_entity(c) for c in page.items], next_cursor=page.next_cursor
    )
