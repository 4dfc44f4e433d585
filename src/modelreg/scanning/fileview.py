"""``FileView``: a file as ``pickletools`` and picklescan read it, with bounded memory."""

from __future__ import annotations

import contextlib
import io
import mmap
from typing import IO

VIEW_THRESHOLD = 1024 * 1024
MAX_LINE = 1024 * 1024
"""Longest newline-terminated argument (protocol 0) read; longer is not a pickle we accept."""


class FileView:
    """A file as ``pickletools`` and picklescan read it, without ever allocating what a stream
    declares: reads never ask for more than is left (a forged length allocates nothing), and a
    large byte string (a tensor pickled inline) is answered with a view of the memory-mapped
    file, so its bytes are not copied into memory to be counted and skipped."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.size = raw.seek(0, 2)
        raw.seek(0)
        self.mapped: mmap.mmap | None = None
        try:
            if self.size > 0:
                self.mapped = mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ)
        except (AttributeError, OSError, io.UnsupportedOperation):
            self.mapped = None  # an in-memory stream: nothing to map

    def read(self, count: int = -1) -> bytes:
        position = self.raw.tell()
        left = max(self.size - position, 0)
        count = left if count < 0 or count > left else count
        if self.mapped is not None and count > VIEW_THRESHOLD:
            self.raw.seek(position + count)
            return memoryview(self.mapped)[position : position + count]  # type: ignore[return-value]
        return self.raw.read(count)

    def readline(self, limit: int = -1) -> bytes:
        return self.raw.readline(MAX_LINE if limit < 0 else min(limit, MAX_LINE))

    def tell(self) -> int:
        return self.raw.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self.mapped is not None:
            with contextlib.suppress(BufferError):  # a view still alive: unmapped when freed
                self.mapped.close()
