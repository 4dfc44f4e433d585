"""The part of MLflow's tracking API that logging and registering a model needs: experiments,
runs (params, metrics, tags, outputs) and MLflow 3 logged models."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from modelreg.domain.provenance import Dataset, DatasetInput, ModelInput
from modelreg.domain.tracking import (
    LifecycleStage,
    LoggedModelStatus,
    Metric,
    ModelOutput,
    RunStatus,
)
from modelreg.server.deps import get_principal
from modelreg.server.mlflow import wire
from modelreg.server.mlflow.access import tracking_access
from modelreg.server.mlflow.deps import API, MlflowDep
from modelreg.server.mlflow.errors import MlflowRoute, invalid
from modelreg.server.mlflow.messages import Message, MessageDep
from modelreg.server.mlflow.paging import collect
from modelreg.server.mlflow.tracking_filters import (
    experiment_search,
    logged_model_search,
    run_search,
)

# Experiments and runs: read or write scope (server/mlflow/access.py).
router = APIRouter(
    route_class=MlflowRoute, tags=["mlflow tracking"], dependencies=[Depends(tracking_access)]
)

EXPERIMENTS = f"{API}/experiments"
RUNS = f"{API}/runs"
LOGGED_MODELS = f"{API}/logged-models"
LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"
# MLflow's default and maximum max_results of experiment and run searches; the fluent
# mlflow.search_runs() asks for pages of 10,000.
SEARCH_LIMITS = (1000, 50_000)


def _run_id(msg: Message) -> str:
    return msg.text("run_id") or msg.required("run_uuid")


def _page(msg: Message, default: int) -> int:
    size = msg.integer("max_results", default) or default
    if not 1 <= size <= 1000:
        raise invalid(f"max_results must be between 1 and 1000, got {size}")
    return size


def _enum_value(kind: type[Any], text: str | None, field: str) -> Any:
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError:
        raise invalid(f"Invalid value {text!r} for parameter '{field}'") from None


# -- experiments --------------------------------------------------------------------------------


@router.post(f"{EXPERIMENTS}/create")
def create_experiment(msg: MessageDep, ms: MlflowDep) -> Response:
    found = ms.tracking.create_experiment(
        msg.required("name"),
        artifact_location=msg.text("artifact_location") or None,
        tags=msg.key_values("tags"),
    )
    return wire.ok({"experiment_id": found.id})


@router.get(f"{EXPERIMENTS}/get")
def get_experiment(msg: MessageDep, ms: MlflowDep) -> Response:
    found = ms.tracking.get_experiment(msg.required("experiment_id"))
    return wire.ok({"experiment": wire.experiment(found)})


@router.get(f"{EXPERIMENTS}/get-by-name")
def get_experiment_by_name(msg: MessageDep, ms: MlflowDep) -> Response:
    found = ms.tracking.get_experiment_by_name(msg.required("experiment_name"))
    return wire.ok({"experiment": wire.experiment(found)})


@router.post(f"{EXPERIMENTS}/search")
@router.get(f"{EXPERIMENTS}/search")
def search_experiments(msg: MessageDep, ms: MlflowDep) -> Response:
    query = experiment_search(msg.text("filter"), msg.strings("order_by"))
    view = msg.text("view_type")
    found, token = collect(
        lambda cursor, size: ms.tracking.search_experiments(
            view=view, query=query, cursor=cursor, limit=size
        ),
        msg,
        SEARCH_LIMITS,
    )
    body: dict[str, Any] = {"experiments": [wire.experiment(e) for e in found]}
    if token:
        body["next_page_token"] = token
    return wire.ok(body)


@router.post(f"{EXPERIMENTS}/update")
def update_experiment(msg: MessageDep, ms: MlflowDep) -> Response:
    ms.tracking.update_experiment(msg.required("experiment_id"), name=msg.text("new_name") or None)
    return wire.ok()


@router.post(f"{EXPERIMENTS}/delete")
def delete_experiment(msg: MessageDep, ms: MlflowDep) -> Response:
    experiment_id = msg.required("experiment_id")
    ms.tracking.update_experiment(experiment_id, lifecycle_stage=LifecycleStage.DELETED)
    return wire.ok()


@router.post(f"{EXPERIMENTS}/restore")
def restore_experiment(msg: MessageDep, ms: MlflowDep) -> Response:
    experiment_id = msg.required("experiment_id")
    ms.tracking.update_experiment(experiment_id, lifecycle_stage=LifecycleStage.ACTIVE)
    return wire.ok()


@router.post(f"{EXPERIMENTS}/set-experiment-tag")
def set_experiment_tag(msg: MessageDep, ms: MlflowDep) -> Response:
    tag = {msg.required("key"): msg.text("value") or ""}
    ms.tracking.update_experiment(msg.required("experiment_id"), set_tags=tag)
    return wire.ok()


@router.post(f"{EXPERIMENTS}/delete-experiment-tag")
def delete_experiment_tag(msg: MessageDep, ms: MlflowDep) -> Response:
    key = msg.required("key")
    ms.tracking.update_experiment(msg.required("experiment_id"), delete_tags=[key])
    return wire.ok()


# -- runs ---------------------------------------------------------------------------------------


@router.post(f"{RUNS}/create")
def create_run(msg: MessageDep, ms: MlflowDep) -> Response:
    found = ms.tracking.create_run(
        msg.text("experiment_id") or "0",
        user_id=msg.text("user_id") or "",
        name=msg.text("run_name") or None,
        start_time=wire.from_ms(msg.integer("start_time")),
        tags=msg.key_values("tags"),
    )
    # A new run has no outputs yet; mlflow server's answer leaves the field out (a read of the
    # run has it, empty), and the client then reads None.
    return wire.ok({"run": {k: v for k, v in wire.run(found).items() if k != "outputs" or v}})


@router.get(f"{RUNS}/get")
def get_run(msg: MessageDep, ms: MlflowDep) -> Response:
    return wire.ok({"run": wire.run(ms.tracking.get_run(_run_id(msg)))})


@router.post(f"{RUNS}/update")
def update_run(msg: MessageDep, ms: MlflowDep, request: Request) -> Response:
    info = ms.tracking.update_run(
        _run_id(msg),
        status=_enum_value(RunStatus, msg.text("status"), "status"),
        end_time=wire.from_ms(msg.integer("end_time")),
        name=msg.text("run_name") or None,
        by=get_principal(request),
    )
    return wire.ok({"run_info": wire.run_info(info)})


@router.post(f"{RUNS}/delete")
def delete_run(msg: MessageDep, ms: MlflowDep) -> Response:
    ms.tracking.update_run(_run_id(msg), lifecycle_stage=LifecycleStage.DELETED)
    return wire.ok()


@router.post(f"{RUNS}/restore")
def restore_run(msg: MessageDep, ms: MlflowDep) -> Response:
    ms.tracking.update_run(_run_id(msg), lifecycle_stage=LifecycleStage.ACTIVE)
    return wire.ok()


def _metric(item: Message) -> Metric:
    return Metric(
        key=item.required("key"),
        value=item.number("value"),
        timestamp=wire.at_ms(item.integer("timestamp") or 0),
        step=item.integer("step", 0) or 0,
        model_id=item.text("model_id") or None,
        dataset_name=item.text("dataset_name") or None,
        dataset_digest=item.text("dataset_digest") or None,
    )


@router.post(f"{RUNS}/log-metric")
def log_metric(msg: MessageDep, ms: MlflowDep) -> Response:
    ms.tracking.log_batch(_run_id(msg), metrics=[_metric(msg)])
    return wire.ok()


@router.post(f"{RUNS}/log-parameter")
def log_param(msg: MessageDep, ms: MlflowDep) -> Response:
    param = {msg.required("key"): msg.text("value") or ""}
    ms.tracking.log_batch(_run_id(msg), params=param)
    return wire.ok()


@router.post(f"{RUNS}/set-tag")
def set_tag(msg: MessageDep, ms: MlflowDep) -> Response:
    ms.tracking.log_batch(_run_id(msg), tags={msg.required("key"): msg.text("value") or ""})
    return wire.ok()


@router.post(f"{RUNS}/delete-tag")
def delete_tag(msg: MessageDep, ms: MlflowDep) -> Response:
    ms.tracking.delete_run_tag(_run_id(msg), msg.required("key"))
    return wire.ok()


@router.post(f"{RUNS}/log-batch")
def log_batch(msg: MessageDep, ms: MlflowDep) -> Response:
    ms.tracking.log_batch(
        _run_id(msg),
        metrics=[_metric(Message(item)) for item in msg.objects("metrics")],
        params=msg.key_values("params"),
        tags=msg.key_values("tags"),
    )
    return wire.ok()


@router.post(f"{RUNS}/log-model")
def log_model(msg: MessageDep, ms: MlflowDep) -> Response:
    """MLflow 2 records each logged model's MLmodel document in a run tag."""
    run_id = _run_id(msg)
    try:
        model = json.loads(msg.required("model_json"))
    except ValueError:
        raise invalid("model_json must be a JSON document") from None
    history = ms.tracking.get_run(run_id).tags.get(LOG_MODEL_HISTORY_TAG, "[]")
    tag = json.dumps([*json.loads(history), model])
    ms.tracking.log_batch(run_id, tags={LOG_MODEL_HISTORY_TAG: tag})
    return wire.ok()


