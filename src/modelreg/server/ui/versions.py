"""The version page (files, params, metrics, tags, lineage, pull commands) and its edit action."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from modelreg import routes
from modelreg.domain.entities import ModelVersion
from modelreg.domain.errors import ModelregError, PermissionDeniedError
from modelreg.domain.filters import BoolOp, Comparison, Field, OrderItem, Query
from modelreg.domain.permissions import Action
from modelreg.domain.provenance import DatasetInput
from modelreg.server.access import check, requires
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
)
from modelreg.server.ui.paths import Links
from modelreg.server.ui.query import format_query
from modelreg.server.ui.rendering import UiRoute, links_for, render, status_of
from modelreg.service.registry import Registry
from modelreg.service.stages import Stages
from modelreg.service.tracking import Tracking

router = APIRouter(route_class=UiRoute, include_in_schema=False)

MAX_CHILDREN = 20


@dataclass(frozen=True)
class PullCommand:
    label: str
    text: str


@router.get(paths.VERSION, name="ui_version", dependencies=[requires(Action.READ)])
def version_page(request: Request, name: str, version: int, registry: RegistryDep) -> Response:
    return version_response(request, registry, name, version)


def version_response(
    request: Request,
    registry: Registry,
    name: str,
    number: int,
    *,
    refused: ModelregError | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    version = registry.get_version(name, number)
    model = registry.get_model(name)
    children = registry.search_versions(_children_filter(name, number), limit=MAX_CHILDREN)
    links = links_for(request)
    context: dict[str, Any] = {
        "model": model,
        "version": version,
        "card": read_card(get_services(request), version),
        "children": children.items,
        "more_children": children.next_cursor is not None,
        "commands": pull_commands(str(request.base_url).rstrip("/"), version),
        "file_url": lambda path: links.api(
            routes.url(routes.VERSION_FILE, name=name, version=number, path=path)
        ),
        "api_url": links.api(routes.url(routes.VERSION, name=name, version=number)),
        "compare_with_previous": _compare_with_previous(links, version),
        "datasets": _datasets_of(request, registry, version),
        # What an MLflow client registered it from, and its stage: defaults for a push.
        "mlflow": Stages(registry.store).extras_of([version])[(name, number)],
        "refused": refused.message if refused else None,
        "form": dict(form or {}),
    }
    return render(request, "version.html", context, status=status_of(refused) if refused else 200)


def _datasets_of(
    request: Request, registry: Registry, version: ModelVersion
) -> dict[str, DatasetInput]:
    """The run's record of each dataset the lineage names (context, location), for a caller who
    may read tracking data; a version not registered from a run here has none."""
    if not version.lineage.run_id or not version.lineage.datasets:
        return {}
    try:
        check(request, Action.TRACK)
    except PermissionDeniedError:
        return {}
    inputs = Tracking(registry.store).run_inputs(version.lineage.run_id)
    return {item.dataset.reference: item for item in inputs}


def _children_filter(name: str, number: int) -> str:
    where = BoolOp(
        "AND",
        (
            Comparison(Field("attr", "name"), "=", name),
            Comparison(Field("attr", "parent_version"), "=", number),
        ),
    )
    return format_query(Query(where=where, order_by=(OrderItem(Field("attr", "version")),)))


def _compare_with_previous(links: Links, version: ModelVersion) -> str | None:
    previous = version.lineage.parent_version or (version.version - 1 or None)
    if previous is None:
        return None
    return links.compare([f"{version.model_name}/{previous}", version.ref])


def pull_commands(base_url: str, version: ModelVersion) -> list[PullCommand]:
    """Copy-ready ways to fetch ``version``: CLI, SDK, MLflow URI, and each alias."""
    ref = version.ref
    folder = f"{version.model_name}-{version.version}"
    commands = [
        PullCommand("CLI", f"modelreg --registry {base_url} pull {ref} {folder}"),
        PullCommand(
            "Python SDK",
            f'from modelreg import Client\n\nClient("{base_url}").pull("{ref}", "{folder}")',
        ),
        PullCommand("MLflow model URI", f"models:/{version.model_name}/{version.version}"),
    ]
    for alias in version.aliases:
        commands.append(
            PullCommand(
                f"By alias “{alias}”",
                f"modelreg --registry {base_url} pull {version.model_name}@{alias}\n"
                f"models:/{version.model_name}@{alias}",
            )
        )
    return commands


@router.post(
    paths.VERSION_EDIT,
    name="ui_edit_version",
    dependencies=[*CSRF_CHECKED, requires(Action.UPDATE)],
)
def edit_version(
    request: Request,
    name: str,
    version: int,
    registry: RegistryDep,
    actor: ActorDep,
    description: FormText = "",
    tags: FormText = "",
) -> Response:
    form = {"description": description, "tags": tags, "action": "edit"}
    try:
        current = registry.get_version(name, version)
        changed, removed = tag_changes(current.tags, tags_from_form(text_block(tags)))
        registry.update_version(
            name,
            version,
            actor=actor,
            description=text_block(description),
            set_tags=changed,
            delete_tags=removed,
        )
    except ModelregError as error:
        return version_response(request, registry, name, version, refused=error, form=form)
    return see_other(links_for(request).version(name, version, {"done": "version-saved"}))
