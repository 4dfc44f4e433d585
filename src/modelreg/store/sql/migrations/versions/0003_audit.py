"""Audit trail, alias history, deployments, evaluations, model cards, archiving.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 06:45:00

Reserved for the governance work; it creates nothing yet.
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
