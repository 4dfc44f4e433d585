"""Ports for garbage collection, the storage report and retention policies (part of
``MetadataTransaction``).

Same contract as ``store/base.py``: nothing commits on its own.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from modelreg.domain.retention import RetentionPolicy
from modelreg.domain.storage import ModelStorage


class BlobReferenceRepository(Protocol):
    def hold_blob_references(self) -> None:
        """Until the transaction ends, keep every other writer from adding a reference to a
        blob: a version's files, an evaluation report, a tracking artifact, an upload session.
        Readers are not blocked. Garbage collection re-checks and deletes under this hold."""

    def referenced_among(self, digests: Collection[str]) -> set[str]:
        """Those of ``digests`` that a version (archived too), an evaluation report or a
        tracking artifact names. Upload sessions are not included (read them separately)."""

    def model_storage(self) -> list[ModelStorage]:
        """Per model (by name): versions, the sum of their file sizes, and its distinct blobs
        with their bytes. Models without versions are included with zeros."""


class RetentionRepository(Protocol):
    def get_retention_policy(self, scope: str) -> RetentionPolicy | None:
        """The policy of a model, or the registry-wide one for ``REGISTRY_SCOPE``."""

    def put_retention_policy(self, policy: RetentionPolicy) -> RetentionPolicy:
        """Create or replace the policy of ``policy.scope``."""

    def delete_retention_policy(self, scope: str) -> bool:
        """Remove the policy of ``scope``; False when there was none."""

    def list_retention_policies(self) -> list[RetentionPolicy]:
        """Every policy, the registry-wide one first, then by model name."""


class StorageRepository(BlobReferenceRepository, RetentionRepository, Protocol):
    """Everything storage management adds to a metadata transaction."""
