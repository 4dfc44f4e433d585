"""Chunk-level deduplication: a ``BlobStore`` that also keeps blobs as recipes of shared chunks.

A blob is stored either whole (``blobs/…``, by ``ContentAddressedStore``, unchanged) or as a
*recipe* (``recipes/…``: the ordered chunk digests and sizes) whose chunks live once each in the
chunk pool (``chunks/…``). Readers cannot tell the two apart: ``exists``, ``size`` and
``open(offset, length)`` answer the same for both, and a range read opens only the chunks that
cover the range. Writers choose: ``begin_write`` stores a whole blob, ``put_chunk`` and
``write_recipe`` store the parts of a chunked one (the service checks digests end to end first).
On a backend that pre-signs uploads (S3), clients may instead stage chunks themselves under
``uploads/<session>/chunks/…`` (``staged_chunk_url``); ``adopt_staged`` verifies and moves each
into the pool at assembly, so chunk bytes never pass through the server.

Garbage collection deletes unreferenced blobs (``delete`` removes a recipe, not its chunks) and
then calls ``sweep_parts``, which removes chunks that no recipe references; see its docstring
for why a push that overlaps a sweep keeps its chunks.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from modelreg.blobs.base import BlobWriter, DirectTransfers, ObjectInfo, Usage
from modelreg.blobs.cas import ContentAddressedStore, _move_into_place, write_stream
from modelreg.blobs.chunk_pool import BatchDurability, chunk_pool
from modelreg.blobs.layout import upload_key
from modelreg.blobs.recipes import (
    CHUNKS_PREFIX,
    RECIPES_PREFIX,
    Recipe,
    chunk_key,
    parse_chunk_key,
    parse_recipe_key,
    recipe_key,
    staged_chunk_key,
)
from modelreg.domain.chunking import ChunkRef
from modelreg.domain.digests import Digest
from modelreg.domain.errors import BlobNotFoundError, DigestMismatchError, InvalidArgumentError
from modelreg.hashing import DigestHasher

RECIPE_CACHE_SIZE = 64
SWEEP_BATCH = 512


class ChunkedStore:
    """Whole blobs in ``whole``; recipes and chunks beside them, in the same backend (the
    ``ChunkStore`` port of ``blobs/chunk_store.py``)."""

    def __init__(self, whole: ContentAddressedStore) -> None:
        self.whole = whole
        self.backend = whole.backend
        self.pool = chunk_pool(whole.backend)
        self._recipes: OrderedDict[tuple[str, datetime], Recipe] = OrderedDict()
        self._lock = threading.Lock()

    # -- BlobStore --------------------------------------------------------------------------

    def exists(self, digest: Digest) -> bool:
        return self.whole.exists(digest) or self.backend.stat(recipe_key(digest)) is not None

    def size(self, digest: Digest) -> int:
        try:
            return self.whole.size(digest)
        except BlobNotFoundError:
            return self._recipe(digest).size

    def begin_write(self, algorithm: str) -> BlobWriter:
        return self.whole.begin_write(algorithm)

    def open(self, digest: Digest, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        if offset < 0 or (length is not None and length < 0):
            raise InvalidArgumentError(
                f"invalid range: offset {offset}, length {length}", field="range"
            )
        try:
            return self.whole.open(digest, offset, length)
        except BlobNotFoundError:
            recipe = self._recipe(digest)  # raises now, not on the first read
        end = recipe.size if length is None else min(recipe.size, offset + length)
        return self._stream(recipe.pieces(offset, end))

    def _stream(self, pieces: list[tuple[ChunkRef, int, int]]) -> Iterator[bytes]:
        for chunk, start, length in pieces:
            yield from self.pool.open(chunk.digest, start, length)

    def delete(self, digest: Digest) -> None:
        """Remove the blob, whole or recipe; its chunks stay until ``sweep_parts``."""
        self.whole.delete(digest)
        self.backend.delete(recipe_key(digest))

    def list_digests(self) -> Iterator[tuple[Digest, ObjectInfo]]:
        """Whole blobs, then recipes not also stored whole. A recipe's ``ObjectInfo`` is the
        recipe object's own (key, stored size, time): what deleting it frees, its chunks being
        ``sweep_parts``'s business. ``size(digest)`` answers the blob's size."""
        seen: set[Digest] = set()
        for digest, info in self.whole.list_digests():
            seen.add(digest)
            yield digest, info
        for info in self.backend.list(RECIPES_PREFIX):
            named = parse_recipe_key(info.key)
            if named is not None and named not in seen:
                yield named, info

    def list_uploads(self) -> Iterator[ObjectInfo]:
        return self.whole.list_uploads()  # chunk uploads share the same ``uploads/`` area

    def delete_upload(self, key: str) -> None:
        self.whole.delete_upload(key)

    def sweep_parts(self, *, older_than: datetime, dry_run: bool) -> Usage:
        """Delete chunks that no recipe references and that were written before ``older_than``.

        Order matters, because pushes go on during a sweep:

        1. List the candidate chunks first, keeping only those older than ``older_than``. A push
           in progress uploads its new chunks after that moment or recently, so they are young
           and never candidates (the grace period must outlast a push).
        2. Then read every recipe (the mark). A recipe that became visible before the mark
           protects its chunks.
        3. Delete in batches; before each batch, read the recipes that appeared since the last
           look. A push that reuses an *old, unreferenced* chunk and writes its recipe during
           the sweep therefore keeps it, unless its recipe lands between that last look and the
           delete of that very chunk (microseconds). That push's assemble step checks every
           chunk once more after writing the recipe and withdraws the recipe if one vanished,
           so the failure is an error the client retries, never a visible blob missing a part.
        """
        candidates: dict[Digest, ObjectInfo] = {}
        for info in self.backend.list(CHUNKS_PREFIX):
            digest = parse_chunk_key(info.key)
            if digest is not None and info.modified_at < older_than:
                candidates[digest] = info
        seen: dict[str, datetime] = {}
        referenced: set[Digest] = set()
        self._mark(seen, referenced)
        removed = Usage()
        doomed = [digest for digest in candidates if digest not in referenced]
        for start in range(0, len(doomed), SWEEP_BATCH):
            if start:
                self._mark(seen, referenced)
            for digest in doomed[start : start + SWEEP_BATCH]:
                if digest in referenced:
                    continue
                if not dry_run:
                    self.pool.delete(digest)
                removed += Usage(1, candidates[digest].size)
        return removed

    def _mark(self, seen: dict[str, datetime], referenced: set[Digest]) -> None:
        """Add the chunks of every recipe not read yet (or rewritten since) to ``referenced``."""
        for info in self.backend.list(RECIPES_PREFIX):
            if seen.get(info.key) == info.modified_at or parse_recipe_key(info.key) is None:
                continue
            try:
                recipe = self._read_recipe(info)
            except BlobNotFoundError:
                continue
            seen[info.key] = info.modified_at
            referenced.update(chunk.digest for chunk in recipe.chunks)

    def usage(self) -> Usage:
        """Whole blobs, chunks and recipes, as stored."""
        total = self.whole.usage()
        for prefix, parse in ((CHUNKS_PREFIX, parse_chunk_key), (RECIPES_PREFIX, parse_recipe_key)):
            for info in self.backend.list(prefix):
                if parse(info.key) is not None:
                    total += Usage(1, info.size)
        return total

    # -- chunks and recipes -----------------------------------------------------------------

    def missing_chunks(self, chunks: Iterable[ChunkRef]) -> list[ChunkRef]:
        missing: dict[Digest, ChunkRef] = {}
        for chunk in chunks:
            if chunk.digest in missing:
                continue
            info = self.backend.stat(chunk_key(chunk.digest))
            if info is None or info.size != chunk.size:
                missing[chunk.digest] = chunk
        return list(missing.values())

    def put_chunk(self, chunk: ChunkRef, data: Iterable[bytes]) -> None:
        write_stream(self.pool, chunk.digest.algorithm, data, chunk.digest, chunk.size)

    def open_chunk(self, digest: Digest) -> Iterator[bytes]:
        return self.pool.open(digest)

    def delete_chunk(self, digest: Digest) -> None:
        self.pool.delete(digest)

    def write_recipe(self, recipe: Recipe) -> None:
        if isinstance(self.backend, BatchDurability):
            # The pool wrote these chunks without fsync (chunk_pool.py), this push or an earlier
            # one: all of them reach the disk before the recipe that makes them reachable.
            self.backend.make_durable(chunk_key(chunk.digest) for chunk in recipe.chunks)
        writer = self.backend.create_writer(recipe_key(recipe.digest))
        try:
            writer.write(recipe.to_bytes())
            writer.commit()
        except BaseException:
            writer.abort()
            raise

    # -- chunks staged by clients (direct transfers) ------------------------------------------

    def staged_chunk_url(self, upload_id: str, digest: Digest, *, expires: int) -> str | None:
        if not isinstance(self.backend, DirectTransfers):
            return None
        return self.backend.presign_put(staged_chunk_key(upload_id, digest), expires=expires)

    def is_staged(self, upload_id: str, digest: Digest) -> bool:
        return self.backend.stat(staged_chunk_key(upload_id, digest)) is not None

    def adopt_staged(
        self, upload_id: str, chunk: ChunkRef, observe: Callable[[bytes], None]
    ) -> None:
        staged = staged_chunk_key(upload_id, chunk.digest)
        info = self.backend.stat(staged)
        if info is None:
            raise BlobNotFoundError(
                f"chunk {chunk.digest} was not staged", digest=str(chunk.digest)
            )
        if info.size != chunk.size:  # refused without reading it
            self.backend.delete(staged)
            raise _staged_mismatch(chunk, None, info.size)
        # The client's pre-signed URL can still overwrite ``staged`` until it expires: verify and
        # adopt a private copy that no URL names, so the bytes checked are the bytes kept.
        claimed = upload_key(uuid.uuid4().hex)
        self.backend.move(staged, claimed)
        try:
            hasher = DigestHasher(chunk.digest.algorithm)
            for data in self.backend.open_reader(claimed):
                hasher.update(data)
                observe(data)
            actual = hasher.digest()
            if actual != chunk.digest or hasher.size != chunk.size:
                raise _staged_mismatch(chunk, actual, hasher.size)
            # The pool's own rule: a chunk already present with its size counts as success.
            _move_into_place(self.pool.backend, claimed, chunk.digest, chunk.size)
        except BaseException:
            self.backend.delete(claimed)
            raise

    def read_recipe(self, digest: Digest) -> Recipe:
        """The recipe of ``digest``; ``BlobNotFoundError`` when it is not stored as one."""
        return self._recipe(digest)

    def _recipe(self, digest: Digest) -> Recipe:
        info = self.backend.stat(recipe_key(digest))
        if info is None:
            raise BlobNotFoundError(f"blob {digest} not found", digest=str(digest))
        return self._read_recipe(info)

    def _read_recipe(self, info: ObjectInfo) -> Recipe:
        # Recipes never change in place, so (key, modification time) names one content.
        cache_key = (info.key, info.modified_at)
        with self._lock:
            cached = self._recipes.get(cache_key)
            if cached is not None:
                self._recipes.move_to_end(cache_key)
                return cached
        recipe = Recipe.from_bytes(b"".join(self.backend.open_reader(info.key)))
        with self._lock:
            self._recipes[cache_key] = recipe
            while len(self._recipes) > RECIPE_CACHE_SIZE:
                self._recipes.popitem(last=False)
        return recipe


def _staged_mismatch(chunk: ChunkRef, actual: Digest | None, size: int) -> DigestMismatchError:
    found = f"{actual} ({size} bytes)" if actual is not None else f"{size} bytes"
    return DigestMismatchError(
        f"staged chunk {chunk.digest} ({chunk.size} bytes) arrived as {found}; "
        "it was deleted, push again",
        expected=str(chunk.digest),
        actual=str(actual) if actual is not None else None,
        expected_size=chunk.size,
        actual_size=size,
    )
