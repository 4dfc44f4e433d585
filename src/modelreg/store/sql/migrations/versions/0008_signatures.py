"""Signing keys and manifest signatures.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import modelreg.store.sql.tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, modelreg.store.sql.tables.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=80), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=256), nullable=False),
        _time("added_at"),
        sa.Column("revoked_by", sa.String(length=256), nullable=True),
        _time("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_signing_keys_fingerprint")),
        sa.UniqueConstraint("name", name=op.f("uq_signing_keys_name")),
    )
    op.create_table(
        "manifest_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=80), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("signed_by", sa.String(length=256), nullable=False),
        _time("signed_at"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name=op.f("fk_manifest_signatures_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manifest_signatures")),
        sa.UniqueConstraint(
            "version_id", "key_fingerprint", name=op.f("uq_manifest_signatures_version_id")
        ),
    )
    with op.batch_alter_table("manifest_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manifest_signatures_version_id"), ["version_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("manifest_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manifest_signatures_version_id"))
    op.drop_table("manifest_signatures")
    op.drop_table("signing_keys")
