"""The services behind the MLflow routes, built once per app from the registry's own services
(same metadata store, same blob store), so MLflow and native calls share every row and blob."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from modelreg.server.deps import get_actor, get_services
from modelreg.service.artifacts import Artifacts
from modelreg.service.mlflow_reads import MlflowReads
from modelreg.service.registry import Registry
from modelreg.service.sources import VersionSources
from modelreg.service.stages import Stages
from modelreg.service.tracking import Tracking
from modelreg.service.uploads import Uploads
from modelreg.wiring import Services

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"

_lock = threading.Lock()


@dataclass(frozen=True)
class MlflowServices:
    registry: Registry
    uploads: Uploads
    tracking: Tracking
    artifacts: Artifacts
    stages: Stages
    sources: VersionSources
    reads: MlflowReads  # the lean reads behind every MLflow answer
    inline_reads: bool  # small reads run on the event loop (server/offload.py)

    @classmethod
    def over(cls, services: Services) -> MlflowServices:
        # The registry's store: the one whose transactions also queue webhook deliveries.
        store = services.registry.store
        stages = Stages(store)
        return cls(
            registry=services.registry,
            uploads=services.uploads,
            tracking=Tracking(store, limits=services.uploads.limits),
            artifacts=Artifacts(store, services.blobs),
            stages=stages,
            sources=VersionSources(store, services.uploads),
            reads=MlflowReads(store),
            inline_reads=services.metadata.reads_never_wait,
        )


async def get_mlflow(request: Request) -> MlflowServices:
    """Async only to stay on the event loop: it never blocks (FastAPI runs plain ``def``
    dependencies in the thread pool, a hop per request that costs more than the lookup)."""
    state = request.app.state
    found: MlflowServices | None = getattr(state, "mlflow_services", None)
    if found is None:
        with _lock:
            found = getattr(state, "mlflow_services", None)
            if found is None:
                found = MlflowServices.over(get_services(request))
                state.mlflow_services = found
    return found


async def get_mlflow_actor(request: Request) -> str:
    return get_actor(request)  # the same rule as the native API, without a thread hop


MlflowDep = Annotated[MlflowServices, Depends(get_mlflow)]
MlflowActorDep = Annotated[str, Depends(get_mlflow_actor)]
