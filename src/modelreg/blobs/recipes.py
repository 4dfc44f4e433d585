"""Recipes: a blob stored as the ordered list of its chunks, and where recipes and chunks live.

A recipe is a small JSON object under ``recipes/<algorithm>/<xx>/<hex>`` (the blob's digest)::

    {"format": "modelreg.recipe/1", "digest": "blake3:…", "size": 1073741824,
     "chunks": [["blake3:…", 1310720], ["blake3:…", 998400], …]}

About 85 bytes per chunk: 70 KB for a 1 GiB file cut into 1.25 MiB chunks. Chunks live under
``chunks/<algorithm>/<xx>/<hex>``, named by their own digest (see ``layout.py``).
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from modelreg.blobs.layout import (
    BLOBS_PREFIX,
    UPLOAD_DATA,
    blob_key,
    parse_blob_key,
    upload_key,
)
from modelreg.domain.chunking import ChunkRef
from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError

CHUNKS_PREFIX = "chunks/"
RECIPES_PREFIX = "recipes/"
RECIPE_FORMAT = "modelreg.recipe/1"


@dataclass(frozen=True, slots=True)
class Recipe:
    """The blob ``digest`` of ``size`` bytes is the concatenation of ``chunks``."""

    digest: Digest
    size: int
    chunks: tuple[ChunkRef, ...]
    starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = (0, *accumulate(chunk.size for chunk in self.chunks))
        if starts[-1] != self.size:
            raise InvalidArgumentError(
                f"recipe of {self.digest}: chunks add up to {starts[-1]} bytes, not {self.size}"
            )
        object.__setattr__(self, "starts", starts[:-1])

    def pieces(self, offset: int, end: int) -> list[tuple[ChunkRef, int, int]]:
        """(chunk, offset in chunk, length) of every chunk that covers bytes [offset, end)."""
        found: list[tuple[ChunkRef, int, int]] = []
        index = max(bisect.bisect_right(self.starts, offset) - 1, 0)
        while index < len(self.chunks) and self.starts[index] < end:
            chunk, start = self.chunks[index], self.starts[index]
            low = max(offset, start) - start
            high = min(end, start + chunk.size) - start
            if high > low:
                found.append((chunk, low, high - low))
            index += 1
        return found

    def to_bytes(self) -> bytes:
        body = {
            "format": RECIPE_FORMAT,
            "digest": str(self.digest),
            "size": self.size,
            "chunks": [[str(chunk.digest), chunk.size] for chunk in self.chunks],
        }
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Recipe:
        try:
            body: Any = json.loads(data)
            if body["format"] != RECIPE_FORMAT:
                raise ValueError(f"unknown recipe format {body['format']!r}")
            chunks = tuple(ChunkRef(Digest.parse(text), int(size)) for text, size in body["chunks"])
            return cls(Digest.parse(body["digest"]), int(body["size"]), chunks)
        except (ValueError, KeyError, TypeError, InvalidArgumentError) as error:
            raise InvalidArgumentError(f"damaged recipe: {error}") from error


def chunk_key(digest: Digest) -> str:
    """``chunks/<algorithm>/<first two hex>/<hex>``."""
    return CHUNKS_PREFIX + blob_key(digest).removeprefix(BLOBS_PREFIX)


def recipe_key(digest: Digest) -> str:
    """``recipes/<algorithm>/<first two hex>/<hex>``, named by the whole blob's digest."""
    return RECIPES_PREFIX + blob_key(digest).removeprefix(BLOBS_PREFIX)


def staged_chunk_key(upload_id: str, digest: Digest) -> str:
    """``uploads/<upload-id>/chunks/<algorithm>/<hex>``: where a client that writes to the object
    store itself stages a chunk of upload session ``upload_id`` (under ``uploads/``, so garbage
    collection of abandoned uploads removes what is never assembled)."""
    folder = upload_key(upload_id).removesuffix(UPLOAD_DATA)  # also checks the id
    return f"{folder}chunks/{digest.algorithm}/{digest.hex}"


def parse_chunk_key(key: str) -> Digest | None:
    if not key.startswith(CHUNKS_PREFIX):
        return None
    return parse_blob_key(BLOBS_PREFIX + key.removeprefix(CHUNKS_PREFIX))


def parse_recipe_key(key: str) -> Digest | None:
    if not key.startswith(RECIPES_PREFIX):
        return None
    return parse_blob_key(BLOBS_PREFIX + key.removeprefix(RECIPES_PREFIX))
