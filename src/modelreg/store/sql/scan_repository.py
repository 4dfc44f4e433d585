"""Scan results on the transaction's ``Session`` (a mixin of ``SqlTransaction``). ORM rows never
leave this module."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from modelreg.domain.digests import Digest
from modelreg.domain.scans import BlobScan, EngineResult, Finding, Verdict
from modelreg.store.sql.scan_tables import BlobScanRow

_BATCH = 500


class ScanRepositorySql:
    session: Session

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
        rows: dict[str, list[BlobScanRow]] = defaultdict(list)
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            statement = (
                select(BlobScanRow)
                .where(BlobScanRow.digest.in_(batch))
                .order_by(BlobScanRow.digest, BlobScanRow.engine)
            )
            for row in self.session.scalars(statement):
                rows[row.digest].append(row)
        return {Digest.parse(digest): _scan(group) for digest, group in rows.items()}


def _scan(rows: list[BlobScanRow]) -> BlobScan:
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
