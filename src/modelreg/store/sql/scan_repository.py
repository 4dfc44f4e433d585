"""Scan results on the transaction's ``Session`` (a mixin of ``SqlTransaction``). ORM rows never
leave this module."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError

from modelreg.domain.digests import Digest
from modelreg.domain.errors import VersionNotFoundError
from modelreg.domain.scans import (
    BlobScan,
    EngineResult,
    Finding,
    QuarantineRelease,
    ReleasedFile,
    Verdict,
)
from modelreg.store.sql.lists import TextList, member_of
from modelreg.store.sql.scan_tables import (
    REFUSED_PREFIX,
    BlobScanRow,
    QuarantineOverrideRow,
    QuarantineReleaseRow,
)
from modelreg.store.sql.tables import ModelVersionRow, PlainRow, RegisteredModelRow, VersionFileRow
from modelreg.store.sql.unit import SqlUnit

_BATCH = 500


class ScanRepositorySql(SqlUnit):
    def save_blob_scan(self, scan: BlobScan) -> None:
        self.session.execute(delete(BlobScanRow).where(BlobScanRow.digest == str(scan.digest)))
        for result in scan.results:
            self.session.add(
                BlobScanRow(
                    digest=str(scan.digest),
                    engine=result.engine,
                    engine_version=result.engine_version,
                    file_format=scan.file_format,
                    verdict=str(result.verdict),
                    findings=[finding.to_json() for finding in result.findings],
                    scanned_at=scan.scanned_at,
                )
            )
        self.session.flush()

    def get_blob_scans(self, digests: Iterable[Digest]) -> dict[Digest, BlobScan]:
        wanted = list(dict.fromkeys(str(digest) for digest in digests))
        rows: dict[str, list[PlainRow]] = defaultdict(list)
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            for row in self.core.execute(_SCANS_OF, {"digests": batch}):
                rows[row.digest].append(row)
        return {Digest.parse(digest): _scan(group) for digest, group in rows.items()}

    # -- quarantine releases -----------------------------------------------------------------

    def save_release(self, release: QuarantineRelease) -> None:
        version_id = self._version_id(release.model_name, release.version)
        self.session.execute(
            delete(QuarantineReleaseRow).where(QuarantineReleaseRow.version_id == version_id)
        )
        for file in release.files:
            self.session.add(
                QuarantineReleaseRow(
                    version_id=version_id,
                    digest=str(file.digest),
                    verdict=str(file.verdict),
                    engines=dict(file.engines),
                    fingerprint=file.fingerprint,
                    reason=release.reason,
                    released_by=release.released_by,
                    released_at=release.released_at,
                )
            )
        self.session.flush()

    def get_release(self, model_name: str, version: int) -> QuarantineRelease | None:
        found = self._releases(ModelVersionRow.id == self._version_id(model_name, version))
        return found[0] if found else None

    def delete_release(self, model_name: str, version: int) -> QuarantineRelease | None:
        found = self.get_release(model_name, version)
        if found is not None:
            version_id = self._version_id(model_name, version)
            self.session.execute(
                delete(QuarantineReleaseRow).where(QuarantineReleaseRow.version_id == version_id)
            )
            self.session.flush()
        return found

    def releases_holding(self, digest: Digest) -> list[QuarantineRelease]:
        holders = select(QuarantineReleaseRow.version_id).where(
            QuarantineReleaseRow.digest == str(digest)
        )
        return self._releases(ModelVersionRow.id.in_(holders))

    def versions_holding(self, digest: Digest) -> list[tuple[str, int]]:
        statement = (
            select(RegisteredModelRow.name, ModelVersionRow.version)
            .join(ModelVersionRow, ModelVersionRow.model_id == RegisteredModelRow.id)
            .join(VersionFileRow, VersionFileRow.version_id == ModelVersionRow.id)
            .where(VersionFileRow.digest == str(digest))
            .distinct()
            .order_by(RegisteredModelRow.name, ModelVersionRow.version)
        )
        return [(name, version) for name, version in self.session.execute(statement)]

    def note_override(
        self, actor: str, digest: Digest, day: date, *, refused: bool = False
    ) -> bool:
        # A refusal's key is its own, so it never hides a later, granted override's audit.
        text = f"{REFUSED_PREFIX}{digest}" if refused else str(digest)
        key = {"actor": actor, "digest": text, "day": day}
        if self.session.get(QuarantineOverrideRow, (actor, text, day)) is not None:
            return False
        try:
            with self.session.begin_nested():  # a concurrent download of the same day won
                self.session.add(QuarantineOverrideRow(**key))
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def count_overrides_before(self, day: date) -> int:
        statement = (
            select(func.count())
            .select_from(QuarantineOverrideRow)
            .where(QuarantineOverrideRow.day < day)
        )
        return self.session.scalar(statement) or 0

    def delete_overrides_before(self, day: date) -> int:
        # ``ix_quarantine_overrides_day`` makes this a range of the index, not a table scan.
        result = self.session.execute(
            delete(QuarantineOverrideRow).where(QuarantineOverrideRow.day < day)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def _version_id(self, model_name: str, version: int) -> int:
        found = self.session.scalar(
            select(ModelVersionRow.id)
            .join(RegisteredModelRow, ModelVersionRow.model_id == RegisteredModelRow.id)
            .where(RegisteredModelRow.name == model_name, ModelVersionRow.version == version)
        )
        if found is None:
            raise VersionNotFoundError(
                f"version {model_name}/{version} does not exist", model=model_name, version=version
            )
        return found

    def _releases(self, where: object) -> list[QuarantineRelease]:
        statement = (
            select(RegisteredModelRow.name, ModelVersionRow.version, QuarantineReleaseRow)
            .join(ModelVersionRow, ModelVersionRow.model_id == RegisteredModelRow.id)
            .join(QuarantineReleaseRow, QuarantineReleaseRow.version_id == ModelVersionRow.id)
            .where(where)  # type: ignore[arg-type]
            .order_by(RegisteredModelRow.name, ModelVersionRow.version, QuarantineReleaseRow.digest)
        )
        grouped: dict[tuple[str, int], list[QuarantineReleaseRow]] = defaultdict(list)
        for name, version, row in self.session.execute(statement):
            grouped[(name, version)].append(row)
        return [_release(name, version, rows) for (name, version), rows in grouped.items()]


def _scan(rows: Sequence[BlobScanRow | PlainRow]) -> BlobScan:
    results = tuple(
        EngineResult(
            row.engine,
            row.engine_version,
            Verdict(row.verdict),
            tuple(Finding.from_json(item) for item in row.findings),
        )
        for row in rows
    )
    return BlobScan(
        digest=Digest.parse(rows[0].digest),
        file_format=rows[0].file_format,
        results=results,
        scanned_at=max(row.scanned_at for row in rows),
    )


def _release(model_name: str, version: int, rows: list[QuarantineReleaseRow]) -> QuarantineRelease:
    files = tuple(
        ReleasedFile(Digest.parse(r.digest), Verdict(r.verdict), dict(r.engines), r.fingerprint)
        for r in rows
    )
    first = rows[0]
    return QuarantineRelease(
        model_name, version, first.reason, first.released_by, first.released_at, files
    )


# Read before every commit of a version: built once.
_SCANS_OF = (  # read by every push and registration: plain rows, no ORM objects
    select(
        BlobScanRow.digest,
        BlobScanRow.engine,
        BlobScanRow.engine_version,
        BlobScanRow.file_format,
        BlobScanRow.verdict,
        BlobScanRow.findings,
        BlobScanRow.scanned_at,
    )
    .where(member_of(BlobScanRow.digest, bindparam("digests", type_=TextList())))
    .order_by(BlobScanRow.digest, BlobScanRow.engine)
)
