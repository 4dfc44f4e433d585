"""The composition root: builds the stores and services that settings describe.

The only module that knows every implementation; the server and the SDK's embedded mode both
start here, so they run the same code over the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from modelreg.blobs.base import BlobStore
from modelreg.blobs.cas import ContentAddressedStore
from modelreg.blobs.local import LocalBackend
from modelreg.domain.webhooks import RetrySchedule
from modelreg.service.audit import AuditTrail
from modelreg.service.deployments import Deployments
from modelreg.service.evaluations import Evaluations
from modelreg.service.history import AliasHistory
from modelreg.service.lifecycle import Lifecycle
from modelreg.service.outbox import OutboxStore
from modelreg.service.policies import Policies
from modelreg.service.promotions import Promotions
from modelreg.service.registry import Registry
from modelreg.service.uploads import Uploads
from modelreg.service.webhooks import Webhooks
from modelreg.settings import Settings
from modelreg.store.sql import migrate
from modelreg.store.sql.engine import SqlMetadataStore


@dataclass(frozen=True)
class Services:
    registry: Registry
    uploads: Uploads
    metadata: SqlMetadataStore
    blobs: BlobStore
    policies: Policies
    promotions: Promotions
    webhooks: Webhooks
    outbox: OutboxStore
    audit: AuditTrail
    lifecycle: Lifecycle
    deployments: Deployments
    evaluations: Evaluations
    alias_history: AliasHistory

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
    # Use cases get the outbox-writing store: every event they record also queues the webhook
    # deliveries that subscriptions ask for, in the same transaction.
    outbox = OutboxStore(metadata)
    retry = RetrySchedule(
        base=settings.webhook_retry_base,
        cap=settings.webhook_retry_cap,
        max_attempts=settings.webhook_max_attempts,
    )
    return Services(
        registry=Registry(outbox),
        uploads=Uploads(outbox, blobs),
        metadata=metadata,
        blobs=blobs,
        policies=Policies(outbox),
        promotions=Promotions(outbox),
        webhooks=Webhooks(
            outbox,
            allowed_hosts=settings.webhook_allowed_hosts,
            retry=retry,
            lease=timedelta(seconds=settings.webhook_lease),
        ),
        outbox=outbox,
        audit=AuditTrail(metadata),
        lifecycle=Lifecycle(outbox),
        deployments=Deployments(outbox),
        evaluations=Evaluations(outbox, blobs),
        alias_history=AliasHistory(metadata),
    )
