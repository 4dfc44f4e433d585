"""The chunk pool: a ``ContentAddressedStore`` whose blobs are the chunks under ``chunks/``.

Chunks follow exactly the rules of whole blobs (hash while writing, move into place only when
the digest matches, already present counts as success), so they are stored by the same
``ContentAddressedStore`` over a view of the backend that renames its ``blobs/`` to ``chunks/``.
Uploads in progress keep their ``uploads/<id>/data`` keys: they share the one upload area that
garbage collection already cleans.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from modelreg.blobs.base import ObjectBackend, ObjectInfo, ObjectWriter
from modelreg.blobs.cas import ContentAddressedStore
from modelreg.blobs.layout import BLOBS_PREFIX
from modelreg.blobs.recipes import CHUNKS_PREFIX


class ChunkPoolBackend:
    """``backend`` with every ``blobs/…`` key read and written as ``chunks/…``."""

    def __init__(self, backend: ObjectBackend) -> None:
        self.backend = backend

    def create_writer(self, key: str) -> ObjectWriter:
        return self.backend.create_writer(_outer(key))

    def open_reader(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        return self.backend.open_reader(_outer(key), offset, length)

    def stat(self, key: str) -> ObjectInfo | None:
        info = self.backend.stat(_outer(key))
        return None if info is None else ObjectInfo(key, info.size, info.modified_at)

    def move(self, source: str, target: str) -> None:
        self.backend.move(_outer(source), _outer(target))

    def delete(self, key: str) -> None:
        self.backend.delete(_outer(key))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        for info in self.backend.list(_outer(prefix)):
            yield ObjectInfo(_inner(info.key), info.size, info.modified_at)


@runtime_checkable
class BatchDurability(Protocol):
    """A backend whose every durable write costs fsyncs (``LocalBackend``): it can write
    without them and make a batch of keys durable later, in one go."""

    def without_fsync(self) -> ObjectBackend: ...

    def make_durable(self, keys: Iterable[str]) -> None: ...


def chunk_pool(backend: ObjectBackend) -> ContentAddressedStore:
    """The content-addressed store of chunks inside ``backend``.

    Where the backend allows it, chunks are written without a fsync each (three per chunk made
    a first chunked push half as fast as a whole one); ``ChunkedStore.write_recipe`` makes all
    chunks of a recipe durable before the recipe, which is what makes them reachable.
    """
    if isinstance(backend, BatchDurability):
        backend = backend.without_fsync()
    return ContentAddressedStore(ChunkPoolBackend(backend))


def _outer(key: str) -> str:
    if key.startswith(BLOBS_PREFIX):
        return CHUNKS_PREFIX + key.removeprefix(BLOBS_PREFIX)
    return key


def _inner(key: str) -> str:
    if key.startswith(CHUNKS_PREFIX):
        return BLOBS_PREFIX + key.removeprefix(CHUNKS_PREFIX)
    return key
