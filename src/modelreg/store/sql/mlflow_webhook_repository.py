"""SQL for the MLflow view of webhook subscriptions (``store/mlflow_webhooks.py``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from modelreg.domain.errors import WebhookNotFoundError
from modelreg.domain.mlflow_webhooks import MlflowWebhook, WebhookStatus
from modelreg.store.sql.governance_tables import WebhookSubscriptionRow
from modelreg.store.sql.mlflow_webhook_tables import MlflowWebhookRow
from modelreg.store.sql.unit import SqlUnit


def _webhook(view: MlflowWebhookRow, subscription: WebhookSubscriptionRow) -> MlflowWebhook:
    return MlflowWebhook(
        id=subscription.id,
        name=view.name,
        description=view.description,
        url=subscription.url,
        events=tuple(view.events),
        status=view.status,
        signed=view.signed,
        created_at=subscription.created_at,
        updated_at=view.updated_at,
    )


class MlflowWebhookRepositorySql(SqlUnit):
    def _mlflow_rows(self, subscription_id: int) -> tuple[MlflowWebhookRow, WebhookSubscriptionRow]:
        view = self.session.get(MlflowWebhookRow, subscription_id)
        subscription = self.session.get(WebhookSubscriptionRow, subscription_id)
        if view is None or subscription is None:
            raise WebhookNotFoundError(
                f"Webhook with ID {subscription_id} not found", webhook=subscription_id
            )
        return view, subscription

    def add_mlflow_webhook(
        self,
        subscription_id: int,
        *,
        name: str,
        description: str,
        events: tuple[str, ...],
        status: WebhookStatus,
        signed: bool,
        now: datetime,
    ) -> MlflowWebhook:
        view = MlflowWebhookRow(
            subscription_id=subscription_id,
            name=name,
            description=description,
            events=list(events),
            status=status,
            signed=signed,
            updated_at=now,
        )
        self.session.add(view)
        self.session.flush()
        return _webhook(*self._mlflow_rows(subscription_id))

    def get_mlflow_webhook(self, subscription_id: int) -> MlflowWebhook:
        return _webhook(*self._mlflow_rows(subscription_id))

    def get_mlflow_webhook_secret(self, subscription_id: int) -> str:
        _view, subscription = self._mlflow_rows(subscription_id)
        return subscription.secret

    def list_mlflow_webhooks(self, *, offset: int, limit: int) -> list[MlflowWebhook]:
        rows = self.session.execute(
            select(MlflowWebhookRow, WebhookSubscriptionRow)
            .join(
                WebhookSubscriptionRow,
                WebhookSubscriptionRow.id == MlflowWebhookRow.subscription_id,
            )
            .order_by(MlflowWebhookRow.subscription_id)
            .offset(offset)
            .limit(limit)
        )
        return [_webhook(view, subscription) for view, subscription in rows]

    def update_mlflow_webhook(
        self,
        subscription_id: int,
        *,
        name: str,
        description: str,
        url: str,
        events: tuple[str, ...],
        delivered_types: tuple[str, ...],
        status: WebhookStatus,
        secret: str | None,
        signed: bool,
        now: datetime,
    ) -> MlflowWebhook:
        view, subscription = self._mlflow_rows(subscription_id)
        view.name = name
        view.description = description
        view.events = list(events)
        view.status = status
        view.signed = signed
        view.updated_at = now
        subscription.url = url
        subscription.events = list(delivered_types)
        if secret is not None:
            subscription.secret = secret
        self.session.flush()
        return _webhook(view, subscription)
