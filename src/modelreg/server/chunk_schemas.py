"""Wire schemas of chunked pushes (docs/dedup.md): chunk lists in, missing chunks out."""

from __future__ import annotations

from pydantic import BaseModel, Field

from modelreg.domain.chunking import ChunkRef
from modelreg.domain.digests import Digest


class ChunkIn(BaseModel):
    digest: str = Field(max_length=80, description="'<algorithm>:<hex>' of the chunk's bytes")
    size: int = Field(description="Bytes in the chunk")

    def to_entity(self) -> ChunkRef:
        return ChunkRef(Digest.parse(self.digest), self.size)


class ChunkListIn(BaseModel):
    """The blob's chunks in file order (a chunk may repeat)."""

    chunks: list[ChunkIn]

    def to_entities(self) -> list[ChunkRef]:
        return [chunk.to_entity() for chunk in self.chunks]


class MissingChunkOut(BaseModel):
    digest: str
    size: int
    upload_url: str = Field(
        description="Where to PUT the chunk's bytes: relative (this server, with its "
        "credentials) or an absolute pre-signed object-store URL (no registry credentials)"
    )


class MissingChunksOut(BaseModel):
    missing: list[MissingChunkOut]


class ChunkingOut(BaseModel):
    """What a client needs to push in chunks: the chunker the SDK uses (the same parameters
    everywhere make chunks shared between clients) and the limits the registry enforces."""

    chunker: str
    min_size: int
    avg_size: int
    max_size: int
    threshold: int = Field(description="Files from this size on are pushed in chunks")
    max_chunk_size: int
    max_chunks: int
