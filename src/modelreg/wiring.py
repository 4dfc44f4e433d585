"""The composition root: builds the stores and services that settings describe.

The only module that knows every implementation; the server and the SDK's embedded mode both
start here, so they run the same code over the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from modelreg.blobs.base import BlobStore
from modelreg.blobs.cas import ContentAddressedStore
from modelreg.blobs.chunks import ChunkedStore
from modelreg.blobs.direct import direct_transfers
from modelreg.blobs.local import LocalBackend
from modelreg.domain.webhooks import RetrySchedule
from modelreg.scanning.scanner import ModelFileScanner
from modelreg.service.access import AccessControl
from modelreg.service.accounts import Accounts
from modelreg.service.audit import AuditTrail
from modelreg.service.deployments import Deployments
from modelreg.service.direct import Transfers
from modelreg.service.evaluations import Evaluations
from modelreg.service.history import AliasHistory
from modelreg.service.lifecycle import Lifecycle
from modelreg.service.mlflow_webhooks import MlflowWebhooks
from modelreg.service.outbox import OutboxStore
from modelreg.service.policies import Policies
from modelreg.service.promotions import Promotions
from modelreg.service.registry import Registry
from modelreg.service.scans import Scans
from modelreg.service.signatures import Signatures
from modelreg.service.storage import Storage
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
    transfers: Transfers
    accounts: Accounts
    access: AccessControl
    signatures: Signatures
    storage: Storage
    scans: Scans
    mlflow_webhooks: MlflowWebhooks

    def close(self) -> None:
        self.metadata.close()


def open_services(settings: Settings, *, upgrade: bool = True) -> Services:
    """Open the registry described by ``settings``, migrating its database when asked."""
    if not settings.database_url or not settings.storage_url:
        settings.home.mkdir(parents=True, exist_ok=True)
    metadata = SqlMetadataStore(settings.resolved_database_url())
    if upgrade:
        migrate.upgrade(metadata.engine)
    whole = _open_blob_store(settings)
    direct = direct_transfers(whole) if settings.direct_transfers else None
    # Blobs pushed in chunks are kept as recipes of shared chunks beside whole ones (docs/dedup.md).
    blobs = ChunkedStore(whole)
    # Use cases get the outbox-writing store: every event they record also queues the webhook
    # deliveries that subscriptions ask for, in the same transaction.
    outbox = OutboxStore(metadata)
    retry = RetrySchedule(
        base=settings.webhook_retry_base,
        cap=settings.webhook_retry_cap,
        max_attempts=settings.webhook_max_attempts,
    )
    # Model files are scanned at commit, before their version is visible (docs/scanning.md).
    scans = Scans(metadata, blobs, ModelFileScanner(), enforce=settings.scan_enforce)
    webhooks = Webhooks(
        outbox,
        allowed_hosts=settings.webhook_allowed_hosts,
        retry=retry,
        lease=timedelta(seconds=settings.webhook_lease),
    )
    # MLflow's webhooks are subscriptions whose deliveries take MLflow's shape (docs/mlflow.md).
    mlflow_webhooks = MlflowWebhooks(outbox, webhooks)
    webhooks.add_format(mlflow_webhooks.delivery_request)
    return Services(
        registry=Registry(outbox),
        uploads=Uploads(outbox, blobs, scan_files=scans.ensure_scanned),
        metadata=metadata,
        blobs=blobs,
        policies=Policies(outbox),
        promotions=Promotions(outbox),
        webhooks=webhooks,
        outbox=outbox,
        audit=AuditTrail(metadata),
        lifecycle=Lifecycle(outbox),
        deployments=Deployments(outbox),
        evaluations=Evaluations(outbox, blobs),
        alias_history=AliasHistory(metadata),
        transfers=Transfers(
            metadata,
            direct,
            part_size=settings.direct_part_size,
            url_ttl=settings.direct_url_ttl,
        ),
        accounts=Accounts(outbox),
        access=AccessControl(outbox),
        signatures=Signatures(outbox),
        storage=Storage(outbox, blobs),
        scans=scans,
        mlflow_webhooks=mlflow_webhooks,
    )


def _open_blob_store(settings: Settings) -> ContentAddressedStore:
    """A local folder, or an S3 bucket for ``s3://`` URLs (which must exist: checked here)."""
    location = settings.s3_location()
    if location is None:
        storage = settings.resolved_storage_path()
        storage.mkdir(parents=True, exist_ok=True)
        return ContentAddressedStore(LocalBackend(storage))
    from modelreg.blobs.s3 import S3Backend, s3_client  # boto3 is the optional "s3" extra

    bucket, prefix = location
    endpoint = settings.resolved_s3_endpoint_url()
    region = settings.resolved_s3_region()
    client = s3_client(endpoint_url=endpoint, region=region)
    presigner = None
    if settings.s3_public_endpoint_url and settings.s3_public_endpoint_url != endpoint:
        presigner = s3_client(endpoint_url=settings.s3_public_endpoint_url, region=region)
    backend = S3Backend(
        client, bucket, prefix=prefix, presigner=presigner, part_size=settings.s3_part_size
    )
    backend.check_bucket()
    return ContentAddressedStore(backend)
