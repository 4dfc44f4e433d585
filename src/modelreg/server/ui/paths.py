"""Every web-UI path, defined once, and ``Links``: the same paths filled in for templates.

The UI lives at the root of the server beside ``/api/v1``, ``/docs``, ``/openapi.json`` and
``/healthz``, which it never shadows. Links carry the ASGI ``root_path`` so the UI works behind
a proxy that mounts it under a prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, urlencode

CATALOG = "/"
MODEL = "/models/{name}"
MODEL_HISTORY = "/models/{name}/history"
MODEL_EDIT = "/models/{name}/edit"
ALIASES = "/models/{name}/aliases"
ALIAS_DELETE = "/models/{name}/aliases/{alias}/delete"
VERSION = "/models/{name}/versions/{version}"
VERSION_EDIT = "/models/{name}/versions/{version}/edit"
COMPARE = "/compare"
STATIC = "/static/{filename}"
# Governance pages and actions (server/ui/governance.py and the modules it installs).
PROMOTION_REQUEST = "/models/{name}/versions/{version}/promotions"
PROMOTIONS = "/promotions"
PROMOTION_APPROVE = "/promotions/{request_id}/approve"
PROMOTION_REJECT = "/promotions/{request_id}/reject"
VERSION_ARCHIVE = "/models/{name}/versions/{version}/archive"
VERSION_RESTORE = "/models/{name}/versions/{version}/restore"
VERSION_CARD = "/models/{name}/versions/{version}/card"
AUDIT = "/audit"
AUDIT_VERIFY = "/audit/verify"

QueryParams = Mapping[str, str | int | Sequence[str] | None]


def _query(params: QueryParams | None) -> str:
    if not params:
        return ""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None or value == "":
            continue
        if isinstance(value, str | int):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, str(item)) for item in value)
    return "?" + urlencode(pairs) if pairs else ""


class Links:
    """Paths for one request (its ``root_path`` prepended), used by templates and redirects."""

    def __init__(self, root_path: str = "", static_versions: Mapping[str, str] | None = None):
        self.root = root_path.rstrip("/")
        self.static_versions = static_versions or {}

    def catalog(self, params: QueryParams | None = None) -> str:
        return f"{self.root}/{_query(params)}"

    def model(self, name: str, params: QueryParams | None = None) -> str:
        return f"{self.root}/models/{quote(name, safe='')}{_query(params)}"

    def model_history(self, name: str, params: QueryParams | None = None) -> str:
        return f"{self.model(name)}/history{_query(params)}"

    def model_edit(self, name: str) -> str:
        return f"{self.model(name)}/edit"

    def aliases(self, name: str) -> str:
        return f"{self.model(name)}/aliases"

    def alias_delete(self, name: str, alias: str) -> str:
        return f"{self.model(name)}/aliases/{quote(alias, safe='')}/delete"

    def version(self, name: str, version: int, params: QueryParams | None = None) -> str:
        return f"{self.model(name)}/versions/{int(version)}{_query(params)}"

    def version_edit(self, name: str, version: int) -> str:
        return f"{self.version(name, version)}/edit"

    # -- governance ----------------------------------------------------------------------------

    def promotion_request(self, name: str, version: int) -> str:
        return f"{self.version(name, version)}/promotions"

    def promotions(self, params: QueryParams | None = None) -> str:
        return f"{self.root}/promotions{_query(params)}"

    def promotion_approve(self, request_id: int) -> str:
        return f"{self.root}/promotions/{int(request_id)}/approve"

    def promotion_reject(self, request_id: int) -> str:
        return f"{self.root}/promotions/{int(request_id)}/reject"

    def version_archive(self, name: str, version: int) -> str:
        return f"{self.version(name, version)}/archive"

    def version_restore(self, name: str, version: int) -> str:
        return f"{self.version(name, version)}/restore"

    def version_card(self, name: str, version: int, params: QueryParams | None = None) -> str:
        return f"{self.version(name, version)}/card{_query(params)}"

    def audit(self, params: QueryParams | None = None) -> str:
        return f"{self.root}/audit{_query(params)}"

    def compare(self, refs: Iterable[str] = (), params: QueryParams | None = None) -> str:
        return f"{self.root}/compare{_query({'v': list(refs), **(params or {})})}"

    def static(self, filename: str) -> str:
        stamp = self.static_versions.get(filename)
        return f"{self.root}/static/{quote(filename)}" + (f"?v={stamp}" if stamp else "")

    def api(self, path: str) -> str:
        return f"{self.root}{path}"
