"""The MLflow-compatible API: the unmodified ``mlflow`` client registers, logs, finds and loads
models against modelreg (``docs/mlflow.md``). ``router`` serves

* the Model Registry API under ``/api/2.0/mlflow/registered-models`` and ``/model-versions``;
* the tracking subset that logging a model needs (experiments, runs, logged models, metrics);
* the artifact proxy under ``/api/2.0/mlflow-artifacts/artifacts``, backed by the blob store;

with MLflow's error shape (``errors.py``). It is a front end like ``/api/v1``: every route calls
the same service layer, so a model is the same model whichever API touched it.
"""

from __future__ import annotations

from fastapi import APIRouter

from modelreg.server.mlflow import artifacts, registry, tracking, webhooks

# In the order they are matched; artifacts last: it ends with the catch-all "not found" routes.
routers = (registry.router, tracking.router, webhooks.router, artifacts.router)
# Where ``server/branches.py`` sends requests straight to these routers.
PREFIXES = ("/api/2.0/mlflow", "/api/3.0/mlflow")

# The registry's routes, which ``express.ExpressLane`` also serves without FastAPI's routing.
express = registry.express

router = APIRouter()
for _part in routers:
    router.include_router(_part)

__all__ = ["PREFIXES", "express", "router", "routers"]
