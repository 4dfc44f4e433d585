"""The UI's stylesheet, script and icon, served by the app itself (the machine may be offline).

Only the files shipped in ``static/`` are served. Pages link them with ``?v=<content hash>``;
such a request may be cached for a year, since a new file gets a new hash.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from modelreg.domain.errors import NotFoundError
from modelreg.server.ui import paths
from modelreg.server.ui.rendering import STATIC, UiRoute, get_ui

router = APIRouter(route_class=UiRoute, include_in_schema=False)

MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


@router.get(paths.STATIC, name="ui_static")
def static_file(request: Request, filename: str) -> Response:
    stamp = get_ui(request).static_versions.get(filename)
    suffix = filename[filename.rfind(".") :] if "." in filename else ""
    if stamp is None or suffix not in MEDIA_TYPES:
        raise NotFoundError(f"no static file {filename!r}")
    fresh = request.query_params.get("v") == stamp
    cache = "public, max-age=31536000, immutable" if fresh else "no-cache"
    return FileResponse(
        STATIC / filename, media_type=MEDIA_TYPES[suffix], headers={"Cache-Control": cache}
    )
