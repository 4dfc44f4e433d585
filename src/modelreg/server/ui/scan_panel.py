"""The scan verdict of a version on its page (``governance/_scan_status.html``), through a page
hook, so ``versions.py`` knows nothing of scanning (docs/scanning.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request

from modelreg import routes
from modelreg.domain.entities import ModelVersion
from modelreg.server.deps import get_services
from modelreg.server.ui.rendering import Ui, links_for


def version_context(request: Request, page: Mapping[str, Any]) -> dict[str, Any]:
    version: ModelVersion = page["version"]
    scan = get_services(request).scans.version_scan(version.ref)
    path = routes.url(routes.VERSION_SCAN, name=version.model_name, version=version.version)
    return {"scan": scan, "scan_api_url": links_for(request).api(path)}


def install(app: FastAPI) -> None:
    ui: Ui = app.state.ui
    ui.add_page_hook("version.html", version_context)
