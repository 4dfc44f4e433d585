"""The web UI: server-rendered pages (Jinja2) over the same ``Registry`` calls as the API.

``install(app)`` adds the pages at ``/`` (catalog), ``/models/{name}`` (model, history,
versions), ``/compare`` and ``/static/...`` to an app built by ``create_app``; see
``docs/ui.md`` for the pages, the actions and the CSRF design.

GOVERNANCE: promotion requests, the audit log, archiving and scan verdicts are added by the
governance work, not here. Its templates go under ``templates/governance/`` and are picked up by
the ``{% include ... ignore missing %}`` slots marked ``GOVERNANCE`` in the page templates; its
routes go in their own router module beside these, using ``UiRoute``, ``render`` and
``CSRF_CHECKED`` so they get the same headers, error pages and form protection.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from modelreg.server.ui import catalog, compare, models, static, versions
from modelreg.server.ui.csrf import CsrfGuard
from modelreg.server.ui.rendering import Ui

CSRF_KEY_ENV = "MODELREG_UI_SECRET"


def install(app: FastAPI) -> None:
    """Serve the UI from ``app``: its state, then its routers."""
    app.state.ui = Ui(csrf=CsrfGuard(os.environ.get(CSRF_KEY_ENV)))
    for module in (catalog, models, versions, compare, static):
        app.include_router(module.router)
