"""Wire schemas of direct transfers (beside ``schemas.py``, owned by the S3 storage feature)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from modelreg.blobs.base import DirectUpload, UploadedPart
from modelreg.server.schemas import Schema
from modelreg.service.direct import MAX_PARTS, DirectBlobUpload, PartUrl


class DirectUploadRef(Schema):
    """A direct upload, as the server described it when it started."""

    transfer_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")
    multipart_id: str | None = Field(default=None, max_length=1024)

    def to_entity(self) -> DirectUpload:
        return DirectUpload(self.transfer_id, self.multipart_id)


class PartUrlOut(Schema):
    number: int
    url: str

    @classmethod
    def from_entity(cls, part: PartUrl) -> PartUrlOut:
        return cls(number=part.number, url=part.url)


class DirectUploadOut(Schema):
    """``mode`` "direct": PUT each part's bytes to its URL, then complete; "server": PUT the
    blob to the registry as usual."""

    mode: Literal["direct", "server"]
    transfer_id: str | None = None
    multipart_id: str | None = None
    part_size: int | None = None
    part_count: int | None = None
    parts: list[PartUrlOut] = Field(default_factory=list)
    expires_in: int | None = None

    @classmethod
    def from_entity(cls, started: DirectBlobUpload | None) -> DirectUploadOut:
        if started is None:
            return cls(mode="server")
        return cls(
            mode="direct",
            transfer_id=started.upload.transfer_id,
            multipart_id=started.upload.multipart_id,
            part_size=started.part_size,
            part_count=started.part_count,
            parts=[PartUrlOut.from_entity(p) for p in started.parts],
            expires_in=started.expires_in,
        )


class DirectPartsRequest(DirectUploadRef):
    first: int = Field(ge=1, le=MAX_PARTS)
    count: int = Field(default=100, ge=1, le=1000)


class DirectPartsOut(Schema):
    parts: list[PartUrlOut]


class UploadedPartIn(Schema):
    number: int = Field(ge=1, le=MAX_PARTS)
    etag: str = Field(min_length=1, max_length=256)

    def to_entity(self) -> UploadedPart:
        return UploadedPart(self.number, self.etag)


class DirectComplete(DirectUploadRef):
    parts: list[UploadedPartIn] = Field(default_factory=list, max_length=MAX_PARTS)


class PieceOut(Schema):
    url: str = Field(description="Pre-signed GET URL of one chunk object")
    offset: int = Field(description="First byte of the chunk object to read")
    length: int = Field(description="Bytes to read from there")


class ChunkManifestOut(Schema):
    """A blob stored as chunks, from ``offset`` on: read ``pieces`` in order and concatenate."""

    digest: str
    offset: int
    pieces: list[PieceOut]
