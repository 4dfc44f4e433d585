"""MLflow's Model Registry API: ``/api/2.0/mlflow/registered-models/*`` and
``/api/2.0/mlflow/model-versions/*``, over the same registry as ``/api/v1``."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, TypeVar

from fastapi import APIRouter, Response

from modelreg.domain.errors import AliasNotFoundError
from modelreg.domain.mlflow_views import MlflowModelView, MlflowVersionView, version_view
from modelreg.domain.permissions import Action, Visibility
from modelreg.domain.rules import validate_alias_name
from modelreg.domain.tracking import version_artifact_uri
from modelreg.server.access import VisibilityDep
from modelreg.server.mlflow import wire
from modelreg.server.mlflow.access import mlflow_requires, source_access
from modelreg.server.mlflow.deps import API, MlflowActorDep, MlflowDep, MlflowServices
from modelreg.server.mlflow.errors import MlflowRoute, invalid
from modelreg.server.mlflow.express import ExpressRoutes
from modelreg.server.mlflow.filters import PROMPT_TAG, model_search, version_search
from modelreg.server.mlflow.messages import Message, MessageDep
from modelreg.server.mlflow.paging import collect, page_rows, registry_refusal
from modelreg.server.offload import read, read_rows

router = APIRouter(route_class=MlflowRoute, tags=["mlflow registry"])
express = ExpressRoutes(router)  # every route here is also served by the express lane
M = mlflow_requires  # each route names the action it needs (docs/permissions.md)
T = TypeVar("T")

MODELS = f"{API}/registered-models"
VERSIONS = f"{API}/model-versions"
MODELS_PAGE = (100, 1000)  # MLflow's default and maximum max_results
VERSIONS_PAGE = (10_000, 200_000)


# -- rendering ----------------------------------------------------------------------------------


def _versions_out(versions: Sequence[MlflowVersionView]) -> list[dict[str, Any]]:
    return [wire.model_version(v) for v in versions]


def _version_out(view: MlflowVersionView) -> Response:
    return wire.ok({"model_version": wire.model_version(view)})


def _model_out(view: MlflowModelView) -> Response:
    return wire.ok({"registered_model": wire.registered_model(view)})


def _no_prompts(tags: dict[str, str]) -> dict[str, str]:
    """MLflow's prompt registry (``mlflow.genai.register_prompt``) stores a prompt as a model
    tagged ``mlflow.prompt.is_prompt`` whose versions hold text in tags and no files. modelreg
    keeps files; refusing the tag up front leaves no empty, prompt-tagged model behind a
    registration that would fail on its source."""
    if tags.get(PROMPT_TAG, "").lower() == "true":
        raise invalid(
            "modelreg has no prompt registry: MLflow prompts (mlflow.genai.register_prompt) "
            "are not supported; keep prompt templates as files of a model version instead"
        )
    return tags


# -- registered models --------------------------------------------------------------------------


@express.post(f"{MODELS}/create", M(Action.CREATE_MODEL))
def create_registered_model(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    model = ms.registry.create_model(
        msg.required("name"),
        actor=actor,
        description=msg.text("description") or "",
        tags=_no_prompts(msg.key_values("tags")),
    )
    return _model_out(ms.reads.model_of(model))


@express.get(f"{MODELS}/get", M(Action.READ))
async def get_registered_model(msg: MessageDep, ms: MlflowDep) -> Response:
    return _model_out(await read(ms.inline_reads, ms.reads.model, msg.required("name")))


@express.post(f"{MODELS}/rename", M(Action.RENAME_MODEL))
def rename_registered_model(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    model = ms.registry.rename_model(msg.required("name"), msg.required("new_name"), actor=actor)
    return _model_out(ms.reads.model_of(model))


@express.patch(f"{MODELS}/update", M(Action.UPDATE))
def update_registered_model(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    name = msg.required("name")
    model = ms.registry.update_model(name, actor=actor, description=msg.text("description"))
    return _model_out(ms.reads.model_of(model))


@express.delete(f"{MODELS}/delete", M(Action.DELETE_MODEL))
def delete_registered_model(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    ms.registry.delete_model(msg.required("name"), actor=actor)
    return wire.ok()


@express.get(f"{MODELS}/search")
async def search_registered_models(msg: MessageDep, ms: MlflowDep, who: VisibilityDep) -> Response:
    rows = page_rows(msg, MODELS_PAGE)
    return await read_rows(rows, ms.inline_reads, lambda: _model_page(msg, ms, who))


def _model_page(msg: Message, ms: MlflowServices, who: Visibility | None) -> Response:
    query = model_search(msg.text("filter"), msg.strings("order_by"))
    models, token = collect(
        lambda cursor, size: ms.reads.search_models(
            query, cursor=cursor, limit=size, readable_by=who
        ),
        msg,
        MODELS_PAGE,
        refusal=registry_refusal,
    )
    body: dict[str, Any] = {"registered_models": [wire.registered_model(m) for m in models]}
    if token:
        body["next_page_token"] = token
    return wire.ok(body)


@express.post(f"{MODELS}/get-latest-versions", M(Action.READ))
@express.get(f"{MODELS}/get-latest-versions", M(Action.READ))
async def get_latest_versions(msg: MessageDep, ms: MlflowDep) -> Response:
    name, stages = msg.required("name"), msg.strings("stages")
    versions = await read(ms.inline_reads, ms.reads.latest_versions, name, stages)
    return wire.ok({"model_versions": _versions_out(versions)})


@express.post(f"{MODELS}/set-tag", M(Action.UPDATE))
def set_registered_model_tag(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    tag = _no_prompts({msg.required("key"): msg.text("value") or ""})
    ms.registry.update_model(msg.required("name"), actor=actor, set_tags=tag)
    return wire.ok()


@express.delete(f"{MODELS}/delete-tag", M(Action.UPDATE))
def delete_registered_model_tag(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    ms.registry.update_model(msg.required("name"), actor=actor, delete_tags=[msg.required("key")])
    return wire.ok()


@express.post(f"{MODELS}/alias", M(Action.SET_ALIAS))
def set_registered_model_alias(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    name, alias = msg.required("name"), msg.required("alias")
    ms.registry.set_alias(name, alias, msg.version(), actor=actor)
    return wire.ok()


@express.delete(f"{MODELS}/alias", M(Action.SET_ALIAS))
def delete_registered_model_alias(
    msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep
) -> Response:
    name, alias = msg.required("name"), msg.required("alias")
    ms.registry.get_model(name)
    # As in MLflow, deleting an alias that is not there is not an error.
    with contextlib.suppress(AliasNotFoundError):
        ms.registry.delete_alias(name, alias, actor=actor)
    return wire.ok()


@express.get(f"{MODELS}/alias", M(Action.READ))
async def get_model_version_by_alias(msg: MessageDep, ms: MlflowDep) -> Response:
    name, alias = msg.required("name"), msg.required("alias")
    if alias.lower() != "latest":  # "latest" is virtual: the highest version
        validate_alias_name(alias)
    try:
        return _version_out(await read(ms.inline_reads, ms.reads.version_by_alias, name, alias))
    except AliasNotFoundError as error:
        raise invalid(f"Registered model alias {alias} not found.") from error


# -- model versions -----------------------------------------------------------------------------


@express.post(f"{VERSIONS}/create", M(Action.PUSH), source_access)
def create_model_version(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    version, extras = ms.sources.register(
        msg.required("name"),
        msg.required("source"),
        actor=actor,
        run_id=msg.text("run_id") or None,
        logged_model_id=msg.text("model_id") or None,
        description=msg.text("description") or "",
        tags=msg.key_values("tags"),
        run_link=msg.text("run_link") or "",
    )
    return _version_out(version_view(version, extras))


@express.get(f"{VERSIONS}/get", M(Action.READ))
async def get_model_version(msg: MessageDep, ms: MlflowDep) -> Response:
    name, number = msg.required("name"), msg.version()
    return _version_out(await read(ms.inline_reads, ms.reads.version, name, number))


@express.patch(f"{VERSIONS}/update", M(Action.UPDATE))
def update_model_version(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    name, number = msg.required("name"), msg.version()
    description = msg.text("description")
    ms.registry.update_version(name, number, actor=actor, description=description)
    return _version_out(ms.reads.version(name, number))


@express.post(f"{VERSIONS}/transition-stage", M(Action.SET_ALIAS))
def transition_model_version_stage(
    msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep
) -> Response:
    name, number = msg.required("name"), msg.version()
    ms.stages.transition(
        name,
        number,
        msg.required("stage"),
        archive_existing=msg.flag("archive_existing_versions"),
        actor=actor,
    )
    return _version_out(ms.reads.version(name, number))


@express.delete(f"{VERSIONS}/delete", M(Action.DELETE_VERSION))
def delete_model_version(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    name = msg.required("name")
    ms.registry.delete_version(name, msg.version(), actor=actor)
    ms.stages.mark_model_updated(name)
    return wire.ok()


@express.get(f"{VERSIONS}/search")
async def search_model_versions(msg: MessageDep, ms: MlflowDep, who: VisibilityDep) -> Response:
    rows = page_rows(msg, VERSIONS_PAGE)
    return await read_rows(rows, ms.inline_reads, lambda: _version_page(msg, ms, who))


def _version_page(msg: Message, ms: MlflowServices, who: Visibility | None) -> Response:
    query = version_search(msg.text("filter"), msg.strings("order_by"))
    versions, token = collect(
        lambda cursor, size: ms.reads.search_versions(
            query, cursor=cursor, limit=size, readable_by=who
        ),
        msg,
        VERSIONS_PAGE,
        refusal=registry_refusal,
    )
    body: dict[str, Any] = {"model_versions": _versions_out(versions)}
    if token:
        body["next_page_token"] = token
    return wire.ok(body)


@express.get(f"{VERSIONS}/get-download-uri", M(Action.READ))
async def get_model_version_download_uri(msg: MessageDep, ms: MlflowDep) -> Response:
    name, number = msg.required("name"), msg.version()
    view = await read(ms.inline_reads, ms.reads.version, name, number)
    return wire.ok({"artifact_uri": version_artifact_uri(view.model_name, view.version)})


@express.post(f"{VERSIONS}/set-tag", M(Action.UPDATE))
def set_model_version_tag(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    tag = {msg.required("key"): msg.text("value") or ""}
    ms.registry.update_version(msg.required("name"), msg.version(), actor=actor, set_tags=tag)
    return wire.ok()


@express.delete(f"{VERSIONS}/delete-tag", M(Action.UPDATE))
def delete_model_version_tag(msg: MessageDep, ms: MlflowDep, actor: MlflowActorDep) -> Response:
    name, number, key = msg.required("name"), msg.version(), msg.required("key")
    ms.registry.update_version(name, number, actor=actor, delete_tags=[key])
    return wire.ok()
