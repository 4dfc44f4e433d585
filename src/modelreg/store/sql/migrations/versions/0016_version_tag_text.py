"""A version's tag values as unbounded text, as a model's already are: tag values may be up to
100,000 characters (``Limits.tag_value_length``, MLflow's registry limit), so every tag an
MLflow registry holds can be written and imported.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("version_tags", schema=None) as batch_op:
        batch_op.alter_column(
            "value", existing_type=sa.String(length=5000), type_=sa.Text(), existing_nullable=False
        )


def downgrade() -> None:
    # Values longer than 5,000 characters do not fit the old column: cut them, as the only way
    # back (PostgreSQL would refuse the change otherwise).
    op.execute("UPDATE version_tags SET value = substr(value, 1, 5000) WHERE length(value) > 5000")
    with op.batch_alter_table("version_tags", schema=None) as batch_op:
        batch_op.alter_column(
            "value", existing_type=sa.Text(), type_=sa.String(length=5000), existing_nullable=False
        )
