"""Tables of the audit chain head, alias history, deployments, evaluations and model cards
(migration 0003). The ``events`` table itself, which holds the audit entries, is in
``tables.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from modelreg.domain.records import DeploymentStatus
from modelreg.store.sql.tables import Base

HEAD_ID = 1


class AuditChainHeadRow(Base):
    """One row (id 1): the last entry appended to the chain. Appenders lock it (FOR UPDATE on
    PostgreSQL; SQLite writers are serialised already), so the chain never forks."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AliasHistoryRow(Base):
    """Every set, move and removal of an alias, by model name (it outlives the alias)."""

    __tablename__ = "alias_history"
    __table_args__ = (Index("ix_alias_history_model_name_alias_at", "model_name", "alias", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(128))
    alias: Mapped[str] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(256))


class DeploymentRow(Base):
    """What was deployed where. By model name and version number, so the record of what ran
    outlives the version."""

    __tablename__ = "deployments"
    __table_args__ = (
        Index("ix_deployments_model_name_environment_id", "model_name", "environment", "id"),
        Index("ix_deployments_environment", "environment"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    environment: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeploymentStatus] = mapped_column(
        Enum(
            DeploymentStatus,
            native_enum=False,
            length=16,
            values_callable=lambda members: [member.value for member in members],
            validate_strings=True,
        )
    )
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(256))
    at: Mapped[datetime]


class EvaluationRow(Base):
    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    dataset: Mapped[str] = mapped_column(String(2048))
    metrics: Mapped[dict[str, Any]]
    description: Mapped[str] = mapped_column(Text, default="")
    report_name: Mapped[str | None] = mapped_column(String(1024))
    report_size: Mapped[int | None] = mapped_column(BigInteger)
    report_digest: Mapped[str | None] = mapped_column(String(80), index=True)
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]


class ModelCardRow(Base):
    """Every revision of a version's model card; the highest is current."""

    __tablename__ = "model_cards"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    front_matter: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]
