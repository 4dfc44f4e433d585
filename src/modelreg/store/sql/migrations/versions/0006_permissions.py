"""Role grants on models (authorization).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modelreg.store.sql.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column(
            "subject_kind",
            sa.Enum("user", "team", name="subjectkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("subject_name", sa.String(length=256), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "reader", "writer", "maintainer", "admin", name="role", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("granted_by", sa.String(length=256), nullable=False),
        sa.Column(
            "granted_at",
            modelreg.store.sql.tables.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registered_models.id"],
            name=op.f("fk_model_grants_model_id_registered_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_grants")),
        sa.UniqueConstraint(
            "model_id", "subject_kind", "subject_name", name=op.f("uq_model_grants_model_id")
        ),
    )
    with op.batch_alter_table("model_grants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_model_grants_subject", ["subject_kind", "subject_name", "model_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("model_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_model_grants_subject")
    op.drop_table("model_grants")
