"""Ports for policies, promotion requests and webhooks (part of ``MetadataTransaction``).

Same contract as ``store/base.py``: nothing commits on its own; missing things raise the
domain's ``NotFoundError`` subclasses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from modelreg.domain.governance import (
    Decision,
    PolicyRevision,
    PromotionRequest,
    PromotionStatus,
)
from modelreg.domain.webhooks import (
    ClaimedDelivery,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)


class PolicyRepository(Protocol):
    def add_policy_revision(
        self, scope: str, document: Mapping[str, Any], *, actor: str, now: datetime
    ) -> PolicyRevision:
        """Store ``document`` as the next revision of ``scope`` (1 for the first)."""

    def get_policy_revision(self, scope: str, revision: int | None = None) -> PolicyRevision | None:
        """The given revision of ``scope``, or its latest when ``revision`` is None."""

    def latest_policy_revisions(self, scopes: Sequence[str]) -> dict[str, PolicyRevision]:
        """The latest revision of each of ``scopes`` that has one, in one read."""

    def list_policy_revisions(self, scope: str) -> list[PolicyRevision]:
        """Every revision of ``scope``, newest first."""


class PromotionRepository(Protocol):
    def create_promotion(
        self,
        model_name: str,
        alias: str,
        version: int,
        *,
        reason: str,
        requested_by: str,
        now: datetime,
    ) -> PromotionRequest: ...

    def get_promotion(self, request_id: int, *, lock: bool = False) -> PromotionRequest:
        """``lock=True`` serialises concurrent deciders of one request (a row lock)."""

    def add_promotion_decision(
        self, request_id: int, *, actor: str, decision: Decision, reason: str, now: datetime
    ) -> None: ...

    def set_promotion_status(
        self, request_id: int, status: PromotionStatus, *, now: datetime
    ) -> None: ...

    def list_promotions(
        self,
        *,
        model_name: str | None,
        status: PromotionStatus | None,
        offset: int,
        limit: int,
    ) -> list[PromotionRequest]:
        """Newest first."""


class WebhookRepository(Protocol):
    def create_subscription(
        self, url: str, events: Sequence[str], *, secret: str, actor: str, now: datetime
    ) -> WebhookSubscription: ...

    def get_subscription(self, subscription_id: int) -> WebhookSubscription: ...

    def list_subscriptions(self) -> list[WebhookSubscription]: ...

    def delete_subscription(self, subscription_id: int) -> None:
        """Remove the subscription and its deliveries."""

    def add_delivery(
        self, subscription_id: int, event_type: str, payload: Mapping[str, Any], *, now: datetime
    ) -> None:
        """Queue one delivery (an outbox row), due at once."""

    def list_deliveries(
        self, subscription_id: int, *, offset: int, limit: int
    ) -> list[WebhookDelivery]:
        """Newest first."""

    def has_due_deliveries(self, now: datetime) -> bool: ...

    def claim_deliveries(
        self, worker: str, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[ClaimedDelivery]:
        """Lease up to ``limit`` due deliveries to ``worker``: PENDING, due, and not leased to
        anyone or leased with an expired lease. Concurrent claimers never get the same row."""

    def finish_attempt(
        self,
        delivery_id: int,
        worker: str,
        *,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
        status_code: int | None,
        error: str | None,
        now: datetime,
    ) -> bool:
        """Record one attempt and release the lease; False when ``worker`` no longer holds it."""
