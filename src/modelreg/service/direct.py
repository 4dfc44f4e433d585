"""Direct transfers: blob bytes go between clients and the object store, not through the server.

Downloads answer a short-lived pre-signed URL of the blob. Uploads of a session's declared blob
get a temporary object and pre-signed URLs for its parts (``start_blob``, ``part_urls``); once
the client has sent them, ``finish_blob`` completes the object, reads it back to check the
declared size and digest, and moves it into place (``blobs/cas.py``). The client is never
trusted: a blob it sent wrong is deleted and refused with ``DigestMismatchError``.

``Transfers`` answers None wherever the storage cannot offer direct transfers (a local folder)
or they are switched off; the caller then moves the bytes through the server as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from modelreg.blobs.base import DirectBlobTransfers, DirectUpload, DownloadPiece, UploadedPart
from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError
from modelreg.store.base import MetadataStore

MiB = 1 << 20
MAX_PARTS = 10_000  # the S3 limit on parts of one multipart upload
FIRST_PARTS = 64  # part URLs handed out with the start of an upload; more on request
MAX_PARTS_PER_REQUEST = 1_000


@dataclass(frozen=True, slots=True)
class PartUrl:
    number: int
    url: str


@dataclass(frozen=True, slots=True)
class DirectBlobUpload:
    """Where a client sends one blob: ``part_count`` parts of ``part_size`` bytes (the last
    one shorter), the URLs of the first of them in ``parts``."""

    upload: DirectUpload
    part_size: int
    part_count: int
    parts: tuple[PartUrl, ...]
    expires_in: int


class Transfers:
    def __init__(
        self,
        store: MetadataStore,
        direct: DirectBlobTransfers | None,
        *,
        part_size: int = 64 * MiB,
        url_ttl: int = 3600,
    ) -> None:
        self.store = store
        self.direct = direct
        self.part_size = part_size
        self.url_ttl = url_ttl

    @property
    def enabled(self) -> bool:
        return self.direct is not None

    def download_url(self, digest: Digest, *, filename: str | None = None) -> str | None:
        """A pre-signed URL of blob ``digest``; None without direct transfers, or when the blob
        is not stored as one object (then the server serves it, or answers it is missing)."""
        if self.direct is None:
            return None
        return self.direct.download_url(digest, expires=self.url_ttl, filename=filename)

    def chunk_download(self, digest: Digest, offset: int = 0) -> tuple[DownloadPiece, ...] | None:
        """Pre-signed URLs of the chunks that hold blob ``digest`` from ``offset`` on; None
        without direct transfers or when the blob is not stored as chunks."""
        if self.direct is None:
            return None
        return self.direct.chunk_download(digest, offset, expires=self.url_ttl)

    def start_blob(self, upload_id: str, digest: Digest) -> DirectBlobUpload | None:
        """Start sending a declared blob of session ``upload_id`` straight to the store; None
        when it has to go through the server instead."""
        if self.direct is None:
            return None
        size = self._declared_size(upload_id, digest)
        part_size = _part_size(size, self.part_size)
        part_count = max(1, math.ceil(size / part_size))
        upload = self.direct.start_upload(multipart=part_count > 1)
        first = self._urls(upload, 1, min(part_count, FIRST_PARTS))
        return DirectBlobUpload(upload, part_size, part_count, first, self.url_ttl)

    def part_urls(
        self, upload_id: str, digest: Digest, upload: DirectUpload, *, first: int, count: int
    ) -> tuple[PartUrl, ...]:
        """URLs of parts ``first``..``first + count - 1`` of a started direct upload."""
        self._require_direct()
        if first < 1 or count < 1 or count > MAX_PARTS_PER_REQUEST:
            raise InvalidArgumentError(
                f"ask for 1 to {MAX_PARTS_PER_REQUEST} parts from part 1 on", field="first"
            )
        size = self._declared_size(upload_id, digest)
        part_count = max(1, math.ceil(size / _part_size(size, self.part_size)))
        return self._urls(upload, first, min(first + count - 1, part_count))

    def finish_blob(
        self,
        upload_id: str,
        digest: Digest,
        upload: DirectUpload,
        parts: Sequence[UploadedPart],
    ) -> None:
        """Complete the upload and check it; the blob is stored when this returns.

        ``DigestMismatchError`` (with nothing stored) when the content is not the declared one.
        """
        direct = self._require_direct()
        size = self._declared_size(upload_id, digest)
        ordered = sorted(parts, key=lambda part: part.number)
        if upload.multipart_id is not None and not ordered:
            raise InvalidArgumentError("name the parts sent, with their ETags", field="parts")
        direct.finish_upload(upload, ordered, digest, size)
        with self.store.transaction(write=True) as tx:  # proof of possession (service/uploads.py)
            tx.record_receipts(upload_id, [str(digest)])

    def abort_blob(self, upload_id: str, upload: DirectUpload) -> None:
        """Drop a direct upload and what was sent for it; safe to repeat."""
        direct = self._require_direct()
        with self.store.transaction() as tx:
            tx.get_upload(upload_id)  # only a live session's client may abort
        direct.abort_upload(upload)

    def _urls(self, upload: DirectUpload, first: int, last: int) -> tuple[PartUrl, ...]:
        direct = self._require_direct()
        return tuple(
            PartUrl(n, direct.part_url(upload, n, expires=self.url_ttl))
            for n in range(first, last + 1)
        )

    def _declared_size(self, upload_id: str, digest: Digest) -> int:
        with self.store.transaction() as tx:
            session = tx.get_upload(upload_id)
        for entry in session.draft.files:
            if entry.digest == digest:
                return entry.size
        raise InvalidArgumentError(
            f"blob {digest} is not part of upload {upload_id}", digest=str(digest)
        )

    def _require_direct(self) -> DirectBlobTransfers:
        if self.direct is None:
            raise InvalidArgumentError("this registry does not offer direct transfers")
        return self.direct


def _part_size(size: int, preferred: int) -> int:
    """``preferred``, or larger (in whole MiB) when the blob would need over 10,000 parts."""
    needed = math.ceil(size / MAX_PARTS)
    if needed <= preferred:
        return preferred
    return math.ceil(needed / MiB) * MiB
