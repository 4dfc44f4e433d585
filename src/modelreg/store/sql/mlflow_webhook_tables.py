"""The MLflow view of webhook subscriptions (migration 0010): what MLflow's webhook API has
and modelreg's subscriptions do not (name, description, status, MLflow's event names). One row
per subscription made through ``/api/2.0/mlflow/webhooks``, deleted with it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from modelreg.domain.mlflow_webhooks import WebhookStatus
from modelreg.store.sql.tables import Base

__all__ = ["Base", "MlflowWebhookRow"]


class MlflowWebhookRow(Base):
    __tablename__ = "mlflow_webhooks"

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]]
    status: Mapped[WebhookStatus] = mapped_column(
        Enum(
            WebhookStatus,
            native_enum=False,
            length=16,
            values_callable=lambda members: [member.value for member in members],
            validate_strings=True,
        )
    )
    signed: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]
