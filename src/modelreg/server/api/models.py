"""Registered models: create, list/search, get, update, delete, history."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from modelreg import routes
from modelreg.domain.permissions import Action
from modelreg.server.access import VisibilityDep, requires
from modelreg.server.deps import ActorDep, RegistryDep
from modelreg.server.schemas import (
    EventOut,
    EventPage,
    ModelCreate,
    ModelOut,
    ModelPage,
    ModelUpdate,
)

router = APIRouter(tags=["models"])


@router.post(routes.MODELS, status_code=201, dependencies=[requires(Action.CREATE_MODEL)])
def create_model(body: ModelCreate, registry: RegistryDep, actor: ActorDep) -> ModelOut:
    model = registry.create_model(
        body.name, actor=actor, description=body.description, owner=body.owner, tags=body.tags
    )
    return ModelOut.from_entity(model)


@router.get(routes.MODELS)
def list_models(
    registry: RegistryDep,
    readable_by: VisibilityDep,
    filter: str = Query("", description="Search filter, see docs/search.md"),
    cursor: str | None = None,
    limit: int = 100,
) -> ModelPage:
    page = registry.search_models(filter, cursor=cursor, limit=limit, readable_by=readable_by)
    return ModelPage(
        items=[ModelOut.from_entity(m) for m in page.items], next_cursor=page.next_cursor
    )


@router.get(routes.MODEL, dependencies=[requires(Action.READ)])
def get_model(name: str, registry: RegistryDep) -> ModelOut:
    return ModelOut.from_entity(registry.get_model(name))


@router.patch(routes.MODEL, dependencies=[requires(Action.UPDATE)])
def update_model(name: str, body: ModelUpdate, registry: RegistryDep, actor: ActorDep) -> ModelOut:
    model = registry.update_model(
        name,
        actor=actor,
        description=body.description,
        owner=body.owner,
        set_tags=body.set_tags,
        delete_tags=body.delete_tags,
    )
    return ModelOut.from_entity(model)


@router.delete(routes.MODEL, status_code=204, dependencies=[requires(Action.DELETE_MODEL)])
def delete_model(name: str, registry: RegistryDep, actor: ActorDep) -> Response:
    registry.delete_model(name, actor=actor)
    return Response(status_code=204)


@router.get(routes.EVENTS, dependencies=[requires(Action.READ)])
def list_events(
    name: str, registry: RegistryDep, cursor: str | None = None, limit: int = 100
) -> EventPage:
    page = registry.list_events(name, cursor=cursor, limit=limit)
    return EventPage(
        items=[EventOut.from_entity(e) for e in page.items], next_cursor=page.next_cursor
    )
