"""Incremental hashers for every digest algorithm modelreg understands.

Kept outside ``domain`` because BLAKE3 comes from a compiled third-party package.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

import blake3

from modelreg.domain.digests import DEFAULT_ALGORITHM, Digest


class Hasher(Protocol):
    def update(self, data: bytes | memoryview, /) -> object: ...
    def hexdigest(self) -> str: ...


class DigestHasher:
    """Hashes a stream piece by piece and reports the result as a ``Digest``."""

    def __init__(self, algorithm: str = DEFAULT_ALGORITHM) -> None:
        self.algorithm = algorithm
        self._hasher: Hasher = _new_hasher(algorithm)
        self.size = 0

    def update(self, data: bytes | memoryview) -> None:
        self._hasher.update(data)
        self.size += len(data)

    def digest(self) -> Digest:
        return Digest(self.algorithm, self._hasher.hexdigest())


def _new_hasher(algorithm: str) -> Hasher:
    if algorithm == "blake3":
        # One thread: streams arrive in pieces of ~64 KiB-4 MiB, where handing each piece to
        # BLAKE3's thread pool cost a quarter to a third of the server's upload CPU; one thread
        # hashes ~4 GB/s, faster than any stream here. ``digest_file`` keeps the pool.
        return blake3.blake3()
    if algorithm == "sha256":
        return hashlib.sha256()
    Digest(algorithm, "")  # raises the domain's unsupported-algorithm error
    raise AssertionError("unreachable")


def digest_file(path: Path, algorithm: str = DEFAULT_ALGORITHM) -> tuple[Digest, int]:
    """Digest and size of a file, read through the OS page cache without loading it whole."""
    if algorithm == "blake3":
        hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        hasher.update_mmap(path)
        return Digest("blake3", hasher.hexdigest()), path.stat().st_size
    streaming = DigestHasher(algorithm)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            streaming.update(chunk)
    return streaming.digest(), streaming.size
