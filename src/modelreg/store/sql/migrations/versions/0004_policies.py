"""Policies, protected aliases, promotion requests, webhooks and their outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 06:45:00

Reserved for the governance work; it creates nothing yet.
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
