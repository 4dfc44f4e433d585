"""The catalog at ``/``: every model, searched with the filter grammar, filtered, sorted, paged."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request, Response

from modelreg import routes
from modelreg.domain.entities import Page, RegisteredModel
from modelreg.domain.errors import InvalidArgumentError, InvalidFilterError
from modelreg.server.access import VisibilityDep
from modelreg.server.deps import RegistryDep
from modelreg.server.ui import paths
from modelreg.server.ui.query import SORTS, CatalogSearch, compile_search
from modelreg.server.ui.rendering import UiRoute, links_for, render

router = APIRouter(route_class=UiRoute, include_in_schema=False)

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
SUGGESTED_VALUE_LENGTH = 200  # as a tag chip's catalog link (templates/_macros.html)


@router.get(paths.CATALOG, name="ui_catalog")
def catalog(
    request: Request,
    registry: RegistryDep,
    readable_by: VisibilityDep,
    q: str = "",
    owner: str = "",
    tag: str = "",
    alias: str = "",
    sort: str = "",
    per: str = "",
    cursor: str = "",
    trail: str = "",
) -> Response:
    search = CatalogSearch(q, owner, tag, alias, sort if sort in SORTS else "")
    size = int(per) if per.isdigit() and int(per) in PAGE_SIZES else DEFAULT_PAGE_SIZE
    page: Page[RegisteredModel] = Page(())
    error: InvalidArgumentError | None = None
    compiled = None
    try:
        compiled = compile_search(search)
        page = registry.search_models(
            compiled.filter, cursor=cursor or None, limit=size, readable_by=readable_by
        )
    except InvalidArgumentError as refused:  # InvalidFilterError included
        error = refused
    links = links_for(request)
    state = {
        "q": search.text,
        "owner": search.owner,
        "tag": search.tag,
        "alias": search.alias,
        "sort": search.sort,
        "per": str(size) if size != DEFAULT_PAGE_SIZE else "",
    }
    visited = [item for item in trail.split(",") if item][:200]
    pager = {
        "number": len(visited) + 1,
        "first": links.catalog(state) if cursor else None,
        "previous": None,
        "next": None,
    }
    if visited:
        back = visited[-1]
        pager["previous"] = links.catalog(
            {**state, "cursor": "" if back == "-" else back, "trail": ",".join(visited[:-1])}
        )
    if page.next_cursor:
        pager["next"] = links.catalog(
            {**state, "cursor": page.next_cursor, "trail": ",".join([*visited, cursor or "-"])}
        )
    context = {
        "search": search,
        "state": state,
        "models": page.items,
        "offset": len(visited) * size,
        "pager": pager,
        "sorts": {key: label for key, (label, _order) in SORTS.items()},
        "sizes": PAGE_SIZES,
        "size": size,
        "error": error,
        "error_position": _position(error) if isinstance(error, InvalidFilterError) else None,
        "note": compiled.note if compiled else None,
        "api_filter": compiled.filter if compiled else "",
        "api_url": links.api(routes.MODELS),
        "suggestions": _suggestions(page.items),
        "filtered": any([search.text, search.owner, search.tag, search.alias]),
    }
    return render(request, "catalog.html", context, status=400 if error else 200)


def _position(error: InvalidFilterError) -> int | None:
    position = error.details.get("position")
    return position if isinstance(position, int) else None


def _suggestions(models: tuple[RegisteredModel, ...]) -> dict[str, list[str]]:
    """Values seen on this page, offered as completions for the owner, tag and alias boxes."""
    owners = Counter(model.owner for model in models if model.owner)
    aliases = Counter(alias for model in models for alias in model.aliases)
    tags = Counter(
        f"{key}={value}"
        for model in models
        for key, value in model.tags.items()
        if len(value) <= SUGGESTED_VALUE_LENGTH  # a long value is no completion to type
    )
    return {
        "owners": [owner for owner, _ in owners.most_common(30)],
        "aliases": [alias for alias, _ in aliases.most_common(30)],
        "tags": [tag for tag, _ in tags.most_common(30)],
    }
