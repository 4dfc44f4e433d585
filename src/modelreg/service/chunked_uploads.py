"""Chunked pushes: a declared blob of an upload session sent as content-defined chunks.

The client cuts a big file into chunks and names each by its digest; the registry answers which
chunks it lacks (``missing_chunks``), receives only those (``receive_chunk``, each checked
against its digest) and then assembles the blob (``assemble_blob``): it reads every chunk once,
checks each chunk and the whole file against their digests and the declared size, and only then
writes the recipe that makes the blob visible. From there on the session's commit works as for
a blob sent whole. A push that was interrupted simply starts again: chunks already received are
not asked for twice. See docs/dedup.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from modelreg.blobs.base import BlobStore
from modelreg.blobs.chunks import ChunkStore
from modelreg.blobs.recipes import Recipe
from modelreg.domain.chunking import (
    DEFAULT_CHUNK_LIMITS,
    ChunkLimits,
    ChunkRef,
    check_chunk_size,
    validate_chunk_list,
)
from modelreg.domain.digests import Digest
from modelreg.domain.errors import (
    BlobNotFoundError,
    DigestMismatchError,
    InvalidArgumentError,
    MissingBlobsError,
)
from modelreg.hashing import DigestHasher
from modelreg.store.base import MetadataStore


class ChunkedUploads:
    def __init__(
        self,
        store: MetadataStore,
        chunks: ChunkStore,
        *,
        limits: ChunkLimits = DEFAULT_CHUNK_LIMITS,
    ) -> None:
        self.store = store
        self.chunks = chunks
        self.limits = limits

    def missing_chunks(
        self, upload_id: str, digest: Digest, chunks: Sequence[ChunkRef]
    ) -> list[ChunkRef]:
        """The chunks of ``digest`` (a blob declared in the session) that the registry lacks,
        each once, in file order; none when the blob itself is already stored."""
        size = self._declared_size(upload_id, digest)
        validate_chunk_list(chunks, digest, size, self.limits)
        if self._stored(digest, size):
            return []
        return self.chunks.missing_chunks(chunks)

    def receive_chunk(
        self, upload_id: str, digest: Digest, chunk: ChunkRef, data: Iterable[bytes]
    ) -> None:
        """Store ``data`` as ``chunk`` of the declared blob ``digest``: checked against the
        chunk's digest and size, kept once however often it is sent."""
        size = self._declared_size(upload_id, digest)
        check_chunk_size(chunk, self.limits)
        if chunk.size > size:
            raise InvalidArgumentError(
                f"chunk {chunk.digest} ({chunk.size} bytes) is larger than blob {digest}",
                digest=str(chunk.digest),
            )
        self.chunks.put_chunk(chunk, data)

    def assemble_blob(self, upload_id: str, digest: Digest, chunks: Sequence[ChunkRef]) -> None:
        """Make the declared blob ``digest`` visible as the concatenation of ``chunks``.

        ``MissingBlobsError`` names chunks not received yet; ``DigestMismatchError`` when a chunk
        or the whole does not match its digest or size. Either way nothing becomes visible.
        """
        size = self._declared_size(upload_id, digest)
        validate_chunk_list(chunks, digest, size, self.limits)
        if self._stored(digest, size):
            return  # already present counts as success
        self._require_present(chunks)
        self._verify(digest, size, chunks)
        self.chunks.write_recipe(Recipe(digest, size, tuple(chunks)))
        # A garbage-collection sweep that overlapped this call may have removed a chunk it saw
        # as unreferenced (blobs/chunks.py, ``sweep_parts``): withdraw the recipe then.
        vanished = self.chunks.missing_chunks(chunks)
        if vanished:
            self.chunks.delete(digest)
            raise _missing_error(digest, vanished)

    def _declared_size(self, upload_id: str, digest: Digest) -> int:
        with self.store.transaction() as tx:
            session = tx.get_upload(upload_id)
        for entry in session.draft.files:
            if entry.digest == digest:
                return entry.size
        raise InvalidArgumentError(
            f"blob {digest} is not part of upload {upload_id}", digest=str(digest)
        )

    def _stored(self, digest: Digest, size: int) -> bool:
        return self.chunks.exists(digest) and self.chunks.size(digest) == size

    def _require_present(self, chunks: Sequence[ChunkRef]) -> None:
        missing = self.chunks.missing_chunks(chunks)
        if missing:
            raise _missing_error(None, missing)

    def _verify(self, digest: Digest, size: int, chunks: Sequence[ChunkRef]) -> None:
        """Read every chunk once: each against its own digest, all of them against ``digest``."""
        whole = DigestHasher(digest.algorithm)
        for chunk in chunks:
            part = DigestHasher(chunk.digest.algorithm)
            try:
                for data in self.chunks.open_chunk(chunk.digest):
                    part.update(data)
                    whole.update(data)
            except BlobNotFoundError as error:  # removed since the presence check
                raise _missing_error(digest, [chunk]) from error
            actual = part.digest()
            if actual != chunk.digest or part.size != chunk.size:
                # Damaged in storage: drop it, so that the next missing_chunks asks for it again.
                self.chunks.delete_chunk(chunk.digest)
                raise DigestMismatchError(
                    f"stored chunk {chunk.digest} reads back as {actual} ({part.size} bytes); "
                    "it was dropped, push again",
                    expected=str(chunk.digest),
                    actual=str(actual),
                )
        actual = whole.digest()
        if actual != digest or whole.size != size:
            raise DigestMismatchError(
                f"digest mismatch: the chunks of {digest} add up to {actual} "
                f"({whole.size} bytes, declared {size})",
                expected=str(digest),
                actual=str(actual),
                expected_size=size,
                actual_size=whole.size,
            )


def chunk_store_of(blobs: BlobStore) -> ChunkStore | None:
    """``blobs`` when it can keep chunked blobs, else None (chunked pushes are then refused)."""
    return blobs if isinstance(blobs, ChunkStore) else None


def _missing_error(digest: Digest | None, missing: Sequence[ChunkRef]) -> MissingBlobsError:
    target = f" of {digest}" if digest is not None else ""
    return MissingBlobsError(
        f"{len(missing)} chunk(s){target} have not been received: "
        + ", ".join(str(chunk.digest) for chunk in missing[:3]),
        missing=[str(chunk.digest) for chunk in missing],
    )
