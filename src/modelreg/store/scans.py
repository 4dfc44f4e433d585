"""Port for stored scan results (part of ``MetadataTransaction``); same contract as
``store/base.py``: nothing commits on its own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from modelreg.domain.digests import Digest
from modelreg.domain.scans import BlobScan


class ScanRepository(Protocol):
    def save_blob_scan(self, scan: BlobScan) -> None:
        """Store ``scan`` as the blob's result, replacing every earlier engine result."""

    def get_blob_scans(self, digests: Iterable[Digest]) -> dict[Digest, BlobScan]:
        """The stored scans of those of ``digests`` that were ever scanned."""
