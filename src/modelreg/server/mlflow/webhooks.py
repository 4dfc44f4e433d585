"""MLflow 3's webhooks API, ``/api/2.0/mlflow/webhooks``: create, list, get, update, delete and
test, over modelreg's subscriptions (``service/mlflow_webhooks.py``). Request and response
shapes follow ``mlflow/protos/webhooks.proto``; events travel as ``{"entity": "MODEL_VERSION",
"action": "CREATED"}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request, Response

from modelreg.domain.errors import WebhookNotFoundError
from modelreg.domain.mlflow_webhooks import MlflowWebhook, WebhookStatus, event_name
from modelreg.domain.permissions import Action
from modelreg.server.deps import get_services
from modelreg.server.mlflow import wire
from modelreg.server.mlflow.access import mlflow_requires
from modelreg.server.mlflow.deps import API, MlflowActorDep
from modelreg.server.mlflow.errors import MlflowRoute, invalid
from modelreg.server.mlflow.messages import Message, MessageDep
from modelreg.service.mlflow_webhooks import MlflowWebhooks

# Webhooks see every model's events: registry admins only, as on /api/v1/webhooks.
router = APIRouter(
    route_class=MlflowRoute,
    tags=["mlflow webhooks"],
    dependencies=[Depends(mlflow_requires(Action.MANAGE_WEBHOOKS))],
)

WEBHOOKS = f"{API}/webhooks"
WEBHOOK = f"{WEBHOOKS}/{{webhook_id}}"
TEST_TIMEOUT = 10.0
MAX_TEST_BODY = 10_000


def get_mlflow_webhooks(request: Request) -> MlflowWebhooks:
    return get_services(request).mlflow_webhooks


HooksDep = Annotated[MlflowWebhooks, Depends(get_mlflow_webhooks)]


def webhook_out(webhook: MlflowWebhook) -> dict[str, Any]:
    return {
        "webhook_id": str(webhook.id),
        "name": webhook.name,
        "description": webhook.description,
        "url": webhook.url,
        "events": [_event_out(event) for event in webhook.events],
        "status": webhook.status.value,
        "creation_timestamp": wire.ms(webhook.created_at),
        "last_updated_timestamp": wire.ms(webhook.updated_at),
    }


def _event_out(event: str) -> dict[str, str]:
    entity, _, action = event.partition(".")
    return {"entity": entity.upper(), "action": action.upper()}


def _event_in(item: Mapping[str, Any]) -> str:
    entity, action = item.get("entity"), item.get("action")
    if not isinstance(entity, str) or not isinstance(action, str):
        raise invalid("Each webhook event needs 'entity' and 'action' as strings.")
    return event_name(entity, action)


def _events(msg: Message) -> list[str]:
    return [_event_in(item) for item in msg.objects("events")]


def _status(msg: Message) -> WebhookStatus | None:
    text = msg.text("status")
    if not text:
        return None
    try:
        return WebhookStatus(text.upper())
    except ValueError:
        raise invalid(f"Invalid webhook status {text!r}: use ACTIVE or DISABLED.") from None


def _id(webhook_id: str) -> int:
    if not webhook_id.isdigit():
        raise WebhookNotFoundError(f"Webhook with ID {webhook_id} not found")
    return int(webhook_id)


@router.post(WEBHOOKS)
def create_webhook(hooks: HooksDep, msg: MessageDep, actor: MlflowActorDep) -> Response:
    webhook = hooks.create_webhook(
        name=msg.required("name"),
        url=msg.required("url"),
        events=_events(msg),
        description=msg.text("description") or "",
        secret=msg.text("secret") or None,
        status=_status(msg) or WebhookStatus.ACTIVE,
        actor=actor,
    )
    return wire.ok({"webhook": webhook_out(webhook)})


@router.get(WEBHOOKS)
def list_webhooks(hooks: HooksDep, msg: MessageDep) -> Response:
    page = hooks.list_webhooks(
        max_results=msg.integer("max_results", 100) or 100,
        page_token=msg.text("page_token") or None,
    )
    body: dict[str, Any] = {"webhooks": [webhook_out(w) for w in page.items]}
    if page.next_cursor:
        body["next_page_token"] = page.next_cursor
    return wire.ok(body)


@router.get(WEBHOOK)
def get_webhook(webhook_id: str, hooks: HooksDep) -> Response:
    return wire.ok({"webhook": webhook_out(hooks.get_webhook(_id(webhook_id)))})


@router.patch(WEBHOOK)
def update_webhook(webhook_id: str, hooks: HooksDep, msg: MessageDep) -> Response:
    webhook = hooks.update_webhook(
        _id(webhook_id),
        name=msg.text("name") or None,
        # Present-but-empty means "clear" for these two, as MLflow's HasField does.
        description=msg.text("description", "") if "description" in msg.data else None,
        url=msg.text("url") or None,
        events=_events(msg) if msg.has("events") else None,
        secret=msg.text("secret", "") if "secret" in msg.data else None,
        status=_status(msg),
    )
    return wire.ok({"webhook": webhook_out(webhook)})


@router.delete(WEBHOOK)
def delete_webhook(webhook_id: str, hooks: HooksDep) -> Response:
    hooks.delete_webhook(_id(webhook_id))
    return wire.ok({})


@router.post(f"{WEBHOOK}/test")
def test_webhook(webhook_id: str, hooks: HooksDep, msg: MessageDep) -> Response:
    """Send MLflow's example payload now, outside the outbox, and answer what came back."""
    event = msg.data.get("event")
    chosen = _event_in(event) if isinstance(event, Mapping) else None
    sent = hooks.test_request(_id(webhook_id), chosen)
    result: dict[str, Any]
    try:
        with httpx.Client(timeout=TEST_TIMEOUT, follow_redirects=False) as client:
            answer = client.post(sent.url, content=sent.body, headers=sent.headers)
        result = {
            "success": answer.status_code < 400,
            "response_status": answer.status_code,
            "response_body": answer.text[:MAX_TEST_BODY],
        }
    except httpx.HTTPError as error:
        result = {"success": False, "error_message": f"Failed to test webhook: {error!r}"}
    return wire.ok({"result": result})
