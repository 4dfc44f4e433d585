"""Garbage collection of blobs pushed in chunks (SQLite and PostgreSQL, embedded SDK over the
real local folder): deleting a version frees its recipe and the chunks only it used, while the
chunks it shared with a kept version stay and that version still pulls byte-identical."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from modelreg.blobs.chunks import ChunkedStore
from modelreg.client.client import Client
from modelreg.client.embedded import EmbeddedTransport
from tests.factories import opaque_bytes

MIB = 1 << 20


def test_gc_frees_the_chunks_only_a_deleted_version_used(services, tmp_path: Path):
    client = Client(transport=EmbeddedTransport(services, user="alice"), cache_dir=tmp_path / "c")
    store = services.blobs
    assert isinstance(store, ChunkedStore)
    weights = tmp_path / "model" / "weights.bin"
    weights.parent.mkdir()
    weights.write_bytes(opaque_bytes(12 * MIB))
    client.push("llm", weights)
    with weights.open("r+b") as handle:
        handle.seek(6 * MIB)
        handle.write(opaque_bytes(MIB))
    client.push("llm", weights)
    kept = weights.read_bytes()
    both = store.usage()

    client.delete_version("llm", 1)
    report = services.storage.gc.collect(grace=timedelta(0))

    after = store.usage()
    assert report.blobs.objects == 1  # the recipe of version 1
    assert report.parts.objects > 0  # the chunks of version 1 that version 2 does not use
    assert both.bytes - after.bytes == report.blobs.bytes + report.parts.bytes
    assert after.bytes < both.bytes - MIB
    pulled = client.pull("llm/2", tmp_path / "pulled")
    assert (pulled / "weights.bin").read_bytes() == kept
