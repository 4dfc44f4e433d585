"""MLflow's artifact proxy (``/api/2.0/mlflow-artifacts/artifacts``): list, upload, download and
delete artifacts, stored in modelreg's content-addressed blob store; plus ``server-info``, which
tells the client to use plain (not multipart) transfers, and the catch-all answers for MLflow
endpoints modelreg does not serve."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from modelreg.domain.tracking import REGISTRY_ARTIFACT_ROOT, artifact_path_of
from modelreg.server.access import readable
from modelreg.server.api.scans import guard
from modelreg.server.mlflow import wire
from modelreg.server.mlflow.access import artifact_access, tracking_access
from modelreg.server.mlflow.deps import API, ARTIFACTS_API, MlflowDep
from modelreg.server.mlflow.errors import MlflowError, MlflowRoute
from modelreg.server.mlflow.messages import MessageDep

router = APIRouter(route_class=MlflowRoute, tags=["mlflow artifacts"])
ARTIFACT_ACCESS = Depends(artifact_access)

# Request bodies arrive in small pieces; hashing and writing them in larger batches off the event
# loop keeps the loop free, while memory stays bounded by this size.
WRITE_BATCH = 4 * 1024 * 1024


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
    stored = ms.artifacts.stat(path)
    # Quarantined files stay behind, as on /api/v1 (docs/scanning.md).
    guard(request, stored.digest, via="mlflow")
    return StreamingResponse(
        ms.artifacts.open(stored),
        media_type="application/octet-stream",
        headers={"Content-Length": str(stored.size), "X-Modelreg-Digest": str(stored.digest)},
    )


@router.put(f"{ARTIFACTS_API}/{{path:path}}", dependencies=[ARTIFACT_ACCESS])
async def upload_artifact(path: str, request: Request, ms: MlflowDep) -> Response:
    """Stream the body into the blob store, hashing as it goes; the path points at the blob
    only once it is stored."""
    upload = await run_in_threadpool(ms.artifacts.begin_upload, path)
    try:
        batch = bytearray()
        async for chunk in request.stream():
            batch += chunk
            if len(batch) >= WRITE_BATCH:
                await run_in_threadpool(upload.write, bytes(batch))
                batch.clear()
        if batch:
            await run_in_threadpool(upload.write, bytes(batch))
        await run_in_threadpool(upload.finish)
    except BaseException:
        upload.abort()
        raise
    return wire.ok()


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
    return wire.ok({"root_uri": run.info.artifact_uri, "files": files})


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
