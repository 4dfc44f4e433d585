"""Deployments: record what runs where, list what is deployed now, and a model's history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from modelreg import routes
from modelreg.domain.permissions import Action
from modelreg.server.access import check, readable, requires
from modelreg.server.deps import ActorDep, get_services
from modelreg.server.record_schemas import (
    DeploymentCreate,
    DeploymentList,
    DeploymentOut,
    DeploymentPage,
)
from modelreg.service.deployments import Deployments

router = APIRouter(tags=["deployments"])


def get_deployments(request: Request) -> Deployments:
    return get_services(request).deployments


DeploymentsDep = Annotated[Deployments, Depends(get_deployments)]


@router.post(routes.MODEL_DEPLOYMENTS, status_code=201, dependencies=[requires(Action.RECORD)])
def record_deployment(
    name: str, body: DeploymentCreate, deployments: DeploymentsDep, actor: ActorDep
) -> DeploymentOut:
    recorded = deployments.record_deployment(
        name, body.version, body.environment, actor=actor, status=body.status, note=body.note
    )
    return DeploymentOut.from_entity(recorded)


@router.get(routes.MODEL_DEPLOYMENTS, dependencies=[requires(Action.READ)])
def deployment_history(
    name: str,
    deployments: DeploymentsDep,
    environment: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> DeploymentPage:
    page = deployments.deployment_history(name, environment=environment, cursor=cursor, limit=limit)
    return DeploymentPage(
        items=[DeploymentOut.from_entity(d) for d in page.items], next_cursor=page.next_cursor
    )


@router.get(routes.DEPLOYMENTS)
def list_deployments(
    request: Request,
    deployments: DeploymentsDep,
    environment: str | None = None,
    model: str | None = None,
) -> DeploymentList:
    check(request, Action.SEARCH if model is None else Action.READ, model)
    found = deployments.list_deployments(environment=environment, model=model)
    shown = readable(request, [d.model_name for d in found])
    return DeploymentList(
        items=[DeploymentOut.from_entity(d) for d in found if d.model_name in shown]
    )