@router.post(f"{RUNS}/log-inputs")
def log_inputs(msg: MessageDep, ms: MlflowDep) -> Response:
    datasets = [_dataset_input(Message(item)) for item in msg.objects("datasets")]
    models = [ModelInput(Message(item).required("model_id")) for item in msg.objects("models")]
    ms.tracking.log_inputs(_run_id(msg), datasets, models)
    return wire.ok()


def _dataset_input(item: Message) -> DatasetInput:
    found = item.data.get("dataset")
    if not isinstance(found, dict):
        raise invalid("Each entry of 'datasets' needs a 'dataset' object.")
    dataset = Message(found)
    return DatasetInput(
        Dataset(
            name=dataset.required("name"),
            digest=dataset.required("digest"),
            source_type=dataset.required("source_type"),
            source=dataset.required("source"),
            schema=dataset.text("schema") or None,
            profile=dataset.text("profile") or None,
        ),
        tags=item.key_values("tags"),
    )


@router.post(f"{RUNS}/outputs")
def log_outputs(msg: MessageDep, ms: MlflowDep) -> Response:
    outputs = [
        ModelOutput(Message(item).required("model_id"), Message(item).integer("step", 0) or 0)
        for item in msg.objects("models")
    ]
    ms.tracking.log_outputs(_run_id(msg), outputs)
    return wire.ok()


