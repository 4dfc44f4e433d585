"""The blob-store ports.

``ObjectBackend`` is the plain object storage a driver implements (local folder, S3, memory):
keys are ``/``-separated strings, values are byte streams. ``BlobStore`` is what the service uses:
content addressed by ``Digest``, implemented once in ``cas.py`` on top of any backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from modelreg.domain.digests import Digest


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    modified_at: datetime


@dataclass(frozen=True, slots=True)
class Usage:
    """A count of stored objects and their bytes (what a sweep removed, or what is stored)."""

    objects: int = 0
    bytes: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.objects + other.objects, self.bytes + other.bytes)


class ObjectWriter(Protocol):
    """A write in progress. Nothing is visible under the key until ``commit`` returns."""

    def write(self, data: bytes | memoryview) -> None:
        """Append ``data``."""

    def commit(self) -> None:
        """Make everything written durable and visible under the key."""

    def abort(self) -> None:
        """Drop what was written. Safe to call more than once, and after ``commit`` fails."""


class ObjectBackend(Protocol):
    def create_writer(self, key: str) -> ObjectWriter:
        """Start writing ``key``; an existing object is replaced only on commit."""

    def open_reader(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Stream ``length`` bytes (to the end when None) of ``key`` from ``offset``.

        Raises ``BlobNotFoundError`` when the key does not exist.
        """

    def stat(self, key: str) -> ObjectInfo | None:
        """Size and modification time of ``key``, or None when it does not exist."""

    def move(self, source: str, target: str) -> None:
        """Rename ``source`` to ``target`` (replacing it) as atomically as the backend allows."""

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in no particular order."""


class BlobWriter(Protocol):
    """An upload of one blob; hashes while it writes."""

    def write(self, data: bytes | memoryview) -> None: ...

    @property
    def size(self) -> int: ...

    def commit(self, expected: Digest, expected_size: int | None = None) -> None:
        """Check the data against ``expected`` and move it into place.

        Raises ``DigestMismatchError`` (and discards the data) when the content differs.
        A blob that is already present counts as success.
        """

    def abort(self) -> None: ...


class BlobStore(Protocol):
    def exists(self, digest: Digest) -> bool: ...

    def size(self, digest: Digest) -> int:
        """Stored size; raises ``BlobNotFoundError`` when absent."""

    def begin_write(self, algorithm: str) -> BlobWriter:
        """Start an upload that will be addressed with ``algorithm``."""

    def open(self, digest: Digest, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Stream stored bytes; raises ``BlobNotFoundError`` when absent. Not re-verified."""

    def delete(self, digest: Digest) -> None: ...

    def list_digests(self) -> Iterator[tuple[Digest, ObjectInfo]]:
        """Every stored blob, for garbage collection and storage reports."""

    def list_uploads(self) -> Iterator[ObjectInfo]:
        """Temporary upload objects, for garbage collection of abandoned uploads."""

    def delete_upload(self, key: str) -> None: ...

    def sweep_parts(self, *, older_than: datetime, dry_run: bool) -> Usage:
        """Delete stored parts of blobs (chunks) that no stored blob uses any more and that were
        written before ``older_than`` (so parts of an upload in progress survive). Garbage
        collection calls it after it has deleted unreferenced blobs. Answers what was (or, with
        ``dry_run``, would be) removed; a store without parts answers ``Usage()``."""

    def usage(self) -> Usage:
        """Physical objects and bytes held: blobs, and any parts and recipes behind them."""


# -- direct transfers: clients move bytes to and from the object store without the server -------


@dataclass(frozen=True, slots=True)
class UploadedPart:
    """One part of a multipart upload, as the object store acknowledged it."""

    number: int
    etag: str


@runtime_checkable
class DirectTransfers(Protocol):
    """What an ``ObjectBackend`` offers when clients can reach its objects themselves (S3):
    pre-signed URLs and client-driven multipart uploads. ``expires`` is in seconds."""

    def presign_get(self, key: str, *, expires: int, filename: str | None = None) -> str:
        """A URL that GETs ``key`` (Range allowed), offered as download ``filename`` if given."""

    def presign_put(self, key: str, *, expires: int) -> str:
        """A URL that PUTs the whole object ``key`` in one request."""

    def create_multipart(self, key: str) -> str:
        """Start a multipart upload to ``key``; answers its upload id."""

    def presign_part(self, key: str, upload_id: str, part_number: int, *, expires: int) -> str:
        """A URL that PUTs part ``part_number`` (from 1) of the multipart upload."""

    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[UploadedPart]) -> None:
        """Join ``parts`` into the object ``key``; nothing is visible under it before."""

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop the multipart upload and its parts; safe to repeat."""


@dataclass(frozen=True, slots=True)
class DownloadPiece:
    """``length`` bytes from ``offset`` of the object at pre-signed ``url``: one chunk (or the
    part of it that a download from an offset needs) of a blob stored as chunks."""

    url: str
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class DirectUpload:
    """A blob upload that a client sends straight to the object store.

    ``transfer_id`` names the temporary object (``uploads/<transfer_id>/data``); ``multipart_id``
    is the store's multipart upload id, or None when the blob goes in one PUT.
    """

    transfer_id: str
    multipart_id: str | None


class DirectBlobTransfers(Protocol):
    """Direct transfers in terms of digests: what the service layer uses (``cas.py``)."""

    def download_url(
        self, digest: Digest, *, expires: int, filename: str | None = None
    ) -> str | None:
        """A pre-signed URL of the blob, or None when it is not stored as one object (absent,
        or kept another way, e.g. as chunks): the server then answers for it itself."""

    def chunk_download(
        self, digest: Digest, offset: int, *, expires: int
    ) -> tuple[DownloadPiece, ...] | None:
        """Pre-signed URLs of the chunks of a blob stored as chunks, covering its bytes from
        ``offset`` on, in order; None when it is not stored as chunks."""

    def start_upload(self, *, multipart: bool) -> DirectUpload:
        """Reserve a temporary object for one blob, as a multipart upload or a single PUT."""

    def part_url(self, upload: DirectUpload, part_number: int, *, expires: int) -> str:
        """The URL a client PUTs part ``part_number`` to (1 only, for a single PUT)."""

    def finish_upload(
        self,
        upload: DirectUpload,
        parts: Sequence[UploadedPart],
        expected: Digest,
        expected_size: int,
    ) -> None:
        """Complete the upload, read it back to check size and digest, and move it into place.

        Raises ``DigestMismatchError`` (and discards the data) when the content differs; a blob
        that is already present counts as success.
        """

    def abort_upload(self, upload: DirectUpload) -> None:
        """Discard the upload and anything sent for it; safe to repeat."""
