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

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("local", id="local"),
]


@pytest.fixture
def memory_backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def local_backend(tmp_path: Path) -> LocalBackend:
    return LocalBackend(tmp_path / "objects")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> ObjectBackend:
    """Each backend in turn, built by its own ``<name>_backend`` fixture."""
    found: ObjectBackend = request.getfixturevalue(f"{request.param}_backend")
    return found


@pytest.fixture
def blob_store(backend: ObjectBackend) -> ContentAddressedStore:
    return ContentAddressedStore(backend)
