"""Policies, promotion requests and webhooks on the transaction's ``Session`` (a mixin of
``SqlTransaction``). ORM rows never leave this module."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.orm import aliased

from modelreg.domain.errors import PromotionNotFoundError, WebhookNotFoundError
from modelreg.domain.governance import (
    Decision,
    PolicyRevision,
    PromotionDecision,
    PromotionRequest,
    PromotionStatus,
)
from modelreg.domain.webhooks import (
    ClaimedDelivery,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from modelreg.store.sql.governance_tables import (
    PolicyRevisionRow,
    PromotionDecisionRow,
    PromotionRequestRow,
    WebhookOutboxRow,
    WebhookSubscriptionRow,
)
from modelreg.store.sql.lists import TextList, member_of
from modelreg.store.sql.tables import PlainRow, core_table
from modelreg.store.sql.unit import SqlUnit


class GovernanceRepository(SqlUnit):
    # -- policies ----------------------------------------------------------------------------

    def add_policy_revision(
        self, scope: str, document: Mapping[str, Any], *, actor: str, now: datetime
    ) -> PolicyRevision:
        latest = self.session.scalar(
            select(func.max(PolicyRevisionRow.revision)).where(PolicyRevisionRow.scope == scope)
        )
        row = PolicyRevisionRow(
            scope=scope,
            revision=(latest or 0) + 1,
            document=dict(document),
            created_by=actor,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _policy(row)

    def get_policy_revision(self, scope: str, revision: int | None = None) -> PolicyRevision | None:
        if revision is None:  # read twice on every push (the default's and the model's)
            row = self.session.scalars(_LATEST_POLICY, {"scope": scope}).one_or_none()
        else:
            row = self.session.scalars(
                select(PolicyRevisionRow).where(
                    PolicyRevisionRow.scope == scope, PolicyRevisionRow.revision == revision
                )
            ).one_or_none()
        return None if row is None else _policy(row)

    def latest_policy_revisions(self, scopes: Sequence[str]) -> dict[str, PolicyRevision]:
        rows = self.core.execute(_LATEST_POLICIES, {"scopes": list(scopes)})
        return {row.scope: _policy(row) for row in rows}

    def list_policy_revisions(self, scope: str) -> list[PolicyRevision]:
        rows = self.session.scalars(
            select(PolicyRevisionRow)
            .where(PolicyRevisionRow.scope == scope)
            .order_by(PolicyRevisionRow.revision.desc())
        )
        return [_policy(row) for row in rows]

    # -- promotions --------------------------------------------------------------------------

    def create_promotion(
        self,
        model_name: str,
        alias: str,
        version: int,
        *,
        reason: str,
        requested_by: str,
        now: datetime,
    ) -> PromotionRequest:
        row = PromotionRequestRow(
            model_name=model_name,
            alias=alias,
            version=version,
            reason=reason,
            status=PromotionStatus.PENDING,
            requested_by=requested_by,
            requested_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return self._promotions([row])[0]

    def get_promotion(self, request_id: int, *, lock: bool = False) -> PromotionRequest:
        statement = select(PromotionRequestRow).where(PromotionRequestRow.id == request_id)
        if lock:
            statement = statement.with_for_update()
        row = self.session.scalars(statement).one_or_none()
        if row is None:
            raise PromotionNotFoundError(
                f"promotion request {request_id} does not exist", promotion=request_id
            )
        return self._promotions([row])[0]

    def add_promotion_decision(
        self, request_id: int, *, actor: str, decision: Decision, reason: str, now: datetime
    ) -> None:
        self.session.add(
            PromotionDecisionRow(
                request_id=request_id, actor=actor, decision=decision, reason=reason, at=now
            )
        )
        self.session.flush()

    def set_promotion_status(
        self, request_id: int, status: PromotionStatus, *, now: datetime
    ) -> None:
        self.session.execute(
            update(PromotionRequestRow)
            .where(PromotionRequestRow.id == request_id)
            .values(status=status, decided_at=now)
        )

    def list_promotions(
        self,
        *,
        model_name: str | None,
        status: PromotionStatus | None,
        offset: int,
        limit: int,
    ) -> list[PromotionRequest]:
        statement = select(PromotionRequestRow)
        if model_name is not None:
            statement = statement.where(PromotionRequestRow.model_name == model_name)
        if status is not None:
            statement = statement.where(PromotionRequestRow.status == status)
        statement = statement.order_by(PromotionRequestRow.id.desc()).offset(offset).limit(limit)
        return self._promotions(list(self.session.scalars(statement)))

    def _promotions(self, rows: Sequence[PromotionRequestRow]) -> list[PromotionRequest]:
        ids = [row.id for row in rows]
        decisions: dict[int, list[PromotionDecision]] = {i: [] for i in ids}
        if ids:
            for d in self.session.scalars(
                select(PromotionDecisionRow)
                .where(PromotionDecisionRow.request_id.in_(ids))
                .order_by(PromotionDecisionRow.id)
            ):
                decisions[d.request_id].append(
                    PromotionDecision(d.actor, d.decision, d.reason, d.at)
                )
        return [
            PromotionRequest(
                id=row.id,
                model_name=row.model_name,
                alias=row.alias,
                version=row.version,
                reason=row.reason,
                requested_by=row.requested_by,
                requested_at=row.requested_at,
                status=row.status,
                decided_at=row.decided_at,
                decisions=tuple(decisions[row.id]),
            )
            for row in rows
        ]

    # -- webhooks ----------------------------------------------------------------------------

    def create_subscription(
        self, url: str, events: Sequence[str], *, secret: str, actor: str, now: datetime
    ) -> WebhookSubscription:
        row = WebhookSubscriptionRow(
            url=url, events=list(events), secret=secret, created_by=actor, created_at=now
        )
        self.session.add(row)
        self.session.flush()
        return _subscription(row)

    def _subscription_row(self, subscription_id: int) -> WebhookSubscriptionRow:
        row = self.session.get(WebhookSubscriptionRow, subscription_id)
        if row is None:
            raise WebhookNotFoundError(
                f"webhook {subscription_id} does not exist", webhook=subscription_id
            )
        return row

    def get_subscription(self, subscription_id: int) -> WebhookSubscription:
        return _subscription(self._subscription_row(subscription_id))

    def list_subscriptions(self) -> list[WebhookSubscription]:
        return [_subscription(row) for row in self.core.execute(_SUBSCRIPTIONS)]

    def delete_subscription(self, subscription_id: int) -> None:
        self.session.delete(self._subscription_row(subscription_id))
        self.session.flush()

    def add_delivery(
        self, subscription_id: int, event_type: str, payload: Mapping[str, Any], *, now: datetime
    ) -> None:
        self.session.add(
            WebhookOutboxRow(
                subscription_id=subscription_id,
                event_type=event_type,
                payload=dict(payload),
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )

    def list_deliveries(
        self, subscription_id: int, *, offset: int, limit: int
    ) -> list[WebhookDelivery]:
        self._subscription_row(subscription_id)
        rows = self.session.scalars(
            select(WebhookOutboxRow)
            .where(WebhookOutboxRow.subscription_id == subscription_id)
            .order_by(WebhookOutboxRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [_delivery(row) for row in rows]

    def _due(self, now: datetime) -> Any:
        return (
            WebhookOutboxRow.status == DeliveryStatus.PENDING,
            WebhookOutboxRow.next_attempt_at <= now,
            or_(WebhookOutboxRow.claimed_until.is_(None), WebhookOutboxRow.claimed_until < now),
        )

    def has_due_deliveries(self, now: datetime) -> bool:
        found = self.session.scalar(select(WebhookOutboxRow.id).where(*self._due(now)).limit(1))
        return found is not None

    def claim_deliveries(
        self, worker: str, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[ClaimedDelivery]:
        # PostgreSQL: rows another worker is claiming right now are skipped, not waited for.
        # SQLite: writers are serialised (BEGIN IMMEDIATE), so select-then-update is atomic.
        rows = list(
            self.session.scalars(
                select(WebhookOutboxRow)
                .where(*self._due(now))
                .order_by(WebhookOutboxRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        claimed = []
        for row in rows:
            row.claimed_by = worker
            row.claimed_until = lease_until
            subscription = self.session.get_one(WebhookSubscriptionRow, row.subscription_id)
            claimed.append(ClaimedDelivery(_delivery(row), subscription.url, subscription.secret))
        self.session.flush()
        return claimed

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
        result = self.session.execute(
            update(WebhookOutboxRow)
            .where(WebhookOutboxRow.id == delivery_id, WebhookOutboxRow.claimed_by == worker)
            .values(
                status=status,
                attempts=WebhookOutboxRow.attempts + 1,
                next_attempt_at=next_attempt_at,
                last_status_code=status_code,
                last_error=error,
                delivered_at=now if status is DeliveryStatus.DELIVERED else None,
                claimed_by=None,
                claimed_until=None,
            )
        )
        return bool(getattr(result, "rowcount", 0))


def _policy(row: PolicyRevisionRow | PlainRow) -> PolicyRevision:
    return PolicyRevision(row.scope, row.revision, row.document, row.created_by, row.created_at)


def _subscription(row: WebhookSubscriptionRow | PlainRow) -> WebhookSubscription:
    return WebhookSubscription(row.id, row.url, tuple(row.events), row.created_by, row.created_at)


def _delivery(row: WebhookOutboxRow) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        subscription_id=row.subscription_id,
        event_type=row.event_type,
        payload=row.payload,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )


_LATEST_POLICY = (
    select(PolicyRevisionRow)
    .where(PolicyRevisionRow.scope == bindparam("scope"))
    .order_by(PolicyRevisionRow.revision.desc())
    .limit(1)
)


def _latest_policies() -> Select[Any]:
    """Each named scope's highest revision (one read per push: the default's and the model's),
    as plain rows."""
    other = aliased(PolicyRevisionRow)
    highest = (
        select(func.max(other.revision)).where(other.scope == PolicyRevisionRow.scope)
    ).scalar_subquery()
    return select(*core_table(PolicyRevisionRow).c).where(
        member_of(PolicyRevisionRow.scope, bindparam("scopes", type_=TextList())),
        PolicyRevisionRow.revision == highest,
    )


_LATEST_POLICIES = _latest_policies()

# Read by every write that records an event (service/outbox.py): plain rows, and not the secret.
_SUBSCRIPTIONS = select(
    WebhookSubscriptionRow.id,
    WebhookSubscriptionRow.url,
    WebhookSubscriptionRow.events,
    WebhookSubscriptionRow.created_by,
    WebhookSubscriptionRow.created_at,
).order_by(WebhookSubscriptionRow.id)
