"""Plain builders for test data: drafts, file entries, digests and model folders."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from modelreg.domain.digests import Digest
from modelreg.domain.entities import FileEntry, Lineage, VersionDraft
from modelreg.hashing import DigestHasher

ZERO_DIGEST = "blake3:" + "0" * 64


def opaque_bytes(size: int) -> bytes:
    """``size`` random bytes that the scanner takes for plain data, whatever the draw.

    Plain ``os.urandom`` output now and then starts like a format the scanner reads (``0x08``
    is an ONNX model when the file is named ``*.onnx``, ``0x80 0x02`` a pickle, ``PK`` a zip):
    read as such it is unreadable, so suspicious, and the pull the test makes is refused. A
    leading zero byte starts none of them (not a pickle opcode, and as a safetensors header
    length it would need five more zero bytes)."""
    if size <= 0:
        return b""
    return b"\x00" + os.urandom(size - 1)


def digest_of(data: bytes, algorithm: str = "blake3") -> Digest:
    hasher = DigestHasher(algorithm)
    hasher.update(data)
    return hasher.digest()


def file_entry(path: str, data: bytes) -> FileEntry:
    return FileEntry(path, len(data), digest_of(data))


def make_draft(
    files: Mapping[str, bytes] | None = None,
    *,
    params: Mapping[str, object] | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, str] | None = None,
    description: str = "",
    lineage: Lineage | None = None,
) -> VersionDraft:
    """A draft whose entries describe ``files`` (path -> content); one small file by default."""
    contents = files if files is not None else {"model.bin": b"weights"}
    return VersionDraft(
        files=tuple(file_entry(path, data) for path, data in contents.items()),
        params=dict(params or {}),  # type: ignore[arg-type]
        metrics=dict(metrics or {}),
        tags=dict(tags or {}),
        description=description,
        lineage=lineage or Lineage(),
    )


def write_model_dir(root: Path, files: Mapping[str, bytes]) -> Path:
    """Write ``files`` (POSIX path -> content) under ``root`` and return ``root``."""
    for path, data in files.items():
        target = root.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def random_model_dir(root: Path, size: int = 50_000) -> Path:
    return write_model_dir(
        root,
        {"weights.bin": opaque_bytes(size), "config.json": b'{"k": 1}', "sub/vocab.txt": b"a\nb\n"},
    )


def read_tree(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` as POSIX relative path -> content."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def draft_json(files: Mapping[str, bytes] | None = None, **extra: object) -> dict[str, object]:
    """The JSON body of ``POST /models/{name}/uploads`` describing ``files``."""
    contents = files if files is not None else {"model.bin": b"weights"}
    body: dict[str, object] = {
        "files": [
            {"path": path, "size": len(data), "digest": str(digest_of(data))}
            for path, data in contents.items()
        ]
    }
    body.update(extra)
    return body
