"""Direct transfers of content-addressed blobs: clients read and write the object store
themselves, through pre-signed URLs, and the registry only signs and verifies.

Uploads follow the rules of ``cas.py``: the data goes to ``uploads/<transfer-id>/data`` and is
moved to its blob key only after ``ContentAddressedStore.adopt_upload`` has read it back and found
the declared size and digest. Nothing a client sends is visible before that check.

A blob stored as chunks (``chunks.py``) is not one object: ``chunk_download`` answers a
pre-signed URL per chunk, and the client reads them in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from modelreg.blobs.base import DirectTransfers, DirectUpload, DownloadPiece, UploadedPart
from modelreg.blobs.cas import ContentAddressedStore
from modelreg.blobs.layout import blob_key, upload_key
from modelreg.blobs.recipes import Recipe, chunk_key, recipe_key
from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError


def direct_transfers(store: ContentAddressedStore) -> ContentAddressedTransfers | None:
    """Direct transfers over ``store``'s backend, or None when the backend cannot offer them."""
    if isinstance(store.backend, DirectTransfers):
        return ContentAddressedTransfers(store, store.backend)
    return None


class ContentAddressedTransfers:
    """``DirectBlobTransfers`` over a ``ContentAddressedStore`` whose backend presigns."""

    def __init__(self, store: ContentAddressedStore, backend: DirectTransfers) -> None:
        self._store = store
        self._backend = backend

    def download_url(
        self, digest: Digest, *, expires: int, filename: str | None = None
    ) -> str | None:
        if not self._store.exists(digest):
            return None
        return self._backend.presign_get(blob_key(digest), expires=expires, filename=filename)

    def chunk_download(
        self, digest: Digest, offset: int, *, expires: int
    ) -> tuple[DownloadPiece, ...] | None:
        key = recipe_key(digest)
        if self._store.backend.stat(key) is None:
            return None
        recipe = Recipe.from_bytes(b"".join(self._store.backend.open_reader(key)))
        return tuple(
            DownloadPiece(
                self._backend.presign_get(chunk_key(chunk.digest), expires=expires), start, length
            )
            for chunk, start, length in recipe.pieces(offset, recipe.size)
        )

    def start_upload(self, *, multipart: bool) -> DirectUpload:
        transfer_id = uuid.uuid4().hex
        multipart_id = None
        if multipart:
            multipart_id = self._backend.create_multipart(upload_key(transfer_id))
        return DirectUpload(transfer_id, multipart_id)

    def part_url(self, upload: DirectUpload, part_number: int, *, expires: int) -> str:
        key = upload_key(upload.transfer_id)  # also checks a transfer id sent back by a client
        if upload.multipart_id is None:
            if part_number != 1:
                raise InvalidArgumentError(
                    f"a single-request upload has only part 1, not {part_number}", field="part"
                )
            return self._backend.presign_put(key, expires=expires)
        return self._backend.presign_part(key, upload.multipart_id, part_number, expires=expires)

    def finish_upload(
        self,
        upload: DirectUpload,
        parts: Sequence[UploadedPart],
        expected: Digest,
        expected_size: int,
    ) -> None:
        key = upload_key(upload.transfer_id)
        if upload.multipart_id is not None:
            try:
                self._backend.complete_multipart(key, upload.multipart_id, parts)
            except BaseException:
                self.abort_upload(upload)
                raise
        self._store.adopt_upload(upload.transfer_id, expected, expected_size)

    def abort_upload(self, upload: DirectUpload) -> None:
        key = upload_key(upload.transfer_id)
        if upload.multipart_id is not None:
            self._backend.abort_multipart(key, upload.multipart_id)
        self._store.backend.delete(key)
