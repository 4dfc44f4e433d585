"""Chunked pushes over HTTP (docs/dedup.md): ask which chunks are missing, PUT them, assemble.

These routes live under ``/uploads/{id}/blobs/`` and so are exempt from the JSON body limit
(``server/limits.py``), like whole-blob uploads; each enforces its own: a chunk list may not be
larger than ``MAX_CHUNK_LIST_BYTES``, a chunk not larger than the service's ``max_chunk_size``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from modelreg import routes
from modelreg.domain.chunking import DEFAULT_CHUNKER, ChunkRef
from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError, LimitExceededError
from modelreg.server.access import ReadableByDep, requires_for_upload
from modelreg.server.chunk_schemas import (
    ChunkingOut,
    ChunkListIn,
    MissingChunkOut,
    MissingChunksOut,
)
from modelreg.server.deps import get_services
from modelreg.service.chunked_uploads import ChunkedUploads, chunk_store_of

router = APIRouter(tags=["uploads"])

# 262,144 chunks (the service's limit) at about 100 bytes of JSON each, with room to spare.
MAX_CHUNK_LIST_BYTES = 32 * 1024 * 1024


def _inline_schema() -> dict[str, Any]:
    """``ChunkListIn``'s JSON schema with its one nested model inlined: a ``#/$defs`` reference
    would not resolve inside the OpenAPI document."""
    schema = ChunkListIn.model_json_schema()
    nested = schema.pop("$defs")["ChunkIn"]
    schema["properties"]["chunks"]["items"] = nested
    return schema


_CHUNK_LIST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inline_schema()}},
    }
}


def get_chunked_uploads(request: Request) -> ChunkedUploads:
    services = get_services(request)
    store = chunk_store_of(services.blobs)
    if store is None:
        raise InvalidArgumentError("this registry does not accept chunked uploads")
    # With direct transfers on, chunk bytes go to pre-signed staging URLs (docs/storage-s3.md).
    ttl = services.transfers.url_ttl if services.transfers.enabled else None
    return ChunkedUploads(services.metadata, store, staged_url_ttl=ttl)


ChunkedUploadsDep = Annotated[ChunkedUploads, Depends(get_chunked_uploads)]


def chunk_upload_url(
    chunked: ChunkedUploads, upload_id: str, digest: Digest, chunk: ChunkRef
) -> str:
    """Where the client sends ``chunk``: the one place that choice is made. With direct
    transfers, a short-lived pre-signed PUT URL of a staging key inside the session (the bytes
    never pass through this server); otherwise this server's chunk route. The assemble step
    re-reads and checks every chunk, wherever it was written."""
    presigned = chunked.chunk_upload_url(upload_id, chunk)
    if presigned is not None:
        return presigned
    return routes.url(
        routes.UPLOAD_BLOB_CHUNK, upload_id=upload_id, digest=digest, chunk_digest=chunk.digest
    )


@router.get(routes.CHUNKING, tags=["meta"])
def chunking(chunked: ChunkedUploadsDep) -> ChunkingOut:
    """Advertises chunked pushes: the SDK pushes large files in chunks only when this answers."""
    return ChunkingOut(
        chunker=DEFAULT_CHUNKER.chunker,
        min_size=DEFAULT_CHUNKER.min_size,
        avg_size=DEFAULT_CHUNKER.avg_size,
        max_size=DEFAULT_CHUNKER.max_size,
        threshold=DEFAULT_CHUNKER.threshold,
        max_chunk_size=chunked.limits.max_chunk_size,
        max_chunks=chunked.limits.max_chunks,
    )


@router.post(
    routes.UPLOAD_BLOB_CHUNKS,
    dependencies=[requires_for_upload()],
    openapi_extra=_CHUNK_LIST_BODY,
)
async def missing_chunks(
    upload_id: str,
    digest: str,
    request: Request,
    chunked: ChunkedUploadsDep,
    reader: ReadableByDep,
) -> MissingChunksOut:
    """Which chunks of the declared blob ``digest`` the registry lacks, with where to send each."""
    blob = Digest.parse(digest)
    chunks = await _chunk_list(request)

    def answer() -> MissingChunksOut:
        missing = chunked.missing_chunks(upload_id, blob, chunks, readable_by=reader)
        return MissingChunksOut(
            missing=[
                MissingChunkOut(
                    digest=str(chunk.digest),
                    size=chunk.size,
                    upload_url=chunk_upload_url(chunked, upload_id, blob, chunk),
                )
                for chunk in missing
            ]
        )

    return await run_in_threadpool(answer)  # signing is quick, but not free per chunk


@router.put(routes.UPLOAD_BLOB_CHUNK, status_code=201, dependencies=[requires_for_upload()])
async def put_chunk(
    upload_id: str, digest: str, chunk_digest: str, request: Request, chunked: ChunkedUploadsDep
) -> Response:
    """Receive one chunk (its size is the Content-Length); checked against ``chunk_digest``."""
    blob, named = Digest.parse(digest), Digest.parse(chunk_digest)
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise InvalidArgumentError("a chunk needs a Content-Length", field="content-length")
    limit = chunked.limits.max_chunk_size
    if int(declared) > limit:
        raise LimitExceededError(f"a chunk may hold at most {limit} bytes", limit=limit)
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            raise LimitExceededError(f"a chunk may hold at most {limit} bytes", limit=limit)
    chunk = ChunkRef(named, int(declared))
    await run_in_threadpool(chunked.receive_chunk, upload_id, blob, chunk, [bytes(body)])
    return Response(status_code=201)


@router.post(
    routes.UPLOAD_BLOB_ASSEMBLE,
    status_code=201,
    dependencies=[requires_for_upload()],
    openapi_extra=_CHUNK_LIST_BODY,
)
async def assemble_blob(
    upload_id: str,
    digest: str,
    request: Request,
    chunked: ChunkedUploadsDep,
    reader: ReadableByDep,
) -> Response:
    """Make the blob visible from its chunks, once each and the whole are checked."""
    blob = Digest.parse(digest)
    chunks = await _chunk_list(request)
    await run_in_threadpool(
        lambda: chunked.assemble_blob(upload_id, blob, chunks, readable_by=reader)
    )
    return Response(status_code=201)


async def _chunk_list(request: Request) -> list[ChunkRef]:
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > MAX_CHUNK_LIST_BYTES:
            raise LimitExceededError(
                f"a chunk list may hold at most {MAX_CHUNK_LIST_BYTES} bytes",
                limit=MAX_CHUNK_LIST_BYTES,
            )
    try:
        return ChunkListIn.model_validate_json(bytes(body)).to_entities()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidArgumentError(f"invalid chunk list: {where}: {first['msg']}") from error
