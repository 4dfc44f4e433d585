"""``EmbeddedTransport``: the same service layer the server runs, called in-process."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from modelreg.client.transport import Progress
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
from modelreg.wiring import Services

CHUNK = 1024 * 1024


class EmbeddedTransport:
    remote = False

    def __init__(self, services: Services, *, user: str) -> None:
        self.services = services
        self.registry = services.registry
        self.uploads = services.uploads
        self.user = user

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

    def list_versions(self, name: str, *, cursor: str | None, limit: int) -> Page[ModelVersion]:
        return self.registry.list_versions(name, cursor=cursor, limit=limit)

    def search_versions(self, filter: str, *, cursor: str | None, limit: int) -> Page[ModelVersion]:
        return self.registry.search_versions(filter, cursor=cursor, limit=limit)

    def get_version(self, name: str, version: int) -> ModelVersion:
        return self.registry.get_version(name, version)

    def resolve(self, ref: str) -> ModelVersion:
        return self.registry.resolve(ref)

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

    def read_blob(self, digest: Digest, offset: int = 0) -> Iterator[bytes]:
        return self.uploads.open_blob(digest, offset)

    def close(self) -> None:
        self.services.close()
