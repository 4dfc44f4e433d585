"""Deferred fsync in ``LocalBackend``: the chunk pool writes without a fsync per chunk, and a
recipe's chunks are made durable in one batch before the recipe exists (docs/dedup.md)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from modelreg.blobs.cas import ContentAddressedStore
from modelreg.blobs.chunk_pool import BatchDurability, ChunkPoolBackend
from modelreg.blobs.chunks import ChunkedStore
from modelreg.blobs.local import PARTIAL_DIR, LocalBackend
from modelreg.blobs.recipes import Recipe, chunk_key, recipe_key
from modelreg.domain.chunking import ChunkRef
from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError
from modelreg.hashing import DigestHasher


def digest_of(data: bytes) -> Digest:
    hasher = DigestHasher("blake3")
    hasher.update(data)
    return hasher.digest()


class RecordingBackend(LocalBackend):
    """A real ``LocalBackend`` that notes each batch it makes durable, and which recipes were
    visible at that moment."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.batches: list[tuple[list[str], list[str]]] = []

    def make_durable(self, keys: Iterable[str]) -> None:
        batch = list(keys)
        visible = [info.key for info in self.list("recipes/")]
        self.batches.append((batch, visible))
        super().make_durable(batch)


def test_view_without_fsync_writes_atomically_into_the_same_folder(tmp_path):
    backend = LocalBackend(tmp_path)
    view = backend.without_fsync()
    assert view.root == backend.root
    assert not view.fsync
    assert backend.fsync

    writer = view.create_writer("a/b")
    writer.write(b"hello")
    assert backend.stat("a/b") is None  # nothing under the key before commit
    writer.commit()
    view.move("a/b", "c/d")

    assert b"".join(backend.open_reader("c/d")) == b"hello"
    assert backend.stat("a/b") is None
    assert list((tmp_path / PARTIAL_DIR).iterdir()) == []


def test_make_durable_skips_missing_keys_and_rejects_escaping_ones(tmp_path):
    backend = LocalBackend(tmp_path)
    writer = backend.without_fsync().create_writer("x/y/z")
    writer.write(b"data")
    writer.commit()

    backend.make_durable(["x/y/z", "x/y/z", "gone/never/written"])  # duplicates and absentees
    assert b"".join(backend.open_reader("x/y/z")) == b"data"
    with pytest.raises(InvalidArgumentError):
        backend.make_durable(["../outside"])


def test_chunk_pool_of_a_local_backend_writes_without_fsync(tmp_path):
    store = ChunkedStore(ContentAddressedStore(LocalBackend(tmp_path)))
    assert isinstance(store.backend, BatchDurability)
    pool_backend = store.pool.backend
    assert isinstance(pool_backend, ChunkPoolBackend)
    inner = pool_backend.backend
    assert isinstance(inner, LocalBackend)
    assert not inner.fsync
    assert isinstance(store.whole.backend, LocalBackend)
    assert store.whole.backend.fsync


def test_every_chunk_of_a_recipe_is_made_durable_before_the_recipe_is_visible(tmp_path):
    backend = RecordingBackend(tmp_path)
    store = ChunkedStore(ContentAddressedStore(backend))
    old, new = b"an earlier push sent this chunk", b"this push sent that one"
    refs = []
    for part in (old, new, old):  # a chunk may repeat within a file
        ref = ChunkRef(digest_of(part), len(part))
        store.put_chunk(ref, [part])
        refs.append(ref)
    assert backend.batches == []  # chunk writes alone sync nothing

    data = old + new + old
    recipe = Recipe(digest_of(data), len(data), tuple(refs))
    store.write_recipe(recipe)

    [(synced, visible)] = backend.batches
    assert set(synced) == {chunk_key(ref.digest) for ref in refs}
    assert visible == []  # the recipe came after the barrier
    assert backend.stat(recipe_key(recipe.digest)) is not None
    assert b"".join(store.open(recipe.digest)) == data
