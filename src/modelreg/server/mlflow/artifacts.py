"""MLflow's artifact proxy (``/api/2.0/mlflow-artifacts/artifacts``): list, upload, download and
delete artifacts, stored in modelreg's content-addressed blob store; plus ``server-info``, which
tells the client to use plain (not multipart) transfers, the refusal of multipart uploads that
makes a client which asks anyway fall back to them, and the catch-all answers for MLflow
endpoints modelreg does not serve."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from itertools import islice
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from modelreg.domain.tracking import REGISTRY_ARTIFACT_ROOT, artifact_path_of
from modelreg.server.access import readable
from modelreg.server.api.blobs import RangeNotSatisfiableError, byte_range
from modelreg.server.api.scans import guard
from modelreg.server.mlflow import wire
from modelreg.server.mlflow.access import artifact_access, tracking_access
from modelreg.server.mlflow.deps import API, ARTIFACTS_API, MlflowDep
from modelreg.server.mlflow.errors import MlflowError, MlflowRoute
from modelreg.server.mlflow.messages import MessageDep

router = APIRouter(route_class=MlflowRoute, tags=["mlflow artifacts"])
ARTIFACT_ACCESS = Depends(artifact_access)

# Request bodies arrive in pieces of 64-256 KiB. They are handed to a worker thread in batches of
# about this size, which writes and hashes them piece by piece (while each is still in the CPU's
# cache; copying them into bigger buffers first cost twice the CPU) as the next batch arrives.
# An upload holds two batches at most, whatever the file's size.
WRITE_BATCH = 2 * 1024 * 1024
# A download takes this many chunks of the blob store (1 MiB each from a local folder) per trip to
# a worker thread, and reads the next batch while this one is sent: a thread hop costs more than
# reading a chunk from the page cache, and the socket never waits for the disk. It holds two
# batches at most (besides what the socket buffers).
READ_BATCH = 2


@router.get(ARTIFACTS_API, dependencies=[ARTIFACT_ACCESS])
def list_artifacts(request: Request, msg: MessageDep, ms: MlflowDep) -> Response:
    folder = msg.text("path") or ""
    children = ms.artifacts.list_folder(folder)
    if folder.strip("/") == REGISTRY_ARTIFACT_ROOT:  # one folder per model: readable ones only
        shown = readable(request, [child.name for child in children])
        children = [child for child in children if child.name in shown]
    return wire.ok({"files": [wire.file_info(child) for child in children]} if children else {})


@router.get(f"{ARTIFACTS_API}/{{path:path}}", dependencies=[ARTIFACT_ACCESS])
def download_artifact(path: str, request: Request, ms: MlflowDep) -> Response:
    """The file, or the single byte range a ``Range`` header asks for (as ``mlflow server``
    answers it)."""
    stored = ms.artifacts.stat(path)
    # Quarantined files stay behind, as on /api/v1 (docs/scanning.md).
    guard(request, stored.digest, via="mlflow")
    headers = {"Accept-Ranges": "bytes", "X-Modelreg-Digest": str(stored.digest)}
    try:
        wanted = byte_range(request.headers.get("range"), stored.size)
    except RangeNotSatisfiableError:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{stored.size}"})
    if wanted is None:
        headers["Content-Length"] = str(stored.size)
        body = _read_ahead(ms.artifacts.open(stored))
        return StreamingResponse(body, media_type="application/octet-stream", headers=headers)
    start, length = wanted
    headers["Content-Range"] = f"bytes {start}-{start + length - 1}/{stored.size}"
    headers["Content-Length"] = str(length)
    body = _read_ahead(ms.artifacts.open(stored, start, length))
    return StreamingResponse(
        body, status_code=206, media_type="application/octet-stream", headers=headers
    )


@router.put(f"{ARTIFACTS_API}/{{path:path}}", dependencies=[ARTIFACT_ACCESS])
async def upload_artifact(path: str, request: Request, ms: MlflowDep) -> Response:
    """Stream the body into the blob store, hashing as it goes; the path points at the blob
    only once it is stored."""
    upload = await run_in_threadpool(ms.artifacts.begin_upload, path)
    try:
        await _store_body(request, upload.write)
        await run_in_threadpool(upload.finish)
    except BaseException:
        upload.abort()  # waits for a write still running in the worker thread
        raise
    return wire.ok()


async def _store_body(request: Request, write: Callable[[bytes], None]) -> None:
    """Pass the body's pieces to ``write``, in order, in a worker thread while the next ones
    arrive; one batch is written at a time."""
    loop = asyncio.get_running_loop()
    batch: list[bytes] = []
    size = 0
    writing: asyncio.Future[None] | None = None
    try:
        async for chunk in request.stream():
            if chunk:
                batch.append(chunk)
                size += len(chunk)
            if size >= WRITE_BATCH:
                if writing is not None:
                    await writing
                writing = loop.run_in_executor(None, _write_all, write, batch)
                batch, size = [], 0
        if writing is not None:
            await writing
            writing = None
        if batch:
            await loop.run_in_executor(None, _write_all, write, batch)
    except BaseException:
        if writing is not None and not writing.cancel():
            writing.add_done_callback(_consume)  # its error, if any, is not the one to report
        raise


def _write_all(write: Callable[[bytes], None], pieces: list[bytes]) -> None:
    for piece in pieces:
        write(piece)


async def _read_ahead(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    reading = loop.run_in_executor(None, _take, chunks)
    try:
        while batch := await reading:
            reading = loop.run_in_executor(None, _take, chunks)
            for chunk in batch:
                yield chunk
    finally:
        # A read still running keeps ``chunks`` until it returns; it is closed when dropped.
        if not reading.cancel():  # done: nothing reads ``chunks`` any more
            reading.add_done_callback(_consume)
            close = getattr(chunks, "close", None)
            if close is not None:
                close()


def _take(chunks: Iterator[bytes]) -> list[bytes]:
    return list(islice(chunks, READ_BATCH))


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


@router.delete(f"{ARTIFACTS_API}/{{path:path}}", dependencies=[ARTIFACT_ACCESS])
def delete_artifact(path: str, ms: MlflowDep) -> Response:
    ms.artifacts.delete(path)
    return wire.ok()


@router.get(f"{API}/artifacts/list", dependencies=[Depends(tracking_access)])
def list_run_artifacts(msg: MessageDep, ms: MlflowDep) -> Response:
    """The tracking API's listing of a run's artifacts (paths relative to the run's root)."""
    run = ms.tracking.get_run(msg.text("run_id") or msg.text("run_uuid") or "")
    root = artifact_path_of(run.info.artifact_uri)
    inner = (msg.text("path") or "").strip("/")
    children = ms.artifacts.list_folder(f"{root}/{inner}" if inner else root)
    files: list[dict[str, Any]] = []
    for child in children:
        entry = wire.file_info(child)
        entry["path"] = f"{inner}/{child.name}" if inner else child.name
        files.append(entry)
    return wire.ok({"root_uri": run.info.artifact_uri, **({"files": files} if files else {})})


@router.get("/api/3.0/mlflow/server-info")
def server_info() -> Response:
    return wire.ok(
        {
            "store_type": "SqlStore",
            "workspaces_enabled": False,
            "multipart_uploads_enabled": False,
            "multipart_downloads_enabled": False,
        }
    )


# MLflow's own words for "this artifact store has no multipart uploads": the client compares the
# message (not the code) and, on a match, falls back to one streamed PUT.
NO_MULTIPART = "Multipart upload is not supported for the current artifact repository"


def multipart_not_supported(path: str) -> Response:
    """``mpu/create``, ``complete`` and ``abort``. A client with
    ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true`` asks for a multipart upload whatever
    ``server-info`` says; refused in MLflow's words, it streams the file whole instead, as it
    does against ``mlflow server`` on a local artifact store. (Answered with 400, not MLflow's
    501: a refusal that will not change is never a 5xx here.)"""
    raise MlflowError("NOT_IMPLEMENTED", f"{NO_MULTIPART} (modelreg stores each file whole)")


for _step in ("create", "complete", "abort"):
    router.add_api_route(
        f"/api/2.0/mlflow-artifacts/mpu/{_step}/{{path:path}}",
        multipart_not_supported,
        methods=["POST"],
        include_in_schema=False,
    )


def endpoint_not_found(request: Request) -> Response:
    """Any other MLflow endpoint: ``ENDPOINT_NOT_FOUND``, which the client treats as "not
    supported by this server" (it falls back, or reports it), never as a reason to retry."""
    raise MlflowError("ENDPOINT_NOT_FOUND", f"modelreg does not serve {request.url.path}")


for _prefix in (API, "/api/2.0/mlflow-artifacts", "/api/3.0/mlflow"):
    router.add_api_route(
        f"{_prefix}/{{rest:path}}",
        endpoint_not_found,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
