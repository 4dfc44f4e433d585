"""Chunk lists: a large blob described as the ordered chunks it is cut into.

A client cuts a big file with content-defined chunking (boundaries depend on the bytes, so an
edit moves only the boundaries near it) and names each chunk by its digest. The registry keeps
each chunk once and the blob as a *recipe* of chunk references; see docs/dedup.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError, LimitExceededError

MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class ChunkRef:
    """One chunk of a blob: its digest and size in bytes."""

    digest: Digest
    size: int


@dataclass(frozen=True, slots=True)
class ChunkLimits:
    """What the registry accepts from a client that pushes in chunks.

    ``max_chunk_size`` bounds the memory and time one chunk request may take; it is four times
    the SDK's own largest chunk, so a client with other parameters still fits. ``max_chunks``
    bounds one chunk list (about 100 bytes of JSON each): 262,144 chunks of the SDK's 640 KiB
    mean describe a file of 160 GiB; the SDK sends larger files whole.
    """

    max_chunk_size: int = 8 * MIB
    max_chunks: int = 262_144


DEFAULT_CHUNK_LIMITS = ChunkLimits()


@dataclass(frozen=True, slots=True)
class ChunkerParams:
    """How the SDK cuts files: FastCDC 2020 with these sizes (docs/dedup.md says why).

    A chunk ends where a rolling hash of the last bytes matches a mask, but never before
    ``min_size`` nor after ``max_size`` bytes; the mean comes out near ``avg_size + min_size``
    (640 KiB). Files smaller than ``threshold`` are sent whole: chunking them would save little
    and cost a round trip per chunk.
    """

    min_size: int = 128 * 1024
    avg_size: int = 512 * 1024
    max_size: int = 2 * MIB
    threshold: int = 8 * MIB
    chunker: str = "fastcdc-2020"
    max_chunks: int = 262_144
    """The registry's limit on one chunk list: a file that needs more is sent whole."""


DEFAULT_CHUNKER = ChunkerParams()


def validate_chunk_list(
    chunks: Sequence[ChunkRef], blob: Digest, size: int, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS
) -> None:
    """Check that ``chunks`` can describe the ``size`` bytes of ``blob``.

    The digests themselves are checked later, against the bytes: this only refuses lists that
    could never add up (empty, too long, a chunk too large or empty, the wrong total size).
    """
    if not chunks:
        raise InvalidArgumentError(f"the chunk list of {blob} is empty", digest=str(blob))
    if len(chunks) > limits.max_chunks:
        raise LimitExceededError(
            f"{len(chunks)} chunks for {blob}: at most {limits.max_chunks} are accepted",
            digest=str(blob),
            limit=limits.max_chunks,
        )
    for chunk in chunks:
        check_chunk_size(chunk, limits)
    total = sum(chunk.size for chunk in chunks)
    if total != size:
        raise InvalidArgumentError(
            f"the chunks of {blob} add up to {total} bytes, but the blob has {size}",
            digest=str(blob),
            expected_size=size,
            actual_size=total,
        )


def check_chunk_size(chunk: ChunkRef, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS) -> None:
    if chunk.size <= 0:
        raise InvalidArgumentError(
            f"chunk {chunk.digest} has size {chunk.size}: chunks are never empty",
            digest=str(chunk.digest),
        )
    if chunk.size > limits.max_chunk_size:
        raise LimitExceededError(
            f"chunk {chunk.digest} has {chunk.size} bytes: at most {limits.max_chunk_size} "
            "are accepted per chunk",
            digest=str(chunk.digest),
            limit=limits.max_chunk_size,
        )


def unique_chunks(chunks: Iterable[ChunkRef]) -> list[ChunkRef]:
    """``chunks`` without repeats, first occurrence first (a file may repeat a chunk)."""
    seen: dict[Digest, ChunkRef] = {}
    for chunk in chunks:
        seen.setdefault(chunk.digest, chunk)
    return list(seen.values())
