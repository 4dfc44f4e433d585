"""The registry's entities as frozen dataclasses: what every layer passes around."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from modelreg.domain.digests import Digest

T = TypeVar("T")


class VersionStatus(enum.StrEnum):
    """Lifecycle of a model version: PENDING until its files are committed, then READY or FAILED."""

    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str
    size: int
    digest: Digest


@dataclass(frozen=True, slots=True)
class Lineage:
    """Where a version came from: code, data, the version it was derived from, the training run."""

    source_commit: str | None = None
    source_url: str | None = None
    datasets: tuple[str, ...] = ()
    parent_version: int | None = None
    run_id: str | None = None
    experiment_id: str | None = None


@dataclass(frozen=True, slots=True)
class VersionDraft:
    """What a user submits for a new version, before it has a number."""

    files: tuple[FileEntry, ...]
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    lineage: Lineage = field(default_factory=Lineage)


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    name: str
    description: str
    owner: str | None
    tags: Mapping[str, str]
    created_at: datetime
    updated_at: datetime
    latest_version: int | None = None
    aliases: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelHead:
    """What the checks on a new version need of its model, read under the model's write lock."""

    name: str
    owner: str | None
    latest_version: int | None


@dataclass(frozen=True, slots=True)
class ModelVersion:
    model_name: str
    version: int
    status: VersionStatus
    description: str
    params: Mapping[str, str]
    metrics: Mapping[str, float]
    tags: Mapping[str, str]
    lineage: Lineage
    files: tuple[FileEntry, ...]
    created_by: str
    created_at: datetime
    updated_at: datetime
    """The last change of its description, tags, archive state or MLflow stage; its files and
    numbers never change."""
    aliases: tuple[str, ...] = ()
    archived_at: datetime | None = None
    """When the version was archived (hidden from default listings and search); None if live."""

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def ref(self) -> str:
        return f"{self.model_name}/{self.version}"

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self.files)


@dataclass(frozen=True, slots=True)
class Alias:
    model_name: str
    name: str
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the history and audit trail: who did what, when, to what.

    ``model_name`` is empty for registry-wide entries (not tied to a model). ``target`` names
    what changed (``model:NAME``, ``version:NAME/3``, ``alias:NAME@production``, ...; derived
    from the model and version when left empty); ``before`` and ``after`` hold the changed
    values (JSON), None where there was nothing before or nothing after.
    """

    model_name: str
    action: str
    actor: str
    at: datetime
    version: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    target: str = ""
    before: Any = None
    after: Any = None


@dataclass(frozen=True, slots=True)
class UploadSession:
    """An open push: the declared draft plus the digests the registry still lacks."""

    id: str
    model_name: str
    draft: VersionDraft
    created_by: str
    started_at: datetime
    missing: tuple[Digest, ...] = ()


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str | None = None
