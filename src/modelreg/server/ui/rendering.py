"""Rendering pages: the template environment, the per-app UI state, safe headers, error pages.

Every UI route uses ``UiRoute``, which adds the security headers to whatever the handler
answers and turns a ``ModelregError`` into an HTML page with the status of
``server/errors.py``'s table, so a refused action always says why in words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from modelreg.domain.errors import ModelregError, NotFoundError
from modelreg.server.errors import STATUS_BY_CODE
from modelreg.server.ui import present
from modelreg.server.ui.csrf import FIELD, CsrfGuard
from modelreg.server.ui.governance_text import GOVERNANCE_DONE_MESSAGES
from modelreg.server.ui.markdown import first_line, markdown_filter
from modelreg.server.ui.paths import Links

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# No inline script or style anywhere: everything comes from /static. Inline SVG is markup.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Fixed messages for ``?done=`` after a successful action (never text from the URL).
DONE_MESSAGES = {
    "alias-set": "Alias saved.",
    "alias-removed": "Alias removed.",
    "model-saved": "Model saved.",
    "version-saved": "Version saved.",
    **GOVERNANCE_DONE_MESSAGES,
}


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html", "svg")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        markdown=markdown_filter,
        summary=first_line,
        size=present.human_size,
        number=present.number,
        iso=present.iso,
        timestamp=present.timestamp,
        ago=present.ago,
        short_digest=present.short_digest,
        event_text=present.describe_event,
        tags_text=present.tags_text,
    )
    env.tests["web_link"] = present.is_web_link
    return env


def _static_versions() -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(STATIC.iterdir())
        if path.is_file()
    }


PageHook = Callable[[Request, Mapping[str, Any]], Mapping[str, Any]]
"""Adds to a page's context what a feature's template slot needs (see ``Ui.add_page_hook``)."""


@dataclass
class Ui:
    """What the UI's routes share in one app: templates, the CSRF guard, static file stamps."""

    csrf: CsrfGuard
    env: Environment = field(default_factory=_environment)
    static_versions: dict[str, str] = field(default_factory=_static_versions)
    page_hooks: dict[str, list[PageHook]] = field(default_factory=dict)

    def add_page_hook(self, template: str, hook: PageHook) -> None:
        """Call ``hook`` whenever ``template`` renders and add what it answers to the context,
        so a feature fills its own slot in a page without the page's router knowing it."""
        self.page_hooks.setdefault(template, []).append(hook)


def get_ui(request: Request) -> Ui:
    ui: Ui = request.app.state.ui
    return ui


def links_for(request: Request) -> Links:
    return Links(request.scope.get("root_path", ""), get_ui(request).static_versions)


def render(
    request: Request, template: str, context: Mapping[str, Any], *, status: int = 200
) -> HTMLResponse:
    """The page ``template`` with ``context``; makes sure the browser holds a CSRF cookie."""
    ui = get_ui(request)
    token, fresh = ui.csrf.token_for(request)
    done = request.query_params.get("done", "")
    page = {
        "links": links_for(request),
        "csrf_field": FIELD,
        "csrf_token": token,
        "notice": DONE_MESSAGES.get(done),
        "refused": None,
        "path": request.url.path,
        # The logged-in caller (None when the registry runs open), for the session slot.
        "principal": request.scope.get("state", {}).get("principal"),
        **context,
    }
    for hook in ui.page_hooks.get(template, ()):
        page.update(hook(request, page))
    html = ui.env.get_template(template).render(page)
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-cache"})
    if fresh:
        ui.csrf.set_cookie(response, request, token)
    return response


def status_of(error: ModelregError) -> int:
    return STATUS_BY_CODE.get(error.code, 500)


def error_page(request: Request, error: ModelregError) -> HTMLResponse:
    status = status_of(error)
    titles = {400: "Invalid request", 403: "Action refused", 404: "Not found", 409: "Conflict"}
    return render(
        request,
        "error.html",
        {"title": titles.get(status, "Error"), "error": error, "status": status},
        status=status,
    )


class UiRoute(APIRoute):
    """An APIRoute whose responses carry the security headers and whose errors are pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except ModelregError as error:
                response = error_page(request, error)
            except RequestValidationError:
                # Only path parameters can fail validation here (e.g. a version that is not a
                # number): the address names nothing.
                missing = NotFoundError(f"there is no page at {request.url.path}")
                response = error_page(request, missing)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return handle
