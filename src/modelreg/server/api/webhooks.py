"""Webhook subscriptions and their delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from modelreg import routes
from modelreg.domain.permissions import Action
from modelreg.server.access import requires
from modelreg.server.deps import ActorDep, get_services
from modelreg.server.governance_schemas import (
    DeliveryOut,
    DeliveryPage,
    WebhookCreate,
    WebhookList,
    WebhookOut,
)
from modelreg.service.webhooks import Webhooks
from modelreg.wiring import Services

# Webhooks see every model's events: registry admins only.
router = APIRouter(tags=["webhooks"], dependencies=[requires(Action.MANAGE_WEBHOOKS)])


def get_webhooks(services: Annotated[Services, Depends(get_services)]) -> Webhooks:
    return services.webhooks


WebhooksDep = Annotated[Webhooks, Depends(get_webhooks)]


@router.post(routes.WEBHOOKS, status_code=201)
def add_webhook(body: WebhookCreate, webhooks: WebhooksDep, actor: ActorDep) -> WebhookOut:
    subscription = webhooks.add_subscription(
        body.url, events=body.events, secret=body.secret, actor=actor
    )
    return WebhookOut.from_entity(subscription)


@router.get(routes.WEBHOOKS)
def list_webhooks(webhooks: WebhooksDep) -> WebhookList:
    return WebhookList(items=[WebhookOut.from_entity(s) for s in webhooks.list_subscriptions()])


@router.get(routes.WEBHOOK)
def get_webhook(webhook_id: int, webhooks: WebhooksDep) -> WebhookOut:
    return WebhookOut.from_entity(webhooks.get_subscription(webhook_id))


@router.delete(routes.WEBHOOK, status_code=204)
def remove_webhook(webhook_id: int, webhooks: WebhooksDep) -> Response:
    webhooks.remove_subscription(webhook_id)
    return Response(status_code=204)


@router.get(routes.WEBHOOK_DELIVERIES)
def list_deliveries(
    webhook_id: int, webhooks: WebhooksDep, cursor: str | None = None, limit: int = 100
) -> DeliveryPage:
    page = webhooks.list_deliveries(webhook_id, cursor=cursor, limit=limit)
    return DeliveryPage(
        items=[DeliveryOut.from_entity(d) for d in page.items], next_cursor=page.next_cursor
    )
