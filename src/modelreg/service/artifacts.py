"""Artifacts: files the MLflow client uploads under a path, kept in the content-addressed blob
store and indexed by path, so a version registered from them reuses the same blobs.

An upload is hashed while it streams into the blob store and becomes visible under its path
only once its blob is in place. The read-only tree ``_registry/<model>/<version>/...`` shows
the files of every model version, whoever pushed it, from the version's own manifest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from modelreg.blobs.base import BlobStore, BlobWriter
from modelreg.domain.digests import DEFAULT_ALGORITHM, Digest
from modelreg.domain.entities import FileEntry
from modelreg.domain.errors import ConflictError, PermissionDeniedError
from modelreg.domain.filters import Comparison, Field, Query
from modelreg.domain.tracking import (
    REGISTRY_ARTIFACT_ROOT,
    ArtifactEntry,
    ArtifactListing,
    ArtifactNotFoundError,
    registry_version_of,
    validate_artifact_path,
)
from modelreg.hashing import DigestHasher
from modelreg.service.clock import Clock, utcnow
from modelreg.service.evaluations import require_blob
from modelreg.store.base import MetadataStore, MetadataTransaction


@dataclass(frozen=True, slots=True)
class StoredFile:
    """What a download needs: the blob and its size."""

    path: str
    size: int
    digest: Digest


@runtime_checkable
class DigestReporting(Protocol):
    """A blob writer that hashes what it writes and can say what it computed."""

    def digest(self) -> Digest: ...


class ArtifactUpload:
    """One artifact being received: written to the blob store and hashed as it arrives.

    ``write`` may run in a worker thread while the caller receives the next bytes; ``finish``
    and ``abort`` wait for a write in progress, so the data is never committed or discarded
    under a running write.
    """

    def __init__(self, artifacts: Artifacts, path: str, writer: BlobWriter, algorithm: str) -> None:
        self._artifacts = artifacts
        self.path = path
        self._writer = writer
        # The content-addressed writer already hashes every byte it writes; a second hasher
        # here would be a second pass over the whole file. Only a writer that cannot report its
        # digest needs one.
        self._hasher: DigestHasher | None = None
        self._digest: Callable[[], Digest]
        if isinstance(writer, DigestReporting):
            self._digest = writer.digest
        else:
            self._hasher = DigestHasher(algorithm)
            self._digest = self._hasher.digest
        self._lock = threading.Lock()

    def write(self, data: bytes | memoryview) -> None:
        with self._lock:
            self._writer.write(data)
            if self._hasher is not None:
                self._hasher.update(data)

    def finish(self) -> ArtifactEntry:
        with self._lock:
            size = self._writer.size
            digest = self._digest()
            self._writer.commit(digest, size)
        return self._artifacts._index(self.path, digest, size)

    def abort(self) -> None:
        with self._lock:
            self._writer.abort()


class Artifacts:
    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        *,
        clock: Clock = utcnow,
        algorithm: str = DEFAULT_ALGORITHM,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock
        self.algorithm = algorithm

    # -- writing -----------------------------------------------------------------------------

    def begin_upload(self, path: str) -> ArtifactUpload:
        """Start receiving the file ``path``; refused early when the path cannot be a file."""
        clean = self._writable(path)
        with self.store.transaction() as tx:
            _check_clash(tx, clean)
        return ArtifactUpload(self, clean, self.blobs.begin_write(self.algorithm), self.algorithm)

    def upload(self, path: str, chunks: Iterable[bytes]) -> ArtifactEntry:
        upload = self.begin_upload(path)
        try:
            for chunk in chunks:
                upload.write(chunk)
            return upload.finish()
        except BaseException:
            upload.abort()
            raise

    def _index(self, path: str, digest: Digest, size: int) -> ArtifactEntry:
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            _check_clash(tx, path)
            tx.put_artifact(path, size=size, digest=digest, now=now)
            require_blob(self.blobs, digest, "artifact")  # after the INSERT: see require_blob
        return ArtifactEntry(path, size, digest, now)

    def delete(self, path: str) -> int:
        """Delete the file or folder ``path`` from the index (blobs stay until collected)."""
        clean = self._writable(path)
        with self.store.transaction(write=True) as tx:
            return tx.delete_artifacts(clean)

    def _writable(self, path: str) -> str:
        clean = validate_artifact_path(path)
        if clean.split("/", 1)[0] == REGISTRY_ARTIFACT_ROOT:
            raise PermissionDeniedError(
                f"{REGISTRY_ARTIFACT_ROOT}/ shows registered model versions and is read-only",
                path=clean,
            )
        return clean

    # -- reading -----------------------------------------------------------------------------

    def list_folder(self, folder: str) -> list[ArtifactListing]:
        """The direct children of ``folder`` (``''`` for the root); a file lists as empty."""
        clean = validate_artifact_path(folder) if folder.strip("/") else ""
        files = self._files_below(clean)
        children: dict[str, ArtifactListing] = {}
        for relative, size in files:
            name, sep, _ = relative.partition("/")
            if sep:
                children.setdefault(name, ArtifactListing(name, is_dir=True))
            else:
                children[name] = ArtifactListing(name, is_dir=False, size=size)
        return sorted(children.values(), key=lambda child: child.name)

    def files_under(self, folder: str) -> tuple[FileEntry, ...]:
        """Every file below ``folder`` with its path relative to it; a file on its own when
        ``folder`` is a file. Empty when nothing is stored there."""
        clean = validate_artifact_path(folder) if folder.strip("/") else ""
        with self.store.transaction() as tx:
            return files_under(tx, clean)

    def stat(self, path: str) -> StoredFile:
        clean = validate_artifact_path(path)
        with self.store.transaction() as tx:
            return _stored_file(tx, clean)

    def open(
        self, stored: StoredFile, offset: int = 0, length: int | None = None
    ) -> Iterator[bytes]:
        return self.blobs.open(stored.digest, offset, length)

    def _files_below(self, folder: str) -> list[tuple[str, int]]:
        with self.store.transaction() as tx:
            if not folder:
                return [(e.path, e.size) for e in tx.artifacts_under("")]
            if _in_registry(folder) and folder.count("/") < 2:
                return _registry_folder(tx, folder)
            located = registry_version_of(folder) if _in_registry(folder) else None
            if located is not None:
                name, version, inner = located
                files = tx.get_version(name, version).files
                prefix = f"{inner}/" if inner else ""
                return [(f.path[len(prefix) :], f.size) for f in files if f.path.startswith(prefix)]
            prefix = f"{folder}/"
            return [(e.path[len(prefix) :], e.size) for e in tx.artifacts_under(folder)]


def files_under(tx: MetadataTransaction, folder: str) -> tuple[FileEntry, ...]:
    """The manifest of what is stored below ``folder`` (see ``Artifacts.files_under``)."""
    located = registry_version_of(folder) if _in_registry(folder) else None
    if located is not None:
        name, version, inner = located
        files = tx.get_version(name, version).files
        if not inner:
            return tuple(files)
        prefix = f"{inner}/"
        return tuple(
            FileEntry(f.path[len(prefix) :], f.size, f.digest)
            for f in files
            if f.path.startswith(prefix)
        ) or tuple(
            FileEntry(f.path.rsplit("/", 1)[-1], f.size, f.digest) for f in files if f.path == inner
        )
    if not folder:
        return tuple(FileEntry(e.path, e.size, e.digest) for e in tx.artifacts_under(""))
    found = tx.artifacts_at_or_under(folder)
    single = [e for e in found if e.path == folder]
    if single:  # ``folder`` names a file
        return (FileEntry(folder.rsplit("/", 1)[-1], single[0].size, single[0].digest),)
    prefix = f"{folder}/"
    return tuple(FileEntry(e.path[len(prefix) :], e.size, e.digest) for e in found)


def _in_registry(path: str) -> bool:
    return path.split("/", 1)[0] == REGISTRY_ARTIFACT_ROOT


def _registry_folder(tx: MetadataTransaction, folder: str) -> list[tuple[str, int]]:
    """``_registry`` lists models, ``_registry/<name>`` the model's versions (as folders)."""
    parts = folder.split("/")
    if len(parts) == 1:
        names: list[str] = []
        cursor = 0
        while True:
            page = tx.search_models(_ALL_MODELS, offset=cursor, limit=1000)
            names.extend(model.name for model in page)
            if len(page) < 1000:
                return [(f"{name}/", 0) for name in names]
            cursor += 1000
    versions = tx.search_versions(_versions_of(parts[1]), offset=0, limit=100_000)
    return [(f"{v.version}/", 0) for v in versions]


def _stored_file(tx: MetadataTransaction, path: str) -> StoredFile:
    located = registry_version_of(path) if _in_registry(path) else None
    if located is not None:
        name, version, inner = located
        for entry in tx.get_version(name, version).files:
            if entry.path == inner:
                return StoredFile(path, entry.size, entry.digest)
    else:
        found = tx.get_artifact(path)
        if found is not None:
            return StoredFile(path, found.size, found.digest)
    raise ArtifactNotFoundError(f"artifact {path!r} does not exist", path=path)


def _check_clash(tx: MetadataTransaction, path: str) -> None:
    clash = tx.artifact_clash(path)
    if clash is not None:
        raise ConflictError(
            f"artifact {path!r} cannot be a file: {clash!r} is stored "
            + ("inside it" if clash.startswith(f"{path}/") else "where one of its folders goes"),
            path=path,
            clash=clash,
        )


_ALL_MODELS = Query()


def _versions_of(name: str) -> Query:
    return Query(where=Comparison(Field("attr", "name"), "=", name))
