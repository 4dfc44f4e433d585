"""Tracking tables (migrations 0002 and 0014), read and written by ``tracking_repository.py``.

Experiments, runs (with the datasets they read) and logged models are what the MLflow client
needs to log a model; artifacts are an index from artifact path to a blob of the
content-addressed store; ``mlflow_version_extras`` holds the MLflow-only fields of a model
version (stage, source), one row per version at most.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from modelreg.domain.tracking import (
    LifecycleStage,
    LoggedModelStatus,
    RunStatus,
    Stage,
)
from modelreg.store.sql.tables import Base


def _enum(cls: type[enum.Enum], length: int = 32) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


# -- tables ---------------------------------------------------------------------------------------


class ExperimentRow(Base):
    __tablename__ = "mlflow_experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(500), unique=True)
    artifact_location: Mapped[str] = mapped_column(String(2048))
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(_enum(LifecycleStage))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ExperimentTagRow(Base):
    __tablename__ = "mlflow_experiment_tags"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("mlflow_experiments.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RunRow(Base):
    __tablename__ = "mlflow_runs"
    __table_args__ = (
        Index("ix_mlflow_runs_experiment_id_start_time", "experiment_id", "start_time"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("mlflow_experiments.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(250))
    user_id: Mapped[str] = mapped_column(String(256))
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus))
    start_time: Mapped[datetime | None]
    end_time: Mapped[datetime | None]
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(_enum(LifecycleStage))
    artifact_uri: Mapped[str] = mapped_column(String(2048))


class RunParamRow(Base):
    __tablename__ = "mlflow_run_params"

    run_id: Mapped[str] = mapped_column(
        ForeignKey("mlflow_runs.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RunTagRow(Base):
    __tablename__ = "mlflow_run_tags"

    run_id: Mapped[str] = mapped_column(
        ForeignKey("mlflow_runs.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RunMetricRow(Base):
    """Every logged metric value; NaN is stored as NULL (SQLite has no NaN)."""

    __tablename__ = "mlflow_run_metrics"
    __table_args__ = (Index("ix_mlflow_run_metrics_run_id_key", "run_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("mlflow_runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(250))
    value: Mapped[float | None] = mapped_column(Float(precision=53))
    timestamp: Mapped[datetime]
    step: Mapped[int] = mapped_column(BigInteger)
    model_id: Mapped[str | None] = mapped_column(String(64), index=True)
    dataset_name: Mapped[str | None] = mapped_column(String(500))  # migration 0014
    dataset_digest: Mapped[str | None] = mapped_column(String(36))


class RunOutputRow(Base):
    __tablename__ = "mlflow_run_outputs"

    run_id: Mapped[str] = mapped_column(
        ForeignKey("mlflow_runs.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger)


class DatasetRow(Base):
    """A dataset, stored once per experiment, name and digest (MLflow's identity of one)."""

    __tablename__ = "mlflow_datasets"
    __table_args__ = (UniqueConstraint("experiment_id", "name", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("mlflow_experiments.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(36))
    source_type: Mapped[str] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(Text)
    schema: Mapped[str | None] = mapped_column(Text)
    profile: Mapped[str | None] = mapped_column(Text)


class RunInputRow(Base):
    """A dataset one run used; ``context`` is the ``mlflow.data.context`` tag, kept apart from
    the other tags so searches can compare it; ``position`` keeps the order they were logged."""

    __tablename__ = "mlflow_run_inputs"
    __table_args__ = (Index("ix_mlflow_run_inputs_dataset_id", "dataset_id"),)

    run_id: Mapped[str] = mapped_column(
        ForeignKey("mlflow_runs.id", ondelete="CASCADE"), primary_key=True
    )
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("mlflow_datasets.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)
    context: Mapped[str | None] = mapped_column(String(500))
    tags: Mapped[dict[str, Any]]


class RunModelInputRow(Base):
    __tablename__ = "mlflow_run_model_inputs"

    run_id: Mapped[str] = mapped_column(
        ForeignKey("mlflow_runs.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class LoggedModelRow(Base):
    __tablename__ = "mlflow_logged_models"
    __table_args__ = (
        Index("ix_mlflow_logged_models_experiment_id_created_at", "experiment_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("mlflow_experiments.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(500))
    model_type: Mapped[str] = mapped_column(String(500))
    source_run_id: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[LoggedModelStatus] = mapped_column(_enum(LoggedModelStatus))
    status_message: Mapped[str] = mapped_column(Text)
    artifact_uri: Mapped[str] = mapped_column(String(2048))
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(_enum(LifecycleStage))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LoggedModelTagRow(Base):
    __tablename__ = "mlflow_logged_model_tags"

    model_id: Mapped[str] = mapped_column(
        ForeignKey("mlflow_logged_models.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LoggedModelParamRow(Base):
    __tablename__ = "mlflow_logged_model_params"

    model_id: Mapped[str] = mapped_column(
        ForeignKey("mlflow_logged_models.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ArtifactRow(Base):
    """Artifact path -> blob. The bytes live once in the blob store, under their digest."""

    __tablename__ = "mlflow_artifacts"

    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(80), index=True)
    updated_at: Mapped[datetime]


class VersionExtrasRow(Base):
    """MLflow-only fields of a model version; deleted with the version."""

    __tablename__ = "mlflow_version_extras"
    __table_args__ = (Index("ix_mlflow_version_extras_stage", "stage"),)

    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[Stage] = mapped_column(_enum(Stage, 16))
    source: Mapped[str | None] = mapped_column(Text)
    run_link: Mapped[str] = mapped_column(Text)
    logged_model_id: Mapped[str | None] = mapped_column(String(64))
