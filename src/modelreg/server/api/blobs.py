"""Downloads: blobs by digest, and a version's files by path. Both honour HTTP Range."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from modelreg import routes
from modelreg.domain.digests import Digest
from modelreg.domain.errors import ModelregError, NotFoundError
from modelreg.domain.permissions import Action
from modelreg.server.access import requires, requires_blob
from modelreg.server.api.direct import direct_download
from modelreg.server.api.scans import guard_download
from modelreg.server.deps import RegistryDep, UploadsDep
from modelreg.service.uploads import Uploads

router = APIRouter(tags=["blobs"])

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiableError(ModelregError):
    code = "RANGE_NOT_SATISFIABLE"


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, length) of a single-range ``Range`` header, None for the whole content."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # RFC 9110: an unparseable Range header is ignored
    first, last = match.groups()
    if first == "":
        length = min(int(last), size)
        if length == 0:
            raise RangeNotSatisfiableError(
                f"range {header!r} selects no bytes of the {size}-byte content", size=size
            )
        return size - length, length
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiableError(
            f"range {header!r} is outside the {size} bytes of the content", size=size
        )
    return start, end - start + 1


async def _blob_response(
    uploads: Uploads, digest: Digest, request: Request, *, filename: str | None = None
) -> Response:
    await guard_download(request, digest)  # quarantine, before any byte or redirect
    redirect = await direct_download(request, digest, filename=filename)  # docs/storage-s3.md
    if redirect is not None:
        return redirect
    size = await run_in_threadpool(uploads.blob_size, digest)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{digest}"',
        "X-Modelreg-Digest": str(digest),
    }
    wanted = byte_range(request.headers.get("range"), size)
    if request.method == "HEAD":
        return Response(headers={**headers, "Content-Length": str(size)})
    if wanted is None:
        body = uploads.open_blob(digest)
        headers["Content-Length"] = str(size)
        return StreamingResponse(body, media_type="application/octet-stream", headers=headers)
    start, length = wanted
    headers["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    headers["Content-Length"] = str(length)
    body = uploads.open_blob(digest, start, length)
    return StreamingResponse(
        body, status_code=206, media_type="application/octet-stream", headers=headers
    )


@router.get(routes.BLOB, dependencies=[requires_blob()])
@router.head(routes.BLOB, include_in_schema=False, dependencies=[requires_blob()])
async def get_blob(digest: str, request: Request, uploads: UploadsDep) -> Response:
    return await _blob_response(uploads, Digest.parse(digest), request)


@router.get(routes.VERSION_FILE, dependencies=[requires(Action.READ)])
@router.head(routes.VERSION_FILE, include_in_schema=False, dependencies=[requires(Action.READ)])
async def get_version_file(
    name: str, version: int, path: str, request: Request, registry: RegistryDep, uploads: UploadsDep
) -> Response:
    found = await run_in_threadpool(registry.get_version, name, version)
    entry = next((f for f in found.files if f.path == path), None)
    if entry is None:
        raise NotFoundError(f"version {found.ref} has no file {path!r}", path=path)
    filename = entry.path.rsplit("/", 1)[-1]
    return await _blob_response(uploads, entry.digest, request, filename=filename)
