"""Port for the MLflow view of webhook subscriptions (part of ``MetadataTransaction``).

Same contract as ``store/base.py``: nothing commits on its own; a subscription without an
MLflow view is ``WebhookNotFoundError`` to ``get_mlflow_webhook``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from modelreg.domain.mlflow_webhooks import MlflowWebhook, WebhookStatus


class MlflowWebhookRepository(Protocol):
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
        """Give an existing subscription its MLflow view."""

    def get_mlflow_webhook(self, subscription_id: int) -> MlflowWebhook:
        """The subscription as MLflow shows it; ``WebhookNotFoundError`` if it has no view."""

    def get_mlflow_webhook_secret(self, subscription_id: int) -> str:
        """The key its deliveries are signed with (never shown by any API)."""

    def list_mlflow_webhooks(self, *, offset: int, limit: int) -> list[MlflowWebhook]:
        """Subscriptions with an MLflow view, oldest first."""

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
        """Change both the view and the subscription under it (``delivered_types`` are the
        modelreg types it is subscribed to; ``secret`` None keeps the current one)."""
