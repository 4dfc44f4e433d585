"""Wire schemas: ``<Thing>Create``/``<Thing>Update`` in, ``<Thing>Out`` out.

Separate from both the tables and the entities; the ``from_entity`` constructors are the only
place that knows how an entity is shown on the wire.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from modelreg.domain.digests import Digest
from modelreg.domain.entities import (
    Alias,
    Event,
    FileEntry,
    Lineage,
    ModelVersion,
    RegisteredModel,
    UploadSession,
    VersionDraft,
)
from modelreg.domain.rules import param_text


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelCreate(Schema):
    name: str
    description: str = ""
    owner: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class ModelUpdate(Schema):
    description: str | None = None
    owner: str | None = None
    set_tags: dict[str, str] = Field(default_factory=dict)
    delete_tags: list[str] = Field(default_factory=list)


class ModelOut(Schema):
    name: str
    description: str
    owner: str | None
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime
    latest_version: int | None
    aliases: dict[str, int]

    @classmethod
    def from_entity(cls, model: RegisteredModel) -> ModelOut:
        return cls(
            name=model.name,
            description=model.description,
            owner=model.owner,
            tags=dict(model.tags),
            created_at=model.created_at,
            updated_at=model.updated_at,
            latest_version=model.latest_version,
            aliases=dict(model.aliases),
        )


class ModelPage(Schema):
    items: list[ModelOut]
    next_cursor: str | None


class FileIn(Schema):
    path: str
    size: int = Field(ge=0)
    digest: str

    def to_entity(self) -> FileEntry:
        return FileEntry(self.path, self.size, Digest.parse(self.digest))


class FileOut(Schema):
    path: str
    size: int
    digest: str

    @classmethod
    def from_entity(cls, entry: FileEntry) -> FileOut:
        return cls(path=entry.path, size=entry.size, digest=str(entry.digest))


class LineageSchema(Schema):
    source_commit: str | None = None
    source_url: str | None = None
    datasets: list[str] = Field(default_factory=list)
    parent_version: int | None = None
    run_id: str | None = None
    experiment_id: str | None = None

    def to_entity(self) -> Lineage:
        return Lineage(**{**self.model_dump(), "datasets": tuple(self.datasets)})

    @classmethod
    def from_entity(cls, lineage: Lineage) -> LineageSchema:
        return cls(
            source_commit=lineage.source_commit,
            source_url=lineage.source_url,
            datasets=list(lineage.datasets),
            parent_version=lineage.parent_version,
            run_id=lineage.run_id,
            experiment_id=lineage.experiment_id,
        )


class UploadCreate(Schema):
    files: list[FileIn]
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    # Strict: a JSON true or "0.9" is not a metric (the domain refuses bools too).
    metrics: dict[str, StrictFloat | StrictInt] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    description: str = ""
    lineage: LineageSchema = Field(default_factory=LineageSchema)

    def to_entity(self) -> VersionDraft:
        return VersionDraft(
            files=tuple(f.to_entity() for f in self.files),
            params={key: param_text(key, value) for key, value in self.params.items()},
            metrics={key: float(value) for key, value in self.metrics.items()},
            tags=dict(self.tags),
            description=self.description,
            lineage=self.lineage.to_entity(),
        )


class UploadOut(Schema):
    upload_id: str
    model: str
    missing: list[str]
    started_at: datetime

    @classmethod
    def from_entity(cls, session: UploadSession) -> UploadOut:
        return cls(
            upload_id=session.id,
            model=session.model_name,
            missing=[str(d) for d in session.missing],
            started_at=session.started_at,
        )


class VersionOut(Schema):
    name: str
    version: int
    status: str
    description: str
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    lineage: LineageSchema
    files: list[FileOut]
    created_by: str
    created_at: datetime
    updated_at: datetime
    aliases: list[str]
    archived_at: datetime | None = None

    @classmethod
    def from_entity(cls, version: ModelVersion) -> VersionOut:
        return cls(
            name=version.model_name,
            version=version.version,
            status=version.status.value,
            description=version.description,
            params=dict(version.params),
            metrics=dict(version.metrics),
            tags=dict(version.tags),
            lineage=LineageSchema.from_entity(version.lineage),
            files=[FileOut.from_entity(f) for f in version.files],
            created_by=version.created_by,
            created_at=version.created_at,
            updated_at=version.updated_at,
            aliases=list(version.aliases),
            archived_at=version.archived_at,
        )


class VersionPage(Schema):
    items: list[VersionOut]
    next_cursor: str | None


class VersionUpdate(Schema):
    description: str | None = None
    set_tags: dict[str, str] = Field(default_factory=dict)
    delete_tags: list[str] = Field(default_factory=list)


class AliasSet(Schema):
    version: int = Field(ge=1)


class AliasOut(Schema):
    model: str
    alias: str
    version: int
    updated_at: datetime
    updated_by: str

    @classmethod
    def from_entity(cls, alias: Alias) -> AliasOut:
        return cls(
            model=alias.model_name,
            alias=alias.name,
            version=alias.version,
            updated_at=alias.updated_at,
            updated_by=alias.updated_by,
        )


class EventOut(Schema):
    model: str
    version: int | None
    action: str
    actor: str
    at: datetime
    details: dict[str, Any]
    target: str = ""
    before: Any = None
    after: Any = None

    @classmethod
    def from_entity(cls, event: Event) -> EventOut:
        return cls(
            model=event.model_name,
            version=event.version,
            action=event.action,
            actor=event.actor,
            at=event.at,
            details=dict(event.details),
            target=event.target,
            before=event.before,
            after=event.after,
        )


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class InfoOut(Schema):
    name: str = "modelreg"
    version: str
    digest_algorithm: str
    database: str
