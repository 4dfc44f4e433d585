"""An ``ObjectBackend`` over a folder on the local file system.

Each key is a file at ``<root>/<key>``. A write goes to a fresh file in ``<root>/.partial/`` (the
same file system, so the final rename is atomic) and is flushed, ``fsync``-ed and renamed into
place only on ``commit``: a crash at any point leaves either the old object or the new one under
the key, never a partial file. Leftovers of crashed writes stay in ``.partial/``, which listings
skip; they can be removed by age.

Each fsync costs about a millisecond here (ten under load), which matters for the chunk pool:
a chunked push writes one small object per ~512 KiB. ``without_fsync`` answers a view that
writes and moves with the same atomic renames but no fsync, and ``make_durable`` later syncs a
batch of keys (their files, in parallel, and their folders up to the root, each once). The
chunk pool writes through that view and ``ChunkedStore.write_recipe`` calls ``make_durable``
on every chunk of a recipe before writing it; see docs/dedup.md ("Durability") for why no
crash can then leave a visible blob over missing or partial chunk data.

Keys are ``/``-separated segments; a segment may not be empty, start with ``.`` (so no ``..``,
no hidden files and no clash with ``.partial/``) or contain a backslash or NUL, and a key may not
start with ``/``. A key therefore never names anything outside the root.
"""

from __future__ import annotations

import builtins
import errno
import os
import secrets
import stat as stat_module
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from modelreg.blobs.base import ObjectInfo
from modelreg.blobs.writeback import WriteBack
from modelreg.domain.errors import BlobNotFoundError, InvalidArgumentError, StorageFullError

DEFAULT_CHUNK_SIZE = 1 << 20
PARTIAL_DIR = ".partial"
_REPLACE_ATTEMPTS = 3
# fsyncs issued together share the file system's journal commits: 8 in flight made a batch of
# chunk syncs ~2.5x faster than one at a time on ext4 (and cost nothing on a 2-core machine).
SYNC_THREADS = 8


class LocalBackend:
    """Objects as files under ``root`` (created when missing)."""

    def __init__(
        self, root: Path | str, *, chunk_size: int = DEFAULT_CHUNK_SIZE, fsync: bool = True
    ) -> None:
        if chunk_size <= 0:
            raise InvalidArgumentError("chunk_size must be positive", field="chunk_size")
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.chunk_size = chunk_size
        self.fsync = fsync

    def without_fsync(self) -> LocalBackend:
        """The same folder, written without fsync: a commit or move is atomic (a reader sees
        the old object or the new one) but durable only once ``make_durable`` covered it."""
        return LocalBackend(self.root, chunk_size=self.chunk_size, fsync=False)

    def make_durable(self, keys: Iterable[str]) -> None:
        """fsync the files of ``keys`` and every folder from theirs up to the root, each once.

        A key that does not exist is skipped: a caller that needs it checks its presence
        afterwards (a deleted object has nothing left to make durable).
        """
        files = {self.path_for(key) for key in keys}
        folders: set[Path] = set()
        for path in files:
            folder = path.parent
            while folder not in folders and (folder == self.root or self.root in folder.parents):
                folders.add(folder)
                folder = folder.parent
        with ThreadPoolExecutor(SYNC_THREADS) as pool:
            # list() so that an error (other than a missing file) is raised, not dropped.
            builtins.list(pool.map(_fsync_existing, files))
            builtins.list(pool.map(_fsync_existing, folders))

    def path_for(self, key: str) -> Path:
        """The file that holds ``key`` (which may not exist); rejects keys that could escape."""
        _check_key(key)
        return self.root.joinpath(*key.split("/"))

    def create_writer(self, key: str) -> LocalWriter:
        target = self.path_for(key)
        partial = self.root / PARTIAL_DIR
        partial.mkdir(exist_ok=True)
        temp = partial / f"{secrets.token_hex(16)}.part"
        return LocalWriter(key, target, temp, fsync=self.fsync)

    def open_reader(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        _check_range(offset, length)
        path = self.path_for(key)
        if not path.is_file():
            raise BlobNotFoundError(f"object {key!r} not found", key=key)
        # The file is opened on the first ``next``, so an iterator that is never used leaks nothing.
        return self._read(key, path, offset, length)

    def _read(self, key: str, path: Path, offset: int, length: int | None) -> Iterator[bytes]:
        try:
            handle = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
            raise BlobNotFoundError(f"object {key!r} not found", key=key) from e
        with handle:
            handle.seek(offset)
            remaining = length
            while remaining is None or remaining > 0:
                wanted = self.chunk_size if remaining is None else min(self.chunk_size, remaining)
                chunk = handle.read(wanted)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            result = self.path_for(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat_module.S_ISREG(result.st_mode):
            return None
        return _info(key, result)

    def move(self, source: str, target: str) -> None:
        source_path = self.path_for(source)
        target_path = self.path_for(target)
        if not source_path.is_file():
            raise BlobNotFoundError(f"object {source!r} not found", key=source)
        _replace(source_path, target_path, fsync=self.fsync)
        self._prune_empty_parents(source_path)

    def delete(self, key: str) -> None:
        path = self.path_for(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        self._prune_empty_parents(path)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        folder, _, _ = prefix.rpartition("/")
        start = self.root
        if folder:
            _check_key(folder)
            start = self.root.joinpath(*folder.split("/"))
        base = f"{folder}/" if folder else ""
        yield from (info for info in self._walk(start, base) if info.key.startswith(prefix))

    def _walk(self, folder: Path, base: str) -> Iterator[ObjectInfo]:
        try:
            with os.scandir(folder) as scan:
                entries = builtins.list(scan)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.name.startswith("."):  # .partial/ and anything else that is not a key
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    yield from self._walk(Path(entry.path), f"{base}{entry.name}/")
                elif entry.is_file(follow_symlinks=False):
                    yield _info(f"{base}{entry.name}", entry.stat(follow_symlinks=False))
            except FileNotFoundError:  # removed while we were listing
                continue

    def _prune_empty_parents(self, path: Path) -> None:
        """Remove folders left empty by a delete or move, up to (not including) the root."""
        parent = path.parent
        # Top-level folders (blobs/, uploads/) stay: every writer needs them, and pruning them
        # only makes concurrent writers race to recreate them.
        while self.root in parent.parents and parent.parent != self.root:
            try:
                parent.rmdir()
            except OSError:  # not empty, or already gone
                return
            parent = parent.parent


class LocalWriter:
    """Writes to a file in ``.partial/``; ``commit`` fsyncs it (unless ``fsync`` is off) and
    renames it onto the key."""

    def __init__(self, key: str, target: Path, temp: Path, *, fsync: bool = True) -> None:
        self.key = key
        self._target = target
        self._temp = temp
        self._fsync = fsync
        # O_EXCL: never share a file with another writer; 0o666 lets the umask decide.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        with _full_storage_refused(key):
            fd = os.open(temp, flags, 0o666)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        # Without the fsync at commit, nothing is worth writing early (blobs/writeback.py).
        self._writeback = WriteBack(fd) if fsync else None

    def write(self, data: bytes | memoryview) -> None:
        if self._file is None:
            raise ValueError(f"writer for {self.key!r} is already committed or aborted")
        try:
            self._file.write(data)
        except OSError as error:  # a plain try, not the context manager: this runs per piece
            refused = _storage_full(error, self.key)
            if refused is None:
                raise
            self.abort()  # the partial file goes at once, not at the caller's convenience
            raise refused from error
        if self._writeback is not None:
            self._writeback.wrote(len(data))

    def commit(self) -> None:
        if self._file is None:
            raise ValueError(f"writer for {self.key!r} is already committed or aborted")
        try:
            with _full_storage_refused(self.key):
                self._file.flush()
                if self._fsync:
                    os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            _replace(self._temp, self._target, fsync=self._fsync)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        if self._file is not None:
            # close() flushes first, which fails again on a full disk; the file goes anyway.
            with suppress(OSError):
                self._file.close()
            self._file = None
        self._temp.unlink(missing_ok=True)


# A full disk, a quota, a file-size limit (RLIMIT_FSIZE): the storage cannot take the bytes.
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@contextmanager
def _full_storage_refused(key: str) -> Iterator[None]:
    """Turn the operating system's "no room" errors into ``StorageFullError``; other errors
    pass unchanged."""
    try:
        yield
    except OSError as error:
        refused = _storage_full(error, key)
        if refused is None:
            raise
        raise refused from error


def _storage_full(error: OSError, key: str) -> StorageFullError | None:
    if error.errno not in _FULL_ERRNOS:
        return None
    return StorageFullError(
        "the registry's blob storage has no room left; nothing of this upload was kept "
        f"({error.strerror})",
        key=key,
    )


def _replace(source: Path, target: Path, *, fsync: bool) -> None:
    """``os.replace`` that creates the target's folders and, with ``fsync``, makes the rename
    durable."""
    for attempt in range(1, _REPLACE_ATTEMPTS + 1):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            break
        except FileNotFoundError:
            # A concurrent delete may have pruned the freshly made folder; make it again.
            if attempt == _REPLACE_ATTEMPTS or not source.exists():
                raise
    if fsync:
        _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":  # folders cannot be opened for fsync on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_existing(path: Path) -> None:
    """fsync a file or folder; one that is gone (deleted meanwhile) needs nothing."""
    if os.name != "posix" and path.is_dir():  # folders cannot be opened for fsync on Windows
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _info(key: str, result: os.stat_result) -> ObjectInfo:
    modified_at = datetime.fromtimestamp(result.st_mtime, tz=UTC)
    return ObjectInfo(key=key, size=result.st_size, modified_at=modified_at)


def _check_key(key: str) -> None:
    problem = _key_problem(key)
    if problem:
        raise InvalidArgumentError(f"invalid object key {key[:200]!r}: {problem}", field="key")


def _key_problem(key: str) -> str | None:
    if not key:
        return "empty"
    if "\\" in key or "\x00" in key:
        return "backslash or NUL"
    if key.startswith("/"):
        return "absolute"
    for segment in key.split("/"):
        if not segment:
            return "empty segment"
        if segment.startswith("."):
            return "segment starting with '.'"
    return None


def _check_range(offset: int, length: int | None) -> None:
    if offset < 0:
        raise InvalidArgumentError(f"offset must not be negative, got {offset}", field="offset")
    if length is not None and length < 0:
        raise InvalidArgumentError(f"length must not be negative, got {length}", field="length")
