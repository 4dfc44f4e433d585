"""The metadata-store port.

A ``MetadataStore`` hands out transactions; everything else happens on the ``MetadataTransaction``
it yields, so each use case in the service layer is exactly one unit of work. The transaction is
split by capability into small protocols so a reader sees which part a caller depends on.
All methods raise the domain's ``NotFoundError`` subclasses for missing things and
``AlreadyExistsError`` for duplicates; none of them commits on its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from modelreg.domain.entities import (
    Alias,
    Event,
    ModelHead,
    ModelVersion,
    RegisteredModel,
    UploadSession,
    VersionDraft,
    VersionStatus,
)
from modelreg.domain.filters import Query
from modelreg.domain.permissions import Visibility
from modelreg.store.access import AccessRepository
from modelreg.store.accounts import AccountRepository
from modelreg.store.governance import (
    PolicyRepository,
    PromotionRepository,
    WebhookRepository,
)
from modelreg.store.mlflow_reads import MlflowReadRepository
from modelreg.store.mlflow_webhooks import MlflowWebhookRepository
from modelreg.store.possession import PossessionRepository
from modelreg.store.records import (
    AliasHistoryRepository,
    ArchiveRepository,
    AuditRepository,
    DeploymentRepository,
    EvaluationRepository,
)
from modelreg.store.scans import ScanRepository
from modelreg.store.signatures import SignatureRepository
from modelreg.store.storage import StorageRepository
from modelreg.store.tracking import TrackingRepository


class ModelRepository(Protocol):
    def create_model(
        self,
        name: str,
        *,
        description: str,
        owner: str | None,
        tags: Mapping[str, str],
        now: datetime,
    ) -> RegisteredModel:
        """Insert a model; ``AlreadyExistsError`` when the name is taken."""

    def get_model(self, name: str) -> RegisteredModel:
        """The model with its aliases and latest READY version number."""

    def lock_model(self, name: str) -> None:
        """Serialise concurrent writers of one model until the transaction ends."""

    def lock_model_head(self, name: str) -> ModelHead:
        """``lock_model``, returning the model's owner and latest READY version in the same
        read; ``ModelNotFoundError`` when there is no such model."""

    def update_model(
        self,
        name: str,
        *,
        now: datetime,
        description: str | None = None,
        owner: str | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: tuple[str, ...] = (),
    ) -> RegisteredModel: ...

    def rename_model(self, name: str, new_name: str, *, now: datetime) -> RegisteredModel:
        """Change the model's name; ``AlreadyExistsError`` when ``new_name`` is taken."""

    def delete_model(self, name: str) -> None:
        """Delete the model with its versions and aliases (its events stay)."""

    def search_models(
        self, query: Query, *, offset: int, limit: int, readable_by: Visibility | None = None
    ) -> list[RegisteredModel]:
        """``readable_by`` keeps only models with a grant to that user or one of its teams."""


class VersionRepository(Protocol):
    def insert_version(
        self,
        model_name: str,
        draft: VersionDraft,
        *,
        status: VersionStatus,
        created_by: str,
        now: datetime,
    ) -> ModelVersion:
        """Allocate the next version number of the model and insert the version.

        Numbers start at 1, have no gaps under concurrent writers and are never reused.
        """

    def get_version(self, model_name: str, version: int) -> ModelVersion: ...

    def get_latest_version(self, model_name: str) -> ModelVersion:
        """The highest READY version; ``VersionNotFoundError`` when there is none."""

    def update_version(
        self,
        model_name: str,
        version: int,
        *,
        now: datetime,
        description: str | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: tuple[str, ...] = (),
    ) -> ModelVersion:
        """Change the description and tags; ``now`` becomes the version's ``updated_at``."""
        ...

    def add_version_numbers(
        self,
        model_name: str,
        version: int,
        *,
        params: Mapping[str, str],
        metrics: Mapping[str, float],
        now: datetime,
    ) -> None:
        """Add params and metrics under keys the version does not hold yet (the caller checks
        that); ``now`` becomes its ``updated_at``."""

    def delete_version(self, model_name: str, version: int) -> None: ...

    def search_versions(
        self, query: Query, *, offset: int, limit: int, readable_by: Visibility | None = None
    ) -> list[ModelVersion]:
        """``readable_by``: as for ``search_models``, by the version's model."""

    def referenced_digests(self) -> Iterator[str]:
        """Every digest that some version's manifest names, for garbage collection."""


class AliasRepository(Protocol):
    def set_alias(
        self, model_name: str, alias: str, version: int, *, actor: str, now: datetime
    ) -> int | None:
        """Point ``alias`` at ``version``; returns the version it pointed at before, if any.

        Records the change in the alias history; ``ConflictError`` when the version is archived.
        """

    def delete_alias(
        self, model_name: str, alias: str, *, actor: str = "", now: datetime | None = None
    ) -> int:
        """Remove ``alias``; returns the version it pointed at. Records the removal in the
        alias history at ``now`` (the wall clock when not given)."""

    def get_alias(self, model_name: str, alias: str) -> Alias: ...


class EventLog(Protocol):
    def add_event(self, event: Event) -> None:
        """Append ``event`` to the history and the audit chain when the transaction commits."""

    def list_events(self, model_name: str, *, offset: int, limit: int) -> list[Event]: ...


class UploadRepository(Protocol):
    def create_upload(self, session: UploadSession) -> None: ...

    def get_upload(self, upload_id: str) -> UploadSession: ...

    def delete_upload(self, upload_id: str) -> bool:
        """Delete the session; True when it existed (a commit claims its session this way)."""
        ...

    def list_uploads_started_before(self, moment: datetime) -> list[UploadSession]: ...


class MetadataTransaction(
    ModelRepository,
    VersionRepository,
    AliasRepository,
    EventLog,
    UploadRepository,
    PolicyRepository,
    PromotionRepository,
    WebhookRepository,
    AuditRepository,
    AliasHistoryRepository,
    ArchiveRepository,
    DeploymentRepository,
    EvaluationRepository,
    TrackingRepository,
    AccessRepository,
    SignatureRepository,
    AccountRepository,
    StorageRepository,
    ScanRepository,
    MlflowWebhookRepository,
    PossessionRepository,
    MlflowReadRepository,
    Protocol,
):
    """One unit of work over every repository."""


class MetadataStore(Protocol):
    def transaction(self, *, write: bool = False) -> AbstractContextManager[MetadataTransaction]:
        """Open a unit of work: committed when the block exits normally, rolled back otherwise.

        ``write=True`` takes the write lock up front where the database needs it (SQLite), so
        concurrent writers queue instead of failing on lock upgrades.
        """

    def close(self) -> None: ...
