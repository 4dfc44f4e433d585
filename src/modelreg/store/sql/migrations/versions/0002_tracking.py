"""MLflow-compatible tracking tables (experiments, runs, logged models, artifacts) and the
MLflow-only fields of model versions (stage, source).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modelreg.store.sql.tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_DATETIME = modelreg.store.sql.tables.UTCDateTime(timezone=True)


def _lifecycle() -> sa.Enum:
    return sa.Enum("active", "deleted", name="lifecyclestage", native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "mlflow_artifacts",
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_mlflow_artifacts")),
    )
    with op.batch_alter_table("mlflow_artifacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mlflow_artifacts_digest"), ["digest"], unique=False)

    op.create_table(
        "mlflow_experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("artifact_location", sa.String(length=2048), nullable=False),
        sa.Column("lifecycle_stage", _lifecycle(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlflow_experiments")),
        sa.UniqueConstraint("name", name=op.f("uq_mlflow_experiments_name")),
    )
    op.create_table(
        "mlflow_experiment_tags",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["mlflow_experiments.id"],
            name=op.f("fk_mlflow_experiment_tags_experiment_id_mlflow_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_id", "key", name=op.f("pk_mlflow_experiment_tags")),
    )
    op.create_table(
        "mlflow_logged_models",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("model_type", sa.String(length=500), nullable=False),
        sa.Column("source_run_id", sa.String(length=32), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "LOGGED_MODEL_PENDING",
                "LOGGED_MODEL_READY",
                "LOGGED_MODEL_UPLOAD_FAILED",
                name="loggedmodelstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("artifact_uri", sa.String(length=2048), nullable=False),
        sa.Column("lifecycle_stage", _lifecycle(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["mlflow_experiments.id"],
            name=op.f("fk_mlflow_logged_models_experiment_id_mlflow_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlflow_logged_models")),
    )
    with op.batch_alter_table("mlflow_logged_models", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mlflow_logged_models_experiment_id_created_at",
            ["experiment_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mlflow_logged_models_source_run_id"), ["source_run_id"], unique=False
        )

    op.create_table(
        "mlflow_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "RUNNING",
                "SCHEDULED",
                "FINISHED",
                "FAILED",
                "KILLED",
                name="runstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_time", UTC_DATETIME, nullable=True),
        sa.Column("end_time", UTC_DATETIME, nullable=True),
        sa.Column("lifecycle_stage", _lifecycle(), nullable=False),
        sa.Column("artifact_uri", sa.String(length=2048), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["mlflow_experiments.id"],
            name=op.f("fk_mlflow_runs_experiment_id_mlflow_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlflow_runs")),
    )
    with op.batch_alter_table("mlflow_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mlflow_runs_experiment_id_start_time", ["experiment_id", "start_time"], unique=False
        )

    for table in ("params", "tags"):
        op.create_table(
            f"mlflow_logged_model_{table}",
            sa.Column("model_id", sa.String(length=64), nullable=False),
            sa.Column("key", sa.String(length=250), nullable=False),
            sa.Column("value", sa.Text(), nullable=False),
            sa.ForeignKeyConstraint(
                ["model_id"],
                ["mlflow_logged_models.id"],
                name=op.f(f"fk_mlflow_logged_model_{table}_model_id_mlflow_logged_models"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint(
                "model_id", "key", name=op.f(f"pk_mlflow_logged_model_{table}")
            ),
        )

    op.create_table(
        "mlflow_run_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=True),
        sa.Column("timestamp", UTC_DATETIME, nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["mlflow_runs.id"],
            name=op.f("fk_mlflow_run_metrics_run_id_mlflow_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlflow_run_metrics")),
    )
    with op.batch_alter_table("mlflow_run_metrics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mlflow_run_metrics_model_id"), ["model_id"], unique=False
        )
        batch_op.create_index("ix_mlflow_run_metrics_run_id_key", ["run_id", "key"], unique=False)

    op.create_table(
        "mlflow_run_outputs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["mlflow_runs.id"],
            name=op.f("fk_mlflow_run_outputs_run_id_mlflow_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "model_id", name=op.f("pk_mlflow_run_outputs")),
    )
    for table in ("params", "tags"):
        op.create_table(
            f"mlflow_run_{table}",
            sa.Column("run_id", sa.String(length=32), nullable=False),
            sa.Column("key", sa.String(length=250), nullable=False),
            sa.Column("value", sa.Text(), nullable=False),
            sa.ForeignKeyConstraint(
                ["run_id"],
                ["mlflow_runs.id"],
                name=op.f(f"fk_mlflow_run_{table}_run_id_mlflow_runs"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("run_id", "key", name=op.f(f"pk_mlflow_run_{table}")),
        )

    op.create_table(
        "mlflow_version_extras",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "None",
                "Staging",
                "Production",
                "Archived",
                name="stage",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("run_link", sa.Text(), nullable=False),
        sa.Column("logged_model_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name=op.f("fk_mlflow_version_extras_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_mlflow_version_extras")),
    )
    with op.batch_alter_table("mlflow_version_extras", schema=None) as batch_op:
        batch_op.create_index("ix_mlflow_version_extras_stage", ["stage"], unique=False)


def downgrade() -> None:
    for table in (
        "mlflow_version_extras",
        "mlflow_run_tags",
        "mlflow_run_params",
        "mlflow_run_outputs",
        "mlflow_run_metrics",
        "mlflow_logged_model_tags",
        "mlflow_logged_model_params",
        "mlflow_runs",
        "mlflow_logged_models",
        "mlflow_experiment_tags",
        "mlflow_experiments",
        "mlflow_artifacts",
    ):
        op.drop_table(table)
