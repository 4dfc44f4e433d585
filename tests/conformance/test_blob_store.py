"""The ``BlobStore`` contract, checked against ``ContentAddressedStore`` on every backend."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import blake3
import pytest

from modelreg.blobs.base import BlobStore, ObjectBackend
from modelreg.blobs.cas import ContentAddressedStore, write_stream
from modelreg.blobs.layout import blob_key, upload_key
from modelreg.blobs.local import LocalBackend
from modelreg.blobs.memory import MemoryBackend
from modelreg.domain.digests import Digest
from modelreg.domain.errors import (
    BlobNotFoundError,
    ConflictError,
    DigestMismatchError,
    InvalidArgumentError,
)

MIB = 1 << 20


def digest_of(data: bytes, algorithm: str = "blake3") -> Digest:
    if algorithm == "sha256":
        return Digest("sha256", hashlib.sha256(data).hexdigest())
    return Digest("blake3", blake3.blake3(data).hexdigest())


def put(store: BlobStore, data: bytes, algorithm: str = "blake3") -> Digest:
    digest = digest_of(data, algorithm)
    write_stream(store, algorithm, [data], digest, len(data))
    return digest


def read(store: BlobStore, digest: Digest, offset: int = 0, length: int | None = None) -> bytes:
    return b"".join(store.open(digest, offset, length))


def assert_nothing_left(store: BlobStore) -> None:
    assert list(store.list_digests()) == []
    assert list(store.list_uploads()) == []


def test_implementations_conform_to_the_ports(tmp_path):
    store: BlobStore = ContentAddressedStore(MemoryBackend())
    memory: ObjectBackend = MemoryBackend()
    local: ObjectBackend = LocalBackend(tmp_path)
    assert store is not None
    assert memory is not None
    assert local is not None


@pytest.mark.parametrize("algorithm", ["blake3", "sha256"])
def test_write_then_read_round_trips(blob_store, algorithm):
    data = b"weights " * 1000
    writer = blob_store.begin_write(algorithm)
    writer.write(data[:10])
    writer.write(memoryview(data)[10:])
    assert writer.size == len(data)
    writer.commit(digest_of(data, algorithm), len(data))

    digest = digest_of(data, algorithm)
    assert blob_store.exists(digest)
    assert blob_store.size(digest) == len(data)
    assert read(blob_store, digest) == data
    assert list(blob_store.list_uploads()) == []


def test_digest_mismatch_is_rejected_and_leaves_nothing(blob_store):
    writer = blob_store.begin_write("blake3")
    writer.write(b"actual content")
    wrong = digest_of(b"declared content")

    with pytest.raises(DigestMismatchError) as caught:
        writer.commit(wrong)

    assert str(wrong) in str(caught.value)
    assert str(digest_of(b"actual content")) in str(caught.value)
    assert not blob_store.exists(wrong)
    assert_nothing_left(blob_store)


def test_size_mismatch_is_rejected(blob_store):
    data = b"twelve bytes"
    writer = blob_store.begin_write("blake3")
    writer.write(data)

    with pytest.raises(DigestMismatchError) as caught:
        writer.commit(digest_of(data), len(data) + 1)

    assert "13" in str(caught.value)
    assert "12" in str(caught.value)
    assert_nothing_left(blob_store)


def test_algorithm_mismatch_is_rejected(blob_store):
    writer = blob_store.begin_write("sha256")
    writer.write(b"data")

    with pytest.raises(DigestMismatchError):
        writer.commit(digest_of(b"data", "blake3"))

    assert_nothing_left(blob_store)


def test_unsupported_algorithm_is_rejected(blob_store):
    with pytest.raises(InvalidArgumentError):
        blob_store.begin_write("md5")


def test_write_stream_stops_as_soon_as_the_size_is_exceeded(blob_store):
    def chunks() -> Iterator[bytes]:
        yield b"a" * 10
        yield b"a" * 10
        pytest.fail("read past the declared size")

    with pytest.raises(DigestMismatchError):
        write_stream(blob_store, "blake3", chunks(), digest_of(b"a" * 15), 15)

    assert_nothing_left(blob_store)


def test_writing_the_same_content_twice_stores_one_blob(blob_store):
    first = put(blob_store, b"same bytes")
    second = put(blob_store, b"same bytes")

    assert first == second
    assert [digest for digest, _ in blob_store.list_digests()] == [first]
    assert list(blob_store.list_uploads()) == []
    assert read(blob_store, first) == b"same bytes"


@pytest.mark.parametrize(
    ("offset", "length", "expected"),
    [
        (0, None, b"0123456789"),
        (3, None, b"3456789"),
        (3, 4, b"3456"),
        (0, 0, b""),
        (8, 100, b"89"),
        (10, None, b""),
        (10, 5, b""),
    ],
)
def test_range_reads(blob_store, offset, length, expected):
    digest = put(blob_store, b"0123456789")
    assert read(blob_store, digest, offset, length) == expected


def test_negative_range_is_rejected(blob_store):
    digest = put(blob_store, b"0123456789")
    with pytest.raises(InvalidArgumentError):
        read(blob_store, digest, -1)
    with pytest.raises(InvalidArgumentError):
        read(blob_store, digest, 0, -1)


def test_missing_blob_raises_not_found_naming_the_digest(blob_store):
    missing = digest_of(b"never stored")

    assert not blob_store.exists(missing)
    with pytest.raises(BlobNotFoundError, match=missing.hex):
        blob_store.open(missing)  # raised on the call, before any chunk is asked for
    with pytest.raises(BlobNotFoundError, match=missing.hex):
        blob_store.size(missing)


def test_list_digests_returns_exactly_the_committed_blobs(blob_store, backend):
    committed = {put(blob_store, b"one"), put(blob_store, b"two", "sha256"), put(blob_store, b"")}
    aborted = blob_store.begin_write("blake3")
    aborted.write(b"three")
    aborted.abort()
    for junk in ["blobs/README", "blobs/blake3/zz/not-a-digest", f"blobs/blake3/00/{'1' * 64}"]:
        writer = backend.create_writer(junk)
        writer.write(b"junk")
        writer.commit()

    listed = dict(blob_store.list_digests())

    assert set(listed) == committed
    assert listed[digest_of(b"one")].size == 3
    assert listed[digest_of(b"one")].key == blob_key(digest_of(b"one"))


def test_aborted_write_leaves_no_upload_object(blob_store):
    writer = blob_store.begin_write("blake3")
    writer.write(b"partial")
    writer.abort()
    writer.abort()  # safe to repeat

    assert_nothing_left(blob_store)
    with pytest.raises(ConflictError):
        writer.write(b"more")


def test_write_stream_aborts_when_the_source_fails(blob_store):
    def chunks() -> Iterator[bytes]:
        yield b"first"
        raise OSError("connection reset")

    with pytest.raises(OSError, match="connection reset"):
        write_stream(blob_store, "blake3", chunks(), digest_of(b"first"), None)

    assert_nothing_left(blob_store)


def test_abort_after_commit_keeps_the_blob(blob_store):
    writer = blob_store.begin_write("blake3")
    writer.write(b"kept")
    writer.commit(digest_of(b"kept"))
    writer.abort()

    assert read(blob_store, digest_of(b"kept")) == b"kept"


def test_delete_is_idempotent(blob_store):
    digest = put(blob_store, b"to delete")

    blob_store.delete(digest)
    blob_store.delete(digest)

    assert not blob_store.exists(digest)
    assert_nothing_left(blob_store)


def test_empty_blob(blob_store):
    digest = put(blob_store, b"")

    assert blob_store.exists(digest)
    assert blob_store.size(digest) == 0
    assert read(blob_store, digest) == b""


def test_large_blob_streams_in_chunks(blob_store):
    data = bytes(range(256)) * (3 * MIB // 256) + b"tail"
    digest = digest_of(data)

    size = write_stream(
        blob_store, "blake3", (data[i : i + 65536] for i in range(0, len(data), 65536)), digest
    )
    chunks = list(blob_store.open(digest))

    assert size == len(data)
    assert len(chunks) > 1
    assert b"".join(chunks) == data
    assert read(blob_store, digest, 2 * MIB + 5, MIB) == data[2 * MIB + 5 : 3 * MIB + 5]


def test_leftover_upload_objects_are_listed_and_deletable(blob_store, backend):
    key = upload_key("crashed-before-move")
    writer = backend.create_writer(key)
    writer.write(b"orphan")
    writer.commit()

    assert [info.key for info in blob_store.list_uploads()] == [key]
    blob_store.delete_upload(key)
    blob_store.delete_upload(key)
    assert list(blob_store.list_uploads()) == []


def test_delete_upload_refuses_keys_outside_uploads(blob_store):
    digest = put(blob_store, b"precious")

    with pytest.raises(InvalidArgumentError):
        blob_store.delete_upload(blob_key(digest))

    assert blob_store.exists(digest)
