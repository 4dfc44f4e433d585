"""MLflow 3 webhooks over modelreg's own: which MLflow events have a counterpart, the MLflow
view of a subscription, and MLflow's delivery envelope and signature.

MLflow names an event ``entity.action`` (``model_version.created``); on the wire the pair is
``{"entity": "MODEL_VERSION", "action": "CREATED"}``. Only pairs whose meaning modelreg records
as a webhook type are accepted (``EVENT_TYPES``); the others (tags, alias deletion, prompts,
budgets) are refused rather than silently never delivered.

MLflow signs ``delivery_id + "." + timestamp + "." + body`` with HMAC-SHA256 and sends
``X-MLflow-Signature: v1,<base64>`` (mlflow/webhooks/delivery.py); ``sign`` does the same.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from modelreg.domain.errors import InvalidArgumentError

SIGNATURE_HEADER = "X-MLflow-Signature"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
DELIVERY_HEADER = "X-MLflow-Delivery-Id"
SIGNATURE_VERSION = "v1"

EVENT_TYPES = {
    "registered_model.created": "model.created",
    "model_version.created": "version.ready",
    "model_version_alias.created": "alias.moved",
}
"""MLflow event -> the modelreg webhook type that carries the same change."""

KNOWN_EVENTS = frozenset(
    {
        *EVENT_TYPES,
        "model_version_tag.set",
        "model_version_tag.deleted",
        "model_version_alias.deleted",
        "prompt.created",
        "prompt_version.created",
        "prompt_tag.set",
        "prompt_tag.deleted",
        "prompt_version_tag.set",
        "prompt_version_tag.deleted",
        "prompt_alias.created",
        "prompt_alias.deleted",
        "budget_policy.exceeded",
    }
)
"""Every pair MLflow 3 defines, to tell "not supported here" from "not an event"."""

MAX_NAME = 256
MAX_DESCRIPTION = 4096


class WebhookStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


@dataclass(frozen=True, slots=True)
class MlflowWebhook:
    """A modelreg subscription as MLflow shows it. ``id`` is the subscription's id."""

    id: int
    name: str
    description: str
    url: str
    events: tuple[str, ...]
    status: WebhookStatus
    signed: bool
    """False when MLflow was given no secret: deliveries then carry no signature header."""
    created_at: datetime
    updated_at: datetime

    @property
    def delivered_types(self) -> tuple[str, ...]:
        """The modelreg webhook types the subscription asks for (none while disabled)."""
        if self.status is WebhookStatus.DISABLED:
            return ()
        return tuple(dict.fromkeys(EVENT_TYPES[event] for event in self.events))


def event_name(entity: str, action: str) -> str:
    """``("MODEL_VERSION", "CREATED")`` -> ``model_version.created``."""
    return f"{entity.strip().lower()}.{action.strip().lower()}"


def validate_events(events: Sequence[str]) -> tuple[str, ...]:
    if not events:
        raise InvalidArgumentError("a webhook needs at least one event", field="events")
    for event in events:
        if event not in KNOWN_EVENTS:
            raise InvalidArgumentError(f"Invalid webhook event {event!r}", field="events")
        if event not in EVENT_TYPES:
            raise InvalidArgumentError(
                f"webhook event {event!r} is not supported by modelreg: use "
                f"{', '.join(sorted(EVENT_TYPES))}",
                field="events",
            )
    return tuple(dict.fromkeys(events))


def validate_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise InvalidArgumentError(
            f"a webhook name must be 1 to {MAX_NAME} characters", field="name"
        )
    return name.strip()


def validate_description(description: str) -> str:
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise InvalidArgumentError(
            f"a webhook description must be at most {MAX_DESCRIPTION} characters",
            field="description",
        )
    return description


def mlflow_event_of(webhook_type: str, events: Sequence[str]) -> str | None:
    """The MLflow event (among ``events``) that a modelreg delivery of ``webhook_type`` is."""
    for event in events:
        if EVENT_TYPES.get(event) == webhook_type:
            return event
    return None


def sign(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    """The ``X-MLflow-Signature`` value, as MLflow computes it."""
    message = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def verify(secret: str, delivery_id: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What an MLflow webhook receiver does: recompute and compare in constant time."""
    if not timestamp.isdigit():
        return False
    return hmac.compare_digest(sign(secret, delivery_id, int(timestamp), body), signature)
