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

router = APIRouter()
router.include_router(registry.router)
router.include_router(tracking.router)
router.include_router(webhooks.router)
router.include_router(artifacts.router)  # last: it ends with the catch-all "not found" routes

__all__ = ["router"]
