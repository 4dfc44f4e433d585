"""Model-file scanning: scan blobs at commit, quarantine what is unsafe or suspicious, re-scan
when an engine changes.

Blobs are content-addressed, so a scan belongs to a digest and is made once per set of engine
versions. ``ensure_scanned`` runs before a version's row is inserted (``Uploads`` calls it), so
no version is ever visible with an executable file nobody has looked at; a blob served without a
stored scan (an evaluation report, an MLflow artifact, a blob older than scanning) is scanned on
its first download, before any byte leaves. Releases and the download guard are in
``service/quarantine.py``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from modelreg.blobs.base import BlobStore
from modelreg.domain.digests import Digest
from modelreg.domain.entities import FileEntry
from modelreg.domain.errors import AlreadyExistsError
from modelreg.domain.scans import BlobScan, RescanReport, Verdict, VersionScan
from modelreg.scanning.port import FileReport, Scanner
from modelreg.service.clock import Clock, utcnow
from modelreg.service.quarantine import QuarantineMethods, resolve, scan_of
from modelreg.store.base import MetadataStore, MetadataTransaction

CHUNK = 1024 * 1024


class Scans(QuarantineMethods):
    """Scanning, verdicts, and (from ``QuarantineMethods``) releases and the download guard."""

    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        scanner: Scanner,
        *,
        clock: Clock = utcnow,
        workdir: Path | None = None,
        enforce: bool = True,
    ) -> None:
        self.enforce = enforce
        """False: record and report verdicts, but serve quarantined blobs (a registry that
        knowingly holds code-carrying models, such as MLflow pyfunc ones)."""
        self.store = store
        self.blobs = blobs
        self.scanner = scanner
        self.clock = clock
        self.workdir = workdir

    # -- scanning ----------------------------------------------------------------------------

    def ensure_scanned(self, files: Iterable[FileEntry]) -> dict[Digest, BlobScan]:
        """Scan every blob of ``files`` that has no current result; answer all their scans."""
        names: dict[Digest, str] = {}
        for entry in files:
            names.setdefault(entry.digest, entry.path)
        with self.store.transaction() as tx:
            stored = tx.get_blob_scans(names)
        for digest, name in names.items():
            if digest not in stored or self.is_stale(stored[digest]):
                stored[digest] = self.scan_blob(digest, name)
        return stored

    def scan_blob(self, digest: Digest, name: str = "") -> BlobScan:
        """Scan one blob now and store the result (replacing any earlier one)."""
        report = self._report(digest, name)
        scan = BlobScan(digest, report.file_format, report.results, self.clock())
        try:
            with self.store.transaction(write=True) as tx:
                tx.save_blob_scan(scan)
        except AlreadyExistsError:
            pass  # a concurrent commit of the same bytes stored its scan first: the same answer
        return scan

    def is_stale(self, scan: BlobScan) -> bool:
        made_with = {result.engine: result.engine_version for result in scan.results}
        return made_with != dict(self.scanner.engines)

    def rescan(self, *, stale_only: bool = True) -> RescanReport:
        """Re-scan the blobs of every version: all of them, or (``stale_only``) those scanned
        with other engine versions than the current ones, or never scanned."""
        with self.store.transaction() as tx:
            digests = [Digest.parse(text) for text in dict.fromkeys(tx.referenced_digests())]
            stored = tx.get_blob_scans(digests)
        scanned, skipped, quarantined = 0, 0, []
        for digest in digests:
            current = stored.get(digest)
            if stale_only and current is not None and not self.is_stale(current):
                skipped += 1
                continue
            scan = self.scan_blob(digest)
            scanned += 1
            if scan.verdict.quarantined:
                quarantined.append(str(digest))
        return RescanReport(scanned, skipped, tuple(quarantined))

    def _report(self, digest: Digest, name: str) -> FileReport:
        head = b"".join(self.blobs.open(digest, 0, self.scanner.head_size))
        quick = self.scanner.scan_head(head, name)
        if quick is not None:
            return quick
        # Engines read files, and a model may be far larger than memory: stream it to disk.
        with tempfile.TemporaryDirectory(prefix="modelreg-blob-", dir=self.workdir) as work:
            path = Path(work) / "blob"
            with path.open("wb") as out:
                for chunk in self.blobs.open(digest):
                    out.write(chunk)
            return self.scanner.scan_file(path, name)

    # -- reading verdicts --------------------------------------------------------------------

    def version_scan(self, ref: str) -> VersionScan:
        """The scan of every file of ``ref`` (``NAME``, ``NAME/3``, ``NAME@alias``)."""
        with self.store.transaction() as tx:
            found = version_scan(tx, ref)
        return replace(found, enforced=self.enforce)

    def verdict(self, ref: str) -> Verdict:
        return self.version_scan(ref).verdict


def version_scan(tx: MetadataTransaction, ref: str) -> VersionScan:
    return scan_of(tx, resolve(tx, ref))


__all__ = ["Scans", "scan_of", "version_scan"]
