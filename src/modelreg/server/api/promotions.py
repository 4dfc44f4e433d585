"""Promotion requests: request, approve, reject, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from modelreg import routes
from modelreg.domain.governance import PromotionStatus
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


@router.post(routes.MODEL_PROMOTIONS, status_code=201)
def request_promotion(
    name: str, body: PromotionCreate, promotions: PromotionsDep, actor: ActorDep
) -> PromotionOut:
    request = promotions.request_promotion(
        name, body.alias, body.version, reason=body.reason, actor=actor
    )
    return PromotionOut.from_entity(request)


@router.get(routes.PROMOTIONS)
def list_promotions(
    promotions: PromotionsDep,
    model: str | None = None,
    status: PromotionStatus | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> PromotionPage:
    page = promotions.list_promotions(model=model, status=status, cursor=cursor, limit=limit)
    return PromotionPage(
        items=[PromotionOut.from_entity(p) for p in page.items], next_cursor=page.next_cursor
    )


@router.get(routes.PROMOTION)
def get_promotion(request_id: int, promotions: PromotionsDep) -> PromotionOut:
    return PromotionOut.from_entity(promotions.get_promotion(request_id))


@router.post(routes.PROMOTION_APPROVE)
def approve_promotion(
    request_id: int, body: PromotionDecide, promotions: PromotionsDep, actor: ActorDep
) -> PromotionOut:
    return PromotionOut.from_entity(promotions.approve(request_id, actor=actor, reason=body.reason))


@router.post(routes.PROMOTION_REJECT)
def reject_promotion(
    request_id: int, body: PromotionDecide, promotions: PromotionsDep, actor: ActorDep
) -> PromotionOut:
    return PromotionOut.from_entity(promotions.reject(request_id, actor=actor, reason=body.reason))
