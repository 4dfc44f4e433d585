"""The permission matrix over HTTP, with authentication on: for each role and each operation,
over the native API and the MLflow-compatible API, the answer docs/permissions.md promises.

The expectations are written out below by hand, one row per operation, one letter per role
(``stranger, reader, writer, maintainer, admin, root``):

* ``O``: allowed (2xx);
* ``D``: denied, 403 ``PERMISSION_DENIED``;
* ``H``: hidden, 404 as if the model did not exist (the caller may not even read it).

Without a token every operation answers 401. Every (operation, API, role) that changes
something acts on a model of its own, so the cases do not disturb each other and share one
registry per database; operations that only read share one model per role.
``maintainer`` holds its role through a team, the others directly.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from modelreg.domain.access import Role, Scope
from modelreg.domain.permissions import Subject, SubjectKind
from modelreg.server.app import create_app
from modelreg.settings import Settings
from modelreg.wiring import Services, open_services
from tests import databases
from tests.factories import digest_of, make_draft

ROLES = ("stranger", "reader", "writer", "maintainer", "admin", "root")
API = "/api/v1"
ML = "/api/2.0/mlflow"
PROTECTED = {"aliases": {"production": {"approvals": 1}}}
UNSAFE = {"X-Modelreg-Allow-Unsafe": "true"}
# Cases that need a file the scan quarantines: something to release, or to override.
FLAGGED = frozenset({"release_quarantine", "override_blob", "override_artifact"})

#                       stranger reader writer maintainer admin root
NATIVE: dict[str, str] = {
    "get_model":          "HOOOOO",
    "list_versions":      "HOOOOO",
    "get_version":        "HOOOOO",
    "download_file":      "HOOOOO",
    "download_blob":      "HOOOOO",
    "resolve":            "HOOOOO",
    "history":            "HOOOOO",
    "alias_history":      "HOOOOO",
    "list_permissions":   "HOOOOO",
    "model_audit":        "HOOOOO",
    "list_signatures":    "HOOOOO",
    "version_scan":       "HOOOOO",
    "update_model":       "HDOOOO",
    "update_version":     "HDOOOO",
    "push":               "HDOOOO",
    "commit_upload":      "HDOOOO",
    "record_deployment":  "HDOOOO",
    "add_evaluation":     "HDOOOO",
    "request_promotion":  "HDOOOO",
    "set_alias":          "HDDOOO",
    "delete_alias":       "HDDOOO",
    "approve_promotion":  "HDDOOO",
    "archive_version":    "HDDOOO",
    "delete_version":     "HDDOOO",
    "release_quarantine": "HDDOOO",
    "override_blob":      "HDDOOO",
    "delete_model":       "HDDDOO",
    "grant":              "HDDDOO",
    "revoke":             "HDDDOO",
    "create_model":       "OOOOOO",
    "set_model_policy":   "DDDDDO",
    "list_webhooks":      "DDDDDO",
    "full_audit":         "DDDDDO",
    "list_retention":     "DDDDDO",
    "list_signing_keys":  "OOOOOO",
}  # fmt: skip
MLFLOW: dict[str, str] = {
    "get_model":          "HOOOOO",
    "latest_versions":    "HOOOOO",
    "get_version":        "HOOOOO",
    "download_uri":       "HOOOOO",
    "get_by_alias":       "HOOOOO",
    "registry_artifact":  "HOOOOO",
    "update_model":       "HDOOOO",
    "set_model_tag":      "HDOOOO",
    "update_version":     "HDOOOO",
    "set_version_tag":    "HDOOOO",
    "create_version":     "HDOOOO",
    "set_alias":          "HDDOOO",
    "delete_alias":       "HDDOOO",
    "transition_stage":   "HDDOOO",
    "override_artifact":  "HDDOOO",
    "delete_version":     "HDDOOO",
    "rename_model":       "HDDDOO",
    "delete_model":       "HDDDOO",
    "create_model":       "OOOOOO",
}  # fmt: skip


@dataclass
class Target:
    """What one case acts on: its model and the things set up around it."""

    model: str
    digest: str = ""
    promotion: int = 0
    upload: str = ""
    fresh: str = ""  # a name nobody has used, for creations


@dataclass
class Registry:
    http: TestClient
    services: Services
    tokens: dict[str, str]
    targets: dict[tuple[str, str, str], Target] = field(default_factory=dict)

    def as_(self, role: str | None) -> dict[str, str]:
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}


Operation = Callable[[TestClient, Target, dict[str, str]], Response]


def _native(http: TestClient, op: str, t: Target, h: dict[str, str]) -> Response:
    m = f"{API}/models/{t.model}"
    match op:
        case "get_model":
            return http.get(m, headers=h)
        case "list_versions":
            return http.get(f"{m}/versions", headers=h)
        case "get_version":
            return http.get(f"{m}/versions/1", headers=h)
        case "download_file":
            return http.get(f"{m}/versions/1/files/model.bin", headers=h)
        case "download_blob":
            return http.get(f"{API}/blobs/{t.digest}", headers=h)
        case "resolve":
            return http.get(f"{API}/resolve", params={"ref": f"{t.model}@staging"}, headers=h)
        case "history":
            return http.get(f"{m}/events", headers=h)
        case "alias_history":
            return http.get(f"{m}/aliases/staging/history", headers=h)
        case "list_permissions":
            return http.get(f"{m}/permissions", headers=h)
        case "model_audit":
            return http.get(f"{API}/audit", params={"model": t.model}, headers=h)
        case "update_model":
            return http.patch(m, json={"description": "changed"}, headers=h)
        case "update_version":
            return http.patch(f"{m}/versions/1", json={"description": "changed"}, headers=h)
        case "push":
            data = b"another version"
            body = {"files": [{"path": "x.bin", "size": len(data), "digest": str(digest_of(data))}]}
            return http.post(f"{m}/uploads", json=body, headers=h)
        case "commit_upload":
            return http.post(f"{API}/uploads/{t.upload}/commit", headers=h)
        case "record_deployment":
            body = {"version": 1, "environment": "prod"}
            return http.post(f"{m}/deployments", json=body, headers=h)
        case "add_evaluation":
            body = {"dataset": "holdout", "metrics": {"auc": 0.9}}
            return http.post(f"{m}/versions/1/evaluations", json=body, headers=h)
        case "request_promotion":
            body = {"alias": "production", "version": 1, "reason": "ship it"}
            return http.post(f"{m}/promotions", json=body, headers=h)
        case "set_alias":
            return http.put(f"{m}/aliases/canary", json={"version": 1}, headers=h)
        case "delete_alias":
            return http.delete(f"{m}/aliases/staging", headers=h)
        case "approve_promotion":
            url = f"{API}/promotions/{t.promotion}/approve"
            return http.post(url, json={"reason": "good"}, headers=h)
        case "archive_version":
            return http.post(f"{m}/versions/2/archive", headers=h)
        case "delete_version":
            return http.delete(f"{m}/versions/2", headers=h)
        case "release_quarantine":
            body = {"reason": "reviewed"}
            return http.post(f"{m}/versions/1/scan/release", json=body, headers=h)
        case "override_blob":
            return http.get(f"{API}/blobs/{t.digest}", headers={**h, **UNSAFE})
        case "delete_model":
            return http.delete(m, headers=h)
        case "grant":
            body = {"kind": "user", "subject": "guest", "role": "writer"}
            return http.put(f"{m}/permissions", json=body, headers=h)
        case "revoke":
            return http.delete(f"{m}/permissions", params={"user": "guest"}, headers=h)
        case "create_model":
            return http.post(f"{API}/models", json={"name": t.fresh}, headers=h)
        case "set_model_policy":
            return http.put(f"{m}/policy", json={"document": PROTECTED}, headers=h)
        case "list_webhooks":
            return http.get(f"{API}/webhooks", headers=h)
        case "full_audit":
            return http.get(f"{API}/audit", headers=h)
        case "list_signatures":
            return http.get(f"{m}/versions/1/signatures", headers=h)
        case "version_scan":
            return http.get(f"{m}/versions/1/scan", headers=h)
        case "list_retention":
            return http.get(f"{API}/retention", headers=h)
        case "list_signing_keys":
            return http.get(f"{API}/signing-keys", headers=h)
    raise AssertionError(op)


def _mlflow(http: TestClient, op: str, t: Target, h: dict[str, str]) -> Response:
    rm, mv, name = f"{ML}/registered-models", f"{ML}/model-versions", {"name": t.model}
    v1 = {**name, "version": "1"}
    match op:
        case "get_model":
            return http.get(f"{rm}/get", params=name, headers=h)
        case "latest_versions":
            return http.get(f"{rm}/get-latest-versions", params=name, headers=h)
        case "get_version":
            return http.get(f"{mv}/get", params=v1, headers=h)
        case "download_uri":
            return http.get(f"{mv}/get-download-uri", params=v1, headers=h)
        case "get_by_alias":
            return http.get(f"{rm}/alias", params={**name, "alias": "staging"}, headers=h)
        case "registry_artifact":
            url = f"/api/2.0/mlflow-artifacts/artifacts/_registry/{t.model}/1/model.bin"
            return http.get(url, headers=h)
        case "update_model":
            return http.patch(f"{rm}/update", json={**name, "description": "x"}, headers=h)
        case "set_model_tag":
            body = {**name, "key": "team", "value": "risk"}
            return http.post(f"{rm}/set-tag", json=body, headers=h)
        case "update_version":
            return http.patch(f"{mv}/update", json={**v1, "description": "x"}, headers=h)
        case "set_version_tag":
            body = {**v1, "key": "team", "value": "risk"}
            return http.post(f"{mv}/set-tag", json=body, headers=h)
        case "create_version":
            body = {**name, "source": f"models:/{t.model}/1"}
            return http.post(f"{mv}/create", json=body, headers=h)
        case "set_alias":
            body = {**name, "alias": "canary", "version": "1"}
            return http.post(f"{rm}/alias", json=body, headers=h)
        case "delete_alias":
            body = {**name, "alias": "staging"}
            return http.request("DELETE", f"{rm}/alias", json=body, headers=h)
        case "transition_stage":
            body = {**v1, "stage": "Staging"}
            return http.post(f"{mv}/transition-stage", json=body, headers=h)
        case "override_artifact":
            url = f"/api/2.0/mlflow-artifacts/artifacts/_registry/{t.model}/1/model.bin"
            return http.get(url, params={"allow_unsafe": "true"}, headers=h)
        case "delete_version":
            body = {**name, "version": "2"}
            return http.request("DELETE", f"{mv}/delete", json=body, headers=h)
        case "rename_model":
            body = {**name, "new_name": f"{t.model}-renamed"}
            return http.post(f"{rm}/rename", json=body, headers=h)
        case "delete_model":
            return http.request("DELETE", f"{rm}/delete", json=name, headers=h)
        case "create_model":
            return http.post(f"{rm}/create", json={"name": t.fresh}, headers=h)
    raise AssertionError(op)


CALLS = {"native": _native, "mlflow": _mlflow}
TABLES = {"native": NATIVE, "mlflow": MLFLOW}
CASES = [(api, op) for api, table in TABLES.items() for op in table]


# -- the registry every case runs against ------------------------------------------------------


def _push(services: Services, name: str, content: bytes) -> None:
    draft = make_draft({"model.bin": content})
    session = services.uploads.start_upload(name, draft, actor="owner")
    for digest in session.missing:
        services.uploads.receive_blob(session.id, digest, [content])
    services.uploads.commit_upload(session.id, actor="owner")


# Operations that change nothing share one model per role; every other case gets its own.
NATIVE_READS = (
    "get_model",
    "list_versions",
    "get_version",
    "download_file",
    "download_blob",
    "resolve",
    "history",
    "alias_history",
    "list_permissions",
    "model_audit",
    "list_signatures",
    "version_scan",
    "list_retention",
    "list_signing_keys",
)
MLFLOW_READS = (
    "get_model",
    "latest_versions",
    "get_version",
    "download_uri",
    "get_by_alias",
    "registry_artifact",
)
READS = frozenset([("native", op) for op in NATIVE_READS] + [("mlflow", op) for op in MLFLOW_READS])
NEEDS_V2 = frozenset({"archive_version", "delete_version"})
# Operations on the model itself need no version: their models are only created (pushes are the
# costly part of the setup).
NO_VERSION = frozenset(
    {
        "update_model",
        "set_model_tag",
        "rename_model",
        "delete_model",
        "grant",
        "revoke",
        "create_model",
        "set_model_policy",
        "list_webhooks",
        "full_audit",
        "list_retention",
        "list_signing_keys",
    }
)
HOLDERS = {
    "reader": Subject(SubjectKind.USER, "reader"),
    "writer": Subject(SubjectKind.USER, "writer"),
    "maintainer": Subject(SubjectKind.TEAM, "maintainers"),  # through the team
    "admin": Subject(SubjectKind.USER, "admin"),
}


def _prepare(services: Services, api: str, op: str, role: str) -> Target:
    model = f"{api}-{op.replace('_', '-')}-{role}"
    content = f"weights of {model}".encode()
    if op in FLAGGED:  # a pickle that imports os.system
        content = b"cos\nsystem\n(S'" + model.encode() + b"'\ntR."
    if op in NO_VERSION:
        services.registry.create_model(model, actor="owner")
    else:
        _push(services, model, content)
        services.registry.set_alias(model, "staging", 1, actor="owner")
    if op in NEEDS_V2:
        _push(services, model, content + b" v2")
    target = Target(model, digest=str(digest_of(content)), fresh=f"new-{model}")
    if op in ("request_promotion", "approve_promotion"):
        services.policies.set_policy(PROTECTED, actor="owner", model=model)
        if op == "approve_promotion":
            request = services.promotions.request_promotion(
                model, "production", 1, reason="ship it", actor="owner"
            )
            target.promotion = request.id
    if op == "commit_upload":
        # Its own bytes: a blob stored by another session counts only for readers (possession).
        data = f"pushed by owner to {model}, committed by someone else".encode()
        session = services.uploads.start_upload(
            model, make_draft({"other.bin": data}), actor="owner"
        )
        for digest in session.missing:
            services.uploads.receive_blob(session.id, digest, [data])
        target.upload = session.id
    if op == "revoke":
        services.access.grant(model, Subject(SubjectKind.USER, "guest"), Role.READER, actor="owner")
    if role in HOLDERS:
        services.access.grant(model, HOLDERS[role], Role(role), actor="owner")
    return target


def _open_registry(url: str, home: Path) -> Iterator[Registry]:
    settings = Settings(home=home, database_url=url, auth=True, webhook_worker=False)
    services = open_services(settings)
    accounts = services.accounts
    for name in ("owner", "stranger", "reader", "writer", "maintainer", "admin", "guest"):
        accounts.create_user(name, actor="setup")
    accounts.create_user("root", admin=True, actor="setup")
    accounts.create_team("maintainers", actor="setup")
    accounts.add_member("maintainers", "maintainer", actor="setup")
    tokens = {role: accounts.create_token(role, name="matrix", actor="setup")[1] for role in ROLES}
    registry = Registry(TestClient(create_app(settings, services=services)), services, tokens)
    reads = {role: _prepare(services, "reads", "all", role) for role in ROLES}
    for (api, op), role in itertools.product(CASES, ROLES):
        shared = (api, op) in READS
        registry.targets[api, op, role] = (
            reads[role] if shared else _prepare(services, api, op, role)
        )
    with registry.http:
        yield registry
    services.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Registry]:
    home = tmp_path_factory.mktemp("matrix")
    if request.param == "sqlite":
        yield from _open_registry(f"sqlite:///{home / 'registry.db'}", home)
        return
    # A database of its own: the shared per-worker one is truncated by other modules' tests.
    name = f"modelreg_matrix_{worker_id}_{os.getpid()}"
    url = databases.create_postgres_database(name)
    try:
        yield from _open_registry(url, home)
    finally:
        databases.drop_postgres_database(name)


# -- the matrix --------------------------------------------------------------------------------


def _error(api: str, response: Response) -> tuple[str, str]:
    body: Any = response.json()
    if api == "mlflow":
        return body["error_code"], body["message"]
    return body["error"]["code"], body["error"]["message"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("api", "op"), CASES)
def test_each_role_gets_the_documented_answer(registry: Registry, api: str, op: str, role: str):
    expected = TABLES[api][op][ROLES.index(role)]
    target = registry.targets[api, op, role]
    response = CALLS[api](registry.http, op, target, registry.as_(role))

    if expected == "O":
        assert 200 <= response.status_code < 300, response.text
    elif expected == "D":
        assert response.status_code == 403, response.text
        code, message = _error(api, response)
        assert code == "PERMISSION_DENIED"
        assert "needs" in message  # says what was missing: a role, or being a registry admin
    else:
        assert response.status_code == 404, response.text
        code, message = _error(api, response)
        assert code == ("RESOURCE_DOES_NOT_EXIST" if api == "mlflow" else _hidden_code(op))
        assert "does not exist" in message or "not found" in message


def _hidden_code(op: str) -> str:
    return {
        "download_blob": "BLOB_NOT_FOUND",
        "override_blob": "BLOB_NOT_FOUND",
        "commit_upload": "UPLOAD_NOT_FOUND",
        "approve_promotion": "PROMOTION_NOT_FOUND",
    }.get(op, "MODEL_NOT_FOUND")


@pytest.mark.parametrize(("api", "op"), CASES)
def test_without_a_token_every_operation_is_401(registry: Registry, api: str, op: str):
    target = registry.targets[api, op, "stranger"]
    response = CALLS[api](registry.http, op, target, registry.as_(None))
    assert response.status_code == 401, response.text
    assert _error(api, response)[0] in ("UNAUTHENTICATED",)


def test_a_hidden_model_reads_exactly_like_a_missing_one(registry: Registry):
    stranger = registry.as_("stranger")
    hidden = registry.http.get(f"{API}/models/reads-all-reader", headers=stranger)
    missing = registry.http.get(f"{API}/models/no-such-model", headers=stranger)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace("reads-all-reader", "X") == missing.text.replace(
        "no-such-model", "X"
    )
    params = {"name": "reads-all-reader"}
    hidden = registry.http.get(f"{ML}/registered-models/get", params=params, headers=stranger)
    params = {"name": "no-such-model"}
    missing = registry.http.get(f"{ML}/registered-models/get", params=params, headers=stranger)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error_code"] == missing.json()["error_code"]


# Which of the six "reads-all-*" models each role finds when it searches.
SEARCH_FINDS = {
    "stranger": [],
    "reader": ["reader"],
    "writer": ["writer"],
    "maintainer": ["maintainer"],
    "admin": ["admin"],
    "root": ["admin", "maintainer", "reader", "root", "stranger", "writer"],
}


@pytest.mark.parametrize("role", ROLES)
def test_searches_return_only_readable_models(registry: Registry, role: str):
    http, headers = registry.http, registry.as_(role)
    expected = [f"reads-all-{suffix}" for suffix in SEARCH_FINDS[role]]
    names: list[str] = []
    cursor = None
    while True:  # one model per page: the cursor must neither skip nor leak
        params: dict[str, str | int] = {"filter": "name LIKE 'reads-all-%'", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = http.get(f"{API}/models", params=params, headers=headers).json()
        names.extend(item["name"] for item in page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert names == expected

    versions = http.get(
        f"{API}/versions", params={"filter": "name LIKE 'reads-all-%'"}, headers=headers
    ).json()["items"]
    assert sorted({v["name"] for v in versions}) == expected

    found = http.get(
        f"{ML}/registered-models/search",
        params={"filter": "name LIKE 'reads-all-%'", "max_results": 1},
        headers=headers,
    ).json()
    assert [m["name"] for m in found.get("registered_models", [])] == expected[:1]
    found = http.get(
        f"{ML}/model-versions/search",
        params={"filter": "name LIKE 'reads-all-%'"},
        headers=headers,
    ).json()
    assert sorted({v["name"] for v in found.get("model_versions", [])}) == expected


def test_a_token_without_the_write_scope_cannot_change_what_its_owner_may(registry: Registry):
    _, secret = registry.services.accounts.create_token(
        "admin", name="read-only", scopes=(Scope.READ,), actor="setup"
    )
    headers = {"Authorization": f"Bearer {secret}"}
    model = registry.targets["native", "update_model", "admin"].model
    assert registry.http.get(f"{API}/models/{model}", headers=headers).status_code == 200
    refused = registry.http.patch(
        f"{API}/models/{model}", json={"description": "no"}, headers=headers
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["details"]["required_scope"] == "write"
    flagged = registry.targets["native", "override_blob", "admin"].digest
    unsafe = registry.http.get(f"{API}/blobs/{flagged}", headers={**headers, **UNSAFE})
    assert unsafe.status_code == 403
    assert unsafe.json()["error"]["details"]["required_scope"] == "write"


@pytest.mark.parametrize("role", ["reader", "root"])
def test_the_web_ui_shows_only_readable_models(registry: Registry, role: str):
    headers = registry.as_(role)
    catalog = registry.http.get("/", params={"q": "reads-all-"}, headers=headers)
    assert catalog.status_code == 200
    shown = {f"reads-all-{r}" for r in ROLES if f"reads-all-{r}<" in catalog.text}
    assert shown == {f"reads-all-{suffix}" for suffix in SEARCH_FINDS[role]}
    other = registry.http.get("/models/reads-all-writer", headers=headers)
    own = registry.http.get("/models/reads-all-reader", headers=headers)
    assert own.status_code == 200
    assert other.status_code == (200 if role == "root" else 404)


@pytest.mark.parametrize("role", ["stranger", "reader", "root"])
def test_promotion_listings_show_only_readable_models(registry: Registry, role: str):
    found = registry.http.get(f"{API}/promotions", headers=registry.as_(role)).json()["items"]
    models = sorted(p["model"] for p in found if p["model"].startswith("native-approve"))
    assert models == [f"native-approve-promotion-{suffix}" for suffix in SEARCH_FINDS[role]]
