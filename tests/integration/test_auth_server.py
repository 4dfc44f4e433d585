"""The server with authentication on (``Settings(auth=True)``), on SQLite and PostgreSQL: who
gets in, in which shape refusals come, what the history records, the web UI's login."""

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from modelreg.client.client import Client
from modelreg.domain.errors import PermissionDeniedError, UnauthenticatedError
from modelreg.server.app import create_app
from modelreg.server.session import COOKIE
from modelreg.settings import Settings
from modelreg.wiring import Services


@pytest.fixture
def app_http(settings: Settings, services: Services) -> Iterator[TestClient]:
    secured = settings.model_copy(update={"auth": True, "webhook_worker": False})
    app = create_app(secured, services=services)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def tokens(services: Services) -> dict[str, str]:
    """Secrets of: an admin, a user with every scope, and a read-only token of that user."""
    accounts = services.accounts
    accounts.create_user("root", admin=True, actor="setup")
    accounts.create_user("bob", actor="setup")
    return {
        "root": accounts.create_token("root", name="admin", actor="setup")[1],
        "bob": accounts.create_token("bob", name="laptop", actor="setup")[1],
        "bob-read": accounts.create_token("bob", name="ro", scopes=["read"], actor="setup")[1],
    }


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_no_token_gets_401_with_a_challenge(app_http: TestClient):
    answer = app_http.get("/api/v1/models")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHENTICATED"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    mlflow = app_http.post("/api/2.0/mlflow/registered-models/create", json={"name": "m"})
    assert mlflow.status_code == 401
    assert mlflow.json()["error_code"] == "UNAUTHENTICATED"
    assert "www-authenticate" in mlflow.headers


def test_bad_tokens_get_401_without_echoing_them(app_http: TestClient, tokens: dict[str, str]):
    real = tokens["bob"]
    altered = real[:-1] + ("y" if real.endswith("x") else "x")  # never the token itself
    for bad in ("mrt_nonsense", altered, "x" * 60):
        answer = app_http.get("/api/v1/models", headers=bearer(bad))
        assert answer.status_code == 401
        assert bad not in answer.text
    other_scheme = app_http.get("/api/v1/models", headers={"Authorization": "Digest abc"})
    assert other_scheme.status_code == 401


def test_bearer_and_basic_are_accepted(app_http: TestClient, tokens: dict[str, str]):
    assert app_http.get("/api/v1/whoami", headers=bearer(tokens["bob"])).json()["name"] == "bob"
    basic = app_http.get("/api/v1/whoami", auth=("anything", tokens["bob-read"]))
    assert basic.status_code == 200
    assert basic.json() == {
        "name": "bob",
        "kind": "user",
        "admin": False,
        "teams": [],
        "scopes": ["read"],
        "open_mode": False,
    }


def test_history_records_the_token_owner(app_http: TestClient, tokens: dict[str, str]):
    headers = {**bearer(tokens["bob"]), "X-Modelreg-User": "mallory"}
    assert app_http.post("/api/v1/models", json={"name": "m"}, headers=headers).status_code == 201
    events = app_http.get("/api/v1/models/m/events", headers=headers).json()["items"]
    assert [(e["action"], e["actor"]) for e in events] == [("model.created", "bob")]
    created = app_http.post(
        "/api/2.0/mlflow/registered-models/create", json={"name": "n"}, headers=headers
    )
    assert created.status_code == 200
    events = app_http.get("/api/v1/models/n/events", headers=headers).json()["items"]
    assert [e["actor"] for e in events] == ["bob"]


def test_revoked_and_expired_tokens_get_401(
    app_http: TestClient, services: Services, tokens: dict[str, str]
):
    token_id = services.accounts.list_tokens("bob")[0].id
    assert app_http.get("/api/v1/models", headers=bearer(tokens["bob"])).status_code == 200
    services.accounts.revoke_token(token_id, actor="root")
    refused = app_http.get("/api/v1/models", headers=bearer(tokens["bob"]))
    assert refused.status_code == 401
    assert "revoked" in refused.json()["error"]["message"]


def test_open_paths(app_http: TestClient):
    assert app_http.get("/healthz").status_code == 200
    assert app_http.get("/login").status_code == 200
    assert app_http.get("/static/ui.css").status_code == 200
    assert app_http.get("/openapi.json").status_code == 200


