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
# Policies, promotions and webhooks (governance, part B).
POLICY = f"{API}/policy"
POLICY_REVISIONS = f"{API}/policy/revisions"
POLICY_CHECK = f"{API}/policy/check"
MODEL_POLICY = f"{API}/models/{{name}}/policy"
MODEL_POLICY_REVISIONS = f"{API}/models/{{name}}/policy/revisions"
MODEL_POLICY_EFFECTIVE = f"{API}/models/{{name}}/policy/effective"
PROMOTIONS = f"{API}/promotions"
MODEL_PROMOTIONS = f"{API}/models/{{name}}/promotions"
PROMOTION = f"{API}/promotions/{{request_id}}"
PROMOTION_APPROVE = f"{API}/promotions/{{request_id}}/approve"
PROMOTION_REJECT = f"{API}/promotions/{{request_id}}/reject"
WEBHOOKS = f"{API}/webhooks"
WEBHOOK = f"{API}/webhooks/{{webhook_id}}"
WEBHOOK_DELIVERIES = f"{API}/webhooks/{{webhook_id}}/deliveries"
# Audit trail, alias history, deployments, evaluations, model cards, archiving (governance, A).
AUDIT = f"{API}/audit"
AUDIT_VERIFY = f"{API}/audit/verify"
ALIAS_HISTORY = f"{API}/models/{{name}}/aliases/{{alias}}/history"
DEPLOYMENTS = f"{API}/deployments"
MODEL_DEPLOYMENTS = f"{API}/models/{{name}}/deployments"
VERSION_EVALUATIONS = f"{API}/models/{{name}}/versions/{{version}}/evaluations"
VERSION_CARD = f"{API}/models/{{name}}/versions/{{version}}/card"
VERSION_ARCHIVE = f"{API}/models/{{name}}/versions/{{version}}/archive"
VERSION_RESTORE = f"{API}/models/{{name}}/versions/{{version}}/restore"

USER_HEADER = "X-Modelreg-User"


def url(route: str, **params: object) -> str:
    """Fill a route's placeholders, quoting each value for use in a path."""
    result = route.replace("{path:path}", "{path}")
    for key, value in params.items():
        safe = "/" if key == "path" else ""
        result = result.replace(f"{{{key}}}", quote(str(value), safe=safe))
    return result
