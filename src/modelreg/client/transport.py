"""The seam between the SDK and a registry: in-process (``EmbeddedTransport``) or over HTTP
(``HttpTransport``). Both speak in domain entities and raise the domain's errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from modelreg.client.accounts import AccountsTransport
from modelreg.client.permissions import PermissionTransport
from modelreg.client.scans import ScanTransport
from modelreg.client.signing import SignatureTransport
from modelreg.client.storage import StorageTransport
from modelreg.domain.audit import AuditEntry, AuditQuery, AuditVerification
from modelreg.domain.digests import Digest
from modelreg.domain.entities import (
    Alias,
    Event,
    ModelVersion,
    Page,
    RegisteredModel,
    UploadSession,
    VersionDraft,
)
from modelreg.domain.governance import PolicyRevision, PromotionRequest, PromotionStatus
from modelreg.domain.policy import PolicyReport
from modelreg.domain.records import AliasChange, Deployment, Evaluation, ModelCard
from modelreg.domain.webhooks import WebhookDelivery, WebhookSubscription

Progress = Callable[[int], None]


class Transport(
    SignatureTransport,
    AccountsTransport,
    StorageTransport,
    ScanTransport,
    PermissionTransport,
    Protocol,
):
    remote: bool
    """True when blobs cross a network, so pulled blobs are worth caching locally."""

    def create_model(
        self, name: str, *, description: str, owner: str | None, tags: Mapping[str, str]
    ) -> RegisteredModel: ...

    def get_model(self, name: str) -> RegisteredModel: ...

    def update_model(
        self,
        name: str,
        *,
        description: str | None,
        owner: str | None,
        set_tags: Mapping[str, str],
        delete_tags: Sequence[str],
    ) -> RegisteredModel: ...

    def delete_model(self, name: str) -> None: ...

    def search_models(
        self, filter: str, *, cursor: str | None, limit: int
    ) -> Page[RegisteredModel]: ...

    def list_versions(
        self, name: str, *, cursor: str | None, limit: int, include_archived: bool = False
    ) -> Page[ModelVersion]: ...

    def search_versions(
        self, filter: str, *, cursor: str | None, limit: int, include_archived: bool = False
    ) -> Page[ModelVersion]: ...

    def get_version(self, name: str, version: int) -> ModelVersion: ...

    def resolve(self, ref: str, *, at: datetime | None = None) -> ModelVersion: ...

    def update_version(
        self,
        name: str,
        version: int,
        *,
        description: str | None,
        set_tags: Mapping[str, str],
        delete_tags: Sequence[str],
    ) -> ModelVersion: ...

    def delete_version(self, name: str, version: int) -> None: ...

    def set_mlflow_stage(self, name: str, version: int, stage: str) -> None: ...

    def set_alias(self, name: str, alias: str, version: int) -> Alias: ...

    def get_alias(self, name: str, alias: str) -> Alias: ...

    def delete_alias(self, name: str, alias: str) -> None: ...

    def list_events(self, name: str, *, cursor: str | None, limit: int) -> Page[Event]: ...

    def start_upload(self, name: str, draft: VersionDraft) -> UploadSession: ...

    def upload_blob(
        self, upload_id: str, digest: Digest, source: Path, *, progress: Progress | None
    ) -> None: ...

    def commit_upload(self, upload_id: str) -> ModelVersion: ...

    def cancel_upload(self, upload_id: str) -> None: ...

    def read_blob(
        self, digest: Digest, offset: int = 0, *, allow_unsafe: bool = False
    ) -> Iterator[bytes]:
        """Stream a blob from ``offset`` to its end (unverified: the caller hashes).
        ``QuarantinedError`` for a quarantined blob unless ``allow_unsafe``."""

    # -- policies, promotions, webhooks ------------------------------------------------------

    def set_policy(self, document: Mapping[str, Any], *, model: str | None) -> PolicyRevision: ...

    def get_policy(self, *, model: str | None, revision: int | None) -> PolicyRevision: ...

    def list_policy_revisions(self, *, model: str | None) -> list[PolicyRevision]: ...

    def effective_policy(self, model: str) -> dict[str, Any]: ...

    def check_policy(self, ref: str, *, alias: str | None) -> PolicyReport: ...

    def request_promotion(
        self, name: str, alias: str, version: int, *, reason: str
    ) -> PromotionRequest: ...

    def approve_promotion(self, request_id: int, *, reason: str) -> PromotionRequest: ...

    def reject_promotion(self, request_id: int, *, reason: str) -> PromotionRequest: ...

    def get_promotion(self, request_id: int) -> PromotionRequest: ...

    def list_promotions(
        self,
        *,
        model: str | None,
        status: PromotionStatus | None,
        cursor: str | None,
        limit: int,
    ) -> Page[PromotionRequest]: ...

    def add_webhook(
        self, url: str, *, events: Sequence[str], secret: str
    ) -> WebhookSubscription: ...

    def list_webhooks(self) -> list[WebhookSubscription]: ...

    def remove_webhook(self, webhook_id: int) -> None: ...

    def list_deliveries(
        self, webhook_id: int, *, cursor: str | None, limit: int
    ) -> Page[WebhookDelivery]: ...

    # -- audit trail, alias history, archiving, deployments, evaluations, model cards ---------

    def list_audit(
        self, query: AuditQuery, *, descending: bool, cursor: str | None, limit: int
    ) -> Page[AuditEntry]: ...

    def verify_audit(self) -> AuditVerification: ...

    def list_alias_history(
        self, name: str, alias: str, *, cursor: str | None, limit: int
    ) -> Page[AliasChange]: ...

    def archive_version(self, name: str, version: int) -> ModelVersion: ...

    def restore_version(self, name: str, version: int) -> ModelVersion: ...

    def record_deployment(
        self, name: str, version: int, environment: str, *, status: str, note: str
    ) -> Deployment: ...

    def list_deployments(
        self, *, environment: str | None, model: str | None
    ) -> list[Deployment]: ...

    def deployment_history(
        self, name: str, *, environment: str | None, cursor: str | None, limit: int
    ) -> Page[Deployment]: ...

    def add_evaluation(
        self,
        name: str,
        version: int,
        *,
        dataset: str,
        metrics: Mapping[str, float],
        description: str,
        report: Path | None,
    ) -> Evaluation:
        """``report`` is a local file sent along and stored as a blob."""

    def list_evaluations(self, name: str, version: int) -> list[Evaluation]: ...

    def set_card(self, name: str, version: int, content: str) -> ModelCard: ...

    def get_card(self, name: str, version: int, *, revision: int | None) -> ModelCard: ...

    def close(self) -> None: ...
