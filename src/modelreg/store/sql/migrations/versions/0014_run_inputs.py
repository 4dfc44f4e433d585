"""MLflow run inputs: the datasets a run read (``mlflow.log_input``) and the logged models it
took as input. A version registered from a run carries the run's datasets in its lineage. A
metric value may name the dataset it was measured on (MLflow 3).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modelreg.store.sql.tables

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mlflow_run_metrics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dataset_name", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("dataset_digest", sa.String(length=36), nullable=True))
    op.create_table(
        "mlflow_datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("digest", sa.String(length=36), nullable=False),
        sa.Column("source_type", sa.String(length=36), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("schema", sa.Text(), nullable=True),
        sa.Column("profile", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["mlflow_experiments.id"],
            name=op.f("fk_mlflow_datasets_experiment_id_mlflow_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlflow_datasets")),
        sa.UniqueConstraint(
            "experiment_id", "name", "digest", name=op.f("uq_mlflow_datasets_experiment_id")
        ),
    )
    op.create_table(
        "mlflow_run_inputs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("context", sa.String(length=500), nullable=True),
        sa.Column("tags", modelreg.store.sql.tables.JSONDocument, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["mlflow_datasets.id"],
            name=op.f("fk_mlflow_run_inputs_dataset_id_mlflow_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["mlflow_runs.id"],
            name=op.f("fk_mlflow_run_inputs_run_id_mlflow_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "dataset_id", name=op.f("pk_mlflow_run_inputs")),
    )
    with op.batch_alter_table("mlflow_run_inputs", schema=None) as batch_op:
        batch_op.create_index("ix_mlflow_run_inputs_dataset_id", ["dataset_id"], unique=False)
    op.create_table(
        "mlflow_run_model_inputs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["mlflow_runs.id"],
            name=op.f("fk_mlflow_run_model_inputs_run_id_mlflow_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "model_id", name=op.f("pk_mlflow_run_model_inputs")),
    )


def downgrade() -> None:
    op.drop_table("mlflow_run_model_inputs")
    with op.batch_alter_table("mlflow_run_inputs", schema=None) as batch_op:
        batch_op.drop_index("ix_mlflow_run_inputs_dataset_id")
    op.drop_table("mlflow_run_inputs")
    op.drop_table("mlflow_datasets")
    with op.batch_alter_table("mlflow_run_metrics", schema=None) as batch_op:
        batch_op.drop_column("dataset_digest")
        batch_op.drop_column("dataset_name")
