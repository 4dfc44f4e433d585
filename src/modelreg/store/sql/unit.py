"""``SqlUnit``: what every repository mixin of ``SqlTransaction`` works on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key


class SqlUnit:
    """One connection inside one transaction, and an ORM session over it made on first use.

    Statements that load no ORM objects run on ``core``. The session exists only for what needs
    the ORM (adding and changing mapped rows), since building and closing one costs as much as
    the few statements most transactions on the hot paths (a registration's reads, an MLflow
    read) run. It joins the connection's transaction: ``SqlMetadataStore`` commits or rolls
    back the connection, after flushing the session.
    """

    core: Connection
    _session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(bind=self.core, autoflush=False, expire_on_commit=False)
        return self._session

    def loaded(self, row: type[Any], ident: object) -> object | None:
        """The session's copy of the ``row`` with primary key ``ident``, if it loaded one."""
        if self._session is None:
            return None
        return self._session.identity_map.get(identity_key(row, ident))

    def flush_session(self) -> None:
        if self._session is not None:
            self._session.flush()

    def close_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
