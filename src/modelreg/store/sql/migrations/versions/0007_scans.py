"""Model-file scan verdicts per blob digest and engine.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import modelreg.store.sql.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "blob_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=200), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("engine_version", sa.String(length=64), nullable=False),
        sa.Column("file_format", sa.String(length=32), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("findings", _json(), nullable=False),
        sa.Column(
            "scanned_at",
            modelreg.store.sql.tables.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blob_scans")),
        sa.UniqueConstraint("digest", "engine", name=op.f("uq_blob_scans_digest")),
    )
    with op.batch_alter_table("blob_scans", schema=None) as batch_op:
        batch_op.create_index("ix_blob_scans_verdict", ["verdict"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("blob_scans", schema=None) as batch_op:
        batch_op.drop_index("ix_blob_scans_verdict")
    op.drop_table("blob_scans")
