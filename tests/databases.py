"""Test databases: a fresh SQLite file per test, or one PostgreSQL database per xdist worker.

PostgreSQL is the server on 127.0.0.1:5432 (override with MODELREG_TEST_POSTGRES_URL). Locally a
missing server skips the PostgreSQL half with a reason; under CI (``CI`` set) it fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from modelreg.store.sql import migrate
from modelreg.store.sql.tables import Base

ADMIN_URL = os.environ.get(
    "MODELREG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not reachable ({reason}); set CI=1 to make this a failure")


def create_postgres_database(name: str, *, migrated: bool = True) -> str:
    """(Re)create database ``name``, migrated to head unless ``migrated`` is false; returns its
    URL."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # any connection failure means "not reachable" here
        postgres_unavailable(str(error).splitlines()[0])
    finally:
        admin.dispose()
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    if migrated:
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    return url


def drop_postgres_database(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def truncate_all(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


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
