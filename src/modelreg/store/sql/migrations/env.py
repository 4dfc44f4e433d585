"""Alembic environment: always run with a connection handed in by ``modelreg.store.sql.migrate``."""

from __future__ import annotations

from alembic import context

from modelreg.store.sql.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
