"""Promotion requests: request, approve, reject, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from modelreg import routes
from modelreg.domain.governance import PromotionStatus
from modelreg.domain.permissions import Action
from modelreg.server.access import check, readable, requires, requires_for_promotion
from modelreg.server.deps import ActorDep, get_services
from modelreg.server.governance_schemas import (
    PromotionCreate,
    PromotionDecide,
    PromotionOut,
    PromotionPage,
)
from modelreg.service.promotions import Promotions
from modelreg.wiring import Services

router = APIRouter(tags=["promotions"])


def get_promotions(services: Annotated[Services, Depends(get_services)]) -> Promotions:
    return services.promotions


PromotionsDep = Annotated[Promotions, Depends(get_promotions)]


@router.post(
    routes.MODEL_PROMOTIONS, status_code=201, dependencies=[requires(Action.REQUEST_PROMOTION)]
)
def request_promotion(
    name: str, body: PromotionCreate, promotions: PromotionsDep, actor: ActorDep
) -> PromotionOut:
    request = promotions.request_promotion(
        name, body.alias, body.version, reason=body.reason, actor=actor
    )
    return PromotionOut.from_entity(request)


@router.get(routes.PROMOTIONS)
def list_promotions(
    request: Request,
    promotions: PromotionsDep,
    model: str | None = None,
    status: PromotionStatus | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> PromotionPage:
    check(request, Action.SEARCH if model is None else Action.READ, model)
    page = promotions.list_promotions(model=model, status=status, cursor=cursor, limit=limit)
    # Others' models drop out of each page; the cursor still walks the whole list.
    shown = readable(request, [p.model_name for p in page.items])
    return PromotionPage(
        items=[PromotionOut.from_entity(p) for p in page.items if p.model_name in shown],
        next_cursor=page.next_cursor,
    )


@router.get(routes.PROMOTION, dependencies=[requires_for_promotion(Action.READ)])
def get_promotion(request_id: int, promotions: PromotionsDep) -> PromotionOut:
    return PromotionOut.from_entity(promotions.get_promotion(request_id))


@router.post(
    routes.PROMOTION_APPROVE, dependencies=[requires_for_promotion(Action.APPROVE_PROMOTION)]
)
def approve_promotion(
    request_id: int, body: PromotionDecide, promotions: PromotionsDep, actor: ActorDep
) -> PromotionOut:
    return PromotionOut.from_entity(promotions.approve(request_id, actor=actor, reason=body.reason))


@router.post(
    routes.PROMOTION_REJECT, dependencies=[requires_for_promotion(Action.APPROVE_PROMOTION)]
)
def reject_promotion(
    request_id: int, body: PromotionDecide, promotions: PromotionsDep, actor: ActorDep
) -> PromotionOut:
    return PromotionOut.from_entity(promotions.reject(request_id, actor=actor, reason=body.reason))
