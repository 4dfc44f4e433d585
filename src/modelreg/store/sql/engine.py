"""Engines and the ``SqlMetadataStore``: connection setup for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from modelreg.domain.errors import (
    AlreadyExistsError,
    InvalidArgumentError,
    StorageFullError,
    UnavailableError,
)
from modelreg.store.base import MetadataTransaction
from modelreg.store.sql.repository import SqlTransaction

_WRITE_OPTION = "modelreg_write"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the per-dialect settings modelreg relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": 60},
            pool_size=8,
            max_overflow=16,
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(parsed, pool_pre_ping=True, pool_size=8, max_overflow=16, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite opens transactions lazily on its own; turn that off and issue BEGIN below
        # (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        # LIKE is case-sensitive on PostgreSQL; make SQLite agree (ILIKE is compiled explicitly).
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the lock at BEGIN, so two writers queue on the busy timeout instead of
        # deadlocking when both try to upgrade a read lock.
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        # Straight to the driver: SQLAlchemy's statement machinery (events, cursor, result)
        # has nothing to add to a BEGIN, and it cost ~40 Python calls per transaction.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


class SqlMetadataStore:
    """The metadata store over one SQLAlchemy engine; one ``Session`` per transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    @cached_property
    def reads_never_wait(self) -> bool:
        """True for SQLite in WAL mode: a reader never waits for a writer and nothing crosses a
        network, so a server may run small reads on its event loop (server/offload.py). Asked
        of the database, since it may refuse WAL (on some network file systems), and then
        readers queue behind writers."""
        if self.engine.dialect.name != "sqlite":
            return False
        with self.engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        return str(mode).lower() == "wal"

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[MetadataTransaction]:
        try:
            with (
                self.engine.connect().execution_options(**{_WRITE_OPTION: write}) as connection,
                connection.begin(),  # the BEGIN hook sees the write flag
            ):
                tx = SqlTransaction(connection)
                try:
                    yield tx
                    tx.flush_session()
                    tx.seal()  # chain the transaction's audit entries, last, before COMMIT
                finally:
                    tx.close_session()
        except IntegrityError as error:
            # Races that slip past the repository's own existence checks land here.
            raise AlreadyExistsError(
                "the change conflicts with an existing entry; it may have been created "
                "concurrently",
                reason=str(error.orig)[:200],
            ) from error
        except OperationalError as error:
            if _is_full(error):
                raise StorageFullError(
                    "the metadata database has no room left; nothing was saved"
                ) from error
            raise UnavailableError(f"the metadata database is unavailable: {error.orig}") from error
        except DataError as error:
            # A value the column cannot hold (PostgreSQL: an id beyond int4, a NUL in text).
            raise InvalidArgumentError(
                f"a value in the request does not fit the database: {str(error.orig)[:200]}"
            ) from error
        except OverflowError as error:
            # SQLite's driver refuses integers beyond 64 bits before any SQL runs.
            if "too large" not in str(error):
                raise
            raise InvalidArgumentError(
                "a number in the request is out of range", reason=str(error)[:200]
            ) from error

    def close(self) -> None:
        self.engine.dispose()


def _is_full(error: BaseException) -> bool:
    """SQLite's SQLITE_FULL, PostgreSQL's disk_full (SQLSTATE 53100): not worth a retry. Looked
    for along the chain of errors too: SQLite rolls back the whole transaction when it fills,
    so a savepoint's rollback then fails with "no such savepoint", hiding the cause."""
    found: BaseException | None = error
    for _ in range(8):
        if found is None:
            return False
        cause = getattr(found, "orig", found)
        if getattr(cause, "sqlstate", None) == "53100" or "database or disk is full" in str(cause):
            return True
        found = found.__context__
    return False
