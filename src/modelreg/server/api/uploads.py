"""The push protocol over HTTP: open a session, PUT the missing blobs, commit."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from modelreg import routes
from modelreg.domain.digests import Digest
from modelreg.domain.permissions import Action
from modelreg.server.access import ReadableByDep, requires, requires_for_upload
from modelreg.server.deps import ActorDep, UploadsDep
from modelreg.server.schemas import UploadCreate, UploadOut, VersionOut

router = APIRouter(tags=["uploads"])

# Request bodies arrive in small pieces; writing them in larger batches off the event loop keeps
# the loop free and the per-write overhead low, while memory stays bounded by this size.
WRITE_BATCH = 4 * 1024 * 1024


@router.post(routes.UPLOADS, status_code=201, dependencies=[requires(Action.PUSH)])
def start_upload(
    name: str, body: UploadCreate, uploads: UploadsDep, actor: ActorDep, reader: ReadableByDep
) -> UploadOut:
    session = uploads.start_upload(name, body.to_entity(), actor=actor, readable_by=reader)
    return UploadOut.from_entity(session)


@router.get(routes.UPLOAD, dependencies=[requires_for_upload()])
def get_upload(upload_id: str, uploads: UploadsDep, reader: ReadableByDep) -> UploadOut:
    return UploadOut.from_entity(uploads.get_upload(upload_id, readable_by=reader))


@router.put(routes.UPLOAD_BLOB, status_code=201, dependencies=[requires_for_upload()])
async def put_blob(upload_id: str, digest: str, request: Request, uploads: UploadsDep) -> Response:
    """Stream one declared blob; the server hashes while writing and rejects a mismatch."""
    blob = await run_in_threadpool(uploads.begin_blob, upload_id, Digest.parse(digest))
    try:
        batch = bytearray()
        async for chunk in request.stream():
            batch += chunk
            if len(batch) >= WRITE_BATCH:
                await run_in_threadpool(blob.write, bytes(batch))
                batch.clear()
        if batch:
            await run_in_threadpool(blob.write, bytes(batch))
        await run_in_threadpool(blob.finish)
    except BaseException:
        blob.abort()
        raise
    return Response(status_code=201)


@router.post(routes.UPLOAD_COMMIT, status_code=201, dependencies=[requires_for_upload()])
def commit_upload(
    upload_id: str, uploads: UploadsDep, actor: ActorDep, reader: ReadableByDep
) -> VersionOut:
    return VersionOut.from_entity(uploads.commit_upload(upload_id, actor=actor, readable_by=reader))


@router.delete(routes.UPLOAD, status_code=204, dependencies=[requires_for_upload()])
def cancel_upload(upload_id: str, uploads: UploadsDep) -> Response:
    uploads.cancel_upload(upload_id)
    return Response(status_code=204)
