"""Archive and restore a version from its page (``service/lifecycle.py``). Archiving is refused
while an alias points at the version; the version page then says which aliases must move."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from modelreg.domain.errors import ModelregError
from modelreg.domain.permissions import Action
from modelreg.server.access import requires
from modelreg.server.deps import ActorDep, get_services
from modelreg.server.ui import paths
from modelreg.server.ui.forms import CSRF_CHECKED, see_other
from modelreg.server.ui.rendering import UiRoute, links_for
from modelreg.server.ui.versions import version_response

router = APIRouter(route_class=UiRoute, include_in_schema=False)


@router.post(
    paths.VERSION_ARCHIVE,
    name="ui_archive_version",
    dependencies=[*CSRF_CHECKED, requires(Action.ARCHIVE)],
)
def archive_version(request: Request, name: str, version: int, actor: ActorDep) -> Response:
    services = get_services(request)
    try:
        services.lifecycle.archive_version(name, version, actor=actor)
    except ModelregError as error:
        return version_response(
            request, services.registry, name, version, refused=error, form={"action": "archive"}
        )
    return see_other(links_for(request).version(name, version, {"done": "version-archived"}))


@router.post(
    paths.VERSION_RESTORE,
    name="ui_restore_version",
    dependencies=[*CSRF_CHECKED, requires(Action.ARCHIVE)],
)
def restore_version(request: Request, name: str, version: int, actor: ActorDep) -> Response:
    services = get_services(request)
    try:
        services.lifecycle.restore_version(name, version, actor=actor)
    except ModelregError as error:
        return version_response(
            request, services.registry, name, version, refused=error, form={"action": "restore"}
        )
    return see_other(links_for(request).version(name, version, {"done": "version-restored"}))
