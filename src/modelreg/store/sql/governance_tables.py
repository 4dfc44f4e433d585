"""Tables of policies, promotion requests and webhooks (migration 0004).

Policies and promotion requests are keyed by model name, not id, like the events: they are
history and outlive a deleted model.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from modelreg.domain.governance import Decision, PromotionStatus
from modelreg.domain.webhooks import DeliveryStatus
from modelreg.store.sql.tables import Base


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class PolicyRevisionRow(Base):
    __tablename__ = "policy_revisions"
    __table_args__ = (UniqueConstraint("scope", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A model name, or "*" for the registry-wide default.
    scope: Mapped[str] = mapped_column(String(128))
    revision: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]


class PromotionRequestRow(Base):
    __tablename__ = "promotion_requests"
    __table_args__ = (Index("ix_promotion_requests_model_name_id", "model_name", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(128))
    alias: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[PromotionStatus] = mapped_column(_enum(PromotionStatus), index=True)
    requested_by: Mapped[str] = mapped_column(String(256))
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class PromotionDecisionRow(Base):
    __tablename__ = "promotion_decisions"
    # One approval per person: distinct approvers are counted by the database too.
    __table_args__ = (UniqueConstraint("request_id", "actor", "decision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("promotion_requests.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(256))
    decision: Mapped[Decision] = mapped_column(_enum(Decision))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class WebhookSubscriptionRow(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]]
    secret: Mapped[str] = mapped_column(String(256))
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]


class WebhookOutboxRow(Base):
    """The outbox: one row per event and subscription, written in the transaction of the change;
    the delivery worker leases rows (``claimed_by`` until ``claimed_until``) and logs attempts."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        Index("ix_webhook_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_outbox_subscription_id_id", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
