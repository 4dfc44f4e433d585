"""The composition root: builds the stores and services that settings describe.

The only module that knows every implementation; the server and the SDK's embedded mode both
start here, so they run the same code over the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelreg.blobs.base import BlobStore
from modelreg.blobs.cas import ContentAddressedStore
from modelreg.blobs.local import LocalBackend
from modelreg.service.registry import Registry
from modelreg.service.uploads import Uploads
from modelreg.settings import Settings
from modelreg.store.sql import migrate
from modelreg.store.sql.engine import SqlMetadataStore


@dataclass(frozen=True)
class Services:
    registry: Registry
    uploads: Uploads
    metadata: SqlMetadataStore
    blobs: BlobStore

    def close(self) -> None:
        self.metadata.close()


def open_services(settings: Settings, *, upgrade: bool = True) -> Services:
    """Open the registry described by ``settings``, migrating its database when asked."""
    if not settings.database_url or not settings.storage_url:
        settings.home.mkdir(parents=True, exist_ok=True)
    metadata = SqlMetadataStore(settings.resolved_database_url())
    if upgrade:
        migrate.upgrade(metadata.engine)
    storage = settings.resolved_storage_path()
    storage.mkdir(parents=True, exist_ok=True)
    blobs = ContentAddressedStore(LocalBackend(storage))
    return Services(
        registry=Registry(metadata),
        uploads=Uploads(metadata, blobs),
        metadata=metadata,
        blobs=blobs,
    )
