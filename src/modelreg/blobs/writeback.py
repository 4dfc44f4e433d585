"""Handing a file's new data to the disk early, without waiting for it.

A local write is fsynced once, at commit. Left alone, the kernel keeps most of a large file in
memory until then, and the fsync writes it all while the client waits for its answer: 0.3-1 s
for 1 GiB here. Starting the write-back of every few MiB as soon as it is written (Linux
``sync_file_range`` with ``SYNC_FILE_RANGE_WRITE``: start, don't wait) overlaps that with the
transfer. It guarantees nothing by itself: the fsync at commit still makes the file durable.
Where the call does not exist, nothing is done early.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

STEP = 8 * 1024 * 1024
SYNC_FILE_RANGE_WRITE = 2  # from <fcntl.h>


class WriteBack:
    """Counts what was written to the file ``fd`` and starts its write-back every ``STEP``
    bytes."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._written = 0
        self._started = 0

    def wrote(self, count: int) -> None:
        self._written += count
        if self._written - self._started < STEP:
            return
        start = _sync_file_range()
        if start is not None:
            # Its result is ignored: a range not handed over early is written by the fsync.
            start(self._fd, self._started, self._written - self._started, SYNC_FILE_RANGE_WRITE)
        self._started = self._written


@functools.cache
def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # only once a file grows past STEP: most servers never need it

    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):  # a libc without it
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    function.restype = ctypes.c_int
    found: Callable[[int, int, int, int], int] = function
    return found
