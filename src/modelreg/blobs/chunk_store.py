"""``ChunkStore``: the port the chunked push protocol needs (``service/chunked_uploads.py``), a
``BlobStore`` that can also hold blobs as recipes of shared chunks. ``ChunkedStore``
(``blobs/chunks.py``) implements it over any object backend."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, runtime_checkable

from modelreg.blobs.base import BlobStore
from modelreg.blobs.recipes import Recipe
from modelreg.domain.chunking import ChunkRef
from modelreg.domain.digests import Digest


@runtime_checkable
class ChunkStore(BlobStore, Protocol):
    """A ``BlobStore`` that can also hold blobs as recipes of chunks (the port the chunked push
    protocol needs)."""

    def missing_chunks(self, chunks: Iterable[ChunkRef]) -> list[ChunkRef]:
        """The chunks of ``chunks`` not stored with their size, each once, in order."""

    def put_chunk(self, chunk: ChunkRef, data: Iterable[bytes]) -> None:
        """Store ``data`` as ``chunk``; ``DigestMismatchError`` (nothing kept) when it differs.
        A chunk already present counts as success."""

    def open_chunk(self, digest: Digest) -> Iterator[bytes]:
        """Stream a stored chunk; ``BlobNotFoundError`` when absent."""

    def delete_chunk(self, digest: Digest) -> None:
        """Drop a chunk found damaged, so that the next push sends it again."""

    def write_recipe(self, recipe: Recipe) -> None:
        """Make ``recipe`` visible as the blob ``recipe.digest`` in one step. The caller has
        checked every chunk and the whole digest."""

    def read_recipe(self, digest: Digest) -> Recipe:
        """The recipe of ``digest``; ``BlobNotFoundError`` when it is not stored as one."""

    def staged_chunk_url(self, upload_id: str, digest: Digest, *, expires: int) -> str | None:
        """A pre-signed URL where a client PUTs chunk ``digest`` of session ``upload_id`` straight
        into the object store, or None when the backend cannot pre-sign (send it to the server).
        """

    def is_staged(self, upload_id: str, digest: Digest) -> bool:
        """Whether a client has staged chunk ``digest`` for session ``upload_id``."""

    def adopt_staged(
        self, upload_id: str, chunk: ChunkRef, observe: Callable[[bytes], None]
    ) -> None:
        """Read the staged ``chunk`` once (every byte also goes to ``observe``), check its size
        and digest and move it into the chunk pool. ``DigestMismatchError`` after deleting it
        when it differs; ``BlobNotFoundError`` when nothing is staged."""