@router.post(f"{RUNS}/search")
def search_runs(msg: MessageDep, ms: MlflowDep) -> Response:
    query = run_search(msg.text("filter"), msg.strings("order_by"))
    experiment_ids, view = msg.strings("experiment_ids"), msg.text("run_view_type")
    found, token = collect(
        lambda cursor, size: ms.tracking.search_runs(
            experiment_ids, view=view, query=query, cursor=cursor, limit=size
        ),
        msg,
        SEARCH_LIMITS,
    )
    body: dict[str, Any] = {"runs": [wire.run(r) for r in found]}
    if token:
        body["next_page_token"] = token
    return wire.ok(body)


@router.get(f"{API}/metrics/get-history")
def get_metric_history(msg: MessageDep, ms: MlflowDep) -> Response:
    history = ms.tracking.metric_history(_run_id(msg), msg.required("metric_key"))
    return wire.ok({"metrics": [wire.metric(m) for m in history]})


# -- logged models (MLflow 3) -------------------------------------------------------------------


@router.post(LOGGED_MODELS)
def create_logged_model(msg: MessageDep, ms: MlflowDep) -> Response:
    found = ms.tracking.create_logged_model(
        msg.required("experiment_id"),
        name=msg.text("name") or None,
        model_type=msg.text("model_type") or "",
        source_run_id=msg.text("source_run_id") or None,
        params=msg.key_values("params"),
        tags=msg.key_values("tags"),
    )
    return wire.ok({"model": wire.logged_model(found)})


@router.post(f"{LOGGED_MODELS}/search")
def search_logged_models(msg: MessageDep, ms: MlflowDep) -> Response:
    query = logged_model_search(
        msg.text("filter"), msg.objects("order_by"), msg.objects("datasets")
    )
    page = ms.tracking.search_logged_models(
        msg.strings("experiment_ids"),
        query,
        cursor=msg.text("page_token") or None,
        limit=_page(msg, 100),
    )
    body: dict[str, Any] = {"models": [wire.logged_model(m) for m in page.items]}
    if page.next_cursor:
        body["next_page_token"] = page.next_cursor
    return wire.ok(body)


@router.get(f"{LOGGED_MODELS}/{{model_id}}")
def get_logged_model(model_id: str, ms: MlflowDep) -> Response:
    return wire.ok({"model": wire.logged_model(ms.tracking.get_logged_model(model_id))})


@router.patch(f"{LOGGED_MODELS}/{{model_id}}")
def finalize_logged_model(model_id: str, msg: MessageDep, ms: MlflowDep) -> Response:
    status = _enum_value(LoggedModelStatus, msg.required("status"), "status")
    found = ms.tracking.update_logged_model(model_id, status=status)
    return wire.ok({"model": wire.logged_model(found)})


@router.delete(f"{LOGGED_MODELS}/{{model_id}}")
def delete_logged_model(model_id: str, ms: MlflowDep) -> Response:
    ms.tracking.update_logged_model(model_id, delete=True)
    return wire.ok()


@router.patch(f"{LOGGED_MODELS}/{{model_id}}/tags")
def set_logged_model_tags(model_id: str, msg: MessageDep, ms: MlflowDep) -> Response:
    found = ms.tracking.update_logged_model(model_id, set_tags=msg.key_values("tags"))
    return wire.ok({"model": wire.logged_model(found)})


@router.delete(f"{LOGGED_MODELS}/{{model_id}}/tags/{{tag_key:path}}")
def delete_logged_model_tag(model_id: str, tag_key: str, ms: MlflowDep) -> Response:
    ms.tracking.update_logged_model(model_id, delete_tags=[tag_key])
    return wire.ok()


@router.post(f"{LOGGED_MODELS}/{{model_id}}/params")
def log_logged_model_params(model_id: str, msg: MessageDep, ms: MlflowDep) -> Response:
    ms.tracking.update_logged_model(model_id, params=msg.key_values("params"))
    return wire.ok()
