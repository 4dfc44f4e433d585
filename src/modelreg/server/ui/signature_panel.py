"""The signatures of a version on its page (``governance/_signature_status.html``), through a
page hook, so ``versions.py`` knows nothing of signing (docs/signing.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request

from modelreg.domain.entities import ModelVersion
from modelreg.server.deps import get_services
from modelreg.server.ui.rendering import Ui


def version_context(request: Request, page: Mapping[str, Any]) -> dict[str, Any]:
    version: ModelVersion = page["version"]
    found = get_services(request).signatures.signature_status(version.model_name, version.version)
    return {"signatures": [{"signature": sig, "state": state} for sig, state in found]}


def install(app: FastAPI) -> None:
    ui: Ui = app.state.ui
    ui.add_page_hook("version.html", version_context)
