"""Fixtures that run the blob-store conformance suite against every ``ObjectBackend``.

To add a backend, add a ``<name>_backend`` fixture here and its name to ``BACKENDS``; give it a
mark when it needs a service, e.g. ``pytest.param("s3", marks=pytest.mark.s3)``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modelreg.blobs.base import ObjectBackend
from modelreg.blobs.cas import ContentAddressedStore
from modelreg.blobs.local import LocalBackend
from modelreg.blobs.memory import MemoryBackend
from modelreg.blobs.s3 import MIN_PART_SIZE, S3Backend
from tests.s3server import MotoServer

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("local", id="local"),
    pytest.param("s3", id="s3", marks=pytest.mark.s3),
]
# Small enough that a test of a few MiB goes through multipart writes and part copies.
S3_PART_SIZE = MIN_PART_SIZE
S3_COPY_THRESHOLD = MIN_PART_SIZE


@pytest.fixture
def memory_backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def local_backend(tmp_path: Path) -> LocalBackend:
    return LocalBackend(tmp_path / "objects")


@pytest.fixture
def s3_backend(s3_server: MotoServer) -> S3Backend:
    """A fresh bucket per test, with keys under a prefix (as a shared bucket would be used)."""
    bucket = s3_server.new_bucket()
    return S3Backend(
        s3_server.client(),
        bucket,
        prefix="registry/",
        part_size=S3_PART_SIZE,
        chunk_size=256 * 1024,
        copy_threshold=S3_COPY_THRESHOLD,
    )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> ObjectBackend:
    """Each backend in turn, built by its own ``<name>_backend`` fixture."""
    found: ObjectBackend = request.getfixturevalue(f"{request.param}_backend")
    return found


@pytest.fixture
def blob_store(backend: ObjectBackend) -> ContentAddressedStore:
    return ContentAddressedStore(backend)
