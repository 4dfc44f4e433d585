"""Test databases: a fresh SQLite file per test, or one PostgreSQL database per xdist worker.

Each test's SQLite file is a copy of one migrated once per worker (``copy_migrated_sqlite``):
running the fifteen migrations took 0.2-0.45 s per test, a few minutes of every suite run. The
migrations themselves are tested on their own (``tests/unit/test_migrations.py``,
``tests/integration/test_version_updated_at.py``) and by ``.ci/run``'s drift check.

PostgreSQL is the server on 127.0.0.1:5432 (override with MODELREG_TEST_POSTGRES_URL). Locally a
missing server skips the PostgreSQL half with a reason; under CI (``CI`` set) it fails instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from modelreg.store.sql import migrate
from modelreg.store.sql.engine import make_engine
from modelreg.store.sql.tables import Base

ADMIN_URL = os.environ.get(
    "MODELREG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def migrated_sqlite(path: Path) -> Path:
    """A SQLite database at ``path``, migrated to head as a registry opens it (WAL mode and
    all), closed so that the one file holds everything."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        raise RuntimeError(f"the template database kept a write-ahead log: {wal}")
    return path


def copy_migrated_sqlite(template: Path, target: Path) -> str:
    """The URL of a new database at ``target``: a copy of ``template``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _url_of(name: str) -> str:
    """The URL of database ``name`` on the test server."""
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def postgres_unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not reachable ({reason}); set CI=1 to make this a failure")


def create_postgres_database(name: str, *, migrated: bool = True) -> str:
    """(Re)create database ``name``, migrated to head unless ``migrated`` is false; returns its
    URL."""
    _forget(_url_of(name))
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # any connection failure means "not reachable" here
        postgres_unavailable(str(error).splitlines()[0])
    finally:
        admin.dispose()
    url = _url_of(name)
    if migrated:
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    return url


def drop_postgres_database(name: str) -> None:
    _forget(_url_of(name))
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def truncate_all(url: str) -> None:
    """Empty every table and restart every sequence, as ``TRUNCATE ... RESTART IDENTITY``
    would. ``DELETE`` is used because the tables hold a test's few rows: ``TRUNCATE`` gives
    each of the 48 tables a new file and took ~0.17 s per test, ``DELETE`` ~0.02 s."""
    engine, statements = _emptying(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(statements)


_EMPTYING: dict[str, tuple[Engine, str]] = {}


def _emptying(url: str) -> tuple[Engine, str]:
    """An engine for ``url`` (kept for the worker's life) and the statements that empty it."""
    if url not in _EMPTYING:
        engine = create_engine(url, pool_size=1, pool_pre_ping=True)
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT sequence_schema, sequence_name FROM information_schema.sequences")
            )
            sequences = [f'"{schema}"."{name}"' for schema, name in found]
        tables = reversed(Base.metadata.sorted_tables)  # our own table names, not input
        deletes = [f'DELETE FROM "{t.name}"' for t in tables]  # noqa: S608
        restarts = [f"ALTER SEQUENCE {sequence} RESTART" for sequence in sequences]
        _EMPTYING[url] = (engine, "; ".join(deletes + restarts))
    return _EMPTYING[url]


def _forget(url: str) -> None:
    kept = _EMPTYING.pop(url, None)
    if kept is not None:
        kept[0].dispose()


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL ``engine`` runs inside the block, in order (stripped)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement.strip())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
