"""The audit chain on SQL (a mixin of ``SqlTransaction``): events queued by ``add_event`` are
chained and inserted by ``seal``, which the store calls just before the transaction commits.

Appending holds the one ``audit_chain_head`` row: ``SELECT ... FOR UPDATE`` on PostgreSQL,
and on SQLite the write lock that ``BEGIN IMMEDIATE`` already took. Chaining at commit time, as
the last statement of the transaction, keeps that lock as short as possible and always taken
after every other lock of the transaction, so appenders cannot deadlock with each other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from modelreg.domain.audit import (
    GENESIS,
    AuditEntry,
    AuditQuery,
    ChainHead,
    chain_entry,
    jsonable,
)
from modelreg.domain.entities import Event
from modelreg.store.sql.records_tables import HEAD_ID, AuditChainHeadRow
from modelreg.store.sql.tables import EventRow, core_table
from modelreg.store.sql.unit import SqlUnit

_LIKE_ESCAPE = "\\"


class AuditLogSql(SqlUnit):
    pending_events: list[Event]

    def add_event(self, event: Event) -> None:
        # Refuse what cannot be recorded now, in the caller's use case, not at commit.
        jsonable(dict(event.details))
        jsonable(event.before)
        jsonable(event.after)
        self.pending_events.append(event)

    def seal(self) -> None:
        """Chain and insert the queued events; the last statement before the commit."""
        if not self.pending_events:
            return
        seq, previous = self._lock_head(self.pending_events[0].at)
        rows = []
        for event in self.pending_events:
            seq += 1
            entry = chain_entry(event, seq=seq, prev_hash=previous)
            rows.append(_values(entry))
            previous = entry.hash
        self.core.execute(_INSERT_EVENTS, rows)
        self.core.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": previous})
        self.pending_events.clear()

    def _lock_head(self, now: datetime) -> tuple[int, str]:
        found = self.core.execute(_LOCK_HEAD).one_or_none()
        if found is not None:
            return found[0], found[1]
        last = self.session.scalars(
            select(EventRow).order_by(EventRow.seq.desc()).limit(1)
        ).one_or_none()
        try:
            with self.session.begin_nested():
                self.session.add(
                    AuditChainHeadRow(
                        id=HEAD_ID,
                        seq=0 if last is None else last.seq,
                        hash=GENESIS if last is None else last.hash,
                    )
                )
                self.session.flush()
        except IntegrityError:
            pass  # a concurrent first append created it; lock theirs
        else:
            if last is not None:
                # Entries exist but their head was gone: say so in the chain itself.
                self.pending_events.insert(
                    0,
                    Event(
                        "",
                        "audit.head_recreated",
                        "modelreg",
                        now.astimezone(UTC),
                        target="audit",
                        details={"last_seq": last.seq, "last_hash": last.hash},
                    ),
                )
        seq, hash_ = self.session.execute(_LOCK_HEAD).one()
        return seq, hash_

    def audit_head(self) -> ChainHead | None:
        found = self.session.execute(_READ_HEAD).one_or_none()
        return None if found is None else ChainHead(found[0], found[1])

    def list_audit(
        self, query: AuditQuery, *, after_seq: int | None, limit: int, descending: bool = False
    ) -> list[AuditEntry]:
        statement = select(EventRow)
        if query.model is not None:
            statement = statement.where(EventRow.model_name == query.model)
        if query.actor is not None:
            statement = statement.where(EventRow.actor == query.actor)
        if query.action is not None:
            if query.action.endswith("*"):
                prefix = _escape_like(query.action[:-1])
                statement = statement.where(EventRow.action.like(prefix + "%", escape=_LIKE_ESCAPE))
            else:
                statement = statement.where(EventRow.action == query.action)
        if query.since is not None:
            statement = statement.where(EventRow.at >= query.since)
        if query.until is not None:
            statement = statement.where(EventRow.at < query.until)
        if after_seq is not None:
            statement = statement.where(
                EventRow.seq < after_seq if descending else EventRow.seq > after_seq
            )
        order = EventRow.seq.desc() if descending else EventRow.seq.asc()
        rows = self.session.scalars(statement.order_by(order).limit(limit))
        return [_entry(row) for row in rows]

    def list_events(self, model_name: str, *, offset: int, limit: int) -> list[Event]:
        rows = self.session.scalars(
            select(EventRow)
            .where(EventRow.model_name == model_name)
            .order_by(EventRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [
            Event(
                row.model_name or "",
                row.action,
                row.actor,
                row.at,
                row.version,
                row.details,
                target=row.target,
                before=row.before,
                after=row.after,
            )
            for row in rows
        ]


# Core statements, built once: every write of the registry runs them (tables.core_table).
_HEAD = core_table(AuditChainHeadRow)
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID)
_LOCK_HEAD = _READ_HEAD.with_for_update()
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
_INSERT_EVENTS = insert(core_table(EventRow))


def _values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "model_name": entry.model_name,
        "version": entry.version,
        "action": entry.action,
        "actor": entry.actor,
        "at": entry.at,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
        "details": dict(entry.details),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _entry(row: EventRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        model_name=row.model_name,
        version=row.version,
        target=row.target,
        before=row.before,
        after=row.after,
        details=row.details,
        prev_hash=row.prev_hash,
        hash=row.hash,
        id=row.id,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
