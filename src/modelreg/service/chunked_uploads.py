"""Chunked pushes: a declared blob of an upload session sent as content-defined chunks.

The client cuts a big file into chunks and names each by its digest; the registry answers which
chunks it lacks (``missing_chunks``), receives only those (``receive_chunk``, each checked
against its digest) and then assembles the blob (``assemble_blob``): it reads every chunk once,
checks each chunk and the whole file against their digests and the declared size, and only then
writes the recipe that makes the blob visible. From there on the session's commit works as for
a blob sent whole. A push that was interrupted simply starts again: chunks already received are
not asked for twice. See docs/dedup.md.

On storage with direct transfers (S3) a missing chunk is not sent to the server: the client PUTs
it to a pre-signed URL of a staging key inside the session (``chunk_upload_url``), and assembly
adopts staged chunks in its one verifying pass (``ChunkStore.adopt_staged``).

Proof of possession (``docs/permissions.md``), with ``readable_by``: which stored chunks the
caller has shown it holds is decided in ``service/chunk_possession.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from modelreg.blobs.base import BlobStore
from modelreg.blobs.chunk_store import ChunkStore
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
from modelreg.domain.permissions import Visibility
from modelreg.hashing import DigestHasher
from modelreg.service.chunk_possession import unproven_chunks
from modelreg.store.base import MetadataStore


class ChunkedUploads:
    def __init__(
        self,
        store: MetadataStore,
        chunks: ChunkStore,
        *,
        limits: ChunkLimits = DEFAULT_CHUNK_LIMITS,
        staged_url_ttl: int | None = None,
    ) -> None:
        self.store = store
        self.chunks = chunks
        self.limits = limits
        # Lifetime of pre-signed chunk URLs; None keeps every chunk on the server's own route.
        self.staged_url_ttl = staged_url_ttl

    def chunk_upload_url(self, upload_id: str, chunk: ChunkRef) -> str | None:
        """A pre-signed URL where the client sends ``chunk`` straight to the object store, or
        None when it goes to the server's chunk route."""
        if self.staged_url_ttl is None:
            return None
        return self.chunks.staged_chunk_url(upload_id, chunk.digest, expires=self.staged_url_ttl)

    def missing_chunks(
        self,
        upload_id: str,
        digest: Digest,
        chunks: Sequence[ChunkRef],
        *,
        readable_by: Visibility | None = None,
    ) -> list[ChunkRef]:
        """The chunks of ``digest`` (a blob declared in the session) that the registry lacks
        (or the caller has not shown it holds), each once, in file order; none when the blob
        itself is already stored (and possessed)."""
        size = self._declared_size(upload_id, digest)
        validate_chunk_list(chunks, digest, size, self.limits)
        if self._stored(digest, size) and self._possessed(upload_id, digest, readable_by):
            return []
        missing = unproven_chunks(self.store, self.chunks, upload_id, digest, chunks, readable_by)
        if self.staged_url_ttl is None:
            return missing
        # Staged by this session's client already (an assemble that failed on another chunk).
        return [chunk for chunk in missing if not self.chunks.is_staged(upload_id, chunk.digest)]

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
        self._record(upload_id, chunk.digest)

    def assemble_blob(
        self,
        upload_id: str,
        digest: Digest,
        chunks: Sequence[ChunkRef],
        *,
        readable_by: Visibility | None = None,
    ) -> None:
        """Make the declared blob ``digest`` visible as the concatenation of ``chunks``.

        ``MissingBlobsError`` names chunks not received yet; ``DigestMismatchError`` when a chunk
        or the whole does not match its digest or size. Either way nothing becomes visible.
        """
        size = self._declared_size(upload_id, digest)
        validate_chunk_list(chunks, digest, size, self.limits)
        stored = self._stored(digest, size)
        if stored and self._possessed(upload_id, digest, readable_by):
            return  # already present counts as success
        staged = self._require_present(upload_id, digest, chunks, readable_by)
        self._verify(upload_id, digest, size, chunks, staged)
        if stored:  # proven now; the blob is kept as it was stored
            self._record(upload_id, digest)
            return
        self.chunks.write_recipe(Recipe(digest, size, tuple(chunks)))
        # A garbage-collection sweep that overlapped this call may have removed a chunk it saw
        # as unreferenced (blobs/chunks.py, ``sweep_parts``): withdraw the recipe then.
        vanished = self.chunks.missing_chunks(chunks)
        if vanished:
            self.chunks.delete(digest)
            raise _missing_error(digest, vanished)
        self._record(upload_id, digest)

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

    def _possessed(self, upload_id: str, digest: Digest, readable_by: Visibility | None) -> bool:
        if readable_by is None:
            return True
        wanted = [str(digest)]
        with self.store.transaction() as tx:
            return bool(
                tx.readable_digests(wanted, readable_by) or tx.received_digests(upload_id, wanted)
            )

    def _record(self, upload_id: str, digest: Digest) -> None:
        with self.store.transaction(write=True) as tx:
            tx.record_receipts(upload_id, [str(digest)])

    def _require_present(
        self,
        upload_id: str,
        digest: Digest,
        chunks: Sequence[ChunkRef],
        readable_by: Visibility | None,
    ) -> set[Digest]:
        """The chunks that are neither stored (and possessed) nor staged raise
        ``MissingBlobsError``; answers the digests to adopt from the session's staging area."""
        missing = unproven_chunks(self.store, self.chunks, upload_id, digest, chunks, readable_by)
        staged = {c.digest for c in missing if self.chunks.is_staged(upload_id, c.digest)}
        absent = [chunk for chunk in missing if chunk.digest not in staged]
        if absent:
            raise _missing_error(None, absent)
        return staged

    def _verify(
        self,
        upload_id: str,
        digest: Digest,
        size: int,
        chunks: Sequence[ChunkRef],
        staged: set[Digest],
    ) -> None:
        """Read every chunk once: each against its own digest, all of them against ``digest``.
        A staged chunk is read from its staging key and moved into the pool once it matches."""
        whole = DigestHasher(digest.algorithm)
        adopted: list[str] = []
        try:
            self._read_all(upload_id, digest, chunks, staged, whole, adopted)
        finally:
            if adopted:  # the caller sent these bytes: proof of possession, even on a failure
                with self.store.transaction(write=True) as tx:
                    tx.record_receipts(upload_id, adopted)
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

    def _read_all(
        self,
        upload_id: str,
        digest: Digest,
        chunks: Sequence[ChunkRef],
        staged: set[Digest],
        whole: DigestHasher,
        adopted: list[str],
    ) -> None:
        for chunk in chunks:
            if chunk.digest in staged:
                try:
                    self.chunks.adopt_staged(upload_id, chunk, whole.update)
                except BlobNotFoundError as error:  # adopted by a concurrent assemble
                    raise _missing_error(digest, [chunk]) from error
                staged.discard(chunk.digest)  # in the pool from now on
                adopted.append(str(chunk.digest))
                continue
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
