"""Storage management in one place: garbage collection, retention policies and the report of
what the registry holds (logical bytes as users see them, physical bytes as stored)."""

from __future__ import annotations

from modelreg.blobs.base import BlobStore
from modelreg.domain.storage import StorageReport
from modelreg.service.clock import Clock, utcnow
from modelreg.service.gc import GarbageCollector
from modelreg.service.retention import Retention
from modelreg.store.base import MetadataStore


class Storage:
    def __init__(self, store: MetadataStore, blobs: BlobStore, *, clock: Clock = utcnow) -> None:
        self.store = store
        self.blobs = blobs
        self.gc = GarbageCollector(store, blobs, clock=clock)
        self.retention = Retention(store, clock=clock)

    def report(self) -> StorageReport:
        """Registry-wide and per model. Physical bytes include blobs nothing refers to any more
        (until garbage collection runs), so the dedup ratio can fall below 1."""
        with self.store.transaction() as tx:
            models = tx.model_storage()
        usage = self.blobs.usage()
        return StorageReport(
            logical_bytes=sum(m.logical_bytes for m in models),
            physical_objects=usage.objects,
            physical_bytes=usage.bytes,
            versions=sum(m.versions for m in models),
            models=tuple(models),
        )
