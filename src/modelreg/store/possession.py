"""Port for proof of possession in pushes (part of ``MetadataTransaction``).

A declared blob (or chunk) counts as already present for an upload session only when the caller
could obtain its bytes anyway, or has sent them in this session (``docs/permissions.md``).
Same contract as ``store/base.py``: nothing commits on its own.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Protocol

from modelreg.domain.permissions import Visibility


class PossessionRepository(Protocol):
    def record_receipts(self, upload_id: str, digests: Iterable[str]) -> None:
        """Note that session ``upload_id`` sent (and the registry verified) these digests;
        recording one twice is not an error. Dropped with the session."""

    def received_digests(self, upload_id: str, digests: Collection[str]) -> set[str]:
        """Those of ``digests`` that session ``upload_id`` has sent."""

    def readable_digests(self, digests: Collection[str], who: Visibility) -> set[str]:
        """Those of ``digests`` that ``who`` may read: held by a version (file or evaluation
        report) of a model ``who`` may read, or by an MLflow artifact (shared by every
        authenticated caller)."""
