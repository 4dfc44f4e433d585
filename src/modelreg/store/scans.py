"""Port for stored scan results (part of ``MetadataTransaction``); same contract as
``store/base.py``: nothing commits on its own."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

from modelreg.domain.digests import Digest
from modelreg.domain.scans import BlobScan, QuarantineRelease


class ScanRepository(Protocol):
    def save_blob_scan(self, scan: BlobScan) -> None:
        """Store ``scan`` as the blob's result, replacing every earlier engine result."""

    def get_blob_scans(self, digests: Iterable[Digest]) -> dict[Digest, BlobScan]:
        """The stored scans of those of ``digests`` that were ever scanned."""

    def save_release(self, release: QuarantineRelease) -> None:
        """Store ``release`` as the version's release, replacing an earlier one."""

    def get_release(self, model_name: str, version: int) -> QuarantineRelease | None: ...

    def delete_release(self, model_name: str, version: int) -> QuarantineRelease | None:
        """Remove the version's release; the one removed (None: there was none)."""

    def releases_holding(self, digest: Digest) -> list[QuarantineRelease]:
        """Every release that covers ``digest`` (with any fingerprint), by model and version."""

    def versions_holding(self, digest: Digest) -> list[tuple[str, int]]:
        """(model, version) of every version with a file of ``digest``."""

    def note_override(
        self, actor: str, digest: Digest, day: date, *, refused: bool = False
    ) -> bool:
        """Record that ``actor`` downloaded ``digest`` with the override on ``day`` (with
        ``refused``: asked for the override and was refused, a key of its own); False when that
        was already recorded (so the caller audits only the first time)."""

    def count_overrides_before(self, day: date) -> int:
        """How many of the keys ``note_override`` recorded are of days before ``day``."""

    def delete_overrides_before(self, day: date) -> int:
        """Remove the ``note_override`` keys of days before ``day``; how many there were."""
