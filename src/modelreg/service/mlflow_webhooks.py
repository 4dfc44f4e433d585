"""MLflow 3's webhooks API over modelreg's subscriptions and outbox.

An MLflow webhook is a modelreg subscription (same outbox, lease, retries and delivery log)
plus an MLflow view: name, description, status and MLflow's event names. Its deliveries are
shaped as MLflow sends them (``delivery_request``): the body ``{"entity", "action",
"timestamp", "data"}`` and the ``X-MLflow-*`` headers, signed as MLflow signs.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelreg.domain.entities import Page
from modelreg.domain.errors import InvalidArgumentError, NotFoundError, WebhookNotFoundError
from modelreg.domain.mlflow_webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    MlflowWebhook,
    WebhookStatus,
    mlflow_event_of,
    sign,
    validate_description,
    validate_events,
    validate_name,
)
from modelreg.domain.webhooks import ClaimedDelivery, validate_secret
from modelreg.service.clock import Clock, utcnow
from modelreg.service.pagination import decode_cursor, encode_cursor, fingerprint
from modelreg.service.stages import Stages
from modelreg.service.webhooks import Webhooks
from modelreg.store.base import MetadataStore

MAX_RESULTS = 1000
# Deliveries of one outbox row keep one id across retries, so receivers can deduplicate.
_DELIVERY_IDS = uuid.UUID("5b0f3c1e-3d0a-4c47-9a43-6d0c8f6f2a11")

EXAMPLES: Mapping[str, Mapping[str, Any]] = {
    "registered_model.created": {
        "name": "example_model",
        "tags": {"example_key": "example_value"},
        "description": "An example registered model",
    },
    "model_version.created": {
        "name": "example_model",
        "version": "1",
        "source": "models:/123",
        "run_id": "abcd1234abcd5678",
        "tags": {"example_key": "example_value"},
        "description": "An example model version",
    },
    "model_version_alias.created": {
        "name": "example_model",
        "alias": "example_alias",
        "version": "1",
    },
}
"""What ``test`` sends, the example payloads of ``mlflow.webhooks.types``."""


@dataclass(frozen=True, slots=True)
class TestRequest:
    url: str
    body: bytes
    headers: dict[str, str]


class MlflowWebhooks:
    def __init__(self, store: MetadataStore, webhooks: Webhooks, *, clock: Clock = utcnow):
        self.store = store
        self.webhooks = webhooks
        self.clock = clock
        self.stages = Stages(store)

    def create_webhook(
        self,
        *,
        name: str,
        url: str,
        events: Sequence[str],
        actor: str,
        description: str = "",
        secret: str | None = None,
        status: WebhookStatus = WebhookStatus.ACTIVE,
    ) -> MlflowWebhook:
        name = validate_name(name)
        description = validate_description(description)
        kinds = validate_events(events)
        self.webhooks.targets.check(url)  # the same target rules as modelreg's own webhooks
        signing = validate_secret(secret) if secret else secrets.token_urlsafe(32)
        draft = _view(name, description, url, kinds, status)
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            subscription = tx.create_subscription(
                url, draft.delivered_types, secret=signing, actor=actor, now=now
            )
            return tx.add_mlflow_webhook(
                subscription.id,
                name=name,
                description=description,
                events=kinds,
                status=status,
                signed=bool(secret),
                now=now,
            )

    def get_webhook(self, webhook_id: int) -> MlflowWebhook:
        with self.store.transaction() as tx:
            return tx.get_mlflow_webhook(webhook_id)

    def list_webhooks(
        self, *, max_results: int = 100, page_token: str | None = None
    ) -> Page[MlflowWebhook]:
        if not 1 <= max_results <= MAX_RESULTS:
            raise InvalidArgumentError(
                f"max_results must be between 1 and {MAX_RESULTS}", field="max_results"
            )
        key = fingerprint("mlflow-webhooks")
        offset = decode_cursor(page_token, key)
        with self.store.transaction() as tx:
            found = tx.list_mlflow_webhooks(offset=offset, limit=max_results + 1)
        if len(found) > max_results:
            return Page(tuple(found[:max_results]), encode_cursor(offset + max_results, key))
        return Page(tuple(found))

    def update_webhook(
        self,
        webhook_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        url: str | None = None,
        events: Sequence[str] | None = None,
        secret: str | None = None,
        status: WebhookStatus | None = None,
    ) -> MlflowWebhook:
        """Change what is given; an empty ``secret`` turns signing off, as in MLflow."""
        with self.store.transaction(write=True) as tx:
            current = tx.get_mlflow_webhook(webhook_id)
            changed = _view(
                current.name if name is None else validate_name(name),
                current.description if description is None else validate_description(description),
                current.url if url is None else url,
                current.events if events is None else validate_events(events),
                current.status if status is None else status,
            )
            if url is not None:
                self.webhooks.targets.check(url)
            new_secret = None
            signed = current.signed
            if secret is not None:
                new_secret = validate_secret(secret) if secret else secrets.token_urlsafe(32)
                signed = bool(secret)
            return tx.update_mlflow_webhook(
                webhook_id,
                name=changed.name,
                description=changed.description,
                url=changed.url,
                events=changed.events,
                delivered_types=changed.delivered_types,
                status=changed.status,
                secret=new_secret,
                signed=signed,
                now=self.clock(),
            )

    def delete_webhook(self, webhook_id: int) -> None:
        """Delete the webhook: its subscription, queued deliveries and log go with it."""
        with self.store.transaction(write=True) as tx:
            tx.get_mlflow_webhook(webhook_id)  # only webhooks made through MLflow's API
            tx.delete_subscription(webhook_id)

    def test_request(self, webhook_id: int, event: str | None = None) -> TestRequest:
        """The request ``test`` sends: MLflow's example payload of ``event`` (default the
        webhook's first event), shaped and signed like a real delivery."""
        with self.store.transaction() as tx:
            webhook = tx.get_mlflow_webhook(webhook_id)
            secret = tx.get_mlflow_webhook_secret(webhook_id) if webhook.signed else None
        chosen = validate_events([event])[0] if event else webhook.events[0]
        self.webhooks.targets.check(webhook.url)
        delivery_id = str(uuid.uuid4())
        body, headers = _envelope(chosen, EXAMPLES[chosen], delivery_id, secret, self.clock())
        return TestRequest(webhook.url, body, headers)

    # -- delivery ------------------------------------------------------------------------------

    def delivery_request(
        self, claimed: ClaimedDelivery, timestamp: int
    ) -> tuple[bytes, dict[str, str]] | None:
        """A ``DeliveryFormat`` for ``Webhooks.add_format``: MLflow's body and headers for the
        subscriptions of MLflow webhooks, None for modelreg's own."""
        delivery = claimed.delivery
        with self.store.transaction() as tx:
            try:
                webhook = tx.get_mlflow_webhook(delivery.subscription_id)
            except WebhookNotFoundError:
                return None
        event = mlflow_event_of(delivery.event_type, webhook.events)
        if event is None:
            return None  # subscribed types changed meanwhile; send modelreg's own shape
        data = self._data(event, delivery.payload)
        delivery_id = str(uuid.uuid5(_DELIVERY_IDS, str(delivery.id)))
        moment = datetime.fromtimestamp(timestamp, UTC)
        secret = claimed.secret if webhook.signed else None
        return _envelope(event, data, delivery_id, secret, moment)

    def _data(self, event: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """MLflow's ``data`` for ``event`` from modelreg's event payload, completed from the
        model or version as they are now (they may have changed since the event)."""
        name = str(payload.get("model") or "")
        number = payload.get("version")
        details: Mapping[str, Any] = payload.get("details") or {}
        if event == "model_version_alias.created":
            return {"name": name, "alias": details.get("alias"), "version": str(number)}
        if event == "registered_model.created":
            try:
                with self.store.transaction() as tx:
                    model = tx.get_model(name)
            except NotFoundError:
                return {"name": name, "tags": {}, "description": None}
            return {"name": name, "tags": dict(model.tags), "description": model.description}
        try:
            version, extras = self.stages.version(name, int(number or 0))
        except NotFoundError:
            gone: dict[str, Any] = {"name": name, "version": str(number), "source": ""}
            return {**gone, "run_id": None, "tags": {}, "description": None}
        return {
            "name": name,
            "version": str(version.version),
            "source": extras.source or f"models:/{name}/{version.version}",
            "run_id": version.lineage.run_id,
            "tags": dict(version.tags),
            "description": version.description,
        }


def _view(
    name: str, description: str, url: str, events: tuple[str, ...], status: WebhookStatus
) -> MlflowWebhook:
    moment = datetime.min.replace(tzinfo=UTC)  # only for ``delivered_types``; never stored
    return MlflowWebhook(0, name, description, url, events, status, False, moment, moment)


def _envelope(
    event: str,
    data: Mapping[str, Any],
    delivery_id: str,
    secret: str | None,
    moment: datetime,
) -> tuple[bytes, dict[str, str]]:
    entity, _, action = event.partition(".")
    document = {
        "entity": entity,
        "action": action,
        "timestamp": moment.isoformat(),
        "data": dict(data),
    }
    body = json.dumps(document).encode()  # MLflow's own json.dumps defaults
    timestamp = int(moment.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "modelreg-webhooks",
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
    }
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret, delivery_id, timestamp, body)
    return body, headers
