"""Proof of possession in pushes: the digests each upload session has sent.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upload_receipts",
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["upload_sessions.id"],
            name=op.f("fk_upload_receipts_upload_id_upload_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", "digest", name=op.f("pk_upload_receipts")),
    )


def downgrade() -> None:
    op.drop_table("upload_receipts")
