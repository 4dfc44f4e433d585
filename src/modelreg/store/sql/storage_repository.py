"""Blob references for garbage collection, the storage report and retention policies on the
transaction's ``Session`` (a mixin of ``SqlTransaction``). ORM rows never leave this module."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from sqlalchemy import delete, func, select, text

from modelreg.domain.retention import RetentionPolicy
from modelreg.domain.storage import ModelStorage
from modelreg.store.sql.records_tables import EvaluationRow
from modelreg.store.sql.storage_tables import RetentionPolicyRow
from modelreg.store.sql.tables import (
    ModelVersionRow,
    RegisteredModelRow,
    UploadSessionRow,
    VersionFileRow,
)
from modelreg.store.sql.tracking import ArtifactRow
from modelreg.store.sql.unit import SqlUnit

# Every table whose rows name a blob, in the order writers fill them (a push inserts its
# version files before it deletes its upload session): taking the locks in the same order
# keeps garbage collection from deadlocking with a commit.
_REFERENCING_TABLES = (
    VersionFileRow.__tablename__,
    EvaluationRow.__tablename__,
    ArtifactRow.__tablename__,
    UploadSessionRow.__tablename__,
)
_CHUNK = 500  # digests per IN (...) list: well under every backend's parameter limit


class SqlStorageRepository(SqlUnit):
    # -- garbage collection ------------------------------------------------------------------

    def hold_blob_references(self) -> None:
        if self.session.get_bind().dialect.name != "postgresql":
            # SQLite: a write transaction (BEGIN IMMEDIATE) already holds the only write lock.
            return
        # SHARE conflicts with the ROW EXCLUSIVE lock every INSERT/UPDATE/DELETE takes, and not
        # with reads or with another collector's SHARE.
        for table in _REFERENCING_TABLES:
            self.session.execute(text(f'LOCK TABLE "{table}" IN SHARE MODE'))

    def referenced_among(self, digests: Collection[str]) -> set[str]:
        wanted = list(dict.fromkeys(digests))
        found: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for column in (VersionFileRow.digest, EvaluationRow.report_digest, ArtifactRow.digest):
                found.update(
                    digest
                    for digest in self.session.scalars(select(column).where(column.in_(chunk)))
                    if digest is not None
                )
        return found

    def model_storage(self) -> list[ModelStorage]:
        files = (
            select(
                RegisteredModelRow.name.label("name"), VersionFileRow.digest, VersionFileRow.size
            )
            .join(ModelVersionRow, ModelVersionRow.model_id == RegisteredModelRow.id)
            .join(VersionFileRow, VersionFileRow.version_id == ModelVersionRow.id)
        )
        every = files.subquery()
        logical = {
            name: int(size)
            for name, size in self.session.execute(
                select(every.c.name, func.sum(every.c.size)).group_by(every.c.name)
            ).all()
        }
        distinct = files.distinct().subquery()
        blobs = {
            name: (int(count), int(size))
            for name, count, size in self.session.execute(
                select(distinct.c.name, func.count(), func.sum(distinct.c.size)).group_by(
                    distinct.c.name
                )
            ).all()
        }
        versions = self.session.execute(
            select(RegisteredModelRow.name, func.count(ModelVersionRow.id))
            .outerjoin(ModelVersionRow, ModelVersionRow.model_id == RegisteredModelRow.id)
            .group_by(RegisteredModelRow.name)
        ).all()
        return [
            ModelStorage(
                model_name=name,
                versions=int(count),
                logical_bytes=logical.get(name, 0),
                blobs=blobs.get(name, (0, 0))[0],
                blob_bytes=blobs.get(name, (0, 0))[1],
            )
            for name, count in sorted(versions)  # Python's order, not the collation's
        ]

    # -- retention policies ------------------------------------------------------------------

    def get_retention_policy(self, scope: str) -> RetentionPolicy | None:
        row = self.session.get(RetentionPolicyRow, scope)
        return None if row is None else _policy(row)

    def put_retention_policy(self, policy: RetentionPolicy) -> RetentionPolicy:
        if policy.updated_at is None:
            raise ValueError("a stored retention policy needs updated_at")
        row = self.session.get(RetentionPolicyRow, policy.scope)
        if row is None:
            row = RetentionPolicyRow(scope=policy.scope)
            self.session.add(row)
        row.keep_last = policy.keep_last
        row.archive_after_seconds = _seconds(policy.archive_after)
        row.delete_archived_after_seconds = _seconds(policy.delete_archived_after)
        row.updated_by = policy.updated_by
        row.updated_at = policy.updated_at
        self.session.flush()
        return _policy(row)

    def delete_retention_policy(self, scope: str) -> bool:
        result = self.session.execute(
            delete(RetentionPolicyRow).where(RetentionPolicyRow.scope == scope)
        )
        return bool(getattr(result, "rowcount", 0))

    def list_retention_policies(self) -> list[RetentionPolicy]:
        rows = self.session.scalars(select(RetentionPolicyRow).order_by(RetentionPolicyRow.scope))
        return [_policy(row) for row in rows]


def _seconds(span: timedelta | None) -> int | None:
    return None if span is None else int(span.total_seconds())


def _span(seconds: int | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def _policy(row: RetentionPolicyRow) -> RetentionPolicy:
    return RetentionPolicy(
        scope=row.scope,
        keep_last=row.keep_last,
        archive_after=_span(row.archive_after_seconds),
        delete_archived_after=_span(row.delete_archived_after_seconds),
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )
