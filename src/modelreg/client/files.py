"""Local file work for push and pull: collecting a model folder, and writing verified files."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from modelreg.client.transport import Progress
from modelreg.domain.digests import Digest
from modelreg.domain.errors import DigestMismatchError, InvalidArgumentError
from modelreg.domain.rules import validate_file_path
from modelreg.hashing import DigestHasher


def collect_files(source: Path) -> list[tuple[str, Path]]:
    """(manifest path, local path) of every file under ``source``, or of ``source`` itself."""
    if not source.exists():
        raise InvalidArgumentError(f"{source} does not exist")
    if source.is_file():
        return [(source.name, source)]
    found: list[tuple[str, Path]] = []
    for folder, dirs, names in os.walk(source):
        dirs.sort()
        for name in sorted(names):
            local = Path(folder, name)
            if local.is_file():
                found.append((local.relative_to(source).as_posix(), local))
    if not found:
        raise InvalidArgumentError(f"{source} holds no files to push")
    return found


def safe_target(root: Path, manifest_path: str) -> Path:
    """Where ``manifest_path`` lands under ``root``; refuses anything that would escape it,
    including through a symlink already present in the destination."""
    validate_file_path(manifest_path)
    base = root.resolve()
    target = base.joinpath(*manifest_path.split("/"))
    if not target.parent.resolve().is_relative_to(base):
        raise InvalidArgumentError(f"{manifest_path!r} would be written outside {root}")
    if target.is_symlink():
        raise InvalidArgumentError(f"{target} is a symlink; refusing to write through it")
    return target


def write_verified(
    chunks: Iterable[bytes], target: Path, digest: Digest, *, progress: Progress | None = None
) -> int:
    """Write ``chunks`` to ``target`` through a temporary file, hashing as it goes; the file
    appears only if its content matches ``digest``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    hasher = DigestHasher(digest.algorithm)
    try:
        with temporary.open("wb") as handle:
            for chunk in chunks:
                hasher.update(chunk)
                handle.write(chunk)
                if progress:
                    progress(len(chunk))
        actual = hasher.digest()
        if actual != digest:
            raise DigestMismatchError(
                f"{target.name}: content does not match its digest (expected {digest}, "
                f"got {actual}); the copy it was read from is corrupt",
                expected=str(digest),
                actual=str(actual),
            )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return hasher.size


def read_file(path: Path, offset: int = 0, chunk_size: int = 1 << 20) -> Iterable[bytes]:
    with path.open("rb") as handle:
        handle.seek(offset)
        while chunk := handle.read(chunk_size):
            yield chunk
