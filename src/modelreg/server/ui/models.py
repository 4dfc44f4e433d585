"""The model page, its history, and the model's actions: edit, set/move/remove an alias."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request, Response

from modelreg.domain.entities import ModelVersion
from modelreg.domain.errors import ModelregError
from modelreg.domain.permissions import Action
from modelreg.server.access import requires
from modelreg.server.deps import ActorDep, RegistryDep, get_services
from modelreg.server.ui import paths
from modelreg.server.ui.cards import read_card
from modelreg.server.ui.forms import (
    CSRF_CHECKED,
    FormText,
    see_other,
    tag_changes,
    tags_from_form,
    text_block,
    version_number,
)
from modelreg.server.ui.rendering import UiRoute, links_for, render, status_of
from modelreg.server.ui.versions import version_response
from modelreg.service.registry import Registry

router = APIRouter(route_class=UiRoute, include_in_schema=False)

VERSIONS_PER_PAGE = 50
EVENTS_ON_MODEL_PAGE = 15
EVENTS_PER_PAGE = 50
DEFAULT_METRIC_COLUMNS = 4
MAX_METRIC_COLUMNS = 8


@router.get(paths.MODEL, name="ui_model", dependencies=[requires(Action.READ)])
def model_page(request: Request, name: str, registry: RegistryDep, cursor: str = "") -> Response:
    return model_response(request, registry, name, cursor=cursor)


def model_response(
    request: Request,
    registry: Registry,
    name: str,
    *,
    cursor: str = "",
    refused: ModelregError | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    """The model page; after a refused action, with the reason and the submitted values."""
    model = registry.get_model(name)
    versions = registry.list_versions(name, cursor=cursor or None, limit=VERSIONS_PER_PAGE)
    events = registry.list_events(name, limit=EVENTS_ON_MODEL_PAGE)
    latest = _latest(registry, name, versions.items, model.latest_version)
    requested = [key for key in request.query_params.getlist("metric") if key]
    available, columns = _metric_columns(versions.items, requested)
    links = links_for(request)
    keep = {"metric": columns if requested else []}
    context: dict[str, Any] = {
        "model": model,
        "versions": versions.items,
        "latest": latest,
        "card": read_card(get_services(request), latest) if latest else None,
        "events": events.items,
        "more_events": events.next_cursor is not None,
        "metric_columns": columns,
        "metric_choices": available,
        "older_versions": links.model(name, {**keep, "cursor": versions.next_cursor})
        if versions.next_cursor
        else None,
        "newest_versions": links.model(name, keep) if cursor else None,
        "refused": refused.message if refused else None,
        "form": dict(form or {}),
    }
    status = status_of(refused) if refused else 200
    return render(request, "model.html", context, status=status)


def _latest(
    registry: Registry, name: str, shown: Sequence[ModelVersion], number: int | None
) -> ModelVersion | None:
    """The latest READY version, from the page when it is there (it usually is)."""
    if number is None:
        return None
    for version in shown:
        if version.version == number:
            return version
    return registry.get_version(name, number)


def _metric_columns(
    versions: Sequence[ModelVersion], requested: list[str]
) -> tuple[list[str], list[str]]:
    """The metric keys on this page (most common first) and the ones to show as columns."""
    counts = Counter(key for version in versions for key in version.metrics)
    available = sorted(counts, key=lambda key: (-counts[key], key))
    if requested:
        chosen = list(dict.fromkeys(requested))[:MAX_METRIC_COLUMNS]
        return sorted(set(available) | set(chosen)), chosen
    return sorted(available), sorted(available[:DEFAULT_METRIC_COLUMNS])


@router.get(paths.MODEL_HISTORY, name="ui_model_history", dependencies=[requires(Action.READ)])
def history_page(request: Request, name: str, registry: RegistryDep, cursor: str = "") -> Response:
    model = registry.get_model(name)
    events = registry.list_events(name, cursor=cursor or None, limit=EVENTS_PER_PAGE)
    links = links_for(request)
    context = {
        "model": model,
        "events": events.items,
        "older": links.model_history(name, {"cursor": events.next_cursor})
        if events.next_cursor
        else None,
        "newest": links.model_history(name) if cursor else None,
    }
    return render(request, "history.html", context)


# -- actions ---------------------------------------------------------------------------------


@router.post(
    paths.MODEL_EDIT, name="ui_edit_model", dependencies=[*CSRF_CHECKED, requires(Action.UPDATE)]
)
def edit_model(
    request: Request,
    name: str,
    registry: RegistryDep,
    actor: ActorDep,
    description: FormText = "",
    owner: FormText = "",
    tags: FormText = "",
) -> Response:
    form = {"description": description, "owner": owner, "tags": tags, "action": "edit"}
    try:
        current = registry.get_model(name)
        changed, removed = tag_changes(current.tags, tags_from_form(text_block(tags)))
        registry.update_model(
            name,
            actor=actor,
            description=text_block(description),
            owner=owner.strip(),
            set_tags=changed,
            delete_tags=removed,
        )
    except ModelregError as error:
        return model_response(request, registry, name, refused=error, form=form)
    return see_other(links_for(request).model(name, {"done": "model-saved"}))


@router.post(
    paths.ALIASES, name="ui_set_alias", dependencies=[*CSRF_CHECKED, requires(Action.SET_ALIAS)]
)
def set_alias(
    request: Request,
    name: str,
    registry: RegistryDep,
    actor: ActorDep,
    alias: FormText = "",
    version: FormText = "",
    from_version: FormText = "",
) -> Response:
    """Point ``alias`` at ``version``: creates the alias or moves it."""
    form = {"alias": alias, "version": version, "action": "alias"}
    try:
        registry.set_alias(name, alias.strip(), version_number(version), actor=actor)
    except ModelregError as error:
        if from_version.isdigit():
            return version_response(
                request, registry, name, int(from_version), refused=error, form=form
            )
        return model_response(request, registry, name, refused=error, form=form)
    links = links_for(request)
    if from_version.isdigit():
        return see_other(links.version(name, int(from_version), {"done": "alias-set"}))
    return see_other(links.model(name, {"done": "alias-set"}))


@router.post(
    paths.ALIAS_DELETE,
    name="ui_delete_alias",
    dependencies=[*CSRF_CHECKED, requires(Action.SET_ALIAS)],
)
def delete_alias(
    request: Request,
    name: str,
    alias: str,
    registry: RegistryDep,
    actor: ActorDep,
) -> Response:
    try:
        registry.delete_alias(name, alias, actor=actor)
    except ModelregError as error:
        return model_response(request, registry, name, refused=error)
    return see_other(links_for(request).model(name, {"done": "alias-removed"}))
