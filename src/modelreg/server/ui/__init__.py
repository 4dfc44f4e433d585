"""The web UI: server-rendered pages (Jinja2) over the same ``Registry`` calls as the API.

``install(app)`` adds the pages at ``/`` (catalog), ``/models/{name}`` (model, history,
versions), ``/compare`` and ``/static/...`` to an app built by ``create_app``; see
``docs/ui.md`` for the pages, the actions and the CSRF design.

Governance (promotions, archive / restore, model cards, the audit log) lives in
``governance.py`` and the modules it installs; its templates under ``templates/governance/``
fill the ``{% include ... ignore missing %}`` slots marked ``GOVERNANCE`` in the page
templates, with data added by page hooks (``Ui.add_page_hook``). The CSRF key is the setting
``ui_secret`` (``MODELREG_UI_SECRET``).
"""

from __future__ import annotations

import ipaddress
import logging

from fastapi import FastAPI

from modelreg.server.ui import (
    catalog,
    compare,
    governance,
    models,
    scan_panel,
    signature_panel,
    static,
    versions,
)
from modelreg.server.ui.csrf import CsrfGuard
from modelreg.server.ui.rendering import Ui
from modelreg.settings import Settings

log = logging.getLogger(__name__)


def install(app: FastAPI, settings: Settings | None = None) -> None:
    """Serve the UI from ``app``: its state, then its routers."""
    settings = settings or Settings()
    if settings.ui_secret is None and not _is_loopback(settings.host):
        # Only then can a second process (behind a load balancer) be serving the same users.
        log.warning(
            "MODELREG_UI_SECRET is not set: the web UI signs its form tokens with a random key "
            "of this process; servers behind one load balancer must share MODELREG_UI_SECRET"
        )
    app.state.ui = Ui(csrf=CsrfGuard(settings.ui_secret))
    for module in (catalog, models, versions, compare, static):
        app.include_router(module.router)
    governance.install(app)
    scan_panel.install(app)  # the scan verdict on the version page, docs/scanning.md
    signature_panel.install(app)  # its signatures and their state, docs/signing.md


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
