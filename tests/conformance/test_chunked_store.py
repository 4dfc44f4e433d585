"""``ChunkedStore`` on every backend: the whole ``BlobStore`` contract once more (imported from
test_blob_store.py, with ``blob_store`` below), then what recipes and chunks add to it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from modelreg.blobs.base import BlobStore, ObjectBackend, Usage
from modelreg.blobs.cas import ContentAddressedStore
from modelreg.blobs.chunk_store import ChunkStore
from modelreg.blobs.chunks import ChunkedStore
from modelreg.blobs.layout import blob_key
from modelreg.blobs.recipes import Recipe, chunk_key, recipe_key
from modelreg.domain.chunking import ChunkRef
from modelreg.domain.errors import BlobNotFoundError, DigestMismatchError, InvalidArgumentError
from tests.conformance.test_blob_store import *  # noqa: F403  (the contract, run over ChunkedStore)
from tests.conformance.test_blob_store import digest_of, put, read


@pytest.fixture
def blob_store(backend: ObjectBackend) -> ChunkedStore:
    return ChunkedStore(ContentAddressedStore(backend))


def chunked(store: ChunkedStore, parts: list[bytes]) -> Recipe:
    """Store ``parts`` as chunks and their concatenation as a recipe."""
    refs = []
    for part in parts:
        ref = ChunkRef(digest_of(part), len(part))
        store.put_chunk(ref, [part])
        refs.append(ref)
    data = b"".join(parts)
    recipe = Recipe(digest_of(data), len(data), tuple(refs))
    store.write_recipe(recipe)
    return recipe


def test_chunked_store_is_a_blob_store_and_a_chunk_store(blob_store):
    store: BlobStore = blob_store
    assert isinstance(store, ChunkStore)
    assert not isinstance(ContentAddressedStore(blob_store.backend), ChunkStore)


def test_recipe_reads_like_a_whole_blob(blob_store):
    parts = [b"abc", b"defgh", b"ij", b"klmnop"]
    data = b"".join(parts)
    recipe = chunked(blob_store, parts)

    assert blob_store.exists(recipe.digest)
    assert blob_store.size(recipe.digest) == len(data)
    assert read(blob_store, recipe.digest) == data
    assert blob_store.backend.stat(blob_key(recipe.digest)) is None  # not stored whole


@pytest.mark.parametrize(
    ("offset", "length"),
    [(0, None), (2, 3), (3, 5), (4, 9), (7, None), (15, 1), (16, 4), (0, 0), (20, None)],
)
def test_range_reads_across_chunk_boundaries(blob_store, offset, length):
    parts = [b"abc", b"defgh", b"ij", b"klmnop"]  # boundaries at 3, 8, 10
    data = b"".join(parts)
    recipe = chunked(blob_store, parts)

    end = None if length is None else offset + length
    assert read(blob_store, recipe.digest, offset, length) == data[offset:end]


def test_range_read_opens_only_the_chunks_it_needs(blob_store):
    parts = [b"A" * 10, b"B" * 10, b"C" * 10]
    recipe = chunked(blob_store, parts)
    blob_store.delete_chunk(digest_of(b"A" * 10))  # a read that touched it would fail

    assert read(blob_store, recipe.digest, 12, 10) == b"B" * 8 + b"C" * 2
    with pytest.raises(BlobNotFoundError):
        read(blob_store, recipe.digest, 0, 5)


def test_repeated_chunks_are_stored_once(blob_store):
    zeros = b"\0" * 1000
    recipe = chunked(blob_store, [zeros, b"x", zeros, zeros])

    assert read(blob_store, recipe.digest) == zeros + b"x" + zeros * 2
    assert blob_store.usage().objects == 3  # two chunks and the recipe


def test_whole_blob_and_recipe_of_the_same_content_list_once(blob_store):
    parts = [b"one ", b"two"]
    recipe = chunked(blob_store, parts)
    put(blob_store, b"one two")

    listed = [digest for digest, _ in blob_store.list_digests()]

    assert listed == [recipe.digest]
    assert read(blob_store, recipe.digest) == b"one two"


def test_list_digests_gives_a_recipe_the_stored_size_of_the_recipe(blob_store):
    whole = put(blob_store, b"whole blob")
    recipe = chunked(blob_store, [b"x" * 100, b"y" * 50])

    listed = dict(blob_store.list_digests())

    assert set(listed) == {whole, recipe.digest}
    assert listed[recipe.digest].size == len(recipe.to_bytes())  # what deleting it frees
    assert listed[recipe.digest].key == recipe_key(recipe.digest)
    assert blob_store.size(recipe.digest) == 150


def test_delete_removes_the_recipe_but_not_its_chunks(blob_store):
    recipe = chunked(blob_store, [b"first", b"second"])

    blob_store.delete(recipe.digest)
    blob_store.delete(recipe.digest)

    assert not blob_store.exists(recipe.digest)
    with pytest.raises(BlobNotFoundError):
        blob_store.size(recipe.digest)
    with pytest.raises(BlobNotFoundError):
        blob_store.open(recipe.digest)
    assert blob_store.missing_chunks(recipe.chunks) == []


def test_missing_chunks_answers_each_absent_chunk_once_in_order(blob_store):
    present = ChunkRef(digest_of(b"present"), 7)
    blob_store.put_chunk(present, [b"present"])
    absent = [ChunkRef(digest_of(b"a"), 1), ChunkRef(digest_of(b"b"), 1)]
    wrong_size = ChunkRef(present.digest, 8)

    found = blob_store.missing_chunks([absent[1], present, absent[0], absent[1], wrong_size])

    assert found == [absent[1], absent[0], wrong_size]


def test_tampered_chunk_is_refused_and_leaves_nothing(blob_store):
    declared = ChunkRef(digest_of(b"declared"), 8)

    with pytest.raises(DigestMismatchError):
        blob_store.put_chunk(declared, [b"tampered"])

    assert blob_store.missing_chunks([declared]) == [declared]
    assert list(blob_store.list_uploads()) == []
    assert blob_store.usage() == Usage()


def test_negative_range_of_a_recipe_is_refused(blob_store):
    recipe = chunked(blob_store, [b"abc"])
    with pytest.raises(InvalidArgumentError):
        blob_store.open(recipe.digest, -1)


def test_usage_counts_whole_blobs_chunks_and_recipes(blob_store):
    put(blob_store, b"w" * 40)
    recipe = chunked(blob_store, [b"c" * 100, b"d" * 60])
    recipe_bytes = len(recipe.to_bytes())

    assert blob_store.usage() == Usage(4, 40 + 160 + recipe_bytes)


def test_sweep_removes_only_old_unreferenced_chunks(blob_store):
    kept = chunked(blob_store, [b"shared", b"kept"])
    dropped = chunked(blob_store, [b"shared", b"orphan"])
    blob_store.delete(dropped.digest)
    later = datetime.now(UTC) + timedelta(minutes=1)

    plan = blob_store.sweep_parts(older_than=later, dry_run=True)
    assert plan == Usage(1, len(b"orphan"))
    assert blob_store.missing_chunks(dropped.chunks) == []  # a dry run deletes nothing

    removed = blob_store.sweep_parts(older_than=later, dry_run=False)

    assert removed == plan
    assert blob_store.missing_chunks(dropped.chunks) == [dropped.chunks[1]]
    assert read(blob_store, kept.digest) == b"sharedkept"


def test_sweep_spares_young_chunks_of_a_push_in_progress(blob_store):
    uploading = ChunkRef(digest_of(b"not assembled yet"), 17)
    blob_store.put_chunk(uploading, [b"not assembled yet"])
    grace = datetime.now(UTC) - timedelta(hours=1)

    assert blob_store.sweep_parts(older_than=grace, dry_run=False) == Usage()
    assert blob_store.missing_chunks([uploading]) == []


def test_sweep_keeps_chunks_of_a_recipe_written_during_the_sweep(blob_store, monkeypatch):
    """The order argued in ``sweep_parts``: candidates first, then the mark, then a fresh look
    at recipes before each batch of deletes."""
    old = [chunked(blob_store, [os.urandom(8)]) for _ in range(3)]
    for recipe in old:
        blob_store.delete(recipe.digest)
    monkeypatch.setattr("modelreg.blobs.chunks.SWEEP_BATCH", 1)
    original_mark = blob_store._mark
    calls = []

    def mark_then_push(seen, referenced):
        original_mark(seen, referenced)
        calls.append(1)
        if len(calls) == 1:  # a push reuses every old chunk right after the first mark
            for recipe in old:
                blob_store.write_recipe(recipe)

    monkeypatch.setattr(blob_store, "_mark", mark_then_push)
    removed = blob_store.sweep_parts(
        older_than=datetime.now(UTC) + timedelta(minutes=1), dry_run=False
    )

    assert removed.objects <= 1  # at most the first batch, deleted before the recipes appeared
    survivors = [recipe for recipe in old if not blob_store.missing_chunks(recipe.chunks)]
    assert len(survivors) >= 2


def test_recipe_must_add_up(blob_store):
    with pytest.raises(InvalidArgumentError):
        Recipe(digest_of(b"abc"), 4, (ChunkRef(digest_of(b"abc"), 3),))


def test_damaged_recipe_is_reported(blob_store, backend):
    digest = digest_of(b"whatever")
    writer = backend.create_writer(recipe_key(digest))
    writer.write(b"{not json")
    writer.commit()

    with pytest.raises(InvalidArgumentError, match="damaged recipe"):
        blob_store.size(digest)


def test_chunks_live_under_their_own_prefix(blob_store, backend):
    ref = ChunkRef(digest_of(b"chunk"), 5)
    blob_store.put_chunk(ref, [b"chunk"])

    assert backend.stat(chunk_key(ref.digest)) is not None
    assert chunk_key(ref.digest).startswith("chunks/blake3/")
    assert list(blob_store.list_digests()) == []  # a chunk alone is not a blob
