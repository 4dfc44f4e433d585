"""The seam between the SDK and a registry: in-process (``EmbeddedTransport``) or over HTTP
(``HttpTransport``). Both speak in domain entities and raise the domain's errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

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

Progress = Callable[[int], None]


class Transport(Protocol):
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

    def list_versions(self, name: str, *, cursor: str | None, limit: int) -> Page[ModelVersion]: ...

    def search_versions(
        self, filter: str, *, cursor: str | None, limit: int
    ) -> Page[ModelVersion]: ...

    def get_version(self, name: str, version: int) -> ModelVersion: ...

    def resolve(self, ref: str) -> ModelVersion: ...

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

    def read_blob(self, digest: Digest, offset: int = 0) -> Iterator[bytes]:
        """Stream a blob from ``offset`` to its end (unverified: the caller hashes)."""

    def close(self) -> None: ...
