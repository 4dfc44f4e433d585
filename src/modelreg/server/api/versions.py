"""Model versions, aliases, search and reference resolution."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from modelreg import routes
from modelreg.domain.permissions import Action
from modelreg.server.access import VisibilityDep, requires, requires_ref
from modelreg.server.deps import ActorDep, RegistryDep
from modelreg.server.schemas import AliasOut, AliasSet, VersionOut, VersionPage, VersionUpdate

router = APIRouter(tags=["versions"])


@router.get(routes.VERSIONS, dependencies=[requires(Action.READ)])
def list_versions(
    name: str,
    registry: RegistryDep,
    cursor: str | None = None,
    limit: int = 100,
    include_archived: bool = False,
) -> VersionPage:
    page = registry.list_versions(
        name, cursor=cursor, limit=limit, include_archived=include_archived
    )
    return VersionPage(
        items=[VersionOut.from_entity(v) for v in page.items], next_cursor=page.next_cursor
    )


@router.get(routes.VERSION, dependencies=[requires(Action.READ)])
def get_version(name: str, version: int, registry: RegistryDep) -> VersionOut:
    return VersionOut.from_entity(registry.get_version(name, version))


@router.patch(routes.VERSION, dependencies=[requires(Action.UPDATE)])
def update_version(
    name: str, version: int, body: VersionUpdate, registry: RegistryDep, actor: ActorDep
) -> VersionOut:
    updated = registry.update_version(
        name,
        version,
        actor=actor,
        description=body.description,
        set_tags=body.set_tags,
        delete_tags=body.delete_tags,
    )
    return VersionOut.from_entity(updated)


@router.delete(routes.VERSION, status_code=204, dependencies=[requires(Action.DELETE_VERSION)])
def delete_version(name: str, version: int, registry: RegistryDep, actor: ActorDep) -> Response:
    registry.delete_version(name, version, actor=actor)
    return Response(status_code=204)


@router.get(routes.SEARCH_VERSIONS)
def search_versions(
    registry: RegistryDep,
    readable_by: VisibilityDep,
    filter: str = Query("", description="Search filter, see docs/search.md"),
    cursor: str | None = None,
    limit: int = 100,
    include_archived: bool = False,
) -> VersionPage:
    page = registry.search_versions(
        filter,
        cursor=cursor,
        limit=limit,
        include_archived=include_archived,
        readable_by=readable_by,
    )
    return VersionPage(
        items=[VersionOut.from_entity(v) for v in page.items], next_cursor=page.next_cursor
    )


@router.get(routes.RESOLVE, dependencies=[requires_ref()])
def resolve(
    registry: RegistryDep,
    ref: str = Query(description="NAME, NAME/VERSION or NAME@ALIAS"),
    at: Annotated[
        datetime | None, Query(description="Answer as of this ISO-8601 time (with zone)")
    ] = None,
) -> VersionOut:
    return VersionOut.from_entity(registry.resolve(ref, at=at))


@router.put(routes.ALIAS, dependencies=[requires(Action.SET_ALIAS)])
def set_alias(
    name: str, alias: str, body: AliasSet, registry: RegistryDep, actor: ActorDep
) -> AliasOut:
    return AliasOut.from_entity(registry.set_alias(name, alias, body.version, actor=actor))


@router.get(routes.ALIAS, dependencies=[requires(Action.READ)])
def get_alias(name: str, alias: str, registry: RegistryDep) -> AliasOut:
    return AliasOut.from_entity(registry.get_alias(name, alias))


@router.delete(routes.ALIAS, status_code=204, dependencies=[requires(Action.SET_ALIAS)])
def delete_alias(name: str, alias: str, registry: RegistryDep, actor: ActorDep) -> Response:
    registry.delete_alias(name, alias, actor=actor)
    return Response(status_code=204)
