"""Direct transfers over HTTP: blob bytes go between clients and the object store.

Downloads: ``direct_download`` turns a blob GET into a ``307`` to a pre-signed URL (used by
``blobs.py``); a blob stored as chunks answers, to clients that accept it, a manifest of
pre-signed URLs of its chunks. Uploads: start a direct upload of a declared blob, ask for more
part URLs, complete (the server verifies what arrived), or abort. See docs/storage-s3.md.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from modelreg import routes
from modelreg.domain.digests import Digest
from modelreg.server.access import requires_for_upload
from modelreg.server.deps import get_services
from modelreg.server.direct_schemas import (
    ChunkManifestOut,
    DirectComplete,
    DirectPartsOut,
    DirectPartsRequest,
    DirectUploadOut,
    DirectUploadRef,
    PartUrlOut,
    PieceOut,
)
from modelreg.service.direct import Transfers

router = APIRouter(tags=["uploads"])

_FROM_OFFSET = re.compile(r"^bytes=(\d+)-$")


def _transfers(request: Request) -> Transfers:
    return get_services(request).transfers


async def direct_download(
    request: Request, digest: Digest, *, filename: str | None = None
) -> Response | None:
    """A ``307`` to a short-lived pre-signed URL of ``digest`` for a GET, when the storage
    offers direct transfers; None to serve the bytes from here (HEAD always is)."""
    if request.method != "GET":
        return None
    transfers = _transfers(request)
    if not transfers.enabled:
        return None
    location = await run_in_threadpool(transfers.download_url, digest, filename=filename)
    if location is None:
        return await _chunk_manifest(request, transfers, digest)
    # The URL is a short-lived credential: no cache may keep the redirect.
    return RedirectResponse(location, status_code=307, headers={"Cache-Control": "no-store"})


async def _chunk_manifest(
    request: Request, transfers: Transfers, digest: Digest
) -> Response | None:
    """For a client that accepts ``CHUNK_MANIFEST_TYPE``: pre-signed URLs of the chunks of a
    blob stored as chunks, from the offset of a ``Range: bytes=N-`` on. None otherwise (the
    server streams the bytes, and answers other ranges and errors as before)."""
    if routes.CHUNK_MANIFEST_TYPE not in request.headers.get("accept", ""):
        return None
    offset = 0
    if "range" in request.headers:
        found = _FROM_OFFSET.fullmatch(request.headers["range"].strip())
        if found is None:
            return None
        offset = int(found.group(1))
    pieces = await run_in_threadpool(transfers.chunk_download, digest, offset)
    if not pieces:  # not chunked, or nothing from that offset on: the server answers
        return None
    body = ChunkManifestOut(
        digest=str(digest),
        offset=offset,
        pieces=[PieceOut(url=p.url, offset=p.offset, length=p.length) for p in pieces],
    )
    return Response(
        body.model_dump_json(),
        media_type=routes.CHUNK_MANIFEST_TYPE,
        headers={"Cache-Control": "no-store"},  # the URLs are short-lived credentials
    )


@router.post(
    routes.DIRECT_UPLOAD,
    status_code=201,
    response_model=DirectUploadOut,
    responses={200: {"model": DirectUploadOut, "description": "send the blob to the server"}},
    dependencies=[requires_for_upload()],
)
def start_direct_upload(upload_id: str, digest: str, request: Request) -> JSONResponse:
    """Start sending a declared blob straight to the object store: the part size and the first
    part URLs (``mode: direct``, 201), or ``mode: server`` (200) to PUT it here instead."""
    started = _transfers(request).start_blob(upload_id, Digest.parse(digest))
    body = DirectUploadOut.from_entity(started)
    status = 200 if started is None else 201
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


@router.post(routes.DIRECT_UPLOAD_PARTS, dependencies=[requires_for_upload()])
def direct_upload_parts(
    upload_id: str, digest: str, body: DirectPartsRequest, request: Request
) -> DirectPartsOut:
    parts = _transfers(request).part_urls(
        upload_id, Digest.parse(digest), body.to_entity(), first=body.first, count=body.count
    )
    return DirectPartsOut(parts=[PartUrlOut.from_entity(p) for p in parts])


@router.post(routes.DIRECT_UPLOAD_COMPLETE, status_code=201, dependencies=[requires_for_upload()])
def complete_direct_upload(
    upload_id: str, digest: str, body: DirectComplete, request: Request
) -> Response:
    """Complete the upload; the server reads the blob back and checks size and digest."""
    parts = [part.to_entity() for part in body.parts]
    _transfers(request).finish_blob(upload_id, Digest.parse(digest), body.to_entity(), parts)
    return Response(status_code=201)


@router.post(routes.DIRECT_UPLOAD_ABORT, status_code=204, dependencies=[requires_for_upload()])
def abort_direct_upload(
    upload_id: str, digest: str, body: DirectUploadRef, request: Request
) -> Response:
    _transfers(request).abort_blob(upload_id, body.to_entity())
    return Response(status_code=204)
