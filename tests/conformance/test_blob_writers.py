"""Blob writers report the digest they computed (on every backend), and a local write that
hands its data to the disk early (``blobs/writeback.py``) still stores every byte."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from modelreg.blobs import writeback
from modelreg.blobs.cas import ContentAddressedStore
from modelreg.blobs.local import LocalBackend
from tests.conformance.test_blob_store import digest_of, read


@pytest.mark.parametrize("algorithm", ["blake3", "sha256"])
def test_a_writer_reports_the_digest_of_what_it_wrote(blob_store, algorithm):
    data = os.urandom(300_001)
    writer = blob_store.begin_write(algorithm)
    assert writer.digest() == digest_of(b"", algorithm)
    writer.write(data[:100_000])
    assert writer.digest() == digest_of(data[:100_000], algorithm)  # so far, and it goes on
    writer.write(memoryview(data)[100_000:])
    assert writer.digest() == digest_of(data, algorithm)

    writer.commit(writer.digest(), writer.size)
    assert read(blob_store, digest_of(data, algorithm)) == data


def test_a_local_file_past_the_write_back_step_keeps_every_byte(tmp_path: Path):
    store = ContentAddressedStore(LocalBackend(tmp_path / "objects"))  # fsync on: write-back too
    data = os.urandom(2 * writeback.STEP + 5)
    writer = store.begin_write("blake3")
    for start in range(0, len(data), 3 * 1024 * 1024 + 1):
        writer.write(data[start : start + 3 * 1024 * 1024 + 1])
    writer.commit(digest_of(data), len(data))

    assert read(store, digest_of(data)) == data
    assert list(store.list_uploads()) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range is Linux's")
def test_write_back_is_available_on_linux():
    assert writeback._sync_file_range() is not None
