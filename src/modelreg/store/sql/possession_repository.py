"""Proof of possession in pushes on the transaction's ``Session`` (a mixin of
``SqlTransaction``). ORM rows never leave this module."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from sqlalchemy import select, union
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from modelreg.domain.errors import UploadNotFoundError
from modelreg.domain.permissions import Visibility
from modelreg.store.sql.possession_tables import UploadReceiptRow
from modelreg.store.sql.records_tables import EvaluationRow
from modelreg.store.sql.search import readable_constraint
from modelreg.store.sql.tables import ModelVersionRow, VersionFileRow
from modelreg.store.sql.tracking import ArtifactRow
from modelreg.store.sql.unit import SqlUnit

# Bound parameters per statement: well below SQLite's and PostgreSQL's limits, and a version
# declares at most a few thousand files, so a push needs a handful of round trips.
_BATCH = 500


class PossessionSqlRepository(SqlUnit):
    def record_receipts(self, upload_id: str, digests: Iterable[str]) -> None:
        rows = [{"upload_id": upload_id, "digest": digest} for digest in sorted(set(digests))]
        if not rows:
            return
        # Parallel PUTs of one session may record the same digest: the first one wins.
        insert = (
            pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        try:
            for start in range(0, len(rows), _BATCH):
                statement = insert(UploadReceiptRow).values(rows[start : start + _BATCH])
                self.session.execute(statement.on_conflict_do_nothing())
        except IntegrityError as error:
            # The only foreign key is the session's: it was committed (or collected as stale)
            # while this blob was arriving. A clean 404, not a 500; the blob itself is stored.
            raise UploadNotFoundError(
                f"upload {upload_id!r} was committed or expired while a blob was being received",
                upload=upload_id,
            ) from error

    def received_digests(self, upload_id: str, digests: Collection[str]) -> set[str]:
        found: set[str] = set()
        for batch in _batches(digests):
            found.update(
                self.session.scalars(
                    select(UploadReceiptRow.digest).where(
                        UploadReceiptRow.upload_id == upload_id,
                        UploadReceiptRow.digest.in_(batch),
                    )
                )
            )
        return found

    def readable_digests(self, digests: Collection[str], who: Visibility) -> set[str]:
        # Each branch probes an index on the digest column and keeps the rows of readable models
        # with the same grant constraint searches use (``store/sql/search.py``).
        found: set[str] = set()
        readable = readable_constraint(ModelVersionRow.model_id, who)
        for batch in _batches(digests):
            files = (
                select(VersionFileRow.digest)
                .join(ModelVersionRow, ModelVersionRow.id == VersionFileRow.version_id)
                .where(VersionFileRow.digest.in_(batch), readable)
            )
            reports = (
                select(EvaluationRow.report_digest)
                .join(ModelVersionRow, ModelVersionRow.id == EvaluationRow.version_id)
                .where(EvaluationRow.report_digest.in_(batch), readable)
            )
            artifacts = select(ArtifactRow.digest).where(ArtifactRow.digest.in_(batch))
            found.update(
                digest
                for digest in self.session.scalars(union(files, reports, artifacts))
                if digest is not None
            )
        return found


def _batches(digests: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(set(digests))
    for start in range(0, len(ordered), _BATCH):
        yield ordered[start : start + _BATCH]
