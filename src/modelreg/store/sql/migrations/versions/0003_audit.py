"""Audit trail, alias history, deployments, evaluations, model cards, archiving.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 06:45:00

The ``events`` table becomes the audit trail: each row gets a gapless ``seq``, a ``target``,
``before``/``after`` values and the hash chain (``prev_hash``, ``hash``; see
``modelreg/domain/audit.py``). Rows written before this revision are chained here, in id
order, so ``modelreg audit verify`` covers them too. ``model_name`` becomes nullable for
registry-wide entries.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import modelreg.store.sql.tables
from modelreg.domain.audit import GENESIS, chain_entry
from modelreg.domain.entities import Event

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_DATETIME = modelreg.store.sql.tables.UTCDateTime(timezone=True)


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    _chain_events()
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    _write_head()
    op.create_table(
        "alias_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=128), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alias_history")),
    )
    op.create_index(
        "ix_alias_history_model_name_alias_at", "alias_history", ["model_name", "alias", "at"]
    )
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "DEPLOYING",
                "DEPLOYED",
                "FAILED",
                "RETIRED",
                name="deploymentstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=256), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
    )
    op.create_index("ix_deployments_environment", "deployments", ["environment"])
    op.create_index(
        "ix_deployments_model_name_environment_id",
        "deployments",
        ["model_name", "environment", "id"],
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=2048), nullable=False),
        sa.Column("metrics", _json(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("report_name", sa.String(length=1024), nullable=True),
        sa.Column("report_size", sa.BigInteger(), nullable=True),
        sa.Column("report_digest", sa.String(length=80), nullable=True),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name=op.f("fk_evaluations_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
    )
    op.create_index(op.f("ix_evaluations_version_id"), "evaluations", ["version_id"])
    op.create_index(op.f("ix_evaluations_report_digest"), "evaluations", ["report_digest"])
    op.create_table(
        "model_cards",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("front_matter", _json(), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name=op.f("fk_model_cards_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "revision", name=op.f("pk_model_cards")),
    )
    # Plain ADD COLUMN (no table rebuild): rebuilding model_versions on SQLite would cascade
    # the deletion of the old table to the rows that reference it.
    op.add_column("model_versions", sa.Column("archived_at", UTC_DATETIME, nullable=True))
    op.add_column("model_versions", sa.Column("archived_by", sa.String(length=256), nullable=True))


def _chain_events() -> None:
    op.add_column("events", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("events", sa.Column("target", sa.String(length=512), nullable=True))
    op.add_column("events", sa.Column("before", _json(), nullable=True))
    op.add_column("events", sa.Column("after", _json(), nullable=True))
    op.add_column("events", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("events", sa.Column("hash", sa.String(length=64), nullable=True))
    events = sa.table(
        "events",
        sa.column("id", sa.Integer()),
        sa.column("model_name", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("actor", sa.String()),
        sa.column("at", UTC_DATETIME),
        sa.column("details", _json()),
        sa.column("seq", sa.BigInteger()),
        sa.column("target", sa.String()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            events.c.id,
            events.c.model_name,
            events.c.version,
            events.c.action,
            events.c.actor,
            events.c.at,
            events.c.details,
        ).order_by(events.c.id)
    ).all()
    previous = GENESIS
    updates = []
    for seq, row in enumerate(rows, start=1):
        event = Event(row.model_name, row.action, row.actor, row.at, row.version, row.details)
        entry = chain_entry(event, seq=seq, prev_hash=previous)
        updates.append(
            {
                "row_id": row.id,
                "seq": seq,
                "target": entry.target,
                "prev_hash": entry.prev_hash,
                "hash": entry.hash,
            }
        )
        previous = entry.hash
    if updates:
        connection.execute(
            events.update()
            .where(events.c.id == sa.bindparam("row_id"))
            .values(
                seq=sa.bindparam("seq"),
                target=sa.bindparam("target"),
                prev_hash=sa.bindparam("prev_hash"),
                hash=sa.bindparam("hash"),
            ),
            updates,
        )
    # The events table has no foreign keys pointing at it, so SQLite may rebuild it safely.
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("model_name", existing_type=sa.String(length=128), nullable=True)
        for name, kind in (
            ("seq", sa.BigInteger()),
            ("target", sa.String(length=512)),
            ("prev_hash", sa.String(length=64)),
            ("hash", sa.String(length=64)),
        ):
            batch_op.alter_column(name, existing_type=kind, nullable=False)
        batch_op.create_index("ix_events_seq", ["seq"], unique=True)
        batch_op.create_index(batch_op.f("ix_events_at"), ["at"], unique=False)


def _write_head() -> None:
    connection = op.get_bind()
    last = connection.execute(
        sa.text("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
    ).first()
    head = sa.table(
        "audit_chain_head",
        sa.column("id", sa.Integer()),
        sa.column("seq", sa.BigInteger()),
        sa.column("hash", sa.String()),
    )
    connection.execute(
        head.insert().values(
            id=1, seq=0 if last is None else last.seq, hash=GENESIS if last is None else last.hash
        )
    )


def downgrade() -> None:
    op.drop_column("model_versions", "archived_by")
    op.drop_column("model_versions", "archived_at")
    op.drop_table("model_cards")
    op.drop_index(op.f("ix_evaluations_report_digest"), table_name="evaluations")
    op.drop_index(op.f("ix_evaluations_version_id"), table_name="evaluations")
    op.drop_table("evaluations")
    op.drop_index("ix_deployments_model_name_environment_id", table_name="deployments")
    op.drop_index("ix_deployments_environment", table_name="deployments")
    op.drop_table("deployments")
    op.drop_index("ix_alias_history_model_name_alias_at", table_name="alias_history")
    op.drop_table("alias_history")
    op.drop_table("audit_chain_head")
    op.execute("UPDATE events SET model_name = '' WHERE model_name IS NULL")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_at"))
        batch_op.drop_index("ix_events_seq")
        batch_op.alter_column("model_name", existing_type=sa.String(length=128), nullable=False)
        for name in ("hash", "prev_hash", "after", "before", "target", "seq"):
            batch_op.drop_column(name)
