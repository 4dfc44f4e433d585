"""Wire schemas of policies, promotions and webhooks (kept beside ``schemas.py`` so the two
governance parts do not edit one file)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from modelreg.domain.governance import PolicyRevision, PromotionRequest
from modelreg.domain.policy import PolicyReport
from modelreg.domain.webhooks import WebhookDelivery, WebhookSubscription
from modelreg.server.schemas import Schema


class PolicySet(Schema):
    document: dict[str, Any]


class PolicyRevisionOut(Schema):
    model: str | None
    revision: int
    document: dict[str, Any]
    created_by: str
    created_at: datetime

    @classmethod
    def from_entity(cls, revision: PolicyRevision) -> PolicyRevisionOut:
        return cls(
            model=revision.model_name,
            revision=revision.revision,
            document=dict(revision.document),
            created_by=revision.created_by,
            created_at=revision.created_at,
        )


class PolicyRevisionList(Schema):
    items: list[PolicyRevisionOut]


class EffectivePolicyOut(Schema):
    model: str
    document: dict[str, Any]


class RuleResultOut(Schema):
    rule: str
    outcome: str
    detail: str


class PolicyReportOut(Schema):
    model: str
    version: int | None
    alias: str | None
    passed: bool
    results: list[RuleResultOut]

    @classmethod
    def from_entity(cls, report: PolicyReport) -> PolicyReportOut:
        return cls(
            model=report.model_name,
            version=report.version,
            alias=report.alias,
            passed=report.passed,
            results=[
                RuleResultOut(rule=r.rule, outcome=r.outcome.value, detail=r.detail)
                for r in report.results
            ],
        )


class PromotionCreate(Schema):
    alias: str
    version: int = Field(ge=1)
    reason: str


class PromotionDecide(Schema):
    reason: str = ""


class PromotionDecisionOut(Schema):
    actor: str
    decision: str
    reason: str
    at: datetime


class PromotionOut(Schema):
    id: int
    model: str
    alias: str
    version: int
    reason: str
    requested_by: str
    requested_at: datetime
    status: str
    decided_at: datetime | None
    approvers: list[str]
    decisions: list[PromotionDecisionOut]

    @classmethod
    def from_entity(cls, request: PromotionRequest) -> PromotionOut:
        return cls(
            id=request.id,
            model=request.model_name,
            alias=request.alias,
            version=request.version,
            reason=request.reason,
            requested_by=request.requested_by,
            requested_at=request.requested_at,
            status=request.status.value,
            decided_at=request.decided_at,
            approvers=list(request.approvers),
            decisions=[
                PromotionDecisionOut(
                    actor=d.actor, decision=d.decision.value, reason=d.reason, at=d.at
                )
                for d in request.decisions
            ],
        )


class PromotionPage(Schema):
    items: list[PromotionOut]
    next_cursor: str | None


class WebhookCreate(Schema):
    url: str
    events: list[str]
    secret: str


class WebhookOut(Schema):
    """A subscription; its secret is never shown again after it is set."""

    id: int
    url: str
    events: list[str]
    created_by: str
    created_at: datetime

    @classmethod
    def from_entity(cls, subscription: WebhookSubscription) -> WebhookOut:
        return cls(
            id=subscription.id,
            url=subscription.url,
            events=list(subscription.events),
            created_by=subscription.created_by,
            created_at=subscription.created_at,
        )


class WebhookList(Schema):
    items: list[WebhookOut]


class DeliveryOut(Schema):
    id: int
    webhook_id: int
    event_type: str
    payload: dict[str, Any]
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None

    @classmethod
    def from_entity(cls, delivery: WebhookDelivery) -> DeliveryOut:
        return cls(
            id=delivery.id,
            webhook_id=delivery.subscription_id,
            event_type=delivery.event_type,
            payload=dict(delivery.payload),
            status=delivery.status.value,
            attempts=delivery.attempts,
            created_at=delivery.created_at,
            next_attempt_at=delivery.next_attempt_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
        )


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None
