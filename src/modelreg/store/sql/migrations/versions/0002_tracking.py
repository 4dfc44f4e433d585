"""MLflow-compatible tracking tables (experiments, runs, logged models, artifacts).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 06:40:00

Reserved for the MLflow compatibility layer; it creates nothing yet.
"""

from __future__ import annotations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
