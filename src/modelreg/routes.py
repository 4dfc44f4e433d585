"""Every HTTP route path, defined once and used by both the server and the SDK."""

from __future__ import annotations

from urllib.parse import quote

API = "/api/v1"
HEALTH = "/healthz"
INFO = f"{API}/info"
MODELS = f"{API}/models"
MODEL = f"{API}/models/{{name}}"
VERSIONS = f"{API}/models/{{name}}/versions"
VERSION = f"{API}/models/{{name}}/versions/{{version}}"
VERSION_FILE = f"{API}/models/{{name}}/versions/{{version}}/files/{{path:path}}"
ALIAS = f"{API}/models/{{name}}/aliases/{{alias}}"
EVENTS = f"{API}/models/{{name}}/events"
UPLOADS = f"{API}/models/{{name}}/uploads"
UPLOAD = f"{API}/uploads/{{upload_id}}"
UPLOAD_BLOB = f"{API}/uploads/{{upload_id}}/blobs/{{digest}}"
UPLOAD_COMMIT = f"{API}/uploads/{{upload_id}}/commit"
BLOB = f"{API}/blobs/{{digest}}"
SEARCH_VERSIONS = f"{API}/versions"
RESOLVE = f"{API}/resolve"

USER_HEADER = "X-Modelreg-User"


def url(route: str, **params: object) -> str:
    """Fill a route's placeholders, quoting each value for use in a path."""
    result = route.replace("{path:path}", "{path}")
    for key, value in params.items():
        safe = "/" if key == "path" else ""
        result = result.replace(f"{{{key}}}", quote(str(value), safe=safe))
    return result
