"""The SDK's local blob cache: pulled blobs kept by digest, shared by every version and model.

<cache>/blobs/<algorithm>/<hex>      verified content
<cache>/partial/<algorithm>-<hex>    an interrupted download, resumed with a Range request
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from modelreg.client.transport import Progress
from modelreg.domain.digests import Digest
from modelreg.domain.errors import DigestMismatchError, InvalidArgumentError
from modelreg.hashing import DigestHasher

Reader = Callable[[int], Iterable[bytes]]


@dataclass(frozen=True)
class CachedBlob:
    digest: Digest
    size: int
    path: Path


class BlobCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: Digest) -> Path:
        return self.root / "blobs" / digest.algorithm / digest.hex

    def has(self, digest: Digest, size: int) -> bool:
        try:
            return self.path(digest).stat().st_size == size
        except FileNotFoundError:
            return False

    def fetch(self, digest: Digest, size: int, read: Reader, *, progress: Progress | None) -> Path:
        """Download ``digest`` unless cached; resumes a partial download; verifies the content."""
        final = self.path(digest)
        if self.has(digest, size):
            if progress:
                progress(size)
            return final
        partial = self.root / "partial" / f"{digest.algorithm}-{digest.hex}"
        partial.parent.mkdir(parents=True, exist_ok=True)
        hasher = DigestHasher(digest.algorithm)
        if partial.exists() and partial.stat().st_size <= size:
            with partial.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    hasher.update(chunk)
            if progress:
                progress(hasher.size)
        else:
            partial.unlink(missing_ok=True)
        with partial.open("ab") as handle:
            for chunk in read(hasher.size):
                hasher.update(chunk)
                handle.write(chunk)
                if progress:
                    progress(len(chunk))
        actual = hasher.digest()
        if actual != digest or hasher.size != size:
            partial.unlink(missing_ok=True)
            raise DigestMismatchError(
                f"downloaded content of {digest} does not match it (got {actual}, "
                f"{hasher.size} of {size} bytes); the registry's copy may be corrupt",
                expected=str(digest),
                actual=str(actual),
            )
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, final)
        return final

    def evict(self, digest: Digest) -> None:
        self.path(digest).unlink(missing_ok=True)

    def entries(self) -> Iterator[CachedBlob]:
        base = self.root / "blobs"
        if not base.exists():
            return
        for algorithm_dir in sorted(base.iterdir()):
            for item in sorted(algorithm_dir.iterdir()):
                try:
                    digest = Digest(algorithm_dir.name, item.name)
                except InvalidArgumentError:
                    continue
                yield CachedBlob(digest, item.stat().st_size, item)

    def prune(self) -> int:
        """Empty the cache; returns the bytes freed."""
        freed = 0
        for entry in list(self.entries()):
            freed += entry.size
            entry.path.unlink(missing_ok=True)
        for leftover in (self.root / "partial").glob("*"):
            freed += leftover.stat().st_size
            leftover.unlink(missing_ok=True)
        return freed
