"""A version's last update time: ``model_versions.updated_at``, the last change of its
description, tags, archive state or MLflow stage. It replaces ``mlflow_version_extras.updated_at``
(which only MLflow's changes moved), so native searches and MLflow's ``last_updated_timestamp``
order by the same time.

Existing versions take the MLflow time where there was one, else their creation, and their
archiving when that came later.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modelreg.store.sql.tables

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

UTC_DATETIME = modelreg.store.sql.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", UTC_DATETIME, nullable=True))
    op.execute(
        "UPDATE model_versions SET updated_at = COALESCE("
        "(SELECT e.updated_at FROM mlflow_version_extras e WHERE e.version_id = model_versions.id),"
        " created_at)"
    )
    op.execute(
        "UPDATE model_versions SET updated_at = archived_at "
        "WHERE archived_at IS NOT NULL AND archived_at > updated_at"
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=UTC_DATETIME, nullable=False)
        batch_op.create_index(
            batch_op.f("ix_model_versions_updated_at"), ["updated_at"], unique=False
        )
    with op.batch_alter_table("mlflow_version_extras", schema=None) as batch_op:
        batch_op.drop_column("updated_at")


def downgrade() -> None:
    with op.batch_alter_table("mlflow_version_extras", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", UTC_DATETIME, nullable=True))
    op.execute(
        "UPDATE mlflow_version_extras SET updated_at = (SELECT v.updated_at FROM model_versions v"
        " WHERE v.id = mlflow_version_extras.version_id)"
    )
    with op.batch_alter_table("mlflow_version_extras", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=UTC_DATETIME, nullable=False)
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_versions_updated_at"))
        batch_op.drop_column("updated_at")
