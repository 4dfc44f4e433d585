"""Quarantine releases (a maintainer's reviewed exception per version and file) and the
once-a-day record of downloads that used the unsafe override (docs/scanning.md).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 11:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import modelreg.store.sql.tables

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "quarantine_releases",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=200), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("engines", _json(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("released_by", sa.String(length=256), nullable=False),
        sa.Column(
            "released_at", modelreg.store.sql.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name=op.f("fk_quarantine_releases_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "digest", name=op.f("pk_quarantine_releases")),
    )
    with op.batch_alter_table("quarantine_releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantine_releases_digest"), ["digest"], unique=False)
    op.create_table(
        "quarantine_overrides",
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.Column("digest", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("actor", "digest", "day", name=op.f("pk_quarantine_overrides")),
    )
    with op.batch_alter_table("quarantine_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantine_overrides_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quarantine_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_overrides_day"))
    op.drop_table("quarantine_overrides")
    with op.batch_alter_table("quarantine_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_releases_digest"))
    op.drop_table("quarantine_releases")
