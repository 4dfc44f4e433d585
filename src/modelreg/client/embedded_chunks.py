"""Chunked pushes in embedded mode: the same chunk protocol, straight into the service layer,
so an embedded registry deduplicates storage exactly like a server (docs/dedup.md)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from modelreg.domain.chunking import DEFAULT_CHUNKER, ChunkerParams, ChunkRef
from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError
from modelreg.service.chunked_uploads import ChunkedUploads, chunk_store_of
from modelreg.wiring import Services


class EmbeddedChunkSink:
    """A ``ChunkSink`` over ``ChunkedUploads``; one chunk at a time (no network to overlap)."""

    parallel = 1

    def __init__(self, services: Services) -> None:
        store = chunk_store_of(services.blobs)
        self._chunked = None if store is None else ChunkedUploads(services.metadata, store)

    def params(self) -> ChunkerParams | None:
        return None if self._chunked is None else DEFAULT_CHUNKER

    def missing_chunks(
        self, upload_id: str, digest: Digest, chunks: Sequence[ChunkRef]
    ) -> list[tuple[ChunkRef, str | None]]:
        found = self._service().missing_chunks(upload_id, digest, chunks)
        return [(chunk, None) for chunk in found]

    def put_chunk(
        self,
        upload_id: str,
        digest: Digest,
        chunk: ChunkRef,
        url: str | None,
        data: Iterator[bytes],
    ) -> None:
        self._service().receive_chunk(upload_id, digest, chunk, data)

    def assemble(self, upload_id: str, digest: Digest, chunks: Sequence[ChunkRef]) -> None:
        self._service().assemble_blob(upload_id, digest, chunks)

    def _service(self) -> ChunkedUploads:
        if self._chunked is None:
            raise InvalidArgumentError("this registry's blob store does not keep chunked blobs")
        return self._chunked
