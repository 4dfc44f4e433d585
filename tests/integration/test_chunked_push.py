"""Chunked pushes through the SDK, embedded and over HTTP: a new version of a large file sends
and stores only the chunks that changed, and an interrupted push resumes where it stopped."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from modelreg import routes
from modelreg.blobs.chunks import ChunkedStore
from modelreg.client.chunking import cut_file
from modelreg.client.client import Client
from modelreg.client.http import HttpTransport
from modelreg.domain.chunking import DEFAULT_CHUNKER
from modelreg.domain.digests import Digest
from modelreg.domain.errors import UnavailableError
from modelreg.hashing import digest_file
from modelreg.server.app import create_app
from tests.factories import opaque_bytes

MIB = 1 << 20
SIZE = 24 * MIB


class WireCounter:
    """Counts the request bodies the SDK sends, by route, through an httpx event hook."""

    def __init__(self) -> None:
        self.chunk_bytes = 0
        self.blob_bytes = 0
        self.chunk_puts = 0

    def __call__(self, request: httpx.Request) -> None:
        if request.method != "PUT":
            return
        size = int(request.headers.get("content-length", "0"))
        if "/chunks/" in request.url.path:
            self.chunk_bytes += size
            self.chunk_puts += 1
        else:
            self.blob_bytes += size


def stored_chunks(services) -> ChunkedStore:
    store = services.blobs
    assert isinstance(store, ChunkedStore)
    return store


def chunk_bytes(store: ChunkedStore) -> int:
    return sum(info.size for info in store.backend.list("chunks/"))


def attach_counter(client) -> WireCounter | None:
    if not isinstance(client.transport, HttpTransport):
        return None
    counter = WireCounter()
    client.transport.http.event_hooks["request"].append(counter)
    return counter


def rewrite_regions(path: Path, offsets: list[int], length: int) -> None:
    with path.open("r+b") as handle:
        for offset in offsets:
            handle.seek(offset)
            handle.write(opaque_bytes(length))


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    path = tmp_path / "model" / "weights.safetensors"
    path.parent.mkdir()
    with path.open("wb") as handle:
        for _ in range(SIZE // MIB):
            handle.write(opaque_bytes(MIB))
    return path


def test_new_version_sends_and_stores_only_changed_chunks(client, services, weights, tmp_path):
    counter = attach_counter(client)
    first = client.push("llm", weights)
    store = stored_chunks(services)
    after_first = store.usage()
    assert store.read_recipe(first.files[0].digest).size == SIZE
    if counter is not None:
        assert counter.blob_bytes == 0
        assert counter.chunk_bytes == SIZE
        counter.chunk_bytes = 0

    original = weights.read_bytes()
    rewrite_regions(weights, [3 * MIB, 11 * MIB + 123, 20 * MIB], 64 * 1024)
    second = client.push("llm", weights)

    added = store.usage().bytes - after_first.bytes
    assert added < SIZE * 0.5  # three small edits: a handful of chunks, not the file again
    assert store.usage().bytes < 1.5 * SIZE
    if counter is not None:
        assert 0 < counter.chunk_bytes < SIZE * 0.5
        assert counter.blob_bytes == 0
    pulled_first = client.pull("llm/1", tmp_path / "v1")
    pulled_second = client.pull("llm/2", tmp_path / "v2")
    assert (pulled_first / weights.name).read_bytes() == original
    assert (pulled_second / weights.name).read_bytes() == weights.read_bytes()
    assert second.files[0].digest == digest_file(weights)[0]


def test_small_files_still_go_whole(client, services, model_dir):
    counter = attach_counter(client)
    version = client.push("small", model_dir)

    store = stored_chunks(services)
    assert all(store.whole.exists(entry.digest) for entry in version.files)
    assert chunk_bytes(store) == 0
    if counter is not None:
        assert counter.chunk_puts == 0


class Interrupted(Exception):
    pass


def interrupt_midway(client) -> object:
    """Break the next push half way: over HTTP the connection drops before the chunk PUT that
    would pass half the file (an httpx event hook, so the client sees a transport error as it
    would from a real network); embedded, reading the file fails at that point."""
    sent = 0
    if isinstance(client.transport, HttpTransport):

        def drop_connection(request: httpx.Request) -> None:
            nonlocal sent
            if request.method == "PUT" and "/chunks/" in request.url.path:
                sent += int(request.headers["content-length"])
                if sent > SIZE // 2:
                    raise httpx.ConnectError("network gone", request=request)

        client.transport.http.event_hooks["request"].append(drop_connection)
        return lambda: client.transport.http.event_hooks["request"].remove(drop_connection)

    def fail_reading(count: int) -> None:
        nonlocal sent
        sent += count
        if sent > SIZE // 2:
            raise Interrupted("disk gone")

    return fail_reading


def test_interrupted_push_resumes_with_the_missing_chunks_only(client, services, weights):
    store = stored_chunks(services)
    breaker = interrupt_midway(client)
    progress = None if isinstance(client.transport, HttpTransport) else breaker

    with pytest.raises((Interrupted, UnavailableError)):
        client.push("llm", weights, progress=progress)
    if progress is None:
        breaker()  # the network is back
    digest = digest_file(weights)[0]
    assert not store.exists(digest)
    chunks = [chunk for _, chunk in cut_file(weights)]
    left = store.missing_chunks(chunks)
    assert 0 < len(left) < len(chunks)  # some arrived, some did not

    counter = attach_counter(client)
    before = chunk_bytes(store)
    version = client.push("llm", weights)

    resent = sum(chunk.size for chunk in left)
    assert chunk_bytes(store) - before == resent
    if counter is not None:
        assert counter.chunk_bytes == resent
    assert version.files[0].digest == digest
    assert store.read_recipe(digest).chunks == tuple(chunks)


def test_chunker_parameters_bound_the_chunk_sizes(weights):
    cut = cut_file(weights)

    sizes = [chunk.size for _, chunk in cut]
    assert sum(sizes) == SIZE
    assert all(size <= DEFAULT_CHUNKER.max_size for size in sizes)
    assert all(size >= DEFAULT_CHUNKER.min_size for size in sizes[:-1])
    assert [offset for offset, _ in cut] == [sum(sizes[:i]) for i in range(len(sizes))]
    assert all(isinstance(chunk.digest, Digest) for _, chunk in cut)


def test_registry_without_chunk_storage_gets_files_whole(services, weights):
    """A registry whose store cannot keep recipes answers ``GET /chunking`` with an error: the
    SDK then sends big files whole, as it does to registries from before chunked pushes."""
    plain = dataclasses.replace(services, blobs=stored_chunks(services).whole)
    with TestClient(create_app(services=plain), raise_server_exceptions=False) as test_client:
        assert test_client.get(routes.CHUNKING).status_code == 400
        client = Client(http_client=test_client, user="alice", cache_dir=weights.parent / "c")
        counter = attach_counter(client)
        version = client.push("llm", weights)

    assert counter is not None
    assert counter.chunk_puts == 0
    assert counter.blob_bytes == SIZE
    assert stored_chunks(services).whole.exists(version.files[0].digest)
