"""Apply and check the Alembic migrations programmatically (``modelreg db upgrade|check``).

Every process that opens a registry (each embedded CLI command, each server) asks whether the
schema is current. Alembic takes ~0.8 s to import on a slow machine, more than the command
itself, so that question is answered without it: the revision stored in ``alembic_version``
against ``HEAD``, the newest migration's id, which a test holds equal to what Alembic reads
from ``migrations/``. Alembic is imported only to migrate, check drift or write a migration.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration's revision; a new migration must update it (tests/unit/test_migrations.py).
HEAD = "0016"


def _config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is already there."""
    if current_revision(engine) == head_revision():
        return
    from alembic import command

    config = _config(engine)
    with engine.connect() as connection, _foreign_keys_off(connection), connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        _check_foreign_keys(connection)


@contextmanager
def _foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite changes a table's columns by building a new table and dropping the old one
    (Alembic's batch mode). With foreign keys enforced, that DROP deletes every row that
    references the old table through ``ON DELETE CASCADE``: a version's files, tags and
    aliases. So SQLite migrates with enforcement off, which only takes effect outside a
    transaction, and checks the references itself before committing."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    if raw is None:
        raise RuntimeError("the SQLite connection is closed")
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left {len(broken)} broken references: {broken[:5]}")


def head_revision() -> str:
    return HEAD


def scripted_head() -> str | None:
    """The head revision as Alembic reads it from ``migrations/`` (what ``HEAD`` must be)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first migration. (Alembic keeps one
    row in ``alembic_version`` while the history has a single head, as ours always has.)"""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        revisions = list(found)
    if len(revisions) > 1:
        raise RuntimeError(f"the database is at several revisions at once: {revisions}")
    return revisions[0] if revisions else None


def schema_drift(engine: Engine) -> list[object]:
    """Differences between the migrated database and the table definitions (empty when none)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from modelreg.store.sql.tables import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def revise(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the table definitions (for developers)."""
    from alembic import command

    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
