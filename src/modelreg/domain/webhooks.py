"""Webhooks: event types, subscriptions, deliveries, the signature scheme and the retry schedule.

Signature scheme (see docs/governance.md): for a delivery sent at Unix time ``T`` (whole
seconds) with body ``B`` (the exact bytes of the JSON document), the registry sends

    X-Modelreg-Timestamp: T
    X-Modelreg-Signature: sha256=HEX

where ``HEX = hex(HMAC-SHA256(secret, f"{T}.".encode() + B))``. A receiver recomputes it over
the raw body and compares in constant time, and refuses timestamps too far from its own clock.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from modelreg.domain.addresses import AllowList
from modelreg.domain.errors import InvalidArgumentError

SIGNATURE_HEADER = "X-Modelreg-Signature"
TIMESTAMP_HEADER = "X-Modelreg-Timestamp"
EVENT_HEADER = "X-Modelreg-Event"
DELIVERY_HEADER = "X-Modelreg-Delivery"

EVENT_TYPES = (
    "model.created",
    "version.ready",
    "alias.moved",
    "promotion.requested",
    "promotion.approved",
    "promotion.rejected",
    "version.archived",
    "deployment.recorded",
)
"""What a subscription can ask for; ``*`` means all of them."""

# History actions (``Event.action``) whose webhook type has another name.
_ACTION_TYPES = {"version.created": "version.ready", "alias.set": "alias.moved"}


def webhook_type(action: str) -> str | None:
    """The webhook event type of a history action, or None when webhooks do not carry it."""
    kind = _ACTION_TYPES.get(action, action)
    return kind if kind in EVENT_TYPES else None


class DeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"
    """Waiting for its first attempt or for its next retry."""
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    """Given up after the last allowed attempt."""


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    id: int
    url: str
    events: tuple[str, ...]
    created_by: str
    created_at: datetime

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One event for one subscription: an outbox row and, once tried, its delivery log."""

    id: int
    subscription_id: int
    event_type: str
    payload: Mapping[str, Any]
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery a worker holds a lease on, with what it needs to send it."""

    delivery: WebhookDelivery
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Exponential backoff: attempt n (1-based) that failed waits ``base * 2**(n-1)`` seconds,
    at most ``cap``; after ``max_attempts`` failed attempts the delivery is FAILED."""

    base: float = 2.0
    cap: float = 600.0
    max_attempts: int = 20

    def delay_after(self, attempts: int) -> timedelta:
        seconds = min(self.cap, self.base * 2 ** max(0, min(attempts - 1, 60)))
        return timedelta(seconds=seconds)


def validate_events(events: Sequence[str]) -> tuple[str, ...]:
    if not events:
        raise InvalidArgumentError("a webhook needs at least one event type", field="events")
    unknown = [event for event in events if event != "*" and event not in EVENT_TYPES]
    if unknown:
        raise InvalidArgumentError(
            f"unknown event type(s) {', '.join(map(repr, unknown))}: use "
            f"{', '.join(EVENT_TYPES)} or *",
            field="events",
        )
    return tuple(dict.fromkeys(events))


def validate_webhook_url(url: str, allowed_hosts: Sequence[str]) -> str:
    """http or https with a host allowed by ``allowed_hosts`` (``fnmatch`` patterns, ``*``
    allows every name; addresses and networks allow IP literals inside them). Where the host
    resolves to is checked by the service (``domain/addresses.py``)."""
    if not isinstance(url, str) or len(url) > 2048:
        raise InvalidArgumentError("a webhook URL must be a string of at most 2048 characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidArgumentError(f"webhook URL {url[:200]!r} must use http or https", field="url")
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidArgumentError(f"webhook URL {url[:200]!r} has no host", field="url")
    if not AllowList.parse(allowed_hosts).allows_name(host):
        raise InvalidArgumentError(
            f"webhook host {host!r} is not in the allowed hosts "
            "(setting MODELREG_WEBHOOK_ALLOWED_HOSTS)",
            field="url",
        )
    return url


def validate_secret(secret: str) -> str:
    if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
        raise InvalidArgumentError("a webhook secret must be 8 to 256 characters", field="secret")
    return secret


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Modelreg-Signature`` value for ``body`` sent at ``timestamp``."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    if not timestamp.isdigit():
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
