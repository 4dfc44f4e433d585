"""Retention policies and storage bookkeeping.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modelreg.store.sql.tables

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_policies",
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("keep_last", sa.Integer(), nullable=True),
        sa.Column("archive_after_seconds", sa.BigInteger(), nullable=True),
        sa.Column("delete_archived_after_seconds", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.String(length=256), nullable=False),
        sa.Column(
            "updated_at",
            modelreg.store.sql.tables.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_retention_policies")),
    )


def downgrade() -> None:
    op.drop_table("retention_policies")