def test_account_management_takes_a_registry_admin(
    app_http: TestClient, services: Services, tokens: dict[str, str]
):
    bob, root = bearer(tokens["bob"]), bearer(tokens["root"])
    assert app_http.post("/api/v1/users", json={"name": "eve"}, headers=bob).status_code == 403
    assert app_http.get("/api/v1/users", headers=bob).status_code == 403
    created = app_http.post("/api/v1/users", json={"name": "ci", "kind": "service"}, headers=root)
    assert created.status_code == 201
    assert created.json()["kind"] == "service"
    assert app_http.post("/api/v1/teams", json={"name": "vision"}, headers=root).status_code == 201
    assert app_http.put("/api/v1/teams/vision/members/bob", headers=root).status_code == 204
    assert app_http.get("/api/v1/whoami", headers=bob).json()["teams"] == ["vision"]
    # A token for someone else takes an admin; for oneself, no scope one's own token lacks.
    other = {"name": "x", "user": "ci"}
    assert app_http.post("/api/v1/tokens", json=other, headers=bob).status_code == 403
    read_only = bearer(tokens["bob-read"])
    wider = app_http.post(
        "/api/v1/tokens", json={"name": "w", "scopes": ["write"]}, headers=read_only
    )
    assert wider.status_code == 403
    own = app_http.post("/api/v1/tokens", json={"name": "r", "scopes": ["read"]}, headers=read_only)
    assert own.status_code == 201
    secret = own.json()["secret"]
    assert app_http.get("/api/v1/whoami", headers=bearer(secret)).json()["name"] == "bob"
    # Listing: one's own tokens; an admin sees everyone's. Revoking others' takes an admin.
    listed = app_http.get("/api/v1/tokens", headers=bob).json()
    assert {t["user"] for t in listed} == {"bob"}
    assert "secret" not in listed[0]
    everyone = app_http.get("/api/v1/tokens", headers=root).json()
    assert {t["user"] for t in everyone} == {"bob", "root"}
    root_token = next(t["id"] for t in everyone if t["user"] == "root")
    assert app_http.delete(f"/api/v1/tokens/{root_token}", headers=bob).status_code == 403
    assert (
        app_http.delete(f"/api/v1/tokens/{own.json()['token']['id']}", headers=bob).status_code
        == 204
    )
    assert app_http.get("/api/v1/whoami", headers=bearer(secret)).status_code == 401


def test_the_sdk_sends_its_token(app_http: TestClient, tokens: dict[str, str]):
    with Client(http_client=app_http, token=tokens["bob"]) as client:
        assert client.whoami().name == "bob"
        client.create_model("sdk-model")
        assert client.events("sdk-model")[0].actor == "bob"
        with pytest.raises(PermissionDeniedError):
            client.create_user("eve")
    anonymous = TestClient(app_http.app, raise_server_exceptions=False)
    with Client(http_client=anonymous) as client, pytest.raises(UnauthenticatedError):
        client.whoami()


def test_ui_login_and_logout(app_http: TestClient, services: Services, tokens: dict[str, str]):
    page = app_http.get("/models/x?tab=1", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fmodels%2Fx%3Ftab%3D1"
    form = app_http.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    wrong = app_http.post("/login", data={"csrf_token": csrf, "token": "mrt_wrong", "next": "/"})
    assert wrong.status_code == 401
    assert "not a valid modelreg token" in wrong.text
    data = {"csrf_token": csrf, "token": tokens["bob"], "next": "https://evil.example/"}
    done = app_http.post("/login", data=data, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/"  # never off-site
    cookie = done.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert tokens["bob"] not in cookie  # sealed: the browser never holds the token itself
    catalog = app_http.get("/")
    assert catalog.status_code == 200
    assert "bob" in catalog.text
    assert "Log out" in catalog.text
    # The cookie is no API credential.
    assert app_http.get("/api/v1/whoami").status_code == 401
    # Logging out (a CSRF-checked form) ends the session.
    out = app_http.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert app_http.get("/", follow_redirects=False).status_code == 303


def test_revoking_a_token_ends_its_ui_sessions(
    app_http: TestClient, services: Services, tokens: dict[str, str]
):
    form = app_http.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    app_http.post("/login", data={"csrf_token": csrf, "token": tokens["bob"], "next": "/"})
    assert app_http.get("/", follow_redirects=False).status_code == 200
    services.accounts.revoke_token(services.accounts.list_tokens("bob")[0].id, actor="root")
    assert app_http.get("/", follow_redirects=False).status_code == 303


def test_secrets_never_reach_the_log(
    app_http: TestClient, tokens: dict[str, str], caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    root = bearer(tokens["root"])
    created = app_http.post("/api/v1/tokens", json={"name": "new"}, headers=root).json()
    app_http.get("/api/v1/models", headers=bearer(tokens["bob"][:-1] + "0"))
    app_http.get("/api/v1/models", auth=("x", tokens["bob"]))
    app_http.post("/api/v1/models", content=b"{not json", headers=root)
    app_http.post("/api/2.0/mlflow/registered-models/create", json={}, headers=root)
    assert caplog.records  # the server did log, at every level
    for secret in (*tokens.values(), created["secret"]):
        assert secret not in caplog.text
        assert secret[4:24] not in caplog.text


def test_without_auth_the_registry_runs_open(http: TestClient):
    me = http.get("/api/v1/whoami", headers={"X-Modelreg-User": "carol"}).json()
    assert (me["name"], me["admin"], me["open_mode"]) == ("carol", True, True)
    assert http.post("/api/v1/users", json={"name": "dave"}).status_code == 201
    made = http.post("/api/v1/tokens", json={"name": "t", "user": "dave"}).json()
    assert made["token"]["user"] == "dave"
    assert made["secret"].startswith("mrt_")
