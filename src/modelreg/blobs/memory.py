"""An ``ObjectBackend`` kept in a dict: fast, thread-safe, gone when the process ends. For tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

from modelreg.blobs.base import ObjectInfo
from modelreg.domain.errors import BlobNotFoundError, InvalidArgumentError

DEFAULT_CHUNK_SIZE = 1 << 20


class MemoryBackend:
    """Objects as immutable ``bytes`` in a dict guarded by one lock."""

    def __init__(self, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if chunk_size <= 0:
            raise InvalidArgumentError("chunk_size must be positive", field="chunk_size")
        self.chunk_size = chunk_size
        self._objects: dict[str, tuple[bytes, datetime]] = {}
        self._lock = threading.Lock()

    def create_writer(self, key: str) -> MemoryWriter:
        _check_key(key)
        return MemoryWriter(self, key)

    def open_reader(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        _check_range(offset, length)
        with self._lock:
            found = self._objects.get(key)
        if found is None:
            raise BlobNotFoundError(f"object {key!r} not found", key=key)
        data = found[0]
        end = len(data) if length is None else min(len(data), offset + length)
        return self._chunks(data, offset, end)

    def _chunks(self, data: bytes, start: int, end: int) -> Iterator[bytes]:
        view = memoryview(data)
        for position in range(start, end, self.chunk_size):
            yield bytes(view[position : min(end, position + self.chunk_size)])

    def stat(self, key: str) -> ObjectInfo | None:
        with self._lock:
            found = self._objects.get(key)
        if found is None:
            return None
        return ObjectInfo(key=key, size=len(found[0]), modified_at=found[1])

    def move(self, source: str, target: str) -> None:
        _check_key(target)
        with self._lock:
            found = self._objects.pop(source, None)
            if found is None:
                raise BlobNotFoundError(f"object {source!r} not found", key=source)
            self._objects[target] = found

    def delete(self, key: str) -> None:
        with self._lock:
            self._objects.pop(key, None)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        with self._lock:
            snapshot = [
                (key, value) for key, value in self._objects.items() if key.startswith(prefix)
            ]
        for key, (data, modified_at) in snapshot:
            yield ObjectInfo(key=key, size=len(data), modified_at=modified_at)

    def _store(self, key: str, data: bytes) -> None:
        with self._lock:
            self._objects[key] = (data, datetime.now(UTC))


class MemoryWriter:
    """Collects bytes in a buffer; ``commit`` publishes them under the key in one step."""

    def __init__(self, backend: MemoryBackend, key: str) -> None:
        self.key = key
        self._backend = backend
        self._buffer: bytearray | None = bytearray()

    def write(self, data: bytes | memoryview) -> None:
        if self._buffer is None:
            raise ValueError(f"writer for {self.key!r} is already committed or aborted")
        self._buffer += data

    def commit(self) -> None:
        if self._buffer is None:
            raise ValueError(f"writer for {self.key!r} is already committed or aborted")
        data, self._buffer = bytes(self._buffer), None
        self._backend._store(self.key, data)

    def abort(self) -> None:
        self._buffer = None


def _check_key(key: str) -> None:
    if not key or key.startswith("/"):
        raise InvalidArgumentError(f"invalid object key {key[:200]!r}", field="key")


def _check_range(offset: int, length: int | None) -> None:
    if offset < 0:
        raise InvalidArgumentError(f"offset must not be negative, got {offset}", field="offset")
    if length is not None and length < 0:
        raise InvalidArgumentError(f"length must not be negative, got {length}", field="length")
