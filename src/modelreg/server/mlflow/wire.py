"""Entities as MLflow's REST API shows them (the JSON form of MLflow's protobuf messages).

Wire details the client depends on: ``version`` is a string, timestamps are epoch milliseconds,
a registered version is ``READY``, tags are lists of ``{key, value}``, and non-finite metric
values are the strings ``NaN``/``Infinity``/``-Infinity`` (JSON has no such numbers).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi import Response

from modelreg.domain.entities import VersionStatus
from modelreg.domain.mlflow_views import MlflowModelView, MlflowVersionView
from modelreg.domain.provenance import DatasetInput
from modelreg.domain.tracking import (
    ArtifactListing,
    Experiment,
    LoggedModel,
    Metric,
    Run,
    RunInfo,
    version_artifact_uri,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)  # built once: ms() runs twice per version answered
_STATUS = {
    VersionStatus.READY: "READY",
    VersionStatus.PENDING: "PENDING_REGISTRATION",
    VersionStatus.FAILED: "FAILED_REGISTRATION",
}


def ok(body: Mapping[str, Any] | None = None) -> Response:
    return Response(encode(body or {}), media_type="application/json")


def encode(document: Mapping[str, Any]) -> bytes:
    """JSON bytes of an answer. orjson encodes a page of 100 versions ~7x faster than
    ``json.dumps`` (0.02 against 0.15 ms), a tenth of such a search's time in the server; what
    it refuses (an integer beyond 64 bits) goes through ``json`` instead."""
    try:
        return orjson.dumps(document)
    except TypeError:
        return json.dumps(document).encode()


def ms(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return (moment - _EPOCH) // _MILLISECOND


def at_ms(value: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=value)


def from_ms(value: int | None) -> datetime | None:
    return None if value is None else at_ms(value)


def tags(mapping: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in mapping.items()]


def number(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _compact(document: dict[str, Any]) -> dict[str, Any]:
    """Without absent values and empty lists, as protobuf's JSON (so ``mlflow server``) writes a
    message; the client reads the same either way."""
    return {key: value for key, value in document.items() if value is not None and value != []}


# -- registry -----------------------------------------------------------------------------------


def model_version(view: MlflowVersionView) -> dict[str, Any]:
    """As ``mlflow server`` writes a version: no ``status_message`` when there is none (the
    client then reads None, not ""), and, as protobuf's JSON never does, no empty lists."""
    extras = view.extras
    document: dict[str, Any] = {
        "name": view.model_name,
        "version": str(view.version),
        "creation_timestamp": ms(view.created_at),
        "last_updated_timestamp": ms(view.updated_at),
        "user_id": view.created_by,
        "current_stage": extras.stage.value,
        "description": view.description,
        "source": extras.source or version_artifact_uri(view.model_name, view.version),
        "run_id": view.run_id or "",
        "status": _STATUS[view.status],
        "run_link": extras.run_link,
    }
    if view.tags:
        document["tags"] = tags(view.tags)
    if view.aliases:
        document["aliases"] = list(view.aliases)
    if extras.logged_model_id is not None:
        document["model_id"] = extras.logged_model_id
    return document


def registered_model(view: MlflowModelView) -> dict[str, Any]:
    """As ``mlflow server`` writes a model: no empty description, no empty lists (the client
    reads the same either way)."""
    document: dict[str, Any] = {
        "name": view.name,
        "creation_timestamp": ms(view.created_at),
        "last_updated_timestamp": ms(view.updated_at),
        "user_id": view.owner or "",
    }
    if view.description:
        document["description"] = view.description
    if view.latest_versions:
        document["latest_versions"] = [model_version(v) for v in view.latest_versions]
    if view.tags:
        document["tags"] = tags(view.tags)
    if view.aliases:
        document["aliases"] = [
            {"alias": alias, "version": str(version)} for alias, version in view.aliases.items()
        ]
    return document


# -- tracking -----------------------------------------------------------------------------------


def experiment(found: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": found.id,
        "name": found.name,
        "artifact_location": found.artifact_location,
        "lifecycle_stage": found.lifecycle_stage.value,
        "last_update_time": ms(found.updated_at),
        "creation_time": ms(found.created_at),
        # What mlflow server answers without workspaces (server-info says they are off); the
        # client reads None when the field is missing.
        "workspace": "default",
        **({"tags": tags(found.tags)} if found.tags else {}),
    }


def metric(value: Metric) -> dict[str, Any]:
    return _compact(
        {
            "key": value.key,
            "value": number(value.value),
            "timestamp": ms(value.timestamp),
            "step": value.step,
            "model_id": value.model_id,
            "dataset_name": value.dataset_name,
            "dataset_digest": value.dataset_digest,
        }
    )


def run_info(info: RunInfo) -> dict[str, Any]:
    return _compact(
        {
            "run_id": info.id,
            "run_uuid": info.id,
            "run_name": info.name,
            "experiment_id": info.experiment_id,
            "user_id": info.user_id,
            "status": info.status.value,
            "start_time": ms(info.start_time),
            "end_time": ms(info.end_time),
            "artifact_uri": info.artifact_uri,
            "lifecycle_stage": info.lifecycle_stage.value,
        }
    )


def run(found: Run) -> dict[str, Any]:
    return {
        "info": run_info(found.info),
        "data": _compact(
            {
                "metrics": [metric(m) for m in found.metrics],
                "params": tags(found.params),
                "tags": tags(found.tags),
            }
        ),
        "inputs": _compact(
            {
                "dataset_inputs": [dataset_input(item) for item in found.inputs],
                "model_inputs": [{"model_id": item.model_id} for item in found.model_inputs],
            }
        ),
        "outputs": _compact(
            {"model_outputs": [{"model_id": o.model_id, "step": o.step} for o in found.outputs]}
        ),
    }


def dataset_input(found: DatasetInput) -> dict[str, Any]:
    data = found.dataset
    return {
        **({"tags": tags(found.tags)} if found.tags else {}),
        "dataset": _compact(
            {
                "name": data.name,
                "digest": data.digest,
                "source_type": data.source_type,
                "source": data.source,
                "schema": data.schema,
                "profile": data.profile,
            }
        ),
    }


def logged_model(found: LoggedModel) -> dict[str, Any]:
    return {
        "info": _compact(
            {
                "model_id": found.id,
                "experiment_id": found.experiment_id,
                "name": found.name,
                "creation_timestamp_ms": ms(found.created_at),
                "last_updated_timestamp_ms": ms(found.updated_at),
                "artifact_uri": found.artifact_uri,
                "status": found.status.value,
                "status_message": found.status_message or None,
                "model_type": found.model_type,
                "source_run_id": found.source_run_id,
                "tags": tags(found.tags),
            }
        ),
        "data": _compact(
            {"params": tags(found.params), "metrics": [metric(m) for m in found.metrics]}
        ),
    }


def file_info(listing: ArtifactListing) -> dict[str, Any]:
    return _compact({"path": listing.name, "is_dir": listing.is_dir, "file_size": listing.size})
