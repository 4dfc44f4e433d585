"""The content-addressing rules, written once over any ``ObjectBackend``.

An upload is written to ``uploads/<id>/data`` while it is hashed and counted; ``commit`` checks
the algorithm, size and digest, and only then moves the data to ``blobs/<algorithm>/<xx>/<hex>``.
Content that does not match is discarded and never becomes visible. A blob that is already
present counts as success: the new copy is dropped. See ``layout.py`` for the key layout.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from enum import Enum

from modelreg.blobs.base import BlobStore, ObjectBackend, ObjectInfo, ObjectWriter, Usage
from modelreg.blobs.layout import (
    BLOBS_PREFIX,
    UPLOADS_PREFIX,
    blob_key,
    parse_blob_key,
    parse_upload_key,
    upload_key,
)
from modelreg.domain.digests import Digest
from modelreg.domain.errors import (
    BlobNotFoundError,
    ConflictError,
    DigestMismatchError,
    InvalidArgumentError,
)
from modelreg.hashing import DigestHasher


class ContentAddressedStore:
    """A ``BlobStore`` that keeps each blob once, under its digest, in ``backend``."""

    def __init__(self, backend: ObjectBackend) -> None:
        self.backend = backend

    def exists(self, digest: Digest) -> bool:
        return self.backend.stat(blob_key(digest)) is not None

    def size(self, digest: Digest) -> int:
        info = self.backend.stat(blob_key(digest))
        if info is None:
            raise _not_found(digest)
        return info.size

    def begin_write(self, algorithm: str) -> ContentAddressedWriter:
        hasher = DigestHasher(algorithm)  # rejects unsupported algorithms before writing anything
        return ContentAddressedWriter(self.backend, hasher, upload_id=uuid.uuid4().hex)

    def open(self, digest: Digest, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        try:
            return self.backend.open_reader(blob_key(digest), offset, length)
        except BlobNotFoundError as e:
            raise _not_found(digest) from e

    def delete(self, digest: Digest) -> None:
        self.backend.delete(blob_key(digest))

    def list_digests(self) -> Iterator[tuple[Digest, ObjectInfo]]:
        for info in self.backend.list(BLOBS_PREFIX):
            digest = parse_blob_key(info.key)
            if digest is not None:  # anything else under blobs/ is not ours
                yield digest, info

    def list_uploads(self) -> Iterator[ObjectInfo]:
        """Every object under ``uploads/``: data of uploads that never reached their blob key."""
        return self.backend.list(UPLOADS_PREFIX)

    def delete_upload(self, key: str) -> None:
        """Remove the upload object ``key`` (as listed by ``list_uploads``); missing is fine."""
        if parse_upload_key(key) is None:
            raise InvalidArgumentError(
                f"{key[:200]!r} is not an upload key (expected 'uploads/<id>/<name>')", field="key"
            )
        self.backend.delete(key)

    def sweep_parts(self, *, older_than: datetime, dry_run: bool) -> Usage:
        """Whole blobs have no parts: nothing to sweep."""
        return Usage()

    def usage(self) -> Usage:
        total = Usage()
        for _digest, info in self.list_digests():
            total += Usage(1, info.size)
        return total

    def adopt_upload(self, upload_id: str, expected: Digest, expected_size: int) -> None:
        """Check an object written to ``uploads/<upload_id>/data`` by someone else (a client
        uploading straight to the object store) by reading it back, then move it into place.

        The writer is not trusted: size and digest are measured here. Raises
        ``DigestMismatchError`` after deleting the object when they differ from the expected.
        """
        key = upload_key(upload_id)
        try:
            info = self.backend.stat(key)
            if info is None:
                raise BlobNotFoundError(
                    f"upload {upload_id} holds no data; was it sent?", upload_id=upload_id
                )
            if info.size != expected_size:  # refused without reading it
                raise DigestMismatchError(
                    f"size mismatch for {expected}: expected {expected_size} bytes, "
                    f"received {info.size}",
                    expected=str(expected),
                    expected_size=expected_size,
                    actual_size=info.size,
                )
            hasher = DigestHasher(expected.algorithm)
            for chunk in self.backend.open_reader(key):
                hasher.update(chunk)
            actual = hasher.digest()
            problem = _mismatch(expected, expected_size, actual, hasher.size)
            if problem is not None:
                raise DigestMismatchError(
                    problem,
                    expected=str(expected),
                    actual=str(actual),
                    expected_size=expected_size,
                    actual_size=hasher.size,
                )
            _move_into_place(self.backend, key, actual, info.size)
        except BaseException:
            self.backend.delete(key)
            raise


class _State(Enum):
    OPEN = "open"
    COMMITTED = "committed"
    ABORTED = "aborted"


class ContentAddressedWriter:
    """One upload: hashes and counts while writing to ``uploads/<id>/data``."""

    def __init__(self, backend: ObjectBackend, hasher: DigestHasher, *, upload_id: str) -> None:
        self.upload_id = upload_id
        self.key = upload_key(upload_id)
        self._backend = backend
        self._hasher = hasher
        self._writer: ObjectWriter = backend.create_writer(self.key)
        self._state = _State.OPEN

    @property
    def algorithm(self) -> str:
        return self._hasher.algorithm

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._hasher.size

    def digest(self) -> Digest:
        """The digest of the bytes written so far. A caller that names the blob by its content,
        rather than checking a digest it was told, commits with this instead of hashing the
        same bytes a second time."""
        return self._hasher.digest()

    def write(self, data: bytes | memoryview) -> None:
        self._require_open()
        self._writer.write(data)
        self._hasher.update(data)

    def commit(self, expected: Digest, expected_size: int | None = None) -> None:
        """Check the data against ``expected`` (and ``expected_size``), then move it into place.

        Raises ``DigestMismatchError`` naming the expected and actual digest or size, after
        discarding the data. A blob that is already present counts as success.
        """
        self._require_open()
        actual = self._hasher.digest()
        problem = _mismatch(expected, expected_size, actual, self.size)
        if problem is not None:
            self.abort()
            raise DigestMismatchError(
                problem,
                expected=str(expected),
                actual=str(actual),
                expected_size=expected_size,
                actual_size=self.size,
            )
        try:
            self._writer.commit()
            _move_into_place(self._backend, self.key, actual, self.size)
        except BaseException:
            self.abort()
            raise
        self._state = _State.COMMITTED

    def abort(self) -> None:
        """Discard the upload. Safe to repeat, and a no-op after a successful ``commit``."""
        if self._state is not _State.OPEN:
            return
        self._state = _State.ABORTED
        try:
            self._writer.abort()
        finally:
            self._backend.delete(self.key)  # in case the writer had committed before a failure

    def _require_open(self) -> None:
        if self._state is not _State.OPEN:
            raise ConflictError(
                f"upload {self.upload_id} is already {self._state.value}", upload_id=self.upload_id
            )


def write_stream(
    store: BlobStore,
    algorithm: str,
    chunks: Iterable[bytes],
    expected: Digest,
    expected_size: int | None = None,
) -> int:
    """Write ``chunks`` as one blob, check it against ``expected`` and return its size.

    The upload is aborted on any error, including one raised by ``chunks`` itself; it stops early,
    with ``DigestMismatchError``, as soon as more than ``expected_size`` bytes have arrived.
    """
    writer = store.begin_write(algorithm)
    try:
        for chunk in chunks:
            writer.write(chunk)
            if expected_size is not None and writer.size > expected_size:
                raise DigestMismatchError(
                    f"size mismatch for {expected}: expected {expected_size} bytes, "
                    f"received more ({writer.size} so far)",
                    expected=str(expected),
                    expected_size=expected_size,
                    actual_size=writer.size,
                )
        writer.commit(expected, expected_size)
    except BaseException:
        writer.abort()
        raise
    return writer.size


def _mismatch(
    expected: Digest, expected_size: int | None, actual: Digest, actual_size: int
) -> str | None:
    if expected.algorithm != actual.algorithm:
        return (
            f"digest algorithm mismatch: expected {expected}, "
            f"but the upload was hashed with {actual.algorithm} (actual {actual})"
        )
    if expected_size is not None and expected_size != actual_size:
        return (
            f"size mismatch for {expected}: expected {expected_size} bytes, "
            f"received {actual_size} (actual digest {actual})"
        )
    if expected != actual:
        return f"digest mismatch: expected {expected}, actual {actual} ({actual_size} bytes)"
    return None


def _move_into_place(backend: ObjectBackend, key: str, digest: Digest, size: int) -> None:
    """Move verified data at ``key`` to the blob key of ``digest``; a copy that is already
    present with the same size counts as success (the new one is dropped)."""
    target = blob_key(digest)
    present = backend.stat(target)
    if present is not None and present.size == size:
        backend.delete(key)
    else:  # absent, or a damaged copy that this one replaces
        backend.move(key, target)


def _not_found(digest: Digest) -> BlobNotFoundError:
    return BlobNotFoundError(f"blob {digest} not found", digest=str(digest))
