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
# The MLflow stage of a version, which only the MLflow API carries (docs/mlflow.md).
MLFLOW_TRANSITION_STAGE = "/api/2.0/mlflow/model-versions/transition-stage"
EVENTS = f"{API}/models/{{name}}/events"
# Role grants on a model (docs/permissions.md).
MODEL_PERMISSIONS = f"{API}/models/{{name}}/permissions"
UPLOADS = f"{API}/models/{{name}}/uploads"
UPLOAD = f"{API}/uploads/{{upload_id}}"
UPLOAD_BLOB = f"{API}/uploads/{{upload_id}}/blobs/{{digest}}"
UPLOAD_COMMIT = f"{API}/uploads/{{upload_id}}/commit"
# Chunked pushes of large blobs (docs/dedup.md).
CHUNKING = f"{API}/chunking"
UPLOAD_BLOB_CHUNKS = f"{API}/uploads/{{upload_id}}/blobs/{{digest}}/chunks"
UPLOAD_BLOB_CHUNK = f"{API}/uploads/{{upload_id}}/blobs/{{digest}}/chunks/{{chunk_digest}}"
UPLOAD_BLOB_ASSEMBLE = f"{API}/uploads/{{upload_id}}/blobs/{{digest}}/assemble"
# Direct uploads of whole blobs to the object store (docs/storage-s3.md).
DIRECT_UPLOAD = f"{API}/uploads/{{upload_id}}/blobs/{{digest}}/direct"
DIRECT_UPLOAD_PARTS = f"{API}/uploads/{{upload_id}}/blobs/{{digest}}/direct/parts"
DIRECT_UPLOAD_COMPLETE = f"{API}/uploads/{{upload_id}}/blobs/{{digest}}/direct/complete"
DIRECT_UPLOAD_ABORT = f"{API}/uploads/{{upload_id}}/blobs/{{digest}}/direct/abort"
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
# Signing keys and manifest signatures (docs/signing.md).
SIGNING_KEYS = f"{API}/signing-keys"
SIGNING_KEY = f"{API}/signing-keys/{{key_name}}"
VERSION_SIGNATURES = f"{API}/models/{{name}}/versions/{{version}}/signatures"
# Users, teams and API tokens (authentication, docs/security.md).
WHOAMI = f"{API}/whoami"
USERS = f"{API}/users"
TEAMS = f"{API}/teams"
TEAM_MEMBER = f"{API}/teams/{{team}}/members/{{user}}"
TOKENS = f"{API}/tokens"
TOKEN = f"{API}/tokens/{{token_id}}"
# Storage: garbage collection, retention policies, the storage report (docs/storage.md).
STORAGE = f"{API}/storage"
STORAGE_GC = f"{API}/storage/gc"
RETENTION = f"{API}/retention"
RETENTION_PLAN = f"{API}/retention/plan"
RETENTION_APPLY = f"{API}/retention/apply"
MODEL_RETENTION = f"{API}/models/{{name}}/retention"

# Model-file scans and quarantine (docs/scanning.md).
VERSION_SCAN = f"{API}/models/{{name}}/versions/{{version}}/scan"
VERSION_SCAN_RELEASE = f"{VERSION_SCAN}/release"  # POST releases, DELETE revokes
SCANS_RESCAN = f"{API}/scans/rescan"
ALLOW_UNSAFE_HEADER = "X-Modelreg-Allow-Unsafe"
# Media type a client accepts to download a chunked blob from object storage itself: the answer
# lists a pre-signed GET URL per chunk instead of the bytes (docs/storage-s3.md).
CHUNK_MANIFEST_TYPE = "application/vnd.modelreg.chunks+json"
ALLOW_UNSAFE_PARAM = "allow_unsafe"
USER_HEADER = "X-Modelreg-User"


def url(route: str, **params: object) -> str:
    """Fill a route's placeholders, quoting each value for use in a path."""
    result = route.replace("{path:path}", "{path}")
    for key, value in params.items():
        safe = "/" if key == "path" else ""
        result = result.replace(f"{{{key}}}", quote(str(value), safe=safe))
    return result
