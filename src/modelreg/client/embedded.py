"""``EmbeddedTransport``: the same service layer the server runs, called in-process."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from modelreg.client.accounts_embedded import EmbeddedAccounts
from modelreg.client.chunking import push_in_chunks
from modelreg.client.embedded_chunks import EmbeddedChunkSink
from modelreg.client.permissions import EmbeddedPermissions
from modelreg.client.scans import EmbeddedScanMethods
from modelreg.client.signing_embedded import EmbeddedSignatures
from modelreg.client.storage import EmbeddedStorageMethods
from modelreg.client.transport import Progress
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
from modelreg.hashing import digest_file
from modelreg.service.evaluations import ReportUpload
from modelreg.service.stages import Stages
from modelreg.wiring import Services

CHUNK = 1024 * 1024


class EmbeddedTransport(
    EmbeddedSignatures,
    EmbeddedAccounts,
    EmbeddedStorageMethods,
    EmbeddedScanMethods,
    EmbeddedPermissions,
):
    remote = False

    def __init__(self, services: Services, *, user: str) -> None:
        self.services = services
        self.registry = services.registry
        self.uploads = services.uploads
        self.user = user
        self.chunk_sink = EmbeddedChunkSink(services)

    def create_model(
        self, name: str, *, description: str, owner: str | None, tags: Mapping[str, str]
    ) -> RegisteredModel:
        return self.registry.create_model(
            name, actor=self.user, description=description, owner=owner, tags=tags
        )

    def get_model(self, name: str) -> RegisteredModel:
        return self.registry.get_model(name)

    def update_model(
        self,
        name: str,
        *,
        description: str | None,
        owner: str | None,
        set_tags: Mapping[str, str],
        delete_tags: Sequence[str],
    ) -> RegisteredModel:
        return self.registry.update_model(
            name,
            actor=self.user,
            description=description,
            owner=owner,
            set_tags=set_tags,
            delete_tags=delete_tags,
        )

    def delete_model(self, name: str) -> None:
        self.registry.delete_model(name, actor=self.user)

    def search_models(
        self, filter: str, *, cursor: str | None, limit: int
    ) -> Page[RegisteredModel]:
        return self.registry.search_models(filter, cursor=cursor, limit=limit)

    def list_versions(
        self, name: str, *, cursor: str | None, limit: int, include_archived: bool = False
    ) -> Page[ModelVersion]:
        return self.registry.list_versions(
            name, cursor=cursor, limit=limit, include_archived=include_archived
        )

    def search_versions(
        self, filter: str, *, cursor: str | None, limit: int, include_archived: bool = False
    ) -> Page[ModelVersion]:
        return self.registry.search_versions(
            filter, cursor=cursor, limit=limit, include_archived=include_archived
        )

    def get_version(self, name: str, version: int) -> ModelVersion:
        return self.registry.get_version(name, version)

    def resolve(self, ref: str, *, at: datetime | None = None) -> ModelVersion:
        return self.registry.resolve(ref, at=at)

    def set_mlflow_stage(self, name: str, version: int, stage: str) -> None:
        Stages(self.registry.store).transition(
            name, version, stage, archive_existing=False, actor=self.user
        )

    def update_version(
        self,
        name: str,
        version: int,
        *,
        description: str | None,
        set_tags: Mapping[str, str],
        delete_tags: Sequence[str],
    ) -> ModelVersion:
        return self.registry.update_version(
            name,
            version,
            actor=self.user,
            description=description,
            set_tags=set_tags,
            delete_tags=delete_tags,
        )

    def delete_version(self, name: str, version: int) -> None:
        self.registry.delete_version(name, version, actor=self.user)

    def set_alias(self, name: str, alias: str, version: int) -> Alias:
        return self.registry.set_alias(name, alias, version, actor=self.user)

    def get_alias(self, name: str, alias: str) -> Alias:
        return self.registry.get_alias(name, alias)

    def delete_alias(self, name: str, alias: str) -> None:
        self.registry.delete_alias(name, alias, actor=self.user)

    def list_events(self, name: str, *, cursor: str | None, limit: int) -> Page[Event]:
        return self.registry.list_events(name, cursor=cursor, limit=limit)

    def start_upload(self, name: str, draft: VersionDraft) -> UploadSession:
        return self.uploads.start_upload(name, draft, actor=self.user)

    def upload_blob(
        self, upload_id: str, digest: Digest, source: Path, *, progress: Progress | None
    ) -> None:
        if push_in_chunks(self.chunk_sink, upload_id, digest, source, progress=progress):
            return  # a large file: stored as shared chunks (client/chunking.py)

        def chunks() -> Iterator[bytes]:
            with source.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    if progress:
                        progress(len(chunk))
                    yield chunk

        self.uploads.receive_blob(upload_id, digest, chunks())

    def commit_upload(self, upload_id: str) -> ModelVersion:
        return self.uploads.commit_upload(upload_id, actor=self.user)

    def cancel_upload(self, upload_id: str) -> None:
        self.uploads.cancel_upload(upload_id)

    def read_blob(
        self, digest: Digest, offset: int = 0, *, allow_unsafe: bool = False
    ) -> Iterator[bytes]:
        # As the server does; the embedded registry runs open, so every release is readable.
        self.services.scans.guard_blob(digest, allow_unsafe=allow_unsafe, actor=self.user)
        return self.uploads.open_blob(digest, offset)

    # -- policies, promotions, webhooks ------------------------------------------------------

    def set_policy(self, document: Mapping[str, Any], *, model: str | None) -> PolicyRevision:
        return self.services.policies.set_policy(document, actor=self.user, model=model)

    def get_policy(self, *, model: str | None, revision: int | None) -> PolicyRevision:
        return self.services.policies.get_policy(model=model, revision=revision)

    def list_policy_revisions(self, *, model: str | None) -> list[PolicyRevision]:
        return self.services.policies.list_policy_revisions(model=model)

    def effective_policy(self, model: str) -> dict[str, Any]:
        return self.services.policies.effective_policy(model)

    def check_policy(self, ref: str, *, alias: str | None) -> PolicyReport:
        return self.services.policies.check(ref, alias=alias)

    def request_promotion(
        self, name: str, alias: str, version: int, *, reason: str
    ) -> PromotionRequest:
        return self.services.promotions.request_promotion(
            name, alias, version, reason=reason, actor=self.user
        )

    def approve_promotion(self, request_id: int, *, reason: str) -> PromotionRequest:
        return self.services.promotions.approve(request_id, actor=self.user, reason=reason)

    def reject_promotion(self, request_id: int, *, reason: str) -> PromotionRequest:
        return self.services.promotions.reject(request_id, actor=self.user, reason=reason)

    def get_promotion(self, request_id: int) -> PromotionRequest:
        return self.services.promotions.get_promotion(request_id)

    def list_promotions(
        self,
        *,
        model: str | None,
        status: PromotionStatus | None,
        cursor: str | None,
        limit: int,
    ) -> Page[PromotionRequest]:
        return self.services.promotions.list_promotions(
            model=model, status=status, cursor=cursor, limit=limit
        )

    def add_webhook(self, url: str, *, events: Sequence[str], secret: str) -> WebhookSubscription:
        return self.services.webhooks.add_subscription(
            url, events=events, secret=secret, actor=self.user
        )

    def list_webhooks(self) -> list[WebhookSubscription]:
        return self.services.webhooks.list_subscriptions()

    def remove_webhook(self, webhook_id: int) -> None:
        self.services.webhooks.remove_subscription(webhook_id)

    def list_deliveries(
        self, webhook_id: int, *, cursor: str | None, limit: int
    ) -> Page[WebhookDelivery]:
        return self.services.webhooks.list_deliveries(webhook_id, cursor=cursor, limit=limit)

    # -- audit trail, alias history, archiving, deployments, evaluations, model cards ---------

    def list_audit(
        self, query: AuditQuery, *, descending: bool, cursor: str | None, limit: int
    ) -> Page[AuditEntry]:
        return self.services.audit.list_entries(
            query, descending=descending, cursor=cursor, limit=limit
        )

    def verify_audit(self) -> AuditVerification:
        return self.services.audit.verify()

    def list_alias_history(
        self, name: str, alias: str, *, cursor: str | None, limit: int
    ) -> Page[AliasChange]:
        return self.services.alias_history.list_changes(name, alias, cursor=cursor, limit=limit)

    def archive_version(self, name: str, version: int) -> ModelVersion:
        return self.services.lifecycle.archive_version(name, version, actor=self.user)

    def restore_version(self, name: str, version: int) -> ModelVersion:
        return self.services.lifecycle.restore_version(name, version, actor=self.user)

    def record_deployment(
        self, name: str, version: int, environment: str, *, status: str, note: str
    ) -> Deployment:
        return self.services.deployments.record_deployment(
            name, version, environment, actor=self.user, status=status, note=note
        )

    def list_deployments(self, *, environment: str | None, model: str | None) -> list[Deployment]:
        return self.services.deployments.list_deployments(environment=environment, model=model)

    def deployment_history(
        self, name: str, *, environment: str | None, cursor: str | None, limit: int
    ) -> Page[Deployment]:
        return self.services.deployments.deployment_history(
            name, environment=environment, cursor=cursor, limit=limit
        )

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
        upload = None
        if report is not None:
            digest, size = digest_file(report)
            upload = ReportUpload(report.name, size, digest, _file_chunks(report))
        return self.services.evaluations.add_evaluation(
            name,
            version,
            dataset=dataset,
            actor=self.user,
            metrics=metrics,
            description=description,
            report=upload,
        )

    def list_evaluations(self, name: str, version: int) -> list[Evaluation]:
        return self.services.evaluations.list_evaluations(name, version)

    def set_card(self, name: str, version: int, content: str) -> ModelCard:
        return self.services.evaluations.set_card(name, version, content, actor=self.user)

    def get_card(self, name: str, version: int, *, revision: int | None) -> ModelCard:
        return self.services.evaluations.get_card(name, version, revision=revision)

    def close(self) -> None:
        self.services.close()


def _file_chunks(source: Path) -> Iterator[bytes]:
    with source.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk
